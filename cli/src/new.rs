//! `new`: check every value and the destination, render into a staging directory, plan every
//! write against what is on disk, and only then write, all or nothing (`plan`). Nothing is
//! overwritten without `force`, and nothing is ever written through a symlink.

use crate::answers::{Answers, Values};
use crate::errors::UserError;
use crate::names::ProjectNames;
use crate::record::{RECORD_FILE, Record};
use crate::template::versions;
use crate::variants::Database;
use crate::{engine, plan, prompts, signals};
use anyhow::{Context, Result};
use clap::ValueEnum;
use std::io::IsTerminal;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
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
    /// Initialise a git repository, as cargo new does (not inside an existing one).
    #[arg(long, value_enum, default_value_t = Vcs::Git)]
    pub vcs: Vcs,
    /// Show the template engine's own log.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Vcs {
    #[default]
    Git,
    None,
}

/// What `new` made (or, for a dry run, would make).
#[derive(Debug, Clone)]
pub struct Created {
    pub project_dir: PathBuf,
    /// Paths relative to `project_dir`, sorted, and whether each replaces a file there.
    pub files: Vec<(String, bool)>,
    /// Files the project has already, byte for byte: not written.
    pub unchanged: Vec<String>,
    /// The commands to run first, from the rendered README's "Run it".
    pub steps: Vec<String>,
    /// What became of `.env`, in a sentence (`postgres` only).
    pub secrets: Option<String>,
    pub answers: Answers,
    pub names: ProjectNames,
    pub dry_run: bool,
    /// What became of the git repository, in a sentence.
    pub git: Option<String>,
    /// Things the user should know but that did not stop the work.
    pub warnings: Vec<String>,
    /// The template engine's log (shown with `--verbose`).
    pub engine_log: String,
}

/// Creates the project: the library's entry, as cargo-generate's `generate` is its. Every value
/// and the destination are checked before anything is asked or written.
pub fn create(args: &NewArgs) -> Result<Created> {
    // Everything relative (the destination, the engine's own paths) resolves against it.
    std::env::current_dir().map_err(|error| UserError::NoWorkingDirectory {
        why: error.to_string(),
    })?;
    let names = ProjectNames::new(&args.name)?;
    let from_file = match &args.values_file {
        Some(path) => Values::from_file(path)?,
        None => Values::default(),
    };
    let mut values = from_file.overridden_by(args.values.clone());
    Answers::from_values(&values)?;
    let project_dir = args.destination.join(&names.package);
    check_destination(args, &project_dir)?;
    let interactive =
        !args.yes && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if interactive {
        prompts::ask_missing(&mut values)?;
    }
    let answers = Answers::from_values(&values)?;

    let mut watch = signals::Watch::start().context("while setting up signal handling")?;
    // SAFETY: the only other thread is the watch's, which reads no environment variable.
    let _run_dir = unsafe { engine::RunDir::enter() }?;
    let staging = engine::staging_dir()?;
    watch.clean_up_at_exit(staging.path().to_owned());
    let result = (|| {
        let version = versions::current();
        let (rendered, engine_log) =
            engine::render(staging.path(), &names.typed, &answers, version)?;
        let record = Record::new(
            &names.typed,
            &answers,
            version,
            &plan::read_tree(&rendered)?,
        );
        fs_err::write(rendered.join(RECORD_FILE), record.to_toml())?;
        let steps = run_steps(&fs_err::read_to_string(rendered.join("README.md"))?);
        let secrets = write_secrets(&rendered, &project_dir, &answers)?;
        if let Some(interrupted) = watch.received() {
            return Err(interrupted.into());
        }
        let plan = plan::plan(&rendered, &project_dir)?;
        // A project that filled in since the first look (another run into the same folder)
        // is not this run's to replace, unless --force says so.
        if !args.force
            && (plan.files.iter().any(|file| file.replaces) || !plan.unchanged.is_empty())
        {
            return Err(UserError::DestinationNotEmpty {
                path: project_dir.clone(),
            }
            .into());
        }
        if !args.dry_run {
            watch.finish_writes_before_exiting();
            plan::write(&plan, &|| watch.received().map(anyhow::Error::from))?;
        }
        let files = plan
            .files
            .iter()
            .map(|file| (file.path.clone(), file.replaces))
            .collect();
        Ok((files, plan.unchanged.clone(), steps, secrets, engine_log))
    })()
    // Ctrl-C on a terminal signals the whole process group, so a child the engine runs dies
    // too and the render fails in its words: the signal is what stopped the run.
    .map_err(|error| watch.received().map_or(error, anyhow::Error::from));
    let staging_path = staging.path().to_owned();
    staging
        .close()
        .with_context(|| format!("while removing {}", staging_path.display()))?;
    let (files, unchanged, steps, secrets, engine_log) = result?;

    let generated = project_dir.join(RECORD_FILE).is_file();
    let mut created = Created {
        project_dir,
        files,
        unchanged,
        steps,
        secrets,
        answers,
        names,
        dry_run: args.dry_run,
        git: None,
        warnings: Vec::new(),
        engine_log,
    };
    if !args.dry_run {
        created.git = init_git(&created.project_dir, args.vcs, &mut created.warnings);
    }
    if args.force && generated {
        created.warnings.push(format!(
            "{} was made by cargo-microservice: `cargo microservice upgrade {}` takes it to today's template and keeps your edits, where --force replaces them",
            created.project_dir.display(),
            created.project_dir.display()
        ));
    }
    created
        .warnings
        .extend(workspace_warning(&created.project_dir));
    Ok(created)
}

/// The project's secrets, which `new` writes for `postgres` and nothing ever overwrites.
const SECRETS: &str = ".env";

/// Refuses, before anything is asked or rendered, a destination that cannot take the project.
fn check_destination(args: &NewArgs, project_dir: &Path) -> Result<(), UserError> {
    if args.destination.exists() && !args.destination.is_dir() {
        return Err(UserError::DestinationIsFile {
            path: args.destination.clone(),
        });
    }
    let Ok(meta) = project_dir.symlink_metadata() else {
        return Ok(());
    };
    if meta.is_file() {
        return Err(UserError::ProjectDirIsFile {
            path: project_dir.to_owned(),
        });
    }
    let empty = meta.is_dir()
        && project_dir
            .read_dir()
            .map(|mut entries| entries.next().is_none())
            .unwrap_or(false);
    if !empty && !args.force && meta.is_dir() {
        return Err(UserError::DestinationNotEmpty {
            path: project_dir.to_owned(),
        });
    }
    Ok(())
}

/// `git init`, as cargo new does: not inside an existing repository, and no first commit.
fn init_git(project_dir: &Path, vcs: Vcs, warnings: &mut Vec<String>) -> Option<String> {
    if vcs == Vcs::None {
        return None;
    }
    let git = |args: &[&str]| crate::git::command(project_dir).args(args).output();
    match git(&["rev-parse", "--show-toplevel"]) {
        Err(_) => {
            warnings.push(
                "git is not installed, so the project has no repository: install git and run `git init` there, or pass --vcs none".to_owned(),
            );
            None
        }
        Ok(out) if out.status.success() => Some(format!(
            "inside the git repository at {}, so no new one was made",
            String::from_utf8_lossy(&out.stdout).trim()
        )),
        Ok(_) => match git(&["init", "--quiet"]) {
            Ok(out) if out.status.success() => {
                Some("a new git repository; the first commit is yours".to_owned())
            }
            result => {
                let why = match result {
                    Ok(out) => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
                    Err(error) => error.to_string(),
                };
                let _ = std::fs::remove_dir_all(project_dir.join(".git"));
                warnings.push(format!(
                    "git init failed ({why}), so the project has no repository: run `git init` there yourself"
                ));
                None
            }
        },
    }
}

/// cargo takes a package under a workspace's root for a member it does not list, and refuses
/// to build it; say so now rather than at the first `cargo run`.
fn workspace_warning(project_dir: &Path) -> Option<String> {
    // On a dry run neither the project nor the destination need exist yet: resolve the
    // nearest directory that does, as cargo will see it.
    let mut existing = std::path::absolute(project_dir).ok()?;
    let mut missing = Vec::new();
    let project = loop {
        match existing.canonicalize() {
            Ok(real) => {
                break missing
                    .into_iter()
                    .rev()
                    .fold(real, |path, name| path.join(name));
            }
            Err(_) => {
                missing.push(existing.file_name()?.to_owned());
                existing.pop();
            }
        }
    };
    for dir in project.ancestors().skip(1) {
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let Ok(manifest) = toml::from_str::<toml::Table>(&text) else {
            continue;
        };
        let Some(workspace) = manifest.get("workspace").and_then(toml::Value::as_table) else {
            continue;
        };
        let relative = project
            .strip_prefix(dir)
            .ok()?
            .to_string_lossy()
            .into_owned();
        let entries = |key: &str| -> Vec<String> {
            workspace
                .get(key)
                .and_then(toml::Value::as_array)
                .map(|entries| {
                    entries
                        .iter()
                        .filter_map(toml::Value::as_str)
                        .map(|entry| entry.trim_end_matches('/').to_owned())
                        .collect()
                })
                .unwrap_or_default()
        };
        // As cargo reads them: a member is a glob matching the package's own directory (one
        // listing a parent does not take it in); an exclude takes in everything under it.
        let one_component = glob::MatchOptions {
            require_literal_separator: true,
            ..glob::MatchOptions::new()
        };
        let member = entries("members").iter().any(|entry| {
            glob::Pattern::new(entry)
                .is_ok_and(|pattern| pattern.matches_with(&relative, one_component))
        });
        let excluded = entries("exclude")
            .iter()
            .any(|entry| Path::new(&relative).starts_with(entry));
        if member || excluded {
            return None;
        }
        return Some(format!(
            "{} is inside the Cargo workspace of {}, which does not list it: cargo will not build it until you add \"{relative}\" to that workspace's members or exclude, or create the project outside it",
            project_dir.display(),
            dir.join("Cargo.toml").display()
        ));
    }
    None
}

impl Created {
    /// What a person reads when `new` is done: what was made, the variant, the next steps.
    pub fn summary(&self) -> String {
        let project = self.project_dir.display();
        let replaced: Vec<&str> = self
            .files
            .iter()
            .filter(|(_, replaces)| *replaces)
            .map(|(file, _)| file.as_str())
            .collect();
        let unchanged = if self.unchanged.is_empty() {
            String::new()
        } else {
            format!(
                "; {} already as the template has them",
                self.unchanged.len()
            )
        };
        if self.dry_run {
            let mut text = format!("Would write {} files into {project}", self.files.len());
            if !replaced.is_empty() {
                text.push_str(&format!(", replacing {} there", replaced.len()));
            }
            text.push_str(&unchanged);
            text.push_str(":\n");
            for (file, replaces) in &self.files {
                let note = if *replaces { " (replaces)" } else { "" };
                text.push_str(&format!("  {file}{note}\n"));
            }
            return text;
        }
        let variant = self.answers.variant();
        let mut text = format!(
            "Created {project} ({} files{}{unchanged}): {} on {}, built on {}.\n",
            self.files.len(),
            if replaced.is_empty() {
                String::new()
            } else {
                format!(", {} replaced: {}", replaced.len(), replaced.join(", "))
            },
            variant.id(),
            variant.runtime_image(),
            variant.builder_image(&self.answers.rust_version.to_string()),
        );
        if self.names.differ_from_typed() {
            text.push_str(&format!(
                "Named from {:?}: {} for the folder, package, binary and image; {} in code.\n",
                self.names.typed, self.names.package, self.names.crate_name
            ));
        }
        if let Some(git) = &self.git {
            text.push_str(&format!("Git: {git}.\n"));
        }
        if let Some(secrets) = &self.secrets {
            text.push_str(&format!("Secrets: {secrets}.\n"));
        }
        text.push_str(&format!(
            "\nNext steps (README.md, \"Run it\"):\n  cd {project}\n"
        ));
        for step in &self.steps {
            text.push_str(&format!("  {step}\n"));
        }
        text
    }
}

/// The commands of the first `sh` block under the README's "## Run it": what `new` prints, so
/// the two can never disagree.
fn run_steps(readme: &str) -> Vec<String> {
    let Some((_, section)) = readme.split_once("\n## Run it\n") else {
        return Vec::new();
    };
    let Some((_, block)) = section.split_once("```sh\n") else {
        return Vec::new();
    };
    block
        .split_once("```")
        .map(|(commands, _)| commands.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// For `postgres`, `.env` in the staged project: the example's settings with a fresh random
/// password and a loopback port nothing listens on now, so compose, `cargo run` and `cargo test`
/// work at once. Mode 600; never printed. A project that has a `.env` keeps it, `--force` or not.
fn write_secrets(rendered: &Path, project_dir: &Path, answers: &Answers) -> Result<Option<String>> {
    if answers.database != Database::Postgres {
        return Ok(None);
    }
    if project_dir.join(SECRETS).symlink_metadata().is_ok() {
        return Ok(Some(format!(
            "{SECRETS} was there already and is kept as it is"
        )));
    }
    let example = fs_err::read_to_string(rendered.join(".env.example"))?;
    let mut password = [0u8; 16];
    fs_err::File::open("/dev/urandom")?.read_exact(&mut password)?;
    let password: String = password.iter().map(|byte| format!("{byte:02x}")).collect();
    let port = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .context("while looking for a free port on 127.0.0.1 for PostgreSQL")?
        .port();
    let secrets: String = example
        .lines()
        .map(|line| match line.split_once('=') {
            Some(("POSTGRES_PASSWORD", _)) => format!("POSTGRES_PASSWORD={password}"),
            Some(("POSTGRES_PORT", _)) => format!("POSTGRES_PORT={port}"),
            _ => line.to_owned(),
        })
        .map(|line| line + "\n")
        .collect();
    let secrets = secrets.replacen(
        "# Copy to .env and set a password; compose refuses to start without one.\n#   cp .env.example .env\n",
        "# Written by `cargo microservice new`, with a fresh password; compose refuses to start without it.\n",
        1,
    );
    let path = rendered.join(SECRETS);
    fs_err::write(&path, secrets)?;
    fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(Some(format!(
        "{SECRETS} (mode 600, git- and docker-ignored) has PostgreSQL's password, fresh, and its port on 127.0.0.1, {port}"
    )))
}
