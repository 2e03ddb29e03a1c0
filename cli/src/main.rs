//! `cargo microservice` (or `cargo-microservice`): a thin shell around the library.

use anyhow::Result;
use cargo_microservice::answers::{
    Answers, PortValue, RawValues, parse_port, validate_rust_version,
};
use cargo_microservice::errors::UserError;
use cargo_microservice::new::{self, NewArgs};
use cargo_microservice::template;
use cargo_microservice::variants::{Base, DEFAULT_RUST_VERSION, Debian, Variant};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Scaffold a production Rust microservice (Actix-web, cargo-chef Dockerfile, compose, non-root)
/// from the cargo-microservice template.
#[derive(Debug, Parser)]
#[command(
    name = "cargo-microservice",
    bin_name = "cargo microservice",
    version,
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    New(NewCommand),
    Variants(VariantsCommand),
    Completions(CompletionsCommand),
}

/// Create a service from the template: the same files `cargo generate` renders.
///
/// On a terminal, values not given are asked for with the template's own prompts; otherwise
/// the template's defaults apply. Nothing is written unless everything succeeds.
#[derive(Debug, clap::Args)]
struct NewCommand {
    /// The service's name: letters, digits, - and _, starting with a letter.
    name: String,
    /// The runtime base image.
    #[arg(long, value_enum)]
    base: Option<BaseArg>,
    /// The Debian release builder and runtime share (not for alpine).
    #[arg(long, value_enum)]
    debian: Option<DebianArg>,
    /// The builder's Rust toolchain, pinned as major.minor[.patch] (1.85 or newer).
    #[arg(long, value_name = "VERSION")]
    rust_version: Option<String>,
    /// The port the service listens on (1-65535).
    #[arg(long)]
    port: Option<String>,
    /// A TOML file with a [values] table (see examples/); flags override it.
    #[arg(long, value_name = "FILE")]
    values_file: Option<PathBuf>,
    /// The directory the project directory is created in.
    #[arg(long, value_name = "DIR", default_value = ".")]
    destination: PathBuf,
    /// List what would be written, and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write into an existing, non-empty project directory, overwriting the template's files.
    #[arg(long)]
    force: bool,
    /// Do not prompt: take the defaults for values not given.
    #[arg(long, short)]
    yes: bool,
}

/// Print the variant matrix: images, C library, user, shell and what each trades.
#[derive(Debug, clap::Args)]
struct VariantsCommand {
    /// Print JSON, for scripts and CI matrices.
    #[arg(long)]
    json: bool,
}

/// Print a shell completion script.
#[derive(Debug, clap::Args)]
struct CompletionsCommand {
    shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum BaseArg {
    Distroless,
    DebianSlim,
    Alpine,
    Static,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DebianArg {
    Trixie,
    Bookworm,
}

impl BaseArg {
    fn base(self) -> Base {
        match self {
            BaseArg::Distroless => Base::Distroless,
            BaseArg::DebianSlim => Base::DebianSlim,
            BaseArg::Alpine => Base::Alpine,
            BaseArg::Static => Base::Static,
        }
    }
}

impl DebianArg {
    fn debian(self) -> Debian {
        match self {
            DebianArg::Trixie => Debian::Trixie,
            DebianArg::Bookworm => Debian::Bookworm,
        }
    }
}

fn main() -> ExitCode {
    // As a cargo subcommand, cargo passes "microservice" as the first argument.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|arg| arg == "microservice") {
        args.remove(1);
    }
    let cli = Cli::parse_from(args);
    // cargo-generate insists on an author name even though the template uses none; CI and
    // containers often have no $USER.
    let author_variables = [
        "CARGO_NAME",
        "GIT_AUTHOR_NAME",
        "GIT_COMMITTER_NAME",
        "USER",
        "USERNAME",
        "NAME",
    ];
    if author_variables
        .iter()
        .all(|name| std::env::var_os(name).is_none())
    {
        // SAFETY: no other thread exists yet.
        unsafe { std::env::set_var("CARGO_NAME", "cargo-microservice") };
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            match error.downcast_ref::<UserError>() {
                Some(_) => ExitCode::from(UserError::EXIT_CODE),
                None => ExitCode::FAILURE,
            }
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::New(command) => new_project(command),
        Command::Variants(command) => print_variants(&command),
        Command::Completions(command) => {
            clap_complete::generate(
                command.shell,
                &mut Cli::command(),
                "cargo-microservice",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    }
}

fn new_project(command: NewCommand) -> Result<()> {
    let from_flags = RawValues {
        base: command.base.map(|base| base.base().as_str().to_owned()),
        debian: command
            .debian
            .map(|debian| debian.debian().as_str().to_owned()),
        rust_version: command.rust_version.clone(),
        port: command.port.clone().map(PortValue::Text),
    };
    let from_file = match &command.values_file {
        Some(path) => RawValues::from_file(path)?,
        None => RawValues::default(),
    };
    let mut raw = from_file.overridden_by(from_flags);
    // Reject a bad name or value before asking anything else.
    Answers::from_raw(&command.name, &raw)?;
    let interactive =
        !command.yes && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if interactive {
        ask_missing(&mut raw)?;
    }
    let answers = Answers::from_raw(&command.name, &raw)?;
    let args = NewArgs {
        answers,
        destination: command.destination.clone(),
        force: command.force,
        dry_run: command.dry_run,
    };
    let created = new::create(&args)?;
    let project = created.project_dir.display();
    if command.dry_run {
        println!("Would write {} files into {project}:", created.files.len());
        for file in &created.files {
            println!("  {file}");
        }
        return Ok(());
    }
    let variant = args.answers.variant();
    println!(
        "Created {project} ({} files): {} on {}, built on {}.\n\nNext steps:\n  cd {project}\n  cargo run                           # serves on 0.0.0.0:{port}\n  cargo test\n  docker build -t {name} .\n  docker compose up --build --wait    # 0.5 CPU, 128 MiB, read-only, loopback:{port}\n  curl -s localhost:{port}/health",
        created.files.len(),
        variant.id(),
        variant.runtime_image(),
        variant.builder_image(&args.answers.rust_version),
        port = args.answers.port,
        name = new::project_dir_name(&args.answers.name),
    );
    Ok(())
}

/// Asks for each value not given, with the template's prompt, choices and default.
fn ask_missing(raw: &mut RawValues) -> Result<()> {
    let placeholders = template::placeholders();
    let theme = dialoguer::theme::SimpleTheme;
    let select = |key: &str| -> Result<String> {
        let placeholder = &placeholders[key];
        let default = placeholder
            .choices
            .iter()
            .position(|choice| *choice == placeholder.default)
            .unwrap_or(0);
        let index = dialoguer::Select::with_theme(&theme)
            .with_prompt(&placeholder.prompt)
            .items(&placeholder.choices)
            .default(default)
            .interact()?;
        Ok(placeholder.choices[index].clone())
    };
    if raw.base.is_none() {
        raw.base = Some(select("base")?);
    }
    let uses_debian = raw
        .base
        .as_deref()
        .and_then(Base::parse)
        .is_none_or(Base::uses_debian);
    if raw.debian.is_none() && uses_debian {
        raw.debian = Some(select("debian")?);
    }
    if raw.rust_version.is_none() {
        let placeholder = &placeholders["rust_version"];
        raw.rust_version = Some(
            dialoguer::Input::<String>::with_theme(&theme)
                .with_prompt(&placeholder.prompt)
                .default(placeholder.default.clone())
                .validate_with(|value: &String| {
                    validate_rust_version(value).map_err(|error| error.to_string())
                })
                .interact_text()?,
        );
    }
    if raw.port.is_none() {
        let placeholder = &placeholders["port"];
        let port = dialoguer::Input::<String>::with_theme(&theme)
            .with_prompt(&placeholder.prompt)
            .default(placeholder.default.clone())
            .validate_with(|value: &String| {
                parse_port(value)
                    .map(|_| ())
                    .map_err(|error| error.to_string())
            })
            .interact_text()?;
        raw.port = Some(PortValue::Text(port));
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct VariantRow {
    id: String,
    base: Base,
    debian: Option<Debian>,
    default: bool,
    builder_image: String,
    runtime_image: String,
    libc: cargo_microservice::variants::Libc,
    binary: &'static str,
    uid: u32,
    shell: bool,
    trade: &'static str,
}

fn print_variants(command: &VariantsCommand) -> Result<()> {
    let rows: Vec<VariantRow> = Variant::matrix()
        .into_iter()
        .map(|variant| VariantRow {
            id: variant.id(),
            base: variant.base,
            debian: variant.debian,
            default: variant.base == Base::DEFAULT
                && variant
                    .debian
                    .is_none_or(|debian| debian == Debian::DEFAULT),
            builder_image: variant.builder_image(DEFAULT_RUST_VERSION),
            runtime_image: variant.runtime_image(),
            libc: variant.base.libc(),
            binary: variant.base.binary(),
            uid: variant.base.runtime_uid(),
            shell: variant.base.has_shell(),
            trade: variant.base.trade(),
        })
        .collect();
    if command.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:<22} {:<22} {:<40} {:<6} {:<6} shell",
        "variant", "builder", "runtime", "libc", "uid"
    );
    for row in &rows {
        let id = if row.default {
            format!("{} (default)", row.id)
        } else {
            row.id.clone()
        };
        let libc = serde_json::to_value(row.libc)?
            .as_str()
            .unwrap_or_default()
            .to_owned();
        println!(
            "{id:<30} {:<22} {:<40} {libc:<6} {:<6} {}",
            row.builder_image,
            row.runtime_image,
            row.uid,
            if row.shell { "yes" } else { "no" }
        );
    }
    println!();
    for base in Base::ALL {
        println!("{base}: {}", base.trade());
    }
    Ok(())
}
