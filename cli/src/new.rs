//! `new`: render the template with checked answers into a temporary directory, and move the
//! project into place only when everything succeeded. Nothing is overwritten without `force`.

use crate::answers::{ANSWERS_FILE, Answers, Values};
use crate::errors::UserError;
use crate::names::ProjectNames;
use crate::{prompts, template};
use anyhow::{Context, Result};
use cargo_generate::{GenerateArgs, TemplatePath, Vcs};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Create a service from the template: the same files `cargo generate` renders.
///
/// On a terminal, values not given are asked for with the template's own prompts; otherwise
/// the template's defaults apply. Nothing is written unless everything succeeds.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct NewArgs {
    /// The service's name: letters, digits, - and _, starting with a letter.
    pub name: String,
    #[command(flatten)]
    pub values: Values,
    /// A TOML file with a [values] table (see examples/); flags override it.
    #[arg(long, value_name = "FILE")]
    pub values_file: Option<PathBuf>,
    /// The directory the project directory is created in.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub destination: PathBuf,
    /// List what would be written, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write into an existing, non-empty project directory, overwriting the template's files.
    #[arg(long)]
    pub force: bool,
    /// Do not prompt: take the defaults for values not given.
    #[arg(long, short)]
    pub yes: bool,
}

/// What `new` made (or, for a dry run, would make).
#[derive(Debug, Clone)]
pub struct Created {
    pub project_dir: PathBuf,
    /// Paths relative to `project_dir`, sorted.
    pub files: Vec<String>,
    pub answers: Answers,
    pub names: ProjectNames,
    pub dry_run: bool,
}

/// Creates the project: the library's entry, as cargo-generate's `generate` is its. Every value
/// and the destination are checked before anything is asked or written.
pub fn create(args: &NewArgs) -> Result<Created> {
    let names = ProjectNames::new(&args.name)?;
    let from_file = match &args.values_file {
        Some(path) => Values::from_file(path)?,
        None => Values::default(),
    };
    let mut values = from_file.overridden_by(args.values.clone());
    Answers::from_values(&values)?;
    let project_dir = check_destination(args, &names)?;
    let interactive =
        !args.yes && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if interactive {
        prompts::ask_missing(&mut values)?;
    }
    let answers = Answers::from_values(&values)?;

    let template_dir = tempfile::tempdir().context("while making a temporary directory")?;
    template::extract(template_dir.path())?;
    let created = |files| Created {
        project_dir: project_dir.clone(),
        files,
        answers: answers.clone(),
        names: names.clone(),
        dry_run: args.dry_run,
    };

    if args.dry_run {
        let staging = tempfile::tempdir().context("while making a temporary directory")?;
        let rendered = render(template_dir.path(), staging.path(), &names, &answers)?;
        return Ok(created(list_files(&rendered)?));
    }

    // Staged beside the destination, so the final move is a rename on one filesystem.
    let created_destination = !args.destination.exists();
    fs_err::create_dir_all(&args.destination)?;
    let result = (|| {
        let staging = tempfile::Builder::new()
            .prefix(".cargo-microservice-")
            .tempdir_in(&args.destination)
            .with_context(|| format!("while writing into {}", args.destination.display()))?;
        let rendered = render(template_dir.path(), staging.path(), &names, &answers)?;
        let files = list_files(&rendered)?;
        move_into_place(&rendered, &project_dir)?;
        Ok(created(files))
    })();
    if result.is_err() && created_destination {
        let _ = fs_err::remove_dir_all(&args.destination);
    }
    result
}

impl Created {
    /// What a person reads when `new` is done: what was made, the variant, the next steps.
    pub fn summary(&self) -> String {
        let project = self.project_dir.display();
        if self.dry_run {
            let mut text = format!("Would write {} files into {project}:\n", self.files.len());
            for file in &self.files {
                text.push_str(&format!("  {file}\n"));
            }
            return text;
        }
        let variant = self.answers.variant();
        format!(
            "Created {project} ({} files): {} on {}, built on {}.\n\nNext steps:\n  cd {project}\n  cargo run                           # serves on 0.0.0.0:{port}\n  cargo test\n  docker build -t {name} .\n  docker compose up --build --wait    # 0.5 CPU, 128 MiB, read-only, loopback:{port}\n  curl -s localhost:{port}/health\n",
            self.files.len(),
            variant.id(),
            variant.runtime_image(),
            variant.builder_image(&self.answers.rust_version.to_string()),
            port = self.answers.port,
            name = self.names.package,
        )
    }
}

/// Checks that the project can be written at all, before any work is done.
fn check_destination(args: &NewArgs, names: &ProjectNames) -> Result<PathBuf, UserError> {
    if args.destination.exists() && !args.destination.is_dir() {
        return Err(UserError::DestinationIsFile {
            path: args.destination.clone(),
        });
    }
    let project_dir = args.destination.join(&names.package);
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

fn render(
    template_dir: &Path,
    staging: &Path,
    names: &ProjectNames,
    answers: &Answers,
) -> Result<PathBuf> {
    let rendered = cargo_generate::generate(GenerateArgs {
        template_path: TemplatePath {
            path: Some(template_dir.display().to_string()),
            ..TemplatePath::default()
        },
        destination: Some(staging.to_owned()),
        name: Some(names.typed.clone()),
        define: answers.defines(),
        silent: true,
        vcs: Some(Vcs::None),
        bin: true,
        lib: false,
        no_workspace: true,
        ..GenerateArgs::default()
    })
    .context("while rendering the template")?;
    fs_err::write(
        rendered.join(ANSWERS_FILE),
        answers.to_answers_file(&names.typed),
    )?;
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
