//! Rendering with the real `cargo generate` binary, once per variant for the whole suite.

pub use cargo_microservice_support::postgres::{fresh_database, psql, require_server};
pub use cargo_microservice_support::*;
use std::collections::BTreeMap;
use std::env;
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

/// Files cargo never reads: what the bases and releases change, and nothing a build, a lint or
/// a test of the project looks at. Anything else counts, so a new file errs towards more builds.
const NOT_READ_BY_CARGO: [&str; 8] = [
    "Dockerfile",
    "compose.yaml",
    "README.md",
    ".dockerignore",
    ".trivyignore",
    ".gitignore",
    ".env.example",
    "deny.toml",
];

/// One Rust tree as cargo sees it, and every variant that renders it.
pub struct RustTree {
    pub dir: PathBuf,
    pub database: Database,
    pub variants: Vec<String>,
}

/// Every variant rendered under one name (`svc`), once for the whole suite, grouped by what
/// cargo reads (manifests, lock, code, tests, migrations): each group is built once, by every
/// test that builds a rendered project. `None` as for [`rendered`].
pub fn rust_trees() -> Option<&'static [RustTree]> {
    static TREES: OnceLock<Option<Vec<RustTree>>> = OnceLock::new();
    TREES
        .get_or_init(|| {
            rendered()?;
            let root = scratch_dir("rust-trees");
            let mut groups: Vec<(BTreeMap<String, Vec<u8>>, RustTree)> = Vec::new();
            for variant in Variant::matrix() {
                let dir = root.join(variant.id());
                std::fs::create_dir_all(&dir).unwrap();
                run_ok(&mut cargo_generate(
                    &dir,
                    "svc",
                    &values_file_args(&variant),
                ));
                let project = dir.join("svc");
                let mut tree = read_tree(&project);
                tree.retain(|path, _| {
                    !NOT_READ_BY_CARGO.contains(&path.as_str())
                        && !path.starts_with("deploy/")
                        && !path.starts_with(".github/")
                        // The container proof's expectations (uid, shell, PostgreSQL image) follow
                        // the base and release as literals; `cargo test` skips it (it needs an
                        // image), and every variant's copy is held to rustfmt on its own.
                        && path != "tests/container/main.rs"
                });
                match groups.iter_mut().find(|(seen, _)| *seen == tree) {
                    Some((_, group)) => group.variants.push(variant.id()),
                    None => groups.push((
                        tree,
                        RustTree {
                            dir: project,
                            database: variant.database,
                            variants: vec![variant.id()],
                        },
                    )),
                }
            }
            Some(groups.into_iter().map(|(_, group)| group).collect())
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

/// The target directory every rendered project builds into (see the support crate's).
pub fn shared_target_dir() -> PathBuf {
    rendered_target_dir(env!("CARGO_TARGET_TMPDIR"))
}

/// `cargo <args>` inside a rendered project (see the support crate's).
pub fn cargo_in(project: &Path, args: &[&str]) -> Command {
    cargo_in_rendered(env!("CARGO_TARGET_TMPDIR"), project, args)
}

/// The text of a README's `## title` section, up to the next `## ` heading.
pub fn readme_section<'a>(readme: &'a str, title: &str) -> &'a str {
    let section = readme
        .split_once(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("the README has no \"{title}\" section"))
        .1;
    section.split("\n## ").next().unwrap()
}

/// Held by every test while it builds a rendered project: they all build into one target
/// directory, where each tree's binary lands at the same path (`debug/svc`).
pub fn build_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Builds `tree` (debug, `--locked`, with `features`) and returns a copy of its binary that no
/// later build of another tree replaces.
pub fn tree_binary(tree: &RustTree, features: &[&str]) -> PathBuf {
    let _building = build_lock();
    let mut args = vec!["build", "--locked"];
    let features = features.join(",");
    if !features.is_empty() {
        args.extend(["--features", features.as_str()]);
    }
    run_ok(&mut cargo_in(&tree.dir, &args));
    let copies = env::temp_dir().join("cargo-microservice-template-binaries");
    std::fs::create_dir_all(&copies).unwrap();
    let name = tree
        .dir
        .parent()
        .and_then(Path::file_name)
        .unwrap()
        .to_string_lossy()
        .into_owned();
    // One copy per tree and feature set: the name says which.
    let copy = copies.join(if features.is_empty() {
        format!("svc-{name}")
    } else {
        format!("svc-{name}-{}", features.replace(',', "-"))
    });
    // Renamed into place: another test may be running the copy made before.
    let staged = copy.with_extension("new");
    std::fs::copy(shared_target_dir().join("debug").join("svc"), &staged).unwrap();
    std::fs::rename(&staged, &copy).unwrap();
    copy
}
