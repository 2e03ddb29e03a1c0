//! `adopt`: a project `cargo generate` rendered from this template has no record, so `upgrade`
//! cannot know what it was made from. Adopting finds the template version and answers whose
//! render matches the project best (every known version, every variant, the port its
//! Dockerfile exposes and the toolchain its builder pins, `--set` on top) and writes only the
//! record, as `new` would have.

use super::{apply_sets, render};
use crate::answers::{Answers, Values};
use crate::check::model::Model;
use crate::errors::UserError;
use crate::plan::{self, Source};
use crate::record::{RECORD_FILE, Record};
use crate::template::versions::{self, TemplateVersion};
use crate::variants::{Database, Variant};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Record what a project `cargo generate` made from this template was made from, so that
/// `upgrade` can take it further.
///
/// Tries every template version this CLI knows with every variant, and keeps the render most of
/// whose files the project has unchanged. Writes only .cargo-microservice.toml.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AdoptArgs {
    /// The project's directory.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// An answer the project was made with, when the files do not tell (repeatable):
    /// base=static, database=none, debian=bookworm, port=9000, rust_version=1.95.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Print what would be recorded, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// What `adopt` found.
#[derive(Debug, Clone)]
pub struct Adopted {
    pub project_dir: PathBuf,
    pub version: String,
    pub answers: Answers,
    /// Files of that render the project has byte for byte, and how many it rendered.
    pub identical: usize,
    pub rendered: usize,
    pub dry_run: bool,
}

impl Adopted {
    pub fn summary(&self) -> String {
        let answers: Vec<String> = self.answers.defines();
        format!(
            "{} {}: template {} with {} ({} of its {} files as the template rendered them).\n{}",
            if self.dry_run {
                "Would adopt"
            } else {
                "Adopted"
            },
            self.project_dir.display(),
            self.version,
            answers.join(", "),
            self.identical,
            self.rendered,
            if self.dry_run {
                "Nothing was written (--dry-run).\n".to_owned()
            } else {
                format!(
                    "Wrote {RECORD_FILE}; if an answer is wrong, delete it and adopt again with --set. Next: `cargo microservice upgrade {}`.\n",
                    self.project_dir.display()
                )
            }
        )
    }
}

pub fn adopt(args: &AdoptArgs) -> Result<Adopted> {
    let project = args.path.as_path();
    if !project.is_dir() {
        return Err(UserError::NotAProject {
            path: project.to_owned(),
            missing: "it is not a directory".to_owned(),
        }
        .into());
    }
    if Record::read(project)?.is_some() {
        return Err(UserError::AlreadyRecorded {
            path: project.to_owned(),
        }
        .into());
    }
    let manifest = std::fs::read_to_string(project.join("Cargo.toml")).map_err(|_| {
        UserError::NotAProject {
            path: project.to_owned(),
            missing: "it has no Cargo.toml".to_owned(),
        }
    })?;
    let name = package_name(&manifest).ok_or_else(|| UserError::NotAProject {
        path: project.to_owned(),
        missing: "its Cargo.toml names no package".to_owned(),
    })?;
    let dockerfile = std::fs::read_to_string(project.join("Dockerfile")).unwrap_or_default();
    // The project's copy of each path a render has, read once (a symlink or a missing file
    // counts as not the template's).
    let mut ours: BTreeMap<String, Option<Vec<u8>>> = BTreeMap::new();

    let staging = tempfile::tempdir().context("while making a staging directory")?;
    let mut best: Option<Match> = None;
    for (index, version) in versions::all().iter().rev().enumerate() {
        for (variant_index, values) in candidates(&dockerfile, &manifest, &args.set)?
            .into_iter()
            .enumerate()
        {
            // A combination the template refuses (an old toolchain with postgres) is no candidate.
            let Ok(answers) = Answers::from_values(&values) else {
                continue;
            };
            let label = format!("v{index}-{variant_index}");
            let files = render(staging.path(), &label, &name, &answers, version)?;
            let identical = files
                .iter()
                .filter(|(path, bytes)| {
                    ours.entry((*path).clone())
                        .or_insert_with(|| super::read_ours(project, path).ok().flatten())
                        .as_ref()
                        == Some(*bytes)
                })
                .count();
            if best.as_ref().is_none_or(|best| identical > best.identical) {
                best = Some(Match {
                    identical,
                    version,
                    answers,
                    files,
                });
            }
        }
    }
    let Some(Match {
        identical,
        version,
        answers,
        files,
    }) = best.filter(|best| best.identical > 0)
    else {
        return Err(UserError::NotAProject {
            path: project.to_owned(),
            missing: "no version of the template renders a single one of its files".to_owned(),
        }
        .into());
    };
    let rendered = files.len();
    let record = Record::new(&name, &answers, version, &files);
    if !args.dry_run {
        let plan = plan::plan_files(
            vec![(
                RECORD_FILE.to_owned(),
                Source::Bytes(record.to_toml().into_bytes()),
            )],
            Vec::new(),
            project,
        )?;
        plan::write(&plan, &|| None)?;
    }
    Ok(Adopted {
        project_dir: project.to_owned(),
        version: version.version.clone(),
        answers,
        identical,
        rendered,
        dry_run: args.dry_run,
    })
}

/// The render a project matches best so far.
struct Match {
    identical: usize,
    version: &'static TemplateVersion,
    answers: Answers,
    files: BTreeMap<String, Vec<u8>>,
}

/// `[package] name`.
fn package_name(manifest: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(manifest).ok()?;
    Some(table.get("package")?.get("name")?.as_str()?.to_owned())
}

/// The variants the project's files point at (its runtime image, and whether Cargo.toml uses
/// sqlx), or every variant when they point at none; each with the port the Dockerfile exposes
/// and the toolchain its first stage pins, `--set` applied last.
fn candidates(dockerfile: &str, manifest: &str, sets: &[String]) -> Result<Vec<Values>, UserError> {
    let model = Model::parse(dockerfile);
    let port = dockerfile
        .lines()
        .find_map(|line| line.strip_prefix("EXPOSE "))
        .and_then(|ports| ports.split_whitespace().next())
        .and_then(|port| port.parse().ok());
    let rust_version = model
        .external_images()
        .iter()
        .find_map(|image| image.strip_prefix("rust:"))
        .and_then(|tag| tag.split('-').next())
        .and_then(|version| version.parse().ok());
    let runtime = model.final_stage().map(|stage| stage.image().to_owned());
    let database = if manifest.contains("sqlx") {
        Database::Postgres
    } else {
        Database::Memory
    };
    let matrix = Variant::matrix();
    let pointed: Vec<Variant> = matrix
        .iter()
        .copied()
        .filter(|variant| Some(variant.runtime_image()) == runtime && variant.database == database)
        .collect();
    let variants = if pointed.is_empty() { matrix } else { pointed };
    variants
        .into_iter()
        .map(|variant| {
            let values = Values {
                base: Some(variant.base),
                debian: variant.debian,
                rust_version: rust_version.clone(),
                port,
                database: Some(variant.database),
            };
            apply_sets(&values, sets)
        })
        .collect()
}
