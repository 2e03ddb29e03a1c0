//! `.cargo-microservice.toml`: what a project was made from (its name, the answers, the template
//! version and digest, each file's hash as the template rendered it) and, while an upgrade waits
//! on its conflicts, where it was going. It is a values file too: `--values-file
//! .cargo-microservice.toml` renders the same service again, with `new` or `cargo generate`.

use crate::answers::{Answers, Values};
use crate::errors::UserError;
use crate::template::versions::{self, TemplateVersion};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// The record's name in every project the CLI makes.
pub const RECORD_FILE: &str = ".cargo-microservice.toml";
/// The template version projects made before versions were recorded were made with.
pub const FIRST_VERSION: &str = "0.1.0";
/// Far more than any record (one line per file); a bigger one is not ours.
const MAX_RECORD_BYTES: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The name as typed, which the template derives every other name from.
    pub name: String,
    pub tool_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_digest: Option<String>,
    pub values: Values,
    /// Each file the template rendered, by path, with its hash: what `upgrade` checks a rebuilt
    /// render against.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<PendingUpgrade>,
}

/// An upgrade that wrote conflict markers: the version stays where it was until they are
/// resolved and `upgrade` runs again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingUpgrade {
    pub to_version: String,
    pub values: Values,
    /// Each file left with markers, with the hash it had before the upgrade (a file back at that
    /// hash was reverted, not resolved).
    pub conflicts: BTreeMap<String, String>,
}

impl Record {
    /// The record of a render of `version` with `answers`, whose files are `rendered`.
    pub fn new(
        name: &str,
        answers: &Answers,
        version: &TemplateVersion,
        rendered: &BTreeMap<String, Vec<u8>>,
    ) -> Record {
        Record {
            name: name.to_owned(),
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            template_version: Some(version.version.clone()),
            template_digest: Some(version.digest.clone()),
            values: answers.to_values(),
            files: hashes(rendered),
            upgrade: None,
        }
    }

    /// Reads the record of `project`: `Ok(None)` when there is none. Only a regular file of a
    /// sane size is read; a symlink is refused.
    pub fn read(project: &Path) -> Result<Option<Record>, UserError> {
        let path = project.join(RECORD_FILE);
        let invalid = |detail: String| UserError::RecordInvalid {
            path: path.clone(),
            detail,
        };
        let meta = match path.symlink_metadata() {
            Ok(meta) => meta,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(invalid(error.to_string())),
        };
        if !meta.is_file() {
            return Err(invalid("it is not a regular file".to_owned()));
        }
        let mut text = String::new();
        std::fs::File::open(&path)
            .and_then(|file| file.take(MAX_RECORD_BYTES + 1).read_to_string(&mut text))
            .map_err(|error| invalid(error.to_string()))?;
        if text.len() as u64 > MAX_RECORD_BYTES {
            return Err(invalid(format!("it is over {MAX_RECORD_BYTES} bytes")));
        }
        toml::from_str(&text)
            .map(Some)
            .map_err(|error| invalid(error.message().to_owned()))
    }

    /// The template version the project was made with: recorded, or 0.1.0 for a project made
    /// before versions were. A version or digest this CLI does not know is refused.
    pub fn made_with(&self, path: &Path) -> Result<&'static TemplateVersion, UserError> {
        let unknown = |why: String| UserError::UnknownTemplateVersion {
            path: path.to_owned(),
            why,
        };
        let version = match (&self.template_version, &self.template_digest) {
            (Some(version), Some(digest)) => {
                let known = versions::find(version).ok_or_else(|| {
                    unknown(format!(
                        "it was made by template {version}, which this cargo-microservice ({}) does not know: upgrade with a newer cargo-microservice",
                        env!("CARGO_PKG_VERSION")
                    ))
                })?;
                if &known.digest != digest {
                    return Err(unknown(format!(
                        "its template {version} has digest {digest}, but template {version} as this CLI knows it has {}: it was made by a build of cargo-microservice between releases",
                        known.digest
                    )));
                }
                known
            }
            (None, None) if self.tool_version == FIRST_VERSION => {
                versions::find(FIRST_VERSION).expect("the first template version is always known")
            }
            _ => {
                return Err(unknown(format!(
                    "it names template {:?} with digest {:?} (tool {}): both or neither must be given",
                    self.template_version, self.template_digest, self.tool_version
                )));
            }
        };
        Ok(version)
    }

    /// The record as written into the project.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("a record serialises");
        format!(
            "# Written by cargo-microservice: what this project was made from, which `cargo microservice\n\
             # upgrade` reads. Pass it back with `--values-file {RECORD_FILE}` to render it again.\n{body}"
        )
    }
}

/// Each file's hash, by path.
pub fn hashes(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(path, bytes)| (path.clone(), versions::file_hash(bytes)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        let answers = Answers::from_values(&Values::default()).unwrap();
        let files = BTreeMap::from([
            ("Cargo.toml".to_owned(), b"[package]\n".to_vec()),
            ("src/main.rs".to_owned(), b"fn main() {}\n".to_vec()),
        ]);
        Record::new("orders", &answers, versions::current(), &files)
    }

    #[test]
    fn a_record_reads_back_as_written_and_is_a_values_file() {
        let dir = tempfile::tempdir().unwrap();
        let written = record();
        std::fs::write(dir.path().join(RECORD_FILE), written.to_toml()).unwrap();

        let read = Record::read(dir.path()).unwrap().unwrap();
        let values = Values::from_file(&dir.path().join(RECORD_FILE)).unwrap();

        assert_eq!(read, written);
        assert_eq!(values, written.values);
        assert_eq!(read.made_with(dir.path()).unwrap(), versions::current());
    }

    #[test]
    fn a_record_from_before_versions_is_template_0_1_0() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(RECORD_FILE),
            "name = \"orders\"\ntool_version = \"0.1.0\"\n\n[values]\nbase = \"distroless\"\n",
        )
        .unwrap();

        let read = Record::read(dir.path()).unwrap().unwrap();

        assert_eq!(read.made_with(dir.path()).unwrap().version, "0.1.0");
    }

    #[test]
    fn an_unknown_version_or_digest_is_refused_with_the_reason() {
        let mut unknown = record();
        unknown.template_version = Some("9.9.9".to_owned());
        let mut between = record();
        between.template_digest = Some("sha256:00".to_owned());

        let unknown = unknown.made_with(Path::new("p")).unwrap_err().to_string();
        let between = between.made_with(Path::new("p")).unwrap_err().to_string();

        assert!(unknown.contains("does not know"), "{unknown}");
        assert!(between.contains("between releases"), "{between}");
    }

    #[test]
    fn a_symlinked_or_oversized_record_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join(RECORD_FILE)).unwrap();
        assert!(Record::read(dir.path()).is_err());

        std::fs::remove_file(dir.path().join(RECORD_FILE)).unwrap();
        std::fs::write(
            dir.path().join(RECORD_FILE),
            vec![b'#'; MAX_RECORD_BYTES as usize + 10],
        )
        .unwrap();
        assert!(Record::read(dir.path()).is_err());
    }
}
