//! Every template version this CLI can render again, byte for byte: the one in `template/`,
//! embedded as it is, and each earlier one as the `git archive` of its commit, compressed, in
//! `cli/template-versions/`. A project records the version and digest it was made with, and
//! `upgrade` renders that version again as the base of its three-way merge.
//!
//! Why archives and not git: an installed CLI has no checkout and no network, and an archive of
//! every version costs about 90 KB.

use anyhow::{Context, Result, anyhow, bail};
use flate2::read::GzDecoder;
use include_dir::{Dir, include_dir};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

static ARCHIVES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/template-versions");

/// One version of the template, as `versions.toml` records it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateVersion {
    pub version: String,
    /// [`digest`] of the template's files: what identifies the version in a project's record.
    pub digest: String,
    /// The commit the archive was made from; the current version has none.
    #[serde(default)]
    pub commit: Option<String>,
    /// Paths this version moved, as the project has them: old path = new path.
    #[serde(default)]
    pub renames: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Versions {
    version: Vec<TemplateVersion>,
}

/// Every known version, oldest first; the last is the embedded `template/`.
pub fn all() -> &'static [TemplateVersion] {
    static ALL: OnceLock<Vec<TemplateVersion>> = OnceLock::new();
    ALL.get_or_init(|| {
        let text = ARCHIVES
            .get_file("versions.toml")
            .and_then(|file| file.contents_utf8())
            .expect("cli/template-versions/versions.toml is embedded");
        toml::from_str::<Versions>(text)
            .expect("cli/template-versions/versions.toml parses")
            .version
    })
}

/// The version this CLI renders with `new`.
pub fn current() -> &'static TemplateVersion {
    all().last().expect("at least one template version")
}

/// The version called `version`.
pub fn find(version: &str) -> Option<&'static TemplateVersion> {
    all().iter().find(|known| known.version == version)
}

impl TemplateVersion {
    pub fn is_current(&self) -> bool {
        self == current()
    }

    /// Every file of this version's template, by path relative to `template/`.
    pub fn files(&self) -> Result<BTreeMap<String, Vec<u8>>> {
        if self.is_current() {
            let mut files = BTreeMap::new();
            collect_embedded(&super::TEMPLATE, &mut files);
            return Ok(files);
        }
        let name = format!("{}.tar.gz", self.version);
        let archive = ARCHIVES
            .get_file(&name)
            .ok_or_else(|| anyhow!("template {} has no archive {name}", self.version))?;
        unpack(archive.contents())
            .with_context(|| format!("while unpacking the archive of template {}", self.version))
    }

    /// Writes this version's template into `dir`, as `template::extract` does the current one.
    pub fn extract(&self, dir: &Path) -> Result<()> {
        for (path, bytes) in self.files()? {
            let target = dir.join(&path);
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent)?;
            }
            fs_err::write(&target, bytes)?;
        }
        Ok(())
    }
}

fn collect_embedded(dir: &Dir<'static>, files: &mut BTreeMap<String, Vec<u8>>) {
    for file in dir.files() {
        files.insert(
            file.path().to_string_lossy().into_owned(),
            file.contents().to_vec(),
        );
    }
    for sub in dir.dirs() {
        collect_embedded(sub, files);
    }
}

/// The files of a `git archive --format=tar <commit> template/`, gzipped, without the
/// `template/` prefix.
fn unpack(gzipped: &[u8]) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut archive = tar::Archive::new(GzDecoder::new(gzipped));
    let mut files = BTreeMap::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path()?.to_string_lossy().into_owned();
        let Some(relative) = path.strip_prefix("template/") else {
            bail!("{path} is outside template/");
        };
        let relative = relative.to_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes)?;
        files.insert(relative, bytes);
    }
    Ok(files)
}

#[cfg(test)]
/// A template's identity: SHA-256 over its files in path order, each as its path, a NUL, its
/// length (8 bytes, little-endian) and its bytes.
pub fn digest(files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut hasher = Sha256::new();
    for (path, bytes) in files {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    format!("sha256:{:x}", hasher.finalize())
}

/// One file's hash, as a project's record keeps it.
pub fn file_hash(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// Every rename from `from` (exclusive) to `to` (inclusive), composed: a file moved twice maps
/// from its first path to its last.
pub fn renames_between(from: &TemplateVersion, to: &TemplateVersion) -> BTreeMap<String, String> {
    let versions = all();
    match (
        versions.iter().position(|known| known == from),
        versions.iter().position(|known| known == to),
    ) {
        (Some(start), Some(end)) if start < end => compose(&versions[start + 1..=end]),
        _ => BTreeMap::new(),
    }
}

fn compose(versions: &[TemplateVersion]) -> BTreeMap<String, String> {
    let mut composed: BTreeMap<String, String> = BTreeMap::new();
    for version in versions {
        for (old, new) in &version.renames {
            match composed.values_mut().find(|target| *target == old) {
                Some(target) => *target = new.clone(),
                None => {
                    composed.insert(old.clone(), new.clone());
                }
            }
        }
    }
    composed.retain(|old, new| old != new);
    composed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_template_is_the_current_version_recorded() {
        let files = current().files().unwrap();

        let found = digest(&files);

        assert_eq!(
            found,
            current().digest,
            "template/ changed since template {} was recorded: give it a version of its own \
             (see cli/template-versions/README.md), with digest {found}",
            current().version
        );
    }

    #[test]
    fn every_archived_version_unpacks_to_the_digest_it_records() {
        for version in all().iter().filter(|version| !version.is_current()) {
            let files = version.files().unwrap();

            assert_eq!(
                digest(&files),
                version.digest,
                "template {}",
                version.version
            );
            assert!(
                version.commit.is_some(),
                "template {} names no commit",
                version.version
            );
            assert!(files.contains_key("cargo-generate.toml"));
        }
    }

    #[test]
    fn versions_are_unique_and_only_the_current_one_has_no_archive() {
        let names: Vec<&str> = all().iter().map(|v| v.version.as_str()).collect();
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(names, unique);
        for file in ARCHIVES.files() {
            let name = file.path().to_string_lossy();
            if let Some(version) = name.strip_suffix(".tar.gz") {
                let known = find(version).unwrap_or_else(|| panic!("{name} is no known version"));
                assert!(!known.is_current(), "the current version needs no archive");
            }
        }
    }

    #[test]
    fn renames_compose_across_versions() {
        let version = |renames: &[(&str, &str)]| TemplateVersion {
            version: String::new(),
            digest: String::new(),
            commit: None,
            renames: renames
                .iter()
                .map(|(old, new)| (old.to_string(), new.to_string()))
                .collect(),
        };
        let versions = [
            version(&[("src/users.rs", "src/users/handlers.rs")]),
            version(&[("src/store.rs", "src/users/store.rs")]),
            version(&[("src/users/handlers.rs", "src/routes/users.rs")]),
        ];

        let composed = compose(&versions);

        assert_eq!(
            composed,
            BTreeMap::from([
                ("src/store.rs".to_owned(), "src/users/store.rs".to_owned()),
                ("src/users.rs".to_owned(), "src/routes/users.rs".to_owned()),
            ])
        );
    }

    /// The archive of the version before this round's first change to the template is that
    /// commit's `template/`, file for file and byte for byte.
    #[test]
    fn the_first_archive_is_git_archive_of_its_commit() {
        let first = &all()[0];
        let commit = first.commit.as_deref().unwrap();
        let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let archive = std::process::Command::new("git")
            .arg("-C")
            .arg(&repository)
            .args(["archive", "--format=tar", commit, "template/"])
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("git runs");
        assert!(
            archive.status.success(),
            "git archive {commit} failed (a shallow clone?): {}",
            String::from_utf8_lossy(&archive.stderr)
        );
        let mut from_git = BTreeMap::new();
        for entry in tar::Archive::new(archive.stdout.as_slice())
            .entries()
            .unwrap()
        {
            let mut entry = entry.unwrap();
            if entry.header().entry_type().is_file() {
                let path = entry.path().unwrap().to_string_lossy().into_owned();
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).unwrap();
                from_git.insert(path.strip_prefix("template/").unwrap().to_owned(), bytes);
            }
        }

        let embedded = first.files().unwrap();

        assert_eq!(
            embedded.keys().collect::<Vec<_>>(),
            from_git.keys().collect::<Vec<_>>()
        );
        assert!(embedded == from_git, "a file's bytes differ");
    }
}
