//! Plan, then write. Every file `new` or `upgrade` will write (or `upgrade` remove) is checked
//! against what is on disk before a byte is written: a symlink, a directory where a file goes, a file where a directory goes, or
//! a place that cannot be written refuses the whole plan, each conflict named. Then the bytes
//! go into temporary files beside their targets; only when every one is written are they
//! renamed into place, each file they replace kept as a hard link until the end, so a failure
//! (or a signal) part-way puts every replaced file back and removes every new one.

use crate::errors::UserError;
use anyhow::{Context, Result, anyhow};
use std::fs::Metadata;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

/// Where every rendered file goes, checked.
#[derive(Debug)]
pub struct Plan {
    pub project_dir: PathBuf,
    /// Relative to `project_dir`, sorted.
    pub files: Vec<PlannedFile>,
    /// Files to remove, relative to `project_dir`: each a regular file there now.
    pub removals: Vec<String>,
    /// Files the project has already, byte for byte: not written again.
    pub unchanged: Vec<String>,
    /// Directories to create, parents first: the destination's missing ancestors, the project
    /// directory, and those inside it.
    create_dirs: Vec<PathBuf>,
}

#[derive(Debug)]
pub struct PlannedFile {
    pub path: String,
    /// An existing file of the user's that this one replaces (`--force`, `upgrade`); it keeps
    /// its mode.
    pub replaces: bool,
    source: Source,
}

/// Where a planned file's bytes come from.
#[derive(Debug)]
pub enum Source {
    /// A rendered file, whose mode a new file takes too.
    File(PathBuf),
    /// Bytes made here (a merge); a new file gets mode 644.
    Bytes(Vec<u8>),
}

impl Source {
    fn bytes(&self) -> Result<std::borrow::Cow<'_, [u8]>> {
        Ok(match self {
            Source::File(path) => std::borrow::Cow::Owned(fs_err::read(path)?),
            Source::Bytes(bytes) => std::borrow::Cow::Borrowed(bytes),
        })
    }
}

/// Checks every file of `rendered` against `project_dir` and what is above it.
pub fn plan(rendered: &Path, project_dir: &Path) -> Result<Plan> {
    let files = list_files(rendered)?
        .into_iter()
        .map(|path| {
            let source = Source::File(rendered.join(&path));
            (path, source)
        })
        .collect();
    plan_files(files, Vec::new(), project_dir)
}

/// Checks every file to write (`files`, by path relative to `project_dir`) and every file to
/// remove against `project_dir` and what is above it.
pub fn plan_files(
    files_to_write: Vec<(String, Source)>,
    removals: Vec<String>,
    project_dir: &Path,
) -> Result<Plan> {
    let mut conflicts = Vec::new();
    let mut create_dirs = Vec::new();
    let mut writable_checked = Vec::new();
    // Above the project: --destination may itself be or sit under a symlink; it only has to be
    // a directory (or be creatable in one).
    let destination = match project_dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut missing_above = Vec::new();
    let mut existing = destination;
    loop {
        match existing.metadata() {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => {
                return Err(UserError::DestinationIsFile {
                    path: existing.to_owned(),
                }
                .into());
            }
            // Under a file (ENOTDIR), the file is found and named on the way up.
            Err(error)
                if matches!(error.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) =>
            {
                if let Ok(target) = existing.read_link() {
                    return Err(UserError::DestinationDanglingLink {
                        link: existing.to_owned(),
                        target,
                    }
                    .into());
                }
                missing_above.push(existing.to_owned());
                match existing.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
                    _ => {
                        existing = Path::new(".");
                        break;
                    }
                }
            }
            Err(error) => {
                return Err(error).with_context(|| format!("while reading {}", existing.display()));
            }
        }
    }
    if !missing_above.is_empty() {
        check_writable(existing, &mut writable_checked, &mut conflicts);
    }
    missing_above.reverse();
    create_dirs.extend(missing_above);

    let mut files = Vec::new();
    let mut unchanged = Vec::new();
    for (path, source) in files_to_write {
        let target = project_dir.join(&path);
        let mut parent_missing = false;
        let mut dir = destination.to_owned();
        let mut blocked = false;
        // The project directory and each directory inside it on the way to the file.
        let inner: Vec<&str> = path.split('/').collect();
        let (dirs, _file) = inner.split_at(inner.len() - 1);
        let project_name = project_dir
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_default();
        for component in std::iter::once(project_name.as_path()).chain(dirs.iter().map(Path::new)) {
            let parent = dir.clone();
            dir.push(component);
            if create_dirs.contains(&dir) {
                parent_missing = true;
                continue;
            }
            if parent_missing || create_dirs.contains(&parent) {
                create_dirs.push(dir.clone());
                parent_missing = true;
                continue;
            }
            match what_is(&dir)? {
                None => {
                    check_writable(&parent, &mut writable_checked, &mut conflicts);
                    create_dirs.push(dir.clone());
                    parent_missing = true;
                }
                Some(Kind::Dir) => {}
                Some(Kind::Symlink) => {
                    conflicts.push(Conflict::Symlink(dir.clone()));
                    blocked = true;
                    break;
                }
                Some(Kind::File | Kind::Special(_)) => {
                    conflicts.push(Conflict::FileForDirectory(dir.clone()));
                    blocked = true;
                    break;
                }
            }
        }
        if blocked {
            continue;
        }
        let replaces = if parent_missing {
            false
        } else {
            let dir_writable = check_writable(&dir, &mut writable_checked, &mut conflicts);
            match what_is(&target)? {
                None => false,
                Some(Kind::File) => {
                    // A read-only file of the user's stays theirs, though a rename could replace it.
                    if dir_writable
                        && let Err(error) =
                            rustix::fs::access(&target, rustix::fs::Access::WRITE_OK)
                    {
                        conflicts.push(Conflict::NotWritable(target.clone(), os_error(error)));
                    }
                    true
                }
                Some(Kind::Symlink) => {
                    conflicts.push(Conflict::Symlink(target.clone()));
                    false
                }
                Some(Kind::Dir) => {
                    conflicts.push(Conflict::DirectoryForFile(target.clone()));
                    false
                }
                Some(Kind::Special(what)) => {
                    conflicts.push(Conflict::SpecialForFile(target.clone(), what));
                    false
                }
            }
        };
        if replaces && source.bytes()? == fs_err::read(&target)? {
            unchanged.push(path);
            continue;
        }
        files.push(PlannedFile {
            source,
            path,
            replaces,
        });
    }
    for path in &removals {
        let target = project_dir.join(path);
        let mut dir = project_dir.to_owned();
        let mut blocked = false;
        for component in Path::new(path)
            .parent()
            .into_iter()
            .flat_map(Path::components)
        {
            dir.push(component);
            if let Some(Kind::Symlink) = what_is(&dir)? {
                conflicts.push(Conflict::Symlink(dir.clone()));
                blocked = true;
                break;
            }
        }
        if blocked {
            continue;
        }
        match what_is(&target)? {
            Some(Kind::File) => {
                check_writable(&dir, &mut writable_checked, &mut conflicts);
            }
            Some(Kind::Symlink) => conflicts.push(Conflict::Symlink(target)),
            Some(Kind::Dir) => conflicts.push(Conflict::DirectoryForFile(target)),
            Some(Kind::Special(what)) => conflicts.push(Conflict::SpecialForFile(target, what)),
            None => {}
        }
    }
    if !conflicts.is_empty() {
        // A symlinked or blocked directory stops every file under it: name it once.
        let mut seen = Vec::new();
        conflicts.retain(|conflict| {
            let new = !seen.contains(&conflict.to_string());
            seen.push(conflict.to_string());
            new
        });
        return Err(UserError::Conflicts {
            project: project_dir.to_owned(),
            conflicts: conflicts.iter().map(Conflict::to_string).collect(),
        }
        .into());
    }
    Ok(Plan {
        project_dir: project_dir.to_owned(),
        files,
        removals,
        unchanged,
        create_dirs,
    })
}

#[derive(Debug, PartialEq, Eq)]
enum Conflict {
    Symlink(PathBuf),
    DirectoryForFile(PathBuf),
    FileForDirectory(PathBuf),
    /// A named pipe, socket or device: not a file of the user's that `--force` may replace.
    SpecialForFile(PathBuf, &'static str),
    NotWritable(PathBuf, String),
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conflict::Symlink(path) => write!(
                f,
                "{} is a symbolic link: new never writes through one; remove it, or create the project elsewhere",
                path.display()
            ),
            Conflict::DirectoryForFile(path) => write!(
                f,
                "{} is a directory where the template writes a file: move it away",
                path.display()
            ),
            Conflict::FileForDirectory(path) => write!(
                f,
                "{} is a file where the template needs a directory: move it away",
                path.display()
            ),
            Conflict::SpecialForFile(path, what) => write!(
                f,
                "{} is {what} where the template writes a file: move it away",
                path.display()
            ),
            Conflict::NotWritable(path, why) => write!(
                f,
                "{} cannot be written ({why}): make it writable, or pick another --destination",
                path.display()
            ),
        }
    }
}

enum Kind {
    Dir,
    File,
    Symlink,
    /// What it is, in words: "a named pipe".
    Special(&'static str),
}

/// What is at `path`, without following a symlink; `None` when nothing is.
fn what_is(path: &Path) -> Result<Option<Kind>> {
    match path.symlink_metadata() {
        Ok(meta) => Ok(Some(kind(&meta))),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("while reading {}", path.display())),
    }
}

fn kind(meta: &Metadata) -> Kind {
    let file_type = meta.file_type();
    if file_type.is_symlink() {
        Kind::Symlink
    } else if file_type.is_dir() {
        Kind::Dir
    } else if file_type.is_file() {
        Kind::File
    } else if file_type.is_fifo() {
        Kind::Special("a named pipe")
    } else if file_type.is_socket() {
        Kind::Special("a socket")
    } else {
        Kind::Special("a device")
    }
}

/// Whether new entries can be made in `dir`: the kernel's answer, which also knows read-only
/// mounts and immutable directories (file modes alone do not stop root).
fn check_writable(
    dir: &Path,
    checked: &mut Vec<(PathBuf, bool)>,
    conflicts: &mut Vec<Conflict>,
) -> bool {
    if let Some((_, writable)) = checked.iter().find(|(done, _)| done == dir) {
        return *writable;
    }
    let writable = match rustix::fs::access(dir, rustix::fs::Access::WRITE_OK) {
        Ok(()) => true,
        Err(error) => {
            conflicts.push(Conflict::NotWritable(dir.to_owned(), os_error(error)));
            false
        }
    };
    checked.push((dir.to_owned(), writable));
    writable
}

/// The error as the C library words it, without rustix's or std's decorations.
fn os_error(error: rustix::io::Errno) -> String {
    let text = std::io::Error::from(error).to_string();
    match text.split_once(" (os error") {
        Some((words, _)) => words.to_owned(),
        None => text,
    }
}

/// Every file under `dir` by relative path (`/`-separated), sorted.
pub fn list_files(dir: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        for entry in fs_err::read_dir(&current)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir)?;
                let parts: Vec<String> = relative
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy().into_owned())
                    .collect();
                files.push(parts.join("/"));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Every file under `dir` by relative path, with its bytes.
pub fn read_tree(dir: &Path) -> Result<std::collections::BTreeMap<String, Vec<u8>>> {
    list_files(dir)?
        .into_iter()
        .map(|path| {
            let bytes = fs_err::read(dir.join(&path))?;
            Ok((path, bytes))
        })
        .collect()
}

/// What has been done so far, so it can be undone.
#[derive(Default)]
struct Progress {
    created_dirs: Vec<PathBuf>,
    temporaries: Vec<tempfile::TempPath>,
    /// Every hard link kept of a file about to be replaced, renamed over it or not.
    backups: Vec<PathBuf>,
    /// (target, backup of the file it replaced, if any)
    placed: Vec<(PathBuf, Option<PathBuf>)>,
    /// (removed file, its backup)
    removed: Vec<(PathBuf, PathBuf)>,
    /// Directories a removal left empty, removed in turn.
    removed_dirs: Vec<PathBuf>,
}

impl Progress {
    /// Puts back every replaced file, removes every new one and every directory made.
    fn undo(self) {
        for dir in self.removed_dirs.iter().rev() {
            let _ = std::fs::create_dir(dir);
        }
        for (target, backup) in self.removed.into_iter().rev() {
            let _ = std::fs::rename(&backup, &target);
        }
        for (target, backup) in self.placed.into_iter().rev() {
            let _ = match backup {
                Some(backup) => std::fs::rename(&backup, &target),
                None => std::fs::remove_file(&target),
            };
        }
        // A backup whose rename never happened is a second name of the user's file: drop it.
        for backup in &self.backups {
            let _ = std::fs::remove_file(backup);
        }
        drop(self.temporaries);
        for dir in self.created_dirs.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Carries out `plan`: all or nothing. `stop` is asked between steps; when it says a signal
/// came, the work is undone as for a failure.
pub fn write(plan: &Plan, stop: &dyn Fn() -> Option<anyhow::Error>) -> Result<()> {
    let mut progress = Progress::default();
    match write_steps(plan, stop, &mut progress) {
        Ok(()) => {
            for backup in progress
                .backups
                .iter()
                .chain(progress.removed.iter().map(|(_, backup)| backup))
            {
                let _ = std::fs::remove_file(backup);
            }
            Ok(())
        }
        Err(error) => {
            progress.undo();
            Err(error)
        }
    }
}

fn write_steps(
    plan: &Plan,
    stop: &dyn Fn() -> Option<anyhow::Error>,
    progress: &mut Progress,
) -> Result<()> {
    let check_stop = || stop().map_or(Ok(()), Err);
    for dir in &plan.create_dirs {
        check_stop()?;
        fs_err::create_dir(dir).map_err(|error| {
            if error.kind() == ErrorKind::AlreadyExists {
                anyhow!(UserError::AppearedWhileWriting { path: dir.clone() })
            } else {
                anyhow!(error)
            }
        })?;
        progress.created_dirs.push(dir.clone());
    }
    // Every byte, into temporaries beside the targets: a full disk fails here, before any file
    // of the user's is touched.
    let mut staged = Vec::new();
    for file in &plan.files {
        check_stop()?;
        let target = plan.project_dir.join(&file.path);
        let parent = target.parent().expect("a file has a directory");
        let mut temporary = tempfile::Builder::new()
            .prefix(".cargo-microservice-")
            .tempfile_in(parent)
            .with_context(|| format!("while writing into {}", parent.display()))?;
        let written = match &file.source {
            Source::File(path) => {
                let mut source = fs_err::File::open(path)?;
                std::io::copy(&mut source, temporary.as_file_mut()).map(|_| ())
            }
            Source::Bytes(bytes) => temporary.as_file_mut().write_all(bytes),
        };
        written
            .and_then(|()| temporary.as_file().sync_data())
            .with_context(|| format!("while writing {}", target.display()))?;
        // A file the project has keeps its mode (an executable script stays one); a new one
        // takes the template's.
        let mode = if file.replaces {
            Some(fs_err::metadata(&target)?.permissions())
        } else {
            match &file.source {
                Source::File(path) => Some(fs_err::metadata(path)?.permissions()),
                Source::Bytes(_) => None,
            }
        };
        if let Some(mode) = mode {
            fs_err::set_permissions(temporary.path(), mode)?;
        }
        let path = temporary.into_temp_path();
        staged.push((target, path.to_path_buf()));
        progress.temporaries.push(path);
    }
    // Then only renames, which need no space; each replaced file stays as a hard link.
    for ((target, temporary), file) in staged.into_iter().zip(&plan.files) {
        check_stop()?;
        let backup = if file.replaces {
            let backup = backup_path(&target);
            fs_err::hard_link(&target, &backup)
                .map_err(|error| anyhow!(error))
                .with_context(|| format!("while keeping a copy of {}", target.display()))?;
            progress.backups.push(backup.clone());
            Some(backup)
        } else {
            None
        };
        if file.replaces {
            fs_err::rename(&temporary, &target)?;
        } else {
            // A file that appeared since the plan (another run writing the same project) is
            // never replaced: this run stops and undoes what it did.
            rustix::fs::renameat_with(
                rustix::fs::CWD,
                &temporary,
                rustix::fs::CWD,
                &target,
                rustix::fs::RenameFlags::NOREPLACE,
            )
            .map_err(|error| match error {
                rustix::io::Errno::EXIST => anyhow!(UserError::AppearedWhileWriting {
                    path: target.clone(),
                }),
                other => anyhow!(std::io::Error::from(other))
                    .context(format!("while moving {} into place", target.display())),
            })?;
        }
        progress.placed.push((target, backup));
    }
    for path in &plan.removals {
        check_stop()?;
        let target = plan.project_dir.join(path);
        if !target.exists() {
            continue;
        }
        // Kept at the project's root, so the directory it leaves can go if it is now empty.
        let backup = plan.project_dir.join(format!(
            ".cargo-microservice-{}-removed-{}.orig",
            std::process::id(),
            progress.removed.len()
        ));
        fs_err::rename(&target, &backup)?;
        progress.removed.push((target.clone(), backup));
        let mut dir = target.parent().map(Path::to_owned);
        while let Some(current) = dir {
            if current == plan.project_dir || !is_empty_dir(&current) {
                break;
            }
            fs_err::remove_dir(&current)?;
            progress.removed_dirs.push(current.clone());
            dir = current.parent().map(Path::to_owned);
        }
    }
    check_stop()?;
    // Renamed into place: nothing temporary is left to delete.
    for temporary in progress.temporaries.drain(..) {
        let _ = temporary.keep();
    }
    Ok(())
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

fn backup_path(target: &Path) -> PathBuf {
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    target.with_file_name(format!(
        ".{name}.cargo-microservice-{}.orig",
        std::process::id()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::collections::BTreeMap;

    /// Every path under `dir` with its bytes (`None` for a directory).
    fn tree(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
        let mut entries = BTreeMap::new();
        let mut pending = vec![dir.to_owned()];
        while let Some(current) = pending.pop() {
            for entry in std::fs::read_dir(&current).unwrap() {
                let path = entry.unwrap().path();
                let key = path.strip_prefix(dir).unwrap().display().to_string();
                if path.is_dir() {
                    pending.push(path);
                    entries.insert(key, None);
                } else {
                    entries.insert(key, Some(std::fs::read(&path).unwrap()));
                }
            }
        }
        entries
    }

    fn write_files(dir: &Path, files: &[(&str, &str)]) {
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    /// Stops the write at each of its steps in turn (a failure or a signal part-way, in the
    /// temporaries or among the renames): every time, the user's files are as they were.
    #[test]
    fn a_write_stopped_at_any_step_leaves_the_users_files_as_they_were() {
        let rendered = tempfile::tempdir().unwrap();
        write_files(
            rendered.path(),
            &[
                ("Cargo.toml", "new manifest"),
                (".gitignore", "new ignore"),
                ("src/main.rs", "new main"),
                ("tests/api/main.rs", "new test"),
            ],
        );
        let mut step = 0;
        loop {
            let root = tempfile::tempdir().unwrap();
            let project = root.path().join("dest/orders");
            write_files(
                &project,
                &[
                    ("Cargo.toml", "user manifest"),
                    (".gitignore", "user ignore"),
                    ("NOTES.md", "user notes"),
                ],
            );
            let before = tree(root.path());
            let plan = plan(rendered.path(), &project).unwrap();
            let calls = Cell::new(0);
            let stop = || {
                calls.set(calls.get() + 1);
                (calls.get() > step).then(|| anyhow!("stopped at step {step}"))
            };

            let result = write(&plan, &stop);

            if result.is_ok() {
                assert_eq!(
                    std::fs::read_to_string(project.join("Cargo.toml")).unwrap(),
                    "new manifest"
                );
                assert_eq!(
                    std::fs::read_to_string(project.join("NOTES.md")).unwrap(),
                    "user notes"
                );
                assert!(step > 8, "a write of 4 files has more than 8 steps");
                assert!(
                    tree(root.path())
                        .keys()
                        .all(|path| !path.contains(".cargo-microservice-")),
                    "a temporary or a backup was left behind"
                );
                break;
            }
            assert_eq!(tree(root.path()), before, "stopped at step {step}");
            step += 1;
        }
    }

    /// A rename that fails after the replaced file's hard link was made (here: its temporary
    /// is gone) leaves neither that link nor anything else behind.
    #[test]
    fn a_rename_that_fails_leaves_no_backup_of_the_users_file() {
        let rendered = tempfile::tempdir().unwrap();
        write_files(rendered.path(), &[("Cargo.toml", "new manifest")]);
        let root = tempfile::tempdir().unwrap();
        let project = root.path().join("orders");
        write_files(&project, &[("Cargo.toml", "user manifest")]);
        let before = tree(root.path());
        let plan = plan(rendered.path(), &project).unwrap();
        let calls = Cell::new(0);
        // Steps: the temporary, then the rename; before the rename, the temporary vanishes.
        let stop = || {
            calls.set(calls.get() + 1);
            if calls.get() == 2 {
                for entry in std::fs::read_dir(&project).unwrap() {
                    let path = entry.unwrap().path();
                    if path.to_string_lossy().contains(".cargo-microservice-") {
                        std::fs::remove_file(path).unwrap();
                    }
                }
            }
            None
        };

        let result = write(&plan, &stop);

        assert!(result.is_err(), "the rename had nothing to move");
        assert_eq!(tree(root.path()), before);
    }

    #[test]
    fn the_plan_creates_missing_directories_parents_first_and_marks_replacements() {
        let rendered = tempfile::tempdir().unwrap();
        write_files(
            rendered.path(),
            &[("Cargo.toml", "x"), ("tests/api/main.rs", "y")],
        );
        let root = tempfile::tempdir().unwrap();
        let project = root.path().join("a/b/orders");

        let plan = plan(rendered.path(), &project).unwrap();

        let relative: Vec<PathBuf> = plan
            .create_dirs
            .iter()
            .map(|dir| dir.strip_prefix(root.path()).unwrap().to_owned())
            .collect();
        assert_eq!(
            relative,
            [
                "a",
                "a/b",
                "a/b/orders",
                "a/b/orders/tests",
                "a/b/orders/tests/api"
            ]
            .map(PathBuf::from)
        );
        assert!(plan.files.iter().all(|file| !file.replaces));
    }
}
