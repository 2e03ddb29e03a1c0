//! One file's three versions, decided: the base (what the recorded answers rendered with the
//! recorded template), theirs (this CLI's template with the answers as they are now) and ours (the
//! project on disk). Where both sides changed the same file, the line merge is `git merge-file
//! --diff3`'s own, so the result is exactly what git gives on the same three inputs.

use anyhow::{Context, Result, bail};
use std::path::Path;

/// What happens to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to do: already as the template has it, or the template did not change it.
    Unchanged,
    /// The team never changed it: it becomes the template's new version.
    Updated(Vec<u8>),
    /// Changed by both, merged without a conflict.
    Merged(Vec<u8>),
    /// Changed by both on the same lines: written with markers (base shown), to be resolved.
    Conflict(Vec<u8>),
    /// The template did not change it; the team's version stays as it is.
    Kept,
    /// New in the template.
    Added(Vec<u8>),
    /// The template no longer renders it and the team never changed it.
    Removed,
    /// The team deleted it: it stays deleted, whatever the template did to it.
    StaysDeleted,
    /// The template no longer renders it, but the team changed it: left as it is, to be kept or
    /// deleted by the team.
    RemovedButChanged,
    /// An earlier upgrade's conflict, resolved by the team: their resolution stays.
    Resolved,
}

impl Decision {
    /// The bytes to write, if any.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Decision::Updated(bytes)
            | Decision::Merged(bytes)
            | Decision::Conflict(bytes)
            | Decision::Added(bytes) => Some(bytes),
            _ => None,
        }
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self, Decision::Conflict(_) | Decision::RemovedButChanged)
    }
}

/// The labels on a conflict's markers.
pub struct Labels<'a> {
    pub ours: &'a str,
    pub base: &'a str,
    pub theirs: &'a str,
}

/// Decides one file from its three versions (`None`: not there).
pub fn decide(
    base: Option<&[u8]>,
    ours: Option<&[u8]>,
    theirs: Option<&[u8]>,
    labels: &Labels,
    scratch: &Path,
) -> Result<Decision> {
    Ok(match (base, ours, theirs) {
        (_, None, None) => Decision::Unchanged,
        (Some(_), None, Some(_)) => Decision::StaysDeleted,
        (None, None, Some(theirs)) => Decision::Added(theirs.to_vec()),
        (Some(base), Some(ours), None) if ours == base => Decision::Removed,
        (Some(_), Some(_), None) => Decision::RemovedButChanged,
        // Not the template's, now or before: the team's own file.
        (None, Some(_), None) => Decision::Kept,
        (base, Some(ours), Some(theirs)) => {
            let base = base.unwrap_or_default();
            if ours == theirs {
                Decision::Unchanged
            } else if ours == base {
                Decision::Updated(theirs.to_vec())
            } else if theirs == base {
                Decision::Kept
            } else {
                let (merged, clean) = merge_file(ours, base, theirs, labels, scratch)?;
                if clean {
                    Decision::Merged(merged)
                } else {
                    Decision::Conflict(merged)
                }
            }
        }
    })
}

/// `git merge-file -p --diff3` on the three versions: the merged bytes, and whether they are free
/// of conflicts.
pub fn merge_file(
    ours: &[u8],
    base: &[u8],
    theirs: &[u8],
    labels: &Labels,
    scratch: &Path,
) -> Result<(Vec<u8>, bool)> {
    let dir = tempfile::tempdir_in(scratch).context("while making a directory for a merge")?;
    let write = |name: &str, bytes: &[u8]| -> Result<std::path::PathBuf> {
        let path = dir.path().join(name);
        fs_err::write(&path, bytes)?;
        Ok(path)
    };
    let (ours_path, base_path, theirs_path) = (
        write("ours", ours)?,
        write("base", base)?,
        write("theirs", theirs)?,
    );
    let output = crate::git::command(dir.path())
        .args(["merge-file", "-p", "--diff3"])
        .args(["-L", labels.ours, "-L", labels.base, "-L", labels.theirs])
        .arg(&ours_path)
        .arg(&base_path)
        .arg(&theirs_path)
        .output().map_err(|error| {
        anyhow::anyhow!(
            "git is needed to merge a file both the template and the project changed, and it could not run ({error}): install git"
        )
    })?;
    // The status is the number of conflicts (capped at 127); a negative one, an error.
    match output.status.code() {
        Some(0) => Ok((output.stdout, true)),
        Some(1..=127) => Ok((output.stdout, false)),
        _ => bail!(
            "git merge-file failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    }
}

/// Whether `bytes` still hold a conflict's markers, as `merge_file` writes them.
pub fn has_markers(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).lines().any(|line| {
        ["<<<<<<< ", "||||||| ", ">>>>>>> "]
            .iter()
            .any(|marker| line.starts_with(marker))
            || line == "======="
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABELS: Labels = Labels {
        ours: "yours",
        base: "template 0.1.0",
        theirs: "template 0.2.0",
    };

    fn decide_text(base: Option<&str>, ours: Option<&str>, theirs: Option<&str>) -> Decision {
        let scratch = tempfile::tempdir().unwrap();
        decide(
            base.map(str::as_bytes),
            ours.map(str::as_bytes),
            theirs.map(str::as_bytes),
            &LABELS,
            scratch.path(),
        )
        .unwrap()
    }

    #[test]
    fn a_file_only_one_side_changed_takes_that_side() {
        assert_eq!(
            decide_text(Some("a\n"), Some("a\n"), Some("b\n")),
            Decision::Updated(b"b\n".to_vec())
        );
        assert_eq!(
            decide_text(Some("a\n"), Some("b\n"), Some("a\n")),
            Decision::Kept
        );
        assert_eq!(
            decide_text(Some("a\n"), Some("b\n"), Some("b\n")),
            Decision::Unchanged
        );
    }

    #[test]
    fn changes_to_different_lines_merge_and_the_same_lines_conflict_with_the_base_shown() {
        let base = "one\ntwo\nthree\nfour\nfive\n";
        let merged = decide_text(
            Some(base),
            Some("one\nTWO\nthree\nfour\nfive\n"),
            Some("one\ntwo\nthree\nfour\nFIVE\n"),
        );
        let conflict = decide_text(
            Some(base),
            Some("one\nours\nthree\nfour\nfive\n"),
            Some("one\ntheirs\nthree\nfour\nfive\n"),
        );

        assert_eq!(
            merged,
            Decision::Merged(b"one\nTWO\nthree\nfour\nFIVE\n".to_vec())
        );
        let Decision::Conflict(bytes) = conflict else {
            panic!("{conflict:?}")
        };
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("<<<<<<< yours\nours\n||||||| template 0.1.0\ntwo\n=======\ntheirs\n>>>>>>> template 0.2.0\n"), "{text}");
        assert!(has_markers(text.as_bytes()));
    }

    #[test]
    fn deletions_and_additions_follow_who_made_them() {
        assert_eq!(
            decide_text(Some("a\n"), None, Some("b\n")),
            Decision::StaysDeleted
        );
        assert_eq!(
            decide_text(Some("a\n"), Some("a\n"), None),
            Decision::Removed
        );
        assert_eq!(
            decide_text(Some("a\n"), Some("mine\n"), None),
            Decision::RemovedButChanged
        );
        assert_eq!(
            decide_text(None, None, Some("new\n")),
            Decision::Added(b"new\n".to_vec())
        );
        assert!(decide_text(None, Some("mine\n"), Some("new\n")).is_conflict());
    }
}
