//! What every suite (and the benchmark) needs: the repository, the variant matrix, commands
//! run with a clean environment, the rule for tools that are missing (fail in CI, skip loudly
//! elsewhere), base images on hosts with no registry ([`standin`]), and services run on the
//! host's loopback ([`loopback`]). A dev-only crate: the shipped `cargo-microservice` never
//! links it.

pub mod kubernetes;
pub mod loopback;
pub mod postgres;
pub mod standin;
pub mod workflows;

use std::collections::BTreeMap;
use std::env;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub use cargo_microservice::variants::{Base, Database, Debian, Variant};

/// How the suites render a variant; the matrix itself comes from the CLI's library.
pub trait VariantExt {
    /// The project name the template suite renders this variant under; distinct names keep
    /// build artefacts apart in the shared target directory.
    fn project_name(&self) -> String;
    /// `examples/<base>.toml`, the values file a person would pass to cargo generate.
    fn values_file(&self) -> PathBuf;
    /// The values as `-d key=value` pairs, for rendering without a values file.
    fn defines(&self) -> Vec<String>;
}

impl VariantExt for Variant {
    fn project_name(&self) -> String {
        format!("svc-{}", self.id())
    }

    fn values_file(&self) -> PathBuf {
        repo_root()
            .join("examples")
            .join(format!("{}.toml", self.base))
    }

    fn defines(&self) -> Vec<String> {
        let mut defines = vec![format!("base={}", self.base)];
        if let Some(debian) = self.debian {
            defines.push(format!("debian={debian}"));
        }
        defines.push(format!("database={}", self.database));
        defines
    }
}

/// `cargo generate --path <repo> --silent --vcs none --destination <dest> --name <name> <args>`.
pub fn cargo_generate(destination: &Path, name: &str, args: &[String]) -> Command {
    let mut command = clean_command("cargo");
    command
        .arg("generate")
        .arg("--path")
        .arg(repo_root())
        .args(["--silent", "--vcs", "none", "--name", name])
        .arg("--destination")
        .arg(destination)
        .args(args);
    command
}

/// Values-file arguments for a variant, as a person following examples/ would type them.
pub fn values_file_args(variant: &Variant) -> Vec<String> {
    let mut args = vec![
        "--values-file".to_owned(),
        variant.values_file().display().to_string(),
    ];
    // The examples pin the defaults, trixie and postgres; the other choices are the same file
    // with an override.
    if variant.debian == Some(Debian::Bookworm) {
        args.extend(["-d".to_owned(), "debian=bookworm".to_owned()]);
    }
    if variant.database == Database::Memory {
        args.extend(["-d".to_owned(), "database=none".to_owned()]);
    }
    args
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/support sits two levels down in the repository")
        .to_path_buf()
}

/// A scratch directory, emptied first. It sits outside the repository: cargo would take a
/// rendered project inside it for a member of this workspace.
pub fn scratch_dir(name: &str) -> PathBuf {
    let suite = env::current_exe().unwrap();
    let suite = suite.file_stem().unwrap().to_string_lossy();
    let dir = env::temp_dir()
        .join(format!("cargo-microservice-{suite}"))
        .join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A command that sees none of the caller's configuration: a fresh HOME, no colour, no
/// backtraces; only what finds the toolchains is passed through.
pub fn clean_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    let home = HOME.get_or_init(|| scratch_dir("clean-home"));
    let real_home = PathBuf::from(env::var_os("HOME").unwrap_or_default());
    let mut command = Command::new(program);
    command.env_clear();
    for key in ["PATH", "TMPDIR", "DOCKER_HOST", "RUSTUP_TOOLCHAIN", "CI"] {
        if let Some(value) = env::var_os(key) {
            command.env(key, value);
        }
    }
    // Found through HOME by default, which is replaced below.
    for (key, default) in [
        ("CARGO_HOME", ".cargo"),
        ("RUSTUP_HOME", ".rustup"),
        ("PYENV_ROOT", ".pyenv"),
        ("DOCKER_CONFIG", ".docker"),
    ] {
        let value = env::var_os(key).map_or_else(|| real_home.join(default), PathBuf::from);
        command.env(key, value);
    }
    command
        .env("HOME", home)
        .env("USER", "e2e")
        .env("NO_COLOR", "1")
        .env("CARGO_TERM_COLOR", "never")
        .env("RUST_BACKTRACE", "0");
    command
}

/// The target directory every rendered project builds into, in every suite, so their
/// dependencies compile once per run. `target_tmpdir` is the suite's `CARGO_TARGET_TMPDIR`,
/// which is the workspace's: one directory for all of them.
pub fn rendered_target_dir(target_tmpdir: &str) -> PathBuf {
    Path::new(target_tmpdir).join("rendered-target")
}

/// `cargo <args>` inside a rendered project, with the shared target directory and the
/// PostgreSQL server its API tests create their databases on.
pub fn cargo_in_rendered(target_tmpdir: &str, project: &Path, args: &[&str]) -> Command {
    let mut command = in_rendered(target_tmpdir, project, "cargo");
    command.args(args);
    command
}

/// `program` inside a rendered project, with the environment [`cargo_in_rendered`] gives cargo:
/// for a workflow's `run:` step, whose cargo commands then share the suites' builds.
pub fn in_rendered(target_tmpdir: &str, project: &Path, program: &str) -> Command {
    let mut command = clean_command(program);
    command
        .current_dir(project)
        .env("DATABASE_URL", postgres::server_url());
    builds_shared(&mut command, target_tmpdir);
    command
}

/// Points cargo, run by `command`, at the shared target directory with the one build profile
/// every suite uses there. Many projects' test binaries: without debug info and incremental
/// caches they take a few GB less disk and link faster, and nothing here reads a backtrace.
/// The profile is part of each compiled crate's identity: a command that built with cargo's
/// default debug info would compile every dependency again beside these (it did: the first
/// minute's `cargo run` and the README's steps built each store's graph once more a run).
pub fn builds_shared(command: &mut Command, target_tmpdir: &str) {
    command
        .env("CARGO_TARGET_DIR", rendered_target_dir(target_tmpdir))
        .env("CARGO_PROFILE_DEV_DEBUG", "0")
        .env("CARGO_INCREMENTAL", "0");
}

/// Runs `command`, returning its output; a command that cannot start at all is a test failure.
pub fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|error| panic!("could not start {command:?}: {error}"))
}

/// Runs `command` and fails the test, with its output, unless it succeeds.
pub fn run_ok(command: &mut Command) -> Output {
    let output = run(command);
    assert!(
        output.status.success(),
        "{command:?} failed with {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub fn in_ci() -> bool {
    env::var_os("CI").is_some_and(|value| !value.is_empty() && value != "false")
}

/// Whether `tool` runs here. In CI a missing tool fails the test (CI must run everything);
/// elsewhere the test is skipped, and says so on the terminal even when output is captured.
pub fn require_tool(tool: &str, version_arg: &str) -> bool {
    let runs = clean_command(tool)
        .arg(version_arg)
        .output()
        .is_ok_and(|output| output.status.success());
    if !runs {
        let why = format!("{tool} is not installed (bash .ci/run installs it)");
        assert!(!in_ci(), "{why}; CI runs every test");
        skip(&why);
    }
    runs
}

/// Says a test was skipped, on the terminal even when libtest captures output.
pub fn skip(why: &str) {
    note(&format!("SKIPPED: {why}"));
}

/// Every file under `dir` by relative path, with its bytes; the way two trees are compared.
pub fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// Prints a line straight to stderr: libtest's capture only swallows `eprintln!`, and the
/// slow tiers report what they skipped and how long they took.
pub fn note(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
