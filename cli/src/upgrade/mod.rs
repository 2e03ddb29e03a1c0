//! `upgrade`: a generated service takes the template's later changes, and a changed answer,
//! and keeps every line its team wrote. Three trees: the base (the recorded answers rendered with
//! the recorded template version, rebuilt offline and checked against the hashes `new`
//! recorded), theirs (this CLI's template with the answers, `--set` applied) and ours (the
//! project on disk). Each file is decided on its own (`merge`), `Cargo.lock` is resolved again
//! by cargo (`lockfile`), and the result goes through the same plan-then-write as `new`.
//! Conflicts are written with markers, exit 1, and leave the recorded version where it was
//! until they are resolved and `upgrade` runs again.

mod adopt;
mod lockfile;
mod merge;

pub use adopt::{AdoptArgs, Adopted, adopt};

use crate::answers::{Answers, Values};
use crate::engine;
use crate::errors::{UserError, exit};
use crate::plan::{self, Source};
use crate::record::{self, PendingUpgrade, RECORD_FILE, Record};
use crate::signals;
use crate::template::versions::{self, TemplateVersion};
use anyhow::{Context, Result};
use merge::{Decision, Labels};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Files cargo writes; resolved again by cargo after the merge, never line-merged.
const LOCKFILE: &str = "Cargo.lock";
/// The project's secrets: never read, never written.
const SECRETS: &str = ".env";
/// A file bigger than this is not one the template wrote.
const MAX_FILE_BYTES: u64 = 16 << 20;

/// Bring a project made by `new` up to this CLI's template, keeping the team's changes.
///
/// Files the team never touched become the template's new version; files the template did not
/// change stay as the team has them; files both changed are merged line by line (as `git
/// merge-file` does), with conflict markers where the same lines changed. Exit status: 0
/// upgraded or nothing to do, 1 conflicts written (or, with --check, behind), 2 refused with
/// nothing written.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct UpgradeArgs {
    /// The project's directory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Change an answer as the upgrade renders the template: base=static, database=none,
    /// debian=bookworm, port=9000, rust_version=1.95 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print what each file would become, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run, print a unified diff of every change too.
    #[arg(long, requires = "dry_run")]
    pub diff: bool,
    /// Write nothing; exit 1 when the project is behind this CLI's template.
    #[arg(long, conflicts_with_all = ["dry_run", "set"])]
    pub check: bool,
    /// Upgrade a git work tree that has uncommitted changes.
    #[arg(long)]
    pub allow_dirty: bool,
}

/// One file's fate.
#[derive(Debug, Clone)]
pub struct FileOutcome {
    pub path: String,
    /// The path the project had it under, when the template moved it.
    pub moved_from: Option<String>,
    pub decision: Decision,
}

/// What `upgrade` did (or, for a dry run or a check, would do).
#[derive(Debug, Clone)]
pub struct Upgraded {
    pub project_dir: PathBuf,
    pub from: String,
    pub to: String,
    /// `key: old -> new` for every answer that changes.
    pub changed_answers: Vec<String>,
    pub files: Vec<FileOutcome>,
    /// What became of Cargo.lock, in a sentence.
    pub lockfile: Option<String>,
    /// Things worth knowing that did not stop the work.
    pub notes: Vec<String>,
    pub up_to_date: bool,
    pub dry_run: bool,
    pub check: bool,
    pub diff: Option<String>,
}

impl Upgraded {
    pub fn conflicts(&self) -> Vec<&FileOutcome> {
        self.files
            .iter()
            .filter(|file| file.decision.is_conflict())
            .collect()
    }

    /// 0 done or nothing to do, 1 conflicts (or behind, for `--check`).
    pub fn exit_status(&self) -> u8 {
        if (self.check && !self.up_to_date) || !self.conflicts().is_empty() {
            exit::FINDINGS
        } else {
            exit::SUCCESS
        }
    }

    pub fn summary(&self) -> String {
        let project = self.project_dir.display();
        if self.up_to_date {
            return format!("{project} is up to date with template {}.\n", self.to);
        }
        let answers = if self.changed_answers.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.changed_answers.join(", "))
        };
        if self.check {
            return format!(
                "{project} is behind: made with template {}, and this cargo-microservice has {}{answers}. Run `cargo microservice upgrade` there.\n",
                self.from, self.to
            );
        }
        let mut text = format!(
            "{} {project} from template {} to {}{answers}:\n",
            if self.dry_run {
                "Would upgrade"
            } else {
                "Upgraded"
            },
            self.from,
            self.to
        );
        for note in &self.notes {
            let _ = writeln!(text, "  note: {note}");
        }
        for file in &self.files {
            let (word, detail) = describe(&file.decision);
            if word.is_empty() {
                continue;
            }
            let path = match &file.moved_from {
                Some(from) => format!("{from} -> {}", file.path),
                None => file.path.clone(),
            };
            let word = if file.moved_from.is_some() && word != "removed" {
                "moved"
            } else {
                word
            };
            let _ = writeln!(text, "  {word:<9} {path}{detail}");
        }
        if let Some(lockfile) = &self.lockfile {
            let _ = writeln!(text, "  Cargo.lock: {lockfile}");
        }
        let conflicts = self.conflicts().len();
        if conflicts > 0 {
            let _ = writeln!(
                text,
                "\n{conflicts} conflict{}: resolve {} (each marked file shows yours, the old template's and the new template's lines), then run `cargo microservice upgrade` again to finish. Until then the project stays recorded at template {}.",
                if conflicts == 1 { "" } else { "s" },
                if conflicts == 1 { "it" } else { "them" },
                self.from
            );
        }
        if self.dry_run {
            text.push_str("Nothing was written (--dry-run).\n");
        }
        if let Some(diff) = &self.diff {
            text.push('\n');
            text.push_str(diff);
        }
        text
    }
}

/// A word for the plan, and what a reader should know.
fn describe(decision: &Decision) -> (&'static str, &'static str) {
    match decision {
        Decision::Unchanged => ("", ""),
        Decision::Updated(_) => ("updated", ""),
        Decision::Merged(_) => ("merged", " (your changes and the template's)"),
        Decision::Conflict(_) => ("conflict", " (markers written: resolve them)"),
        Decision::Kept => ("kept", " (yours; the template did not change it)"),
        Decision::Added(_) => ("added", ""),
        Decision::Removed => ("removed", " (the template no longer has it)"),
        Decision::StaysDeleted => ("deleted", " (you deleted it: it stays deleted)"),
        Decision::RemovedButChanged => (
            "conflict",
            " (the template no longer has it, and you changed it: keep it as yours or delete it)",
        ),
        Decision::Resolved => ("resolved", " (your resolution of the earlier conflict)"),
    }
}

/// Upgrades the project at `args.path`; the library's entry, as `create` is `new`'s.
pub fn upgrade(args: &UpgradeArgs) -> Result<Upgraded> {
    let project = args.path.as_path();
    let record = read_record(project)?;
    let from = record.made_with(project)?;
    let to = versions::current();
    let answers_from = Answers::from_values(&record.values)?;
    let mut values_to = record.values.clone();
    if let Some(pending) = &record.upgrade {
        if pending.to_version != to.version {
            return Err(UserError::UpgradePendingElsewhere {
                path: project.to_owned(),
                version: pending.to_version.clone(),
            }
            .into());
        }
        values_to = pending.values.clone();
    }
    let values_set = apply_sets(&values_to, &args.set)?;
    if record.upgrade.is_some() && values_set != values_to {
        return Err(UserError::UpgradePendingElsewhere {
            path: project.to_owned(),
            version: to.version.clone(),
        }
        .into());
    }
    let answers_to = Answers::from_values(&values_set)?;
    let mut upgraded = Upgraded {
        project_dir: project.to_owned(),
        from: from.version.clone(),
        to: to.version.clone(),
        changed_answers: changed_answers(&answers_from, &answers_to),
        files: Vec::new(),
        lockfile: None,
        notes: Vec::new(),
        up_to_date: from == to && answers_from == answers_to && record.upgrade.is_none(),
        dry_run: args.dry_run,
        check: args.check,
        diff: None,
    };
    if upgraded.up_to_date || args.check {
        return Ok(upgraded);
    }
    if record.files.is_empty() {
        upgraded.notes.push(format!(
            "made before cargo-microservice recorded template versions: taken as made by template {} (commit {})",
            from.version,
            from.commit.as_deref().unwrap_or("unknown")
        ));
    }
    let mut watch = signals::Watch::start().context("while setting up signal handling")?;
    // SAFETY: the only other thread is the watch's, which reads no environment variable.
    let _run_dir = unsafe { engine::RunDir::enter() }?;
    // An upgrade waiting on its conflicts wrote those changes itself.
    if !args.dry_run && !args.allow_dirty && record.upgrade.is_none() {
        require_clean_work_tree(project)?;
    }
    let staging = engine::staging_dir()?;
    watch.clean_up_at_exit(staging.path().to_owned());
    let result = (|| {
        let base = render(staging.path(), "base", &record.name, &answers_from, from)?;
        if !record.files.is_empty() && record::hashes(&base) != record.files {
            return Err(base_differs(project, from, &base, &record.files).into());
        }
        let theirs = render(staging.path(), "theirs", &record.name, &answers_to, to)?;
        if let Some(interrupted) = watch.received() {
            return Err(interrupted.into());
        }
        let labels = Labels {
            ours: "yours",
            base: &format!("template {}", from.version),
            theirs: &format!("template {}", to.version),
        };
        let decided = decide_all(
            project,
            &record,
            from,
            to,
            &base,
            &theirs,
            &labels,
            staging.path(),
        )?;
        upgraded.files = decided.files;
        let mut writes = decided.writes;
        let mut removals = decided.removals;
        upgraded.lockfile = lockfile::settle(
            project,
            &base,
            &theirs,
            &mut writes,
            &removals,
            staging.path(),
        )?;
        let conflicts: BTreeMap<String, String> = upgraded
            .conflicts()
            .into_iter()
            .map(|file| {
                let before = record
                    .upgrade
                    .as_ref()
                    .and_then(|pending| pending.conflicts.get(&file.path).cloned())
                    .or_else(|| decided.before.get(&file.path).cloned())
                    .unwrap_or_default();
                (file.path.clone(), before)
            })
            .collect();
        let new_record = if conflicts.is_empty() {
            Record::new(&record.name, &answers_to, to, &theirs)
        } else {
            Record {
                upgrade: Some(PendingUpgrade {
                    to_version: to.version.clone(),
                    values: answers_to.to_values(),
                    conflicts,
                }),
                ..record.clone()
            }
        };
        writes.insert(RECORD_FILE.to_owned(), new_record.to_toml().into_bytes());
        if args.diff {
            upgraded.diff = Some(unified_diff(project, &writes, &removals));
        }
        removals.retain(|path| !writes.contains_key(path));
        let plan = plan::plan_files(
            writes
                .into_iter()
                .map(|(path, bytes)| (path, Source::Bytes(bytes)))
                .collect(),
            removals,
            project,
        )?;
        if !args.dry_run {
            watch.finish_writes_before_exiting();
            plan::write(&plan, &|| watch.received().map(anyhow::Error::from))?;
        }
        Ok(())
    })()
    .map_err(|error: anyhow::Error| watch.received().map_or(error, anyhow::Error::from));
    let staging_path = staging.path().to_owned();
    staging
        .close()
        .with_context(|| format!("while removing {}", staging_path.display()))?;
    result?;
    Ok(upgraded)
}

/// The project's record, or an error that says what is missing and how to get it.
fn read_record(project: &Path) -> Result<Record, UserError> {
    match project.symlink_metadata() {
        Ok(meta) if meta.is_dir() => {}
        _ => {
            return Err(UserError::NotAProject {
                path: project.to_owned(),
                missing: "it is not a directory".to_owned(),
            });
        }
    }
    if let Some(record) = Record::read(project)? {
        return Ok(record);
    }
    if project.join("Cargo.toml").is_file() && project.join("Dockerfile").is_file() {
        return Err(UserError::NotRecorded {
            path: project.to_owned(),
        });
    }
    Err(UserError::NotAProject {
        path: project.to_owned(),
        missing: format!(
            "it has no {RECORD_FILE}{}",
            if project.join("Cargo.toml").is_file() {
                ""
            } else {
                " and no Cargo.toml"
            }
        ),
    })
}

/// The values with every `key=value` of `--set` applied, validated as `new` validates them. A
/// base that takes no Debian release drops the recorded one.
fn apply_sets(values: &Values, sets: &[String]) -> Result<Values, UserError> {
    let mut values = values.clone();
    let mut debian_set = false;
    for set in sets {
        let Some((key, value)) = set.split_once('=') else {
            return Err(UserError::InvalidSet {
                set: set.clone(),
                why: "it is not KEY=VALUE".to_owned(),
            });
        };
        if !["base", "debian", "rust_version", "port", "database"].contains(&key) {
            return Err(UserError::InvalidSet {
                set: set.clone(),
                why: format!(
                    "{key} is not an answer the template takes (base, debian, rust_version, port, database)"
                ),
            });
        }
        values
            .set(key, value)
            .map_err(|why| UserError::InvalidSet {
                set: set.clone(),
                why,
            })?;
        debian_set |= key == "debian";
    }
    if !debian_set && !values.base.unwrap_or_default().uses_debian() {
        values.debian = None;
    }
    Ok(values)
}

fn changed_answers(from: &Answers, to: &Answers) -> Vec<String> {
    let from = toml::Table::try_from(from).expect("answers serialise");
    let to = toml::Table::try_from(to).expect("answers serialise");
    let keys: BTreeSet<&String> = from.keys().chain(to.keys()).collect();
    keys.into_iter()
        .filter(|key| from.get(*key) != to.get(*key))
        .map(|key| {
            let show = |value: Option<&toml::Value>| {
                value.map_or("(none)".to_owned(), |value| {
                    value.as_str().map_or(value.to_string(), str::to_owned)
                })
            };
            format!("{key}: {} -> {}", show(from.get(key)), show(to.get(key)))
        })
        .collect()
}

/// `version` of the template with `answers`, rendered under `staging/<label>`: its files.
fn render(
    staging: &Path,
    label: &str,
    name: &str,
    answers: &Answers,
    version: &TemplateVersion,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let dir = staging.join(label);
    fs_err::create_dir(&dir)?;
    let (rendered, _log) = engine::render(&dir, name, answers, version)
        .with_context(|| format!("while rendering template {}", version.version))?;
    plan::read_tree(&rendered)
}

fn base_differs(
    project: &Path,
    from: &TemplateVersion,
    base: &BTreeMap<String, Vec<u8>>,
    recorded: &BTreeMap<String, String>,
) -> UserError {
    let rebuilt = record::hashes(base);
    let first = recorded
        .iter()
        .find(|(path, hash)| rebuilt.get(*path) != Some(hash))
        .map(|(path, _)| path.clone())
        .or_else(|| {
            rebuilt
                .keys()
                .find(|path| !recorded.contains_key(*path))
                .cloned()
        })
        .unwrap_or_default();
    UserError::BaseDiffers {
        path: project.to_owned(),
        version: from.version.clone(),
        file: first,
    }
}

/// Refuses a git work tree with changes to tracked files or untracked files git does not
/// ignore: the upgrade's changes must be the only ones `git diff` shows.
fn require_clean_work_tree(project: &Path) -> Result<(), UserError> {
    let git = |args: &[&str]| crate::git::command(project).args(args).output();
    match git(&["rev-parse", "--is-inside-work-tree"]) {
        Ok(out) if out.status.success() => {}
        // Not in a repository, or no git: nothing to compare with.
        _ => return Ok(()),
    }
    let Ok(status) = git(&[
        "status",
        "--porcelain=v1",
        "--untracked-files=normal",
        "--",
        ".",
    ]) else {
        return Ok(());
    };
    let changes = String::from_utf8_lossy(&status.stdout);
    if changes.trim().is_empty() {
        return Ok(());
    }
    Err(UserError::DirtyWorkTree {
        path: project.to_owned(),
        changes: changes.lines().take(10).map(str::to_owned).collect(),
    })
}

/// What every file comes to, and the writes and removals that make it so.
struct Decided {
    files: Vec<FileOutcome>,
    writes: BTreeMap<String, Vec<u8>>,
    removals: Vec<String>,
    /// The hash each conflicting file had before this upgrade.
    before: BTreeMap<String, String>,
}

#[allow(clippy::too_many_arguments)]
fn decide_all(
    project: &Path,
    record: &Record,
    from: &TemplateVersion,
    to: &TemplateVersion,
    base: &BTreeMap<String, Vec<u8>>,
    theirs: &BTreeMap<String, Vec<u8>>,
    labels: &Labels,
    scratch: &Path,
) -> Result<Decided> {
    let renames = versions::renames_between(from, to);
    // (the path in the base, the path in theirs): one pair per file, moves followed.
    let mut pairs: Vec<(Option<String>, Option<String>)> = Vec::new();
    let mut reached = BTreeSet::new();
    for path in base.keys() {
        let target = renames.get(path).unwrap_or(path);
        if theirs.contains_key(target) {
            reached.insert(target.clone());
            pairs.push((Some(path.clone()), Some(target.clone())));
        } else {
            pairs.push((Some(path.clone()), None));
        }
    }
    pairs.extend(
        theirs
            .keys()
            .filter(|path| !reached.contains(*path))
            .map(|path| (None, Some(path.clone()))),
    );
    pairs.retain(|pair| {
        let path = pair
            .1
            .as_ref()
            .or(pair.0.as_ref())
            .expect("a pair has a path");
        path != LOCKFILE && path != SECRETS && path != RECORD_FILE
    });

    let mut problems = Vec::new();
    let mut decided = Decided {
        files: Vec::new(),
        writes: BTreeMap::new(),
        removals: Vec::new(),
        before: BTreeMap::new(),
    };
    for (base_path, theirs_path) in pairs {
        // Where the project has the file: under its old path, or (an upgrade finishing) its new.
        let mut ours_path = base_path.clone().or_else(|| theirs_path.clone());
        let mut ours = match read_ours(project, ours_path.as_deref().unwrap()) {
            Ok(ours) => ours,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        if ours.is_none()
            && let Some(target) = theirs_path
                .as_ref()
                .filter(|t| Some(*t) != base_path.as_ref())
        {
            match read_ours(project, target) {
                Ok(Some(bytes)) => {
                    ours = Some(bytes);
                    ours_path = Some(target.clone());
                }
                Ok(None) => {}
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            }
        }
        let ours_path = ours_path.expect("a pair has a path");
        let target = theirs_path.clone().unwrap_or_else(|| ours_path.clone());
        let base_bytes = base_path.as_ref().and_then(|path| base.get(path));
        let theirs_bytes = theirs_path.as_ref().and_then(|path| theirs.get(path));
        let pending = record
            .upgrade
            .as_ref()
            .and_then(|pending| pending.conflicts.get(&target));
        let decision = match (pending, &ours) {
            (Some(_), None) => Decision::StaysDeleted,
            (Some(_), Some(bytes)) if merge::has_markers(bytes) => {
                Decision::Conflict(bytes.clone())
            }
            (Some(before), Some(bytes)) if versions::file_hash(bytes) != *before => {
                Decision::Resolved
            }
            _ => merge::decide(
                base_bytes.map(Vec::as_slice),
                ours.as_deref(),
                theirs_bytes.map(Vec::as_slice),
                labels,
                scratch,
            )?,
        };
        if decision.is_conflict()
            && let Some(bytes) = &ours
        {
            decided
                .before
                .insert(target.clone(), versions::file_hash(bytes));
        }
        let moved = ours.is_some() && ours_path != target;
        match &decision {
            Decision::Removed => decided.removals.push(ours_path.clone()),
            Decision::Unchanged | Decision::Kept | Decision::Resolved if moved => {
                let bytes = ours.clone().expect("moved files exist");
                decided.writes.insert(target.clone(), bytes);
            }
            _ => {
                if let Some(bytes) = decision.bytes() {
                    // A conflict the team has not resolved yet is on disk already.
                    if ours.as_deref() != Some(bytes) || moved {
                        decided.writes.insert(target.clone(), bytes.to_vec());
                    }
                }
            }
        }
        if moved && !matches!(decision, Decision::Removed | Decision::RemovedButChanged) {
            decided.removals.push(ours_path.clone());
        }
        decided.files.push(FileOutcome {
            path: target,
            moved_from: moved.then_some(ours_path),
            decision,
        });
    }
    if !problems.is_empty() {
        return Err(UserError::Conflicts {
            project: project.to_owned(),
            conflicts: problems,
        }
        .into());
    }
    decided.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(decided)
}

/// The project's copy of `path`: `Ok(None)` when it has none, `Err` (a sentence) when what is
/// there is not a regular file upgrade may read: a symlink on the way, a directory, a pipe.
fn read_ours(project: &Path, path: &str) -> Result<Option<Vec<u8>>, String> {
    let mut current = project.to_owned();
    let components: Vec<&str> = path.split('/').collect();
    for (index, component) in components.iter().enumerate() {
        current.push(component);
        let meta = match current.symlink_metadata() {
            Ok(meta) => meta,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(format!("{} cannot be read: {error}", current.display())),
        };
        let last = index + 1 == components.len();
        if meta.file_type().is_symlink() {
            return Err(format!(
                "{} is a symbolic link: upgrade never follows one; put the file itself there",
                current.display()
            ));
        }
        if !last && !meta.is_dir() {
            return Err(format!(
                "{} is a file where the template has a directory: move it away",
                current.display()
            ));
        }
        if last {
            if !meta.is_file() {
                return Err(format!(
                    "{} is not a regular file where the template has one: move it away",
                    current.display()
                ));
            }
            if meta.len() > MAX_FILE_BYTES {
                return Err(format!(
                    "{} is over {} MiB, where the template has a small text file: move it away",
                    current.display(),
                    MAX_FILE_BYTES >> 20
                ));
            }
        }
    }
    fs_err::read(&current)
        .map(Some)
        .map_err(|error| error.to_string())
}

/// `diff -u` of every change against the project as it is.
fn unified_diff(project: &Path, writes: &BTreeMap<String, Vec<u8>>, removals: &[String]) -> String {
    let mut out = String::new();
    let on_disk = |path: &str| std::fs::read(project.join(path)).unwrap_or_default();
    for (path, bytes) in writes {
        let old = on_disk(path);
        let (old, new) = (
            String::from_utf8_lossy(&old),
            String::from_utf8_lossy(bytes),
        );
        if old == new {
            continue;
        }
        let _ = write!(
            out,
            "{}",
            similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
                .unified_diff()
                .header(&format!("a/{path}"), &format!("b/{path}"))
        );
    }
    for path in removals.iter().filter(|path| !writes.contains_key(*path)) {
        let old = on_disk(path);
        let _ = write!(
            out,
            "{}",
            similar::TextDiff::from_lines(String::from_utf8_lossy(&old).as_ref(), "")
                .unified_diff()
                .header(&format!("a/{path}"), "/dev/null")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_validates_like_new_and_alpine_drops_the_debian_release() {
        let recorded = Answers::from_values(&Values::default())
            .unwrap()
            .to_values();

        let alpine = apply_sets(&recorded, &["base=alpine".to_owned()]).unwrap();
        let unknown = apply_sets(&recorded, &["colour=blue".to_owned()]).unwrap_err();
        let invalid = apply_sets(&recorded, &["port=0".to_owned()]).unwrap_err();
        let malformed = apply_sets(&recorded, &["database".to_owned()]).unwrap_err();

        assert_eq!(alpine.debian, None);
        assert!(Answers::from_values(&alpine).is_ok());
        assert!(
            unknown.to_string().contains("colour is not an answer"),
            "{unknown}"
        );
        assert!(invalid.to_string().contains("port=0"), "{invalid}");
        assert!(malformed.to_string().contains("KEY=VALUE"), "{malformed}");
    }

    #[test]
    fn a_symlink_or_a_directory_where_a_file_goes_is_never_read() {
        let project = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(project.path().join("src")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", project.path().join("src/main.rs")).unwrap();
        std::os::unix::fs::symlink("/etc", project.path().join("deploy")).unwrap();
        std::fs::create_dir(project.path().join("README.md")).unwrap();

        for path in ["src/main.rs", "deploy/kubernetes/service.yaml", "README.md"] {
            let read = read_ours(project.path(), path);

            assert!(read.is_err(), "{path} was read: {read:?}");
        }
        assert_eq!(read_ours(project.path(), "Cargo.toml"), Ok(None));
    }
}
