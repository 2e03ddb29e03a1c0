//! Errors the user can fix, each saying what is wrong and how to fix it, and the exit statuses
//! every subcommand shares (README, "Exit status").

use crate::variants::Debian;
use std::path::PathBuf;

/// Exit statuses, the linters' convention: 0 done (or clean), 1 findings (`check` only),
/// 2 anything that stopped the work: a bad value, a refused destination, an I/O error.
pub mod exit {
    pub const SUCCESS: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const ERROR: u8 = 2;
    /// 128 + the signal's number, as shells report a process a signal ended.
    pub const INTERRUPTED: u8 = 130;
    pub const TERMINATED: u8 = 143;
}

/// A problem with what was asked; nothing has been written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(
        "invalid project name {name:?}: {rule}; use letters, digits, - or _, starting with a letter (e.g. orders-api)"
    )]
    InvalidName { name: String, rule: String },

    #[error("invalid port {value:?}: use a whole number from 1 to 65535 (default 8080)")]
    InvalidPort { value: String },

    #[error(
        "invalid rust_version {value:?}: pin a toolchain as major.minor[.patch], 1.85 or newer (edition 2024 needs it), e.g. 1.95"
    )]
    InvalidRustVersion { value: String },

    #[error(
        "rust_version={rust_version} is older than 1.94, which sqlx 0.9 (the driver of database=postgres) needs: pick rust_version 1.94 or newer, or database=none"
    )]
    RustTooOldForPostgres { rust_version: String },

    #[error(
        "debian={debian} applies only to the glibc bases (distroless, debian-slim, static); the alpine base builds on alpine: drop the debian value"
    )]
    DebianWithAlpine { debian: Debian },

    #[error(
        "values file {path} does not exist: pass the path of a TOML file with a [values] table (see examples/)"
    )]
    ValuesFileMissing { path: PathBuf },

    #[error(
        "values file {path} is not valid: {detail}; it needs a [values] table with base, debian, rust_version, port and database (see examples/)"
    )]
    ValuesFileInvalid { path: PathBuf, detail: String },

    #[error("destination {path} is a file: pass a directory with --destination")]
    DestinationIsFile { path: PathBuf },

    #[error(
        "destination {link} is a symbolic link to {target}, which does not exist: create that directory, or pass another --destination"
    )]
    DestinationDanglingLink { link: PathBuf, target: PathBuf },

    #[error(
        "{path} is a file, where the project's directory goes: pick another name or --destination, or move the file away"
    )]
    ProjectDirIsFile { path: PathBuf },

    #[error(
        "{path} already exists and is not empty: pick another name or --destination, or pass --force to write into it"
    )]
    DestinationNotEmpty { path: PathBuf },

    #[error("nothing was written to {}:\n  {}", project.display(), conflicts.join("\n  "))]
    Conflicts {
        project: PathBuf,
        conflicts: Vec<String>,
    },
}
