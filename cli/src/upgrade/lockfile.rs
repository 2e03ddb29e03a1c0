//! `Cargo.lock` is cargo's to write, so it is never line-merged: the upgrade starts from the
//! lock that keeps the most of what the team pinned (theirs when the team never touched it,
//! the team's otherwise) and lets cargo resolve it again against the merged `Cargo.toml`, in a
//! copy of the upgraded project, offline when the crates are in cargo's cache.

use super::merge;
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use super::LOCKFILE;

/// Settles `Cargo.lock` into `writes`; returns what became of it, in a sentence.
pub fn settle(
    project: &Path,
    base: &BTreeMap<String, Vec<u8>>,
    theirs: &BTreeMap<String, Vec<u8>>,
    writes: &mut BTreeMap<String, Vec<u8>>,
    removals: &[String],
    scratch: &Path,
) -> Result<Option<String>> {
    let ours = std::fs::read(project.join(LOCKFILE)).ok();
    let (Some(theirs_lock), Some(ours_lock)) = (theirs.get(LOCKFILE), ours) else {
        return Ok(match theirs.get(LOCKFILE) {
            Some(_) if base.contains_key(LOCKFILE) => {
                Some("you deleted it: it stays deleted".to_owned())
            }
            Some(lock) => {
                writes.insert(LOCKFILE.to_owned(), lock.clone());
                Some("added, as the template has it".to_owned())
            }
            None => None,
        });
    };
    let untouched = base.get(LOCKFILE) == Some(&ours_lock);
    let start = if untouched {
        theirs_lock.clone()
    } else {
        ours_lock.clone()
    };
    let manifest = writes
        .get("Cargo.toml")
        .cloned()
        .or_else(|| std::fs::read(project.join("Cargo.toml")).ok())
        .unwrap_or_default();
    let settled = if manifest == theirs["Cargo.toml"] && start == *theirs_lock {
        Settled {
            lock: start,
            how: "the template's".to_owned(),
        }
    } else if merge::has_markers(&manifest) {
        Settled {
            lock: start,
            how: "not resolved, as Cargo.toml has conflicts: once they are resolved, any cargo build updates it".to_owned(),
        }
    } else {
        resolve(project, writes, removals, &start, scratch)?
    };
    let note = if settled.lock == ours_lock {
        None
    } else {
        writes.insert(LOCKFILE.to_owned(), settled.lock);
        Some(settled.how)
    };
    Ok(note)
}

struct Settled {
    lock: Vec<u8>,
    how: String,
}

/// Copies the upgraded project (without `target/` and `.git/`) into `scratch`, puts `start`
/// in as its lock, and has cargo resolve it: offline first, then with the network.
fn resolve(
    project: &Path,
    writes: &BTreeMap<String, Vec<u8>>,
    removals: &[String],
    start: &[u8],
    scratch: &Path,
) -> Result<Settled> {
    let copy = scratch.join("lockfile");
    copy_project(project, &copy)?;
    for path in removals {
        let _ = std::fs::remove_file(copy.join(path));
    }
    for (path, bytes) in writes {
        let target = copy.join(path);
        if let Some(parent) = target.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::write(target, bytes)?;
    }
    fs_err::write(copy.join(LOCKFILE), start)?;
    let metadata = |offline: bool| {
        let mut command = Command::new("cargo");
        command
            .args(["metadata", "--format-version", "1"])
            .arg("--manifest-path")
            .arg(copy.join("Cargo.toml"))
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if offline {
            command.arg("--offline");
        }
        command.output()
    };
    let offline = metadata(true);
    let how = match offline {
        Ok(out) if out.status.success() => "resolved again by cargo, offline".to_owned(),
        _ => match metadata(false) {
            Ok(out) if out.status.success() => {
                "resolved again by cargo (the crates it needed were not in its cache, so it used the network)".to_owned()
            }
            Ok(out) => {
                return Ok(Settled {
                    lock: start.to_vec(),
                    how: format!(
                        "cargo could not resolve it ({}): it is left as it was; run `cargo update --workspace` once that is fixed",
                        String::from_utf8_lossy(&out.stderr)
                            .lines()
                            .find(|line| line.starts_with("error"))
                            .unwrap_or("no reason given")
                            .trim()
                    ),
                });
            }
            Err(error) => {
                return Ok(Settled {
                    lock: start.to_vec(),
                    how: format!(
                        "cargo could not run ({error}): it is left as it was; run `cargo update --workspace`"
                    ),
                });
            }
        },
    };
    Ok(Settled {
        lock: fs_err::read(copy.join(LOCKFILE))?,
        how,
    })
}

/// The project's regular files, without the build directory and version control.
fn copy_project(from: &Path, to: &Path) -> Result<()> {
    let mut pending = vec![(from.to_owned(), to.to_owned())];
    while let Some((source, target)) = pending.pop() {
        fs_err::create_dir_all(&target)?;
        for entry in fs_err::read_dir(&source)? {
            let entry = entry?;
            let name = entry.file_name();
            let kind = entry.file_type()?;
            if source == from && (name == "target" || name == ".git") {
                continue;
            }
            if kind.is_dir() {
                pending.push((entry.path(), target.join(&name)));
            } else if kind.is_file() {
                fs_err::copy(entry.path(), target.join(&name))?;
            }
        }
    }
    Ok(())
}
