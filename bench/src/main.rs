//! `cargo run --release -p cargo-microservice-bench -- [--runs N]`: builds and measures the seed
//! article's service (the baseline), a no-logging ceiling and every variant that builds here,
//! on this machine in one run, and prints a markdown table with ratios against the baseline.
//! `--before <git-ref>[,<git-ref>...]` adds each variant as the template rendered at each of
//! those commits, measured in the same run, so a change to the template is judged before/after
//! on the same minutes.
//!
//! `--breakdown` measures what each piece of a request costs instead: the default variant with
//! each piece switched off in turn by a patch in `bench/breakdown/` (see `breakdown.rs`).
//!
//! Every container runs on the host network bound to 127.0.0.1 on a free port, so the load
//! reaches the container itself and not Docker's port proxy (which runs outside the CPU limit).
//! The service is pinned to one CPU and the load generator to another (see
//! [`measure::Placement`]). Every load targets 127.0.0.1 only, for a fixed duration, and stops
//! by itself. The rounds are interleaved (every service once, then again), so a noisy minute is
//! shared by all services, and every median is printed with its spread.
//! `bench/reproduce.sh` repeats one comparison with `docker run` and `wrk` alone.

mod breakdown;
mod measure;
mod store;

use anyhow::{Context, Result, bail};
use cargo_microservice::variants::{Base, Database, Variant};
use cargo_microservice::{NewArgs, Values, Vcs};
use clap::Parser;
use measure::{Samples, Service};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
struct Args {
    /// Repetitions of every warm measurement, interleaved (cold builds run once per service).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Seconds of load per throughput measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    /// Connections the load generator keeps open.
    #[arg(long, default_value_t = 64)]
    connections: u32,
    /// Only these services (baseline, ceiling, distroless-trixie-none, ...); the baseline always runs.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Skip the cold builds (they prune Docker's build cache and take minutes each).
    #[arg(long)]
    no_cold: bool,
    /// Skip the rebuilds after a one-line change.
    #[arg(long)]
    no_rebuild: bool,
    /// Measure only throughput and CPU per request (every service at once, loaded in turn):
    /// no latency, memory, start or stop rounds.
    #[arg(long)]
    throughput_only: bool,
    /// The smallest difference, in percent, this run is asked to show (the issues' "within
    /// 3%"): a throughput or CPU row whose spread is wider is flagged. (The before/after table
    /// flags, on its own, a difference smaller than its sides' spread.)
    #[arg(long, default_value_t = 3.0)]
    resolve: f64,
    /// The CPUs the service's container is pinned to (`docker run --cpuset-cpus`).
    #[arg(long, default_value = "1")]
    service_cpus: String,
    /// The CPUs wrk and oha are pinned to (`taskset --cpu-list`).
    #[arg(long, default_value = "0")]
    load_cpus: String,
    /// wrk's threads: one keeps the load generator on its own CPU.
    #[arg(long, default_value_t = 1)]
    wrk_threads: u32,
    /// Let the scheduler place the service and the load (how the bench ran before 2026-12-07).
    #[arg(long)]
    no_pinning: bool,
    /// Measure the cost of each piece of a request: the default variant with each piece
    /// switched off in turn (`bench/breakdown/*.patch`), beside the ceiling (writes
    /// bench/breakdown-results.json).
    #[arg(long)]
    breakdown: bool,
    /// Also render each variant from the template at these git commits or branches (`main`,
    /// `HEAD~1`, comma-separated) and measure it beside the current one, as `<variant>@<ref>`.
    #[arg(long, value_delimiter = ',')]
    before: Vec<String>,
    /// Also measure /users/{id} through a published port (Docker's userland proxy), printed as a
    /// second table; the main table always loads the container on the host network.
    #[arg(long)]
    proxy: bool,
    /// Where to write the JSON results.
    #[arg(long, default_value = "bench/results.json")]
    json: PathBuf,
    /// Measure the users' store instead: the default variant with PostgreSQL and without a
    /// database side by side, and pgbench -S (writes bench/store-results.json).
    #[arg(long)]
    store: bool,
    /// With --store: also measure the PostgreSQL variant with each of these
    /// `DATABASE_POOL_SIZE`s (comma-separated) in the same rounds.
    #[arg(long, value_delimiter = ',', requires = "store")]
    pool_sizes: Vec<u32>,
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
    for tool in ["wrk", "oha", "taskset"] {
        if std::process::Command::new(tool)
            .arg("--version")
            .output()
            .is_err()
        {
            bail!(
                "{tool} is not installed: apt-get install wrk util-linux; cargo install oha --locked"
            );
        }
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned();
    let work = tempfile::tempdir()?;
    let placement = measure::Placement::from_args(&args);
    eprintln!("placement: {}", placement.describe());
    if args.breakdown {
        let json = breakdown::run(&repo, work.path(), &args, &placement)?;
        let path = repo.join("bench/breakdown-results.json");
        std::fs::write(&path, serde_json::to_string_pretty(&json)? + "\n")?;
        eprintln!("wrote {}", path.display());
        return Ok(());
    }
    if args.store {
        let results = store::run(
            work.path(),
            args.runs,
            args.seconds,
            args.connections,
            &args.pool_sizes,
            &placement,
        )?;
        let json = serde_json::json!({
            "date": measure::now(),
            "machine": measure::machine(),
            "command": std::env::args().collect::<Vec<_>>().join(" "),
            "store": results,
        });
        let path = repo.join("bench/store-results.json");
        std::fs::write(&path, serde_json::to_string_pretty(&json)? + "\n")?;
        eprintln!("wrote {}", path.display());
        return Ok(());
    }
    let services = services(&repo, work.path(), &args.only, &args.before)?;

    for service in &services {
        ensure_base_images(&service.dir)?;
    }

    let mut results: BTreeMap<String, Samples> = services
        .iter()
        .map(|service| (service.name.clone(), Samples::default()))
        .collect();
    let order: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
    for service in &services {
        eprintln!("== build {} ({})", service.name, service.note);
        measure::build(service, &args, results.get_mut(&service.name).unwrap())
            .with_context(|| format!("while building {}", service.name))?;
    }
    // Throughput and CPU per request: every service at once, loaded in turn, seconds apart;
    // then each variant against the ceiling and the baseline in duets.
    eprintln!("== throughput: every service running, each loaded in turn");
    let tags: Vec<String> = services.iter().map(measure::tag).collect();
    let named: Vec<(&str, &str)> = services
        .iter()
        .zip(&tags)
        .map(|(service, tag)| (service.name.as_str(), tag.as_str()))
        .collect();
    let started = measure::start_all(&named, &placement)?;
    let running: Vec<(&str, &measure::OnLoopback)> = named
        .iter()
        .zip(&started)
        .map(|((name, _), service)| (*name, service))
        .collect();
    let plan = measure::Plan::from_args(&args, &placement);
    measure::alternate(&running, &plan, &mut results)?;
    let (against, variants): (Vec<_>, Vec<_>) = running
        .iter()
        .copied()
        .partition(|(name, _)| ["ceiling", "baseline"].contains(name));
    eprintln!("== each variant against the ceiling and the baseline, in duets");
    measure::duets(&variants, &against, &plan, &mut results)?;
    // And each variant against itself at every `--before` commit.
    for &(name, service) in &variants {
        let befores: Vec<(&str, &measure::OnLoopback)> = variants
            .iter()
            .copied()
            .filter(|(other, _)| other.split_once('@').is_some_and(|(of, _)| of == name))
            .collect();
        if !befores.is_empty() {
            eprintln!("== {name} against itself before, in duets");
            measure::duets(&[(name, service)], &befores, &plan, &mut results)?;
        }
    }
    // The per-service rounds below start each service alone.
    drop(started);
    // The rest: every round visits every service once, so the host's noisy minutes fall on
    // all of them.
    let mut fixed_rate = None;
    let rounds = if args.throughput_only { 0 } else { args.runs };
    for run in 0..rounds {
        for service in &services {
            eprintln!("== run {} of {}: {}", run + 1, args.runs, service.name);
            let samples = results.get_mut(&service.name).unwrap();
            measure::round(service, &args, &mut fixed_rate, samples)
                .with_context(|| format!("while measuring {}", service.name))?;
        }
    }

    let table = measure::markdown(&order, &results, measure::METRICS);
    println!("Placement: {}.\n\n{table}", placement.describe());
    if let Some(table) = measure::ratios(&order, &results) {
        println!(
            "\nEach variant's /users/{{id}} throughput against the ceiling and the baseline, round by round:\n\n{table}"
        );
    }
    if let Some(table) = measure::before_after(&order, &results) {
        println!("\nBefore and after, measured in the same rounds (medians):\n\n{table}");
    }
    for warning in measure::spread_warnings(&order, &results, args.resolve) {
        println!("{warning}");
    }
    if args.proxy {
        println!(
            "\nThrough a published port (Docker's userland proxy, outside the container's CPU limit):\n\n{}",
            measure::markdown(&order, &results, measure::PROXY_METRICS)
        );
    }
    let json = serde_json::json!({
        "date": measure::now(),
        "machine": measure::machine(),
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "placement": placement.describe(),
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
/// variant that builds here (alpine needs a registry), each after its `--before` rendering.
fn services(repo: &Path, work: &Path, only: &[String], before: &[String]) -> Result<Vec<Service>> {
    let wanted =
        |name: &str| name == "baseline" || only.is_empty() || only.iter().any(|o| o == name);
    let mut services = Vec::new();
    for (name, dir, note) in [
        (
            "baseline",
            "baseline-seed-article",
            "the seed article's service and Dockerfile",
        ),
        CEILING,
    ] {
        if wanted(name) {
            services.push(bench_service(repo, work, name, dir, note)?);
        }
    }
    // The HTTP plumbing, without a database; `--store` measures what the store costs.
    for variant in Variant::matrix()
        .into_iter()
        .filter(|v| v.base != Base::Alpine && v.database == Database::Memory)
    {
        let id = variant.id();
        if !wanted(&id) {
            continue;
        }
        for reference in before {
            let name = format!("{id}@{reference}");
            services.push(Service {
                dir: render_at(repo, work, reference, &variant, &name)?,
                name,
                note: format!("the template at {reference}, {}", variant.runtime_image()),
                source: "src/routes.rs".into(),
            });
        }
        services.push(Service {
            dir: render(&variant, &work.join(&id))?,
            name: id,
            note: format!("the template, {}", variant.runtime_image()),
            source: "src/routes.rs".into(),
        });
    }
    Ok(services)
}

/// The ceiling's name, folder under `bench/services` and note.
const CEILING: (&str, &str, &str) = (
    "ceiling",
    "ceiling",
    "actix-web with no logging, same profile",
);

/// One of `bench/services`, copied to `work` to be built there.
fn bench_service(repo: &Path, work: &Path, name: &str, dir: &str, note: &str) -> Result<Service> {
    let copy = work.join(dir);
    copy_service(&repo.join("bench/services").join(dir), &copy)?;
    Ok(Service {
        name: name.into(),
        dir: copy,
        note: note.into(),
        source: "src/main.rs".into(),
    })
}

/// `variant` rendered from the current template as `orders` in `destination`; the project's
/// folder.
fn render(variant: &Variant, destination: &Path) -> Result<PathBuf> {
    let created = cargo_microservice::create(&NewArgs {
        name: "orders".into(),
        values: Values {
            base: Some(variant.base),
            debian: variant.debian,
            database: Some(variant.database),
            ..Values::default()
        },
        destination: destination.to_owned(),
        yes: true,
        vcs: Vcs::None,
        ..NewArgs::default()
    })?;
    Ok(created.project_dir)
}

/// Renders `variant` from the template as it was at `reference`, with the cargo-generate engine
/// the CLI uses, under the same project name as the current one (the images then differ only
/// by what changed in the template).
fn render_at(
    repo: &Path,
    work: &Path,
    reference: &str,
    variant: &Variant,
    name: &str,
) -> Result<PathBuf> {
    let source = work.join(format!("template@{}", name.replace(['/', '@'], "-")));
    std::fs::create_dir_all(&source)?;
    let archive = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["archive", "--format=tar", reference, "template"])
        .output()
        .context("while running git archive")?;
    if !archive.status.success() {
        bail!(
            "git archive {reference} failed: {}",
            String::from_utf8_lossy(&archive.stderr).trim()
        );
    }
    let mut untar = std::process::Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(&source)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .context("while running tar")?;
    std::io::Write::write_all(untar.stdin.as_mut().unwrap(), &archive.stdout)?;
    if !untar.wait()?.success() {
        bail!("tar could not unpack the template at {reference}");
    }
    let destination = work.join(name.replace(['/', '@'], "-"));
    std::fs::create_dir_all(&destination)?;
    let mut define = vec![format!("base={}", variant.base)];
    if let Some(debian) = variant.debian {
        define.push(format!("debian={debian}"));
    }
    // A template from before the database placeholder takes it as an unused variable.
    define.push(format!("database={}", variant.database));
    cargo_generate::generate(cargo_generate::GenerateArgs {
        template_path: cargo_generate::TemplatePath {
            path: Some(source.join("template").display().to_string()),
            ..cargo_generate::TemplatePath::default()
        },
        destination: Some(destination),
        name: Some("orders".into()),
        define,
        silent: true,
        vcs: Some(cargo_generate::Vcs::None),
        bin: true,
        lib: false,
        no_workspace: true,
        ..cargo_generate::GenerateArgs::default()
    })
    .with_context(|| format!("while rendering the template at {reference}"))
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
