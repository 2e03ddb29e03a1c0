//! Fixtures for the CLI suite: the binary with a clean environment, a fingerprint of a tree
//! that sees symlinks as symlinks, and small filesystems mounted for a test.

pub use cargo_microservice_support::*;
use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn cli(args: &[&str]) -> Command {
    let mut command = clean_command(env!("CARGO_BIN_EXE_cargo-microservice"));
    command.args(args).stdin(Stdio::null());
    command
}

/// `new <name> --vcs none --destination <root> <flags>`: a project with no repository, the
/// usual shape of a test's run.
pub fn new_in(root: &Path, name: &str, flags: &[&str]) -> Command {
    let mut command = cli(&["new", name, "--vcs", "none", "--destination"]);
    command.arg(root).args(flags);
    command
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn arg(path: &Path) -> String {
    path.display().to_string()
}

/// One entry of a tree as the test compares it: a file's digest and mode, a directory, a
/// symlink's target (never followed), or a named pipe, socket or device (never opened: a
/// pipe's reader would wait for a writer), by its mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    File { sha256: String, mode: u32 },
    Dir,
    Symlink(PathBuf),
    Special { mode: u32 },
}

/// Every entry under `dir` (itself included as ""), by relative path.
pub fn fingerprint(dir: &Path) -> BTreeMap<String, Entry> {
    let mut entries = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        let relative = path.strip_prefix(dir).unwrap().display().to_string();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let entry = if meta.file_type().is_symlink() {
            Entry::Symlink(std::fs::read_link(&path).unwrap())
        } else if meta.is_dir() {
            for child in std::fs::read_dir(&path).unwrap() {
                pending.push(child.unwrap().path());
            }
            Entry::Dir
        } else if meta.is_file() {
            Entry::File {
                sha256: sha256(&std::fs::read(&path).unwrap()),
                mode: meta.permissions().mode(),
            }
        } else {
            Entry::Special { mode: meta.mode() }
        };
        entries.insert(relative, entry);
    }
    entries
}

/// `sha256sum`'s digest: the tool every Debian machine has.
fn sha256(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum runs");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    String::from_utf8(output.stdout).unwrap()[..64].to_owned()
}

/// Asserts that `dir` is exactly as `before`, naming what changed.
pub fn assert_unchanged(dir: &Path, before: &BTreeMap<String, Entry>, case: &str) {
    let after = fingerprint(dir);
    let changed: Vec<String> = before
        .keys()
        .chain(after.keys())
        .filter(|key| before.get(*key) != after.get(*key))
        .map(|key| format!("{key}: {:?} -> {:?}", before.get(key), after.get(key)))
        .collect();
    assert!(
        changed.is_empty(),
        "{case}: {} changed:\n{}",
        dir.display(),
        changed.join("\n")
    );
}

/// A tmpfs mounted for one test, unmounted when dropped. `None` (and a loud skip) where this
/// process may not mount, outside CI; in CI that is a failure.
pub struct Mount {
    pub dir: PathBuf,
}

impl Mount {
    pub fn tmpfs(name: &str, size: &str) -> Option<Mount> {
        let dir = scratch_dir(name);
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(&dir)
            .output()
            .is_ok_and(|output| output.status.success());
        if !mounted {
            let why = "mounting a small tmpfs needs root (CI runs as root)";
            assert!(!in_ci(), "{why}; CI runs every test");
            skip(why);
            return None;
        }
        Some(Mount { dir })
    }

    pub fn remount_read_only(&self) {
        run_ok(
            Command::new("mount")
                .args(["-o", "remount,ro"])
                .arg(&self.dir),
        );
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).output();
    }
}

/// A user's project directory as `--force` finds it: files the template also writes, with the
/// user's own content, and one it does not; and a file of theirs beside the project.
pub fn users_project(root: &Path) -> PathBuf {
    std::fs::write(
        root.join("beside.txt"),
        "the user's file outside the project\n",
    )
    .unwrap();
    let project = root.join("orders");
    std::fs::create_dir_all(project.join("src")).unwrap();
    for (file, text) in [
        ("Cargo.toml", "[package]\nname = \"mine\"\n"),
        (".dockerignore", "mine\n"),
        (".gitignore", "my-secrets/\n"),
        ("src/main.rs", "fn main() { println!(\"mine\"); }\n"),
        ("NOTES.md", "my notes\n"),
    ] {
        std::fs::write(project.join(file), text).unwrap();
    }
    project
}

/// Entries anywhere under `dir` whose names contain `prefix`: leftovers of a staging
/// directory, a temporary or a backup.
pub fn leftovers(dir: &Path, prefix: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.contains(prefix) {
                found.push(entry.path().display().to_string());
            }
            if entry.file_type().unwrap().is_dir() {
                pending.push(entry.path());
            }
        }
    }
    found
}

/// A rendered project's files but its `.env`: a per-project secret `new` writes afresh (a new
/// password, a free port) every time.
pub fn without_secrets(
    mut tree: std::collections::BTreeMap<String, Vec<u8>>,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    tree.remove(".env");
    tree
}

/// Held while a rendered project named `orders` builds in the shared target directory: cargo
/// keeps each package's artefacts apart, but `target/debug/orders` is one file, and a run of
/// one project must not start the other's binary.
pub fn orders_builds() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
