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

    #[error(
        "{path} is not a record cargo-microservice can read ({detail}): restore it from version control"
    )]
    RecordInvalid { path: PathBuf, detail: String },

    #[error("{} cannot be upgraded: {why}", path.display())]
    UnknownTemplateVersion { path: PathBuf, why: String },

    #[error(
        "{} is not a project cargo-microservice made: {missing}; `upgrade` works on projects `cargo microservice new` created",
        path.display()
    )]
    NotAProject { path: PathBuf, missing: String },

    #[error(
        "{} has no .cargo-microservice.toml, the record `upgrade` needs; if `cargo generate` made it from this template, adopt it first: `cargo microservice adopt {}`",
        path.display(), path.display()
    )]
    NotRecorded { path: PathBuf },

    #[error(
        "{} already has a .cargo-microservice.toml: it needs no adopting; run `cargo microservice upgrade {}`",
        path.display(), path.display()
    )]
    AlreadyRecorded { path: PathBuf },

    #[error("invalid --set {set:?}: {why}")]
    InvalidSet { set: String, why: String },

    #[error(
        "{} has an unfinished upgrade to template {version} with other answers: finish it with the same cargo-microservice and no new --set, or drop it (`git checkout .`) and start again",
        path.display()
    )]
    UpgradePendingElsewhere { path: PathBuf, version: String },

    #[error(
        "rendering template {version} with the answers {} records does not give the files `new` wrote ({file} differs): the record was edited or the template archive is damaged; restore .cargo-microservice.toml from version control",
        path.display()
    )]
    BaseDiffers {
        path: PathBuf,
        version: String,
        file: String,
    },

    #[error(
        "{} has uncommitted changes, and an upgrade's changes should be the only ones `git diff` shows:\n  {}\ncommit or stash them first, or pass --allow-dirty",
        path.display(), changes.join("\n  ")
    )]
    DirtyWorkTree { path: PathBuf, changes: Vec<String> },

    #[error(
        "the current directory no longer exists ({why}): cd into one that does, and run it again"
    )]
    NoWorkingDirectory { why: String },

    #[error(
        "TMPDIR ({}) cannot hold the staging directory the template is rendered into ({why}): set TMPDIR to a writable directory with room, e.g. TMPDIR=/var/tmp",
        dir.display()
    )]
    Staging { dir: PathBuf, why: String },

    #[error(
        "a file-size limit (ulimit -f) stops this run from writing the files a project needs (File too large): raise it, e.g. `ulimit -f unlimited`, and run again"
    )]
    FileSizeLimit,

    #[error(
        "values file {path} is not a regular file: pass a TOML file with a [values] table (see examples/)"
    )]
    ValuesFileNotRegular { path: PathBuf },

    #[error(
        "{} appeared while this run was writing (another `new` into the same place?): this run wrote nothing; look at what is there, and run it again with another name or --destination",
        path.display()
    )]
    AppearedWhileWriting { path: PathBuf },

    #[error("nothing was written to {}:\n  {}", project.display(), conflicts.join("\n  "))]
    Conflicts {
        project: PathBuf,
        conflicts: Vec<String>,
    },
}
