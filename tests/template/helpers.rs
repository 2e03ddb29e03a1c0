//! Rendering with the real `cargo generate` binary, once per variant for the whole suite.

pub use cargo_microservice_support::postgres::{fresh_database, psql, require_server, server_url};
pub use cargo_microservice_support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// `-d key=value` arguments only.
pub fn define_args(variant: &Variant) -> Vec<String> {
    variant
        .defines()
        .into_iter()
        .flat_map(|define| ["-d".to_owned(), define])
        .collect()
}

pub struct Rendered {
    pub variant: Variant,
    pub dir: PathBuf,
}

/// Every variant rendered from its values file, once; `None` when cargo-generate is missing
/// outside CI (the caller has already been told it is skipped).
pub fn rendered() -> Option<&'static [Rendered]> {
    static RENDERED: OnceLock<Option<Vec<Rendered>>> = OnceLock::new();
    RENDERED
        .get_or_init(|| {
            if !require_tool("cargo-generate", "--version") {
                return None;
            }
            let root = scratch_dir("rendered");
            Some(
                Variant::matrix()
                    .iter()
                    .map(|variant| {
                        let name = variant.project_name();
                        run_ok(&mut cargo_generate(
                            &root,
                            &name,
                            &values_file_args(variant),
                        ));
                        Rendered {
                            variant: *variant,
                            dir: root.join(name),
                        }
                    })
                    .collect(),
            )
        })
        .as_deref()
}

/// Rendered text files, by path relative to the project (Cargo.lock included).
pub fn text_files(project: &Path) -> Vec<(String, String)> {
    read_tree(project)
        .into_iter()
        .map(|(path, bytes)| {
            let text = String::from_utf8(bytes).unwrap_or_else(|_| panic!("{path} is not UTF-8"));
            (path, text)
        })
        .collect()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The target directory every rendered project builds into, so dependencies compile once.
pub fn shared_target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("rendered-target")
}

/// `cargo <args>` inside a rendered project, with the shared target directory and the
/// PostgreSQL server its API tests create their databases on.
pub fn cargo_in(project: &Path, args: &[&str]) -> Command {
    let mut command = clean_command("cargo");
    command
        .current_dir(project)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        // Fourteen projects' test binaries: without debug info and incremental caches they take
        // a few GB less disk and link faster; nothing here reads a backtrace.
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .env("CARGO_INCREMENTAL", "0")
        .env("DATABASE_URL", server_url())
        .args(args);
    command
}
