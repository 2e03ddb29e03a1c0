//! `cargo run --release -p cargo-microservice-bench -- [--runs N]`: builds and measures the seed
//! article's service (the baseline), a no-logging ceiling and every variant that builds here,
//! on this machine in one run, and prints a markdown table with ratios against the baseline.
//!
//! Every load targets 127.0.0.1 only, for a fixed duration, and stops by itself.

mod measure;

use anyhow::{Context, Result, bail};
use cargo_microservice::variants::{Base, Variant};
use cargo_microservice::{NewArgs, Values, Vcs};
use clap::Parser;
use measure::{Samples, Service};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
struct Args {
    /// Repetitions of every warm measurement (cold builds run once per service).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Seconds of load per throughput measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    /// Connections the load generator keeps open.
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// Only these services (baseline, ceiling, distroless-trixie, ...); the baseline always runs.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Skip the cold builds (they prune Docker's build cache and take minutes each).
    #[arg(long)]
    no_cold: bool,
    /// Where to write the JSON results.
    #[arg(long, default_value = "bench/results.json")]
    json: PathBuf,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if ["CARGO_NAME", "USER"]
        .iter()
        .all(|name| std::env::var_os(name).is_none())
    {
        // SAFETY: no other thread exists yet; cargo-generate wants an author name.
        unsafe { std::env::set_var("CARGO_NAME", "bench") };
    }
    if let Some(problem) = cargo_microservice::docker::engine_problem() {
        bail!("the benchmarks need Docker with BuildKit: {problem}");
    }
    for tool in ["wrk", "oha"] {
        if std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_err()
        {
            bail!("{tool} is not installed: apt-get install wrk; cargo install oha --locked");
        }
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned();
    let work = tempfile::tempdir()?;
    let services = services(&repo, work.path(), &args.only)?;

    for service in &services {
        ensure_base_images(&service.dir)?;
    }

    let mut results: BTreeMap<String, Samples> = BTreeMap::new();
    let mut order = Vec::new();
    let mut baseline_rps = None;
    for service in &services {
        eprintln!("== {} ({})", service.name, service.note);
        let samples = measure::service(service, &args, baseline_rps)
            .with_context(|| format!("while measuring {}", service.name))?;
        if service.name == "baseline" {
            baseline_rps = samples.median("users_rps");
        }
        order.push(service.name.clone());
        results.insert(service.name.clone(), samples);
    }

    let table = measure::markdown(&order, &results);
    println!("{table}");
    let json = serde_json::json!({
        "date": measure::now(),
        "machine": measure::machine(),
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "services": order.iter().map(|name| serde_json::json!({ "name": name, "samples": &results[name] })).collect::<Vec<_>>(),
    });
    std::fs::write(
        repo.join(&args.json),
        serde_json::to_string_pretty(&json)? + "\n",
    )?;
    eprintln!("wrote {}", args.json.display());
    Ok(())
}

/// The baseline first (the fixed-rate load is half its throughput), then the ceiling, then every
/// variant that builds here (alpine needs a registry).
fn services(repo: &Path, work: &Path, only: &[String]) -> Result<Vec<Service>> {
    let wanted =
        |name: &str| name == "baseline" || only.is_empty() || only.iter().any(|o| o == name);
    let mut services = Vec::new();
    for (name, dir, note) in [
        (
            "baseline",
            "baseline-seed-article",
            "the seed article's service and Dockerfile",
        ),
        (
            "ceiling",
            "ceiling",
            "actix-web with no logging, same profile",
        ),
    ] {
        if wanted(name) {
            let copy = work.join(dir);
            copy_service(&repo.join("bench/services").join(dir), &copy)?;
            services.push(Service {
                name: name.into(),
                dir: copy,
                note: note.into(),
                source: "src/main.rs".into(),
            });
        }
    }
    for variant in Variant::matrix()
        .into_iter()
        .filter(|v| v.base != Base::Alpine)
    {
        let id = variant.id();
        if !wanted(&id) {
            continue;
        }
        let created = cargo_microservice::create(&NewArgs {
            name: "orders".into(),
            values: Values {
                base: Some(variant.base),
                debian: variant.debian,
                ..Values::default()
            },
            destination: work.join(&id),
            yes: true,
            vcs: Vcs::None,
            ..NewArgs::default()
        })?;
        services.push(Service {
            name: id,
            dir: created.project_dir,
            note: format!("the template, {}", variant.runtime_image()),
            source: "src/routes.rs".into(),
        });
    }
    Ok(services)
}

fn copy_service(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to.join("src"))?;
    for file in ["Cargo.toml", "Cargo.lock", "Dockerfile", "src/main.rs"] {
        std::fs::copy(from.join(file), to.join(file))
            .with_context(|| format!("while copying {file}"))?;
    }
    Ok(())
}

/// Base images that are neither local nor pullable are built as labelled stand-ins, as the
/// docker matrix does.
fn ensure_base_images(project: &Path) -> Result<()> {
    use cargo_microservice_support::standin;
    let dockerfile = std::fs::read_to_string(project.join("Dockerfile"))?;
    for image in standin::base_images(&dockerfile) {
        standin::ensure_base_image(&image).map_err(anyhow::Error::msg)?;
    }
    Ok(())
}
