//! `new`: render the template with validated answers into a temporary directory, and move the
//! project into place only when everything succeeded. Nothing is overwritten without `force`.

use crate::answers::{ANSWERS_FILE, Answers};
use crate::errors::UserError;
use crate::template;
use anyhow::{Context, Result};
use cargo_generate::{GenerateArgs, TemplatePath, Vcs};
use std::path::{Path, PathBuf};

/// What to create and where.
#[derive(Debug, Clone)]
pub struct NewArgs {
    pub answers: Answers,
    /// The directory the project directory is created in.
    pub destination: PathBuf,
    /// Write into an existing, non-empty project directory, overwriting files the template has.
    pub force: bool,
    /// Render and list, but write nothing.
    pub dry_run: bool,
}

/// What `new` made (or, for a dry run, would make).
#[derive(Debug, Clone)]
pub struct Created {
    pub project_dir: PathBuf,
    /// Paths relative to `project_dir`, sorted.
    pub files: Vec<String>,
}

/// The directory cargo-generate names the project: the name in kebab case.
pub fn project_dir_name(name: &str) -> String {
    heck::ToKebabCase::to_kebab_case(name)
}

/// Checks that the project can be written at all, before any work is done.
pub fn check_destination(args: &NewArgs) -> Result<PathBuf, UserError> {
    if args.destination.exists() && !args.destination.is_dir() {
        return Err(UserError::DestinationIsFile {
            path: args.destination.clone(),
        });
    }
    let project_dir = args.destination.join(project_dir_name(&args.answers.name));
    if project_dir.exists() {
        if !project_dir.is_dir() {
            return Err(UserError::DestinationIsFile { path: project_dir });
        }
        let empty = project_dir
            .read_dir()
            .map(|mut entries| entries.next().is_none())
            .unwrap_or(false);
        if !empty && !args.force {
            return Err(UserError::DestinationNotEmpty { path: project_dir });
        }
    }
    Ok(project_dir)
}

/// Creates the project: the library's entry, as cargo-generate's `generate` is its.
pub fn create(args: &NewArgs) -> Result<Created> {
    let project_dir = check_destination(args)?;
    let template_dir = tempfile::tempdir().context("while making a temporary directory")?;
    template::extract(template_dir.path())?;

    if args.dry_run {
        let staging = tempfile::tempdir().context("while making a temporary directory")?;
        let rendered = render(template_dir.path(), staging.path(), &args.answers)?;
        return Ok(Created {
            project_dir,
            files: list_files(&rendered)?,
        });
    }

    // Staged beside the destination, so the final move is a rename on one filesystem.
    let created_destination = !args.destination.exists();
    fs_err::create_dir_all(&args.destination)?;
    let result = (|| {
        let staging = tempfile::Builder::new()
            .prefix(".cargo-microservice-")
            .tempdir_in(&args.destination)
            .with_context(|| format!("while writing into {}", args.destination.display()))?;
        let rendered = render(template_dir.path(), staging.path(), &args.answers)?;
        let files = list_files(&rendered)?;
        move_into_place(&rendered, &project_dir)?;
        Ok(Created {
            project_dir: project_dir.clone(),
            files,
        })
    })();
    if result.is_err() && created_destination {
        let _ = fs_err::remove_dir_all(&args.destination);
    }
    result
}

fn render(template_dir: &Path, staging: &Path, answers: &Answers) -> Result<PathBuf> {
    let rendered = cargo_generate::generate(GenerateArgs {
        template_path: TemplatePath {
            path: Some(template_dir.display().to_string()),
            ..TemplatePath::default()
        },
        destination: Some(staging.to_owned()),
        name: Some(answers.name.clone()),
        define: answers.defines(),
        silent: true,
        vcs: Some(Vcs::None),
        bin: true,
        lib: false,
        no_workspace: true,
        ..GenerateArgs::default()
    })
    .context("while rendering the template")?;
    fs_err::write(rendered.join(ANSWERS_FILE), answers.to_answers_file())?;
    Ok(rendered)
}

fn move_into_place(rendered: &Path, project_dir: &Path) -> Result<()> {
    if !project_dir.exists() {
        return Ok(fs_err::rename(rendered, project_dir)?);
    }
    // --force, or an empty directory: copy over what is there.
    for file in list_files(rendered)? {
        let target = project_dir.join(&file);
        if let Some(parent) = target.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::copy(rendered.join(&file), &target)?;
    }
    Ok(())
}

fn list_files(dir: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        for entry in fs_err::read_dir(&current)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path.strip_prefix(dir)?.to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    Ok(files)
}
