//! The measurements, each repeated and kept as samples, and the markdown table.

use anyhow::{Context, Result, ensure};
use cargo_microservice::docker::{self, Container};
pub use cargo_microservice_support::loopback::OnLoopback;
use cargo_microservice_support::loopback::wait_for_200;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

pub struct Service {
    pub name: String,
    pub dir: PathBuf,
    pub note: String,
    /// The file the one-line change goes into for the rebuild measurement.
    pub source: String,
}

/// Every sample of every metric, by metric key.
#[derive(Debug, Default, Serialize)]
pub struct Samples(BTreeMap<String, Vec<f64>>);

impl Samples {
    pub fn push(&mut self, key: &str, value: f64) {
        self.0.entry(key.to_owned()).or_default().push(value);
    }

    pub fn median(&self, key: &str) -> Option<f64> {
        let mut values = self.0.get(key)?.clone();
        values.sort_by(f64::total_cmp);
        let n = values.len();
        (n > 0).then(|| {
            if n % 2 == 1 {
                values[n / 2]
            } else {
                (values[n / 2 - 1] + values[n / 2]) / 2.0
            }
        })
    }

    /// (max − min) / median: how far apart the runs fell, as a fraction of the median.
    pub fn spread(&self, key: &str) -> Option<f64> {
        let median = self.median(key)?;
        let (min, max) = self.range(key)?;
        (median > 0.0).then(|| (max - min) / median)
    }

    pub fn values(&self, key: &str) -> &[f64] {
        self.0.get(key).map_or(&[], Vec::as_slice)
    }

    pub fn range(&self, key: &str) -> Option<(f64, f64)> {
        let values = self.0.get(key)?;
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (!values.is_empty()).then_some((min, max))
    }
}

/// The port the services listen on inside a container with its own network (the proxy table).
const PORT: u16 = 8080;
/// Samples of `docker run` to first 200 per run.
const START_SAMPLES_PER_RUN: usize = 5;
/// Users stored before a load on `/users/42`, as `bench/reproduce.sh` stores them.
pub const SEEDED_USERS: u32 = 50;
/// Seconds of load before each measured one: the service's allocator, caches and connections
/// reach their steady state, and a first slow second stays out of the sample.
pub const WARM_UP_SECONDS: u32 = 3;

/// The image's tag: the service's name with `@` as `-at-` and anything else a Docker repository
/// name refuses (`~`, `^`, `/` of `--before HEAD~1` or `origin/main`) as `-`.
pub fn tag(service: &Service) -> String {
    let name: String = service
        .name
        .replace('@', "-at-")
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
            _ => '-',
        })
        .collect();
    format!("cargo-microservice-bench/{name}:latest")
}

/// Builds the image (cold: Docker's build cache pruned first, unless `--no-cold`), records its
/// size, and rebuilds it after a one-line change `--runs` times.
pub fn build(service: &Service, args: &super::Args, samples: &mut Samples) -> Result<()> {
    let tag = tag(service);
    if args.no_cold {
        docker::build(&service.dir, &tag)?;
    } else {
        // Cold: no build cache at all (base images stay: pulling them is not building).
        docker::docker_ok(&["builder", "prune", "--all", "--force"])?;
        let took = docker::build(&service.dir, &tag)?;
        samples.push("cold_build_s", took.as_secs_f64());
        eprintln!("   cold build {:.0} s", took.as_secs_f64());
        cache_rebuild(service, &tag, samples)?;
    }
    samples.push("image_mb", docker::image_size(&tag)? as f64 / 1e6);
    let rebuilds = if args.no_rebuild { 0 } else { args.runs };
    for run in 0..rebuilds {
        let source = service.dir.join(&service.source);
        let mut text = std::fs::read_to_string(&source)?;
        text.push_str(&format!("// rebuild {run}\n"));
        std::fs::write(&source, text)?;
        samples.push(
            "rebuild_s",
            docker::build(&service.dir, &tag)?.as_secs_f64(),
        );
    }
    Ok(())
}

/// What a CI runner without a build cache can reuse, done with what Docker 20.10 has (its
/// BuildKit takes no `--cache-to type=local`): the `builder` stage built as its own target with
/// an inline cache, that image saved, every build cache pruned and the image removed, then
/// loaded back, a line of the source changed, and the image rebuilt `--cache-from` it. The
/// rebuild's log must say CACHED for the dependency layer (`cargo chef cook`).
fn cache_rebuild(service: &Service, tag: &str, samples: &mut Samples) -> Result<()> {
    let cache = format!("{}-builder-cache", tag.trim_end_matches(":latest"));
    let context = service.dir.to_string_lossy().into_owned();
    docker::docker_ok(&[
        "build",
        "--target",
        "builder",
        "--build-arg",
        "BUILDKIT_INLINE_CACHE=1",
        "--tag",
        &cache,
        &context,
    ])?;
    let saved = tempfile::Builder::new()
        .prefix("bench-builder-cache-")
        .suffix(".tar")
        .tempfile()?;
    let saved_arg = saved.path().to_string_lossy().into_owned();
    docker::docker_ok(&["save", "--output", &saved_arg, &cache])?;
    docker::docker_ok(&["image", "rm", &cache])?;
    docker::docker_ok(&["builder", "prune", "--all", "--force"])?;
    docker::docker_ok(&["load", "--input", &saved_arg])?;
    drop(saved);
    let source = service.dir.join(&service.source);
    let mut text = std::fs::read_to_string(&source)?;
    text.push_str("// a change after the cache was saved\n");
    std::fs::write(&source, text)?;
    let started = std::time::Instant::now();
    let output = docker::docker(&["build", "--cache-from", &cache, "--tag", tag, &context])
        .output()
        .context("while running docker build --cache-from")?;
    let took = started.elapsed().as_secs_f64();
    let log = String::from_utf8_lossy(&output.stderr);
    ensure!(
        output.status.success(),
        "the rebuild --cache-from {cache} failed:\n{log}"
    );
    let cook_cached = cook_step_cached(&log).with_context(|| {
        format!("the rebuild --cache-from {cache} ran no `cargo chef cook` step:\n{log}")
    })?;
    samples.push("cache_rebuild_s", took);
    samples.push(
        "cache_rebuild_cook_cached",
        f64::from(u8::from(cook_cached)),
    );
    eprintln!(
        "   rebuilt --cache-from a saved builder stage, cache pruned: {took:.0} s, the cook step {}",
        if cook_cached { "CACHED" } else { "run again" }
    );
    docker::docker_ok(&["image", "rm", &cache])?;
    Ok(())
}

/// Whether BuildKit's plain log says CACHED for the `cargo chef cook` step: `#12 [builder 3/6]
/// RUN cargo chef cook ...` and, for the same step number, `#12 CACHED`.
fn cook_step_cached(log: &str) -> Option<bool> {
    let step = log.lines().find_map(|line| {
        let (number, rest) = line.split_once(' ')?;
        (number.starts_with('#') && rest.contains("RUN cargo chef cook")).then_some(number)
    })?;
    Some(log.lines().any(|line| line == format!("{step} CACHED")))
}

/// Where the service and the load generator run. On a 2-core host a service free to run on
/// either core shares both with wrk as the scheduler likes; pinned, the service's 0.5 CPU is
/// half of one core and wrk has the other, so a quota means the same at every load. (The
/// ceiling's old 42.7k–54.8k swing was mostly the host's drift, not placement: RESULTS.md,
/// 2026-12-07.)
#[derive(Debug, Clone)]
pub struct Placement {
    /// `docker run --cpuset-cpus`, or none.
    pub service_cpus: Option<String>,
    /// `taskset -c` for wrk and oha, or none.
    pub load_cpus: Option<String>,
    /// wrk's `--threads`.
    pub wrk_threads: u32,
}

impl Placement {
    pub fn from_args(args: &super::Args) -> Self {
        if args.no_pinning {
            return Self {
                service_cpus: None,
                load_cpus: None,
                wrk_threads: args.wrk_threads,
            };
        }
        Self {
            service_cpus: Some(args.service_cpus.clone()),
            load_cpus: Some(args.load_cpus.clone()),
            wrk_threads: args.wrk_threads,
        }
    }

    /// `program`, run on the load generator's CPUs.
    pub fn load_command(&self, program: &str) -> Command {
        match &self.load_cpus {
            Some(cpus) => {
                let mut command = Command::new("taskset");
                command.args(["--cpu-list", cpus, program]);
                command
            }
            None => Command::new(program),
        }
    }

    /// `docker run` options that put the service on its CPUs.
    pub fn docker_args(&self) -> Vec<&str> {
        match &self.service_cpus {
            Some(cpus) => vec!["--cpuset-cpus", cpus],
            None => vec![],
        }
    }

    pub fn describe(&self) -> String {
        match (&self.service_cpus, &self.load_cpus) {
            (Some(service), Some(load)) => format!(
                "service pinned to CPU {service}, wrk ({} thread(s)) and oha to CPU {load}",
                self.wrk_threads
            ),
            _ => format!("no pinning, wrk {} thread(s)", self.wrk_threads),
        }
    }
}

/// The service on the host network (see [`OnLoopback`]) on its CPUs, once `/health` on its
/// main port answers 200 (the seed baseline and the ceiling serve it there, and so does the
/// template).
pub fn start_on_loopback(tag: &str, env: &[String], placement: &Placement) -> Result<OnLoopback> {
    let service = OnLoopback::start_with(tag, env, &placement.docker_args())?;
    wait_for_200(&service.container, service.port, "/health")?;
    Ok(service)
}

/// CPU time the container's processes have used (its cgroup's count), in nanoseconds.
pub fn container_cpu_ns(id: &str) -> Result<u64> {
    let v1 = format!("/sys/fs/cgroup/cpuacct/docker/{id}/cpuacct.usage");
    if let Ok(text) = std::fs::read_to_string(&v1) {
        return text.trim().parse().context("cpuacct.usage is not a number");
    }
    for v2 in [
        format!("/sys/fs/cgroup/system.slice/docker-{id}.scope/cpu.stat"),
        format!("/sys/fs/cgroup/docker/{id}/cpu.stat"),
    ] {
        if let Ok(text) = std::fs::read_to_string(&v2) {
            let usec: u64 = text
                .lines()
                .find_map(|line| line.strip_prefix("usage_usec "))
                .context("cpu.stat has no usage_usec")?
                .trim()
                .parse()?;
            return Ok(usec * 1000);
        }
    }
    anyhow::bail!("no cgroup CPU count for container {id} (cgroup v1 cpuacct or v2 cpu.stat)")
}

/// A wrk load on `path` of the running container `container_id`, with the CPU time the
/// container spent on it per request: its cgroup's count before and after, over wrk's count of
/// requests.
pub fn load_with_cpu(
    container_id: &str,
    port: u16,
    path: &str,
    seconds: u32,
    connections: u32,
    placement: &Placement,
) -> Result<(Load, f64)> {
    let before = container_cpu_ns(container_id)?;
    let load = parse_wrk(&run_wrk(port, path, None, seconds, connections, placement)?)?;
    let used = container_cpu_ns(container_id)? - before;
    let per_request_us = used as f64 / 1000.0 / load.requests.max(1.0);
    Ok((load, per_request_us))
}

/// Seconds of load before each measured load in [`alternate`]: the service was idle while the
/// others were loaded.
const ALTERNATE_WARM_UP_SECONDS: u32 = 1;

/// Every `(name, tag)` running at once on its own loopback port, with the users stored.
pub fn start_all(services: &[(&str, &str)], placement: &Placement) -> Result<Vec<OnLoopback>> {
    let mut running = Vec::new();
    for (name, tag) in services {
        let service = start_on_loopback(tag, &[], placement)
            .with_context(|| format!("while starting {name}"))?;
        crate::store::seed_users(service.port, SEEDED_USERS)?;
        running.push(service);
    }
    Ok(running)
}

/// How the loads of a phase are made: rounds, seconds of load, wrk's connections, placement.
#[derive(Clone, Copy)]
pub struct Plan<'a> {
    pub rounds: usize,
    pub seconds: u32,
    pub connections: u32,
    pub placement: &'a Placement,
}

impl<'a> Plan<'a> {
    pub fn from_args(args: &super::Args, placement: &'a Placement) -> Self {
        Self {
            rounds: args.runs,
            seconds: args.seconds,
            connections: args.connections,
            placement,
        }
    }
}

/// Saturated throughput and CPU per request on `GET /users/42`, measured in quick
/// alternation. The host this runs on has slow seconds and minutes: the same container's CPU
/// per request moves by 2x within minutes (RESULTS.md, 2026-12-07), so services measured
/// minutes apart do not compare. Here every service runs at once (see [`start_all`]), idle but
/// for its turn; in each round each takes its turn (a 1 s warm-up, then `seconds` of load), so
/// two services of a round are seconds apart, and each round starts one service later than the
/// round before, so none is always first. Pushes `users_rps` and `users_cpu_us` per turn.
pub fn alternate(
    services: &[(&str, &OnLoopback)],
    plan: &Plan,
    samples: &mut BTreeMap<String, Samples>,
) -> Result<()> {
    let rounds = plan.rounds;
    for round in 0..rounds {
        for turn in 0..services.len() {
            let (name, service) = services[(turn + round) % services.len()];
            wrk(
                service.port,
                "/users/42",
                ALTERNATE_WARM_UP_SECONDS,
                plan.connections,
                plan.placement,
            )?;
            settle_connections();
            let (load, cpu_us) = load_with_cpu(
                &service.container.id,
                service.port,
                "/users/42",
                plan.seconds,
                plan.connections,
                plan.placement,
            )?;
            eprintln!(
                "   round {} of {rounds}: {name}: {:.0} req/s, {cpu_us:.2} µs of CPU a request",
                round + 1,
                load.rps
            );
            let into = samples.entry(name.to_owned()).or_default();
            into.push("users_rps", load.rps);
            into.push("users_cpu_us", cpu_us);
        }
    }
    Ok(())
}

/// For each variant, `rounds` duets (see [`duet`]) against each of `against` (the ceiling,
/// the baseline, itself at a `--before` commit): pushes `cpu_ratio_<against>`, the other's CPU
/// per request over the variant's in the same seconds. At the same CPU quota that is the ratio
/// of their throughputs at saturation, measured with the host's noise common to both.
pub fn duets(
    variants: &[(&str, &OnLoopback)],
    against: &[(&str, &OnLoopback)],
    plan: &Plan,
    samples: &mut BTreeMap<String, Samples>,
) -> Result<()> {
    let rounds = plan.rounds;
    for round in 0..rounds {
        for (name, service) in variants {
            for (other_name, other) in against {
                duet(service, other, 1, plan.connections, plan.placement)?; // warm-up
                settle_connections();
                let [(_, ours), (_, theirs)] = duet(
                    service,
                    other,
                    plan.seconds,
                    plan.connections,
                    plan.placement,
                )?;
                eprintln!(
                    "   duet {} of {rounds}: {name} {ours:.2} µs, {other_name} {theirs:.2} µs a request",
                    round + 1
                );
                samples
                    .entry((*name).to_owned())
                    .or_default()
                    .push(&duet_key(other_name), theirs / ours);
            }
        }
    }
    Ok(())
}

/// The sample key of a variant's duets against `other`.
fn duet_key(other: &str) -> String {
    format!("cpu_ratio_{other}")
}

/// Two running services loaded at the same moment, each by its own wrk for `seconds`, each
/// charged its own cgroup's CPU time: whatever the host does during those seconds, it does to
/// both ("duet benchmarking", Bulej et al., 2020). Both are pinned to the same CPUs, where their
/// two 0.5 CPU quotas fit. Returns each one's load and CPU µs per request.
pub fn duet(
    a: &OnLoopback,
    b: &OnLoopback,
    seconds: u32,
    connections: u32,
    placement: &Placement,
) -> Result<[(Load, f64); 2]> {
    thread::scope(|scope| {
        let [a, b] = [a, b].map(|service| {
            scope.spawn(|| {
                let (id, port) = (&service.container.id, service.port);
                load_with_cpu(id, port, "/users/42", seconds, connections, placement)
            })
        });
        Ok([
            a.join().expect("a load thread")?,
            b.join().expect("a load thread")?,
        ])
    })
}

/// One round for one service: starts, loads, stops idle and under load.
pub fn round(
    service: &Service,
    args: &super::Args,
    fixed_rate: &mut Option<f64>,
    samples: &mut Samples,
) -> Result<()> {
    let tag = tag(service);
    let placement = Placement::from_args(args);
    // The loads come first in a round, on a service started alone: Docker's own work for the
    // start samples and the stops (network set-up, cgroup removal) is done by the next round.
    let OnLoopback {
        container, port, ..
    } = start_on_loopback(&tag, &[], &placement)?;
    crate::store::seed_users(port, SEEDED_USERS)?;
    thread::sleep(Duration::from_secs(2));
    let (idle_rss, _) = container.resident_memory()?;
    samples.push("idle_rss_mb", idle_rss as f64 / 1e6);
    warm_up(port, "/users/42", args.connections, &placement)?;
    // Throughput and CPU per request come from [`alternate`]; this load gives the latencies
    // at saturation and the peak RSS.
    let users = wrk(
        port,
        "/users/42",
        args.seconds,
        args.connections,
        &placement,
    )?;
    let (_, peak_rss) = container.resident_memory()?;
    samples.push("peak_rss_mb", peak_rss as f64 / 1e6);
    samples.push("users_p50_ms", users.p50_ms);
    samples.push("users_p99_ms", users.p99_ms);
    settle_connections();
    let health = wrk(port, "/health", args.seconds, args.connections, &placement)?;
    samples.push("health_rps", health.rps);
    samples.push("health_p99_ms", health.p99_ms);
    // Half the first measured service's throughput (the baseline's), the same for every service.
    let rate = *fixed_rate.get_or_insert((users.rps / 2.0).max(1.0));
    samples.push("fixed_rate_rps", rate);
    samples.push(
        "fixed_rate_p99_ms",
        oha_fixed_rate(port, "/users/42", rate, args.seconds, &placement)?,
    );
    thread::sleep(Duration::from_secs(1));
    let stopped = Instant::now();
    docker::docker_ok(&["stop", &container.id])?;
    samples.push("stop_idle_ms", stopped.elapsed().as_secs_f64() * 1000.0);
    drop(container);

    if args.proxy {
        let container = Container::start(&tag, PORT, Duration::from_secs(30))?;
        let port = container.host_port(PORT)?;
        wait_for_200(&container, port, "/health")?;
        crate::store::seed_users(port, SEEDED_USERS)?;
        warm_up(port, "/users/42", args.connections, &placement)?;
        settle_connections();
        let users = wrk(
            port,
            "/users/42",
            args.seconds,
            args.connections,
            &placement,
        )?;
        samples.push("proxy_users_rps", users.rps);
        samples.push("proxy_users_p99_ms", users.p99_ms);
        samples.push(
            "proxy_fixed_rate_p99_ms",
            oha_fixed_rate(port, "/users/42", rate, args.seconds, &placement)?,
        );
    }

    // A start is mostly Docker's own work and varies by tens of ms from one to the next, so it
    // takes more samples than the loads do; they are cheap.
    for _ in 0..START_SAMPLES_PER_RUN {
        let started = Instant::now();
        let running = start_on_loopback(&tag, &[], &placement)?;
        samples.push("start_to_200_ms", started.elapsed().as_secs_f64() * 1000.0);
        drop(running);
    }

    let OnLoopback {
        container, port, ..
    } = start_on_loopback(&tag, &[], &placement)?;
    crate::store::seed_users(port, SEEDED_USERS)?;
    let stop_load = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..16)
        .map(|_| client(port, Arc::clone(&stop_load)))
        .collect();
    thread::sleep(Duration::from_secs(2));
    let stop_issued = Instant::now();
    docker::docker_ok(&["stop", &container.id])?;
    samples.push(
        "stop_under_load_ms",
        stop_issued.elapsed().as_secs_f64() * 1000.0,
    );
    stop_load.store(true, Ordering::Relaxed);
    let requests: Vec<(Instant, bool)> = clients
        .into_iter()
        .flat_map(|c| c.join().expect("a client thread"))
        .collect();
    // Sent before the stop began and not answered 200: what a rolling deploy would lose.
    let failed = requests
        .iter()
        .filter(|(sent, ok)| *sent < stop_issued && !ok)
        .count();
    samples.push("failed_in_flight", failed as f64);
    Ok(())
}

/// One client: GET /users/42 in a loop, a connection per request, until told to stop; every
/// request's send time and whether it was answered 200.
fn client(port: u16, stop: Arc<AtomicBool>) -> thread::JoinHandle<Vec<(Instant, bool)>> {
    thread::spawn(move || {
        let mut requests = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let sent = Instant::now();
            let ok = matches!(docker::http_get(port, "/users/42"), Ok((200, _)));
            requests.push((sent, ok));
        }
        requests
    })
}

pub struct Load {
    pub rps: f64,
    /// Requests wrk completed.
    pub requests: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// `GET path` under wrk (see [`run_wrk`]): requests per second and latency.
pub fn wrk(
    port: u16,
    path: &str,
    seconds: u32,
    connections: u32,
    placement: &Placement,
) -> Result<Load> {
    parse_wrk(&run_wrk(port, path, None, seconds, connections, placement)?)
}

/// The load before a measured one (see [`WARM_UP_SECONDS`]), then a pause for its connections
/// to close.
pub fn warm_up(port: u16, path: &str, connections: u32, placement: &Placement) -> Result<()> {
    wrk(port, path, WARM_UP_SECONDS, connections, placement)?;
    settle_connections();
    Ok(())
}

/// wrk's report of a load on `http://127.0.0.1:{port}{path}`: bounded in time and connections,
/// and it stops by itself. A `script` (wrk's Lua `request` function) makes the requests;
/// without one every request is `GET path`.
pub fn run_wrk(
    port: u16,
    path: &str,
    script: Option<&Path>,
    seconds: u32,
    connections: u32,
    placement: &Placement,
) -> Result<String> {
    let mut command = placement.load_command("wrk");
    command.args([
        "--threads",
        &placement.wrk_threads.to_string(),
        "--connections",
        &connections.to_string(),
        "--duration",
        &format!("{seconds}s"),
        "--timeout",
        "5s",
        "--latency",
    ]);
    if let Some(script) = script {
        command.arg("--script").arg(script);
    }
    let output = command
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .stdin(Stdio::null())
        .output()
        .context("while running wrk")?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub fn parse_wrk(text: &str) -> Result<Load> {
    let number_after = |label: &str| -> Option<f64> {
        text.lines()
            .find_map(|line| line.trim_start().strip_prefix(label))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.trim_end_matches(',').parse().ok())
    };
    let latency = |label: &str| -> Option<f64> {
        let value = text
            .lines()
            .find_map(|line| line.trim_start().strip_prefix(label))?
            .trim();
        let (number, unit) = value.split_at(value.find(|c: char| c.is_alphabetic())?);
        let number: f64 = number.parse().ok()?;
        Some(match unit {
            "us" => number / 1000.0,
            "ms" => number,
            "s" => number * 1000.0,
            "m" => number * 60_000.0,
            _ => return None,
        })
    };
    let requests = text
        .lines()
        .find(|line| line.contains(" requests in "))
        .and_then(|line| line.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("wrk printed no request count:\n{text}"))?;
    Ok(Load {
        rps: number_after("Requests/sec:")
            .with_context(|| format!("wrk printed no Requests/sec:\n{text}"))?,
        requests,
        p50_ms: latency("50%").unwrap_or(f64::NAN),
        p99_ms: latency("99%").unwrap_or(f64::NAN),
    })
}

/// p99 latency at a fixed request rate, from oha's JSON summary.
fn oha_fixed_rate(
    port: u16,
    path: &str,
    rate: f64,
    seconds: u32,
    placement: &Placement,
) -> Result<f64> {
    let url = format!("http://127.0.0.1:{port}{path}");
    let output = placement
        .load_command("oha")
        .args([
            "--no-tui",
            "--output-format",
            "json",
            "-z",
            &format!("{seconds}s"),
            "-q",
            &format!("{rate:.0}"),
            "-c",
            "16",
            &url,
        ])
        .stdin(Stdio::null())
        .output()
        .context("while running oha")?;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "oha printed no JSON: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    report["latencyPercentiles"]["p99"]
        .as_f64()
        .map(|seconds| seconds * 1000.0)
        .context("oha's JSON has no p99")
}

/// (key, label, higher is better)
pub type Metric = (&'static str, &'static str, bool);

pub const METRICS: &[Metric] = &[
    ("image_mb", "image size (MB)", false),
    ("cold_build_s", "cold build (s, cache pruned)", false),
    ("rebuild_s", "rebuild after a one-line change (s)", false),
    (
        "cache_rebuild_s",
        "rebuild after a one-line change from a saved inline cache, build cache pruned (s)",
        false,
    ),
    (
        "cache_rebuild_cook_cached",
        "... its dependency layer CACHED (1 = yes)",
        false,
    ),
    ("start_to_200_ms", "docker run to first 200 (ms)", false),
    ("users_rps", "/users/{id} requests/s", true),
    (
        "users_cpu_us",
        "/users/{id} CPU per request (µs, the container's cgroup)",
        false,
    ),
    ("users_p50_ms", "/users/{id} p50 at saturation (ms)", false),
    ("users_p99_ms", "/users/{id} p99 at saturation (ms)", false),
    ("health_rps", "/health requests/s", true),
    ("health_p99_ms", "/health p99 at saturation (ms)", false),
    (
        "fixed_rate_rps",
        "fixed rate (req/s, half the baseline's)",
        true,
    ),
    (
        "fixed_rate_p99_ms",
        "/users/{id} p99 at the fixed rate (ms)",
        false,
    ),
    ("idle_rss_mb", "idle RSS (MB, VmRSS)", false),
    ("peak_rss_mb", "peak RSS under load (MB, VmHWM)", false),
    ("stop_idle_ms", "docker stop, idle (ms)", false),
    ("stop_under_load_ms", "docker stop, under load (ms)", false),
    (
        "failed_in_flight",
        "requests failed in flight during stop",
        false,
    ),
];

pub const PROXY_METRICS: &[Metric] = &[
    (
        "proxy_users_rps",
        "/users/{id} requests/s via the proxy",
        true,
    ),
    (
        "proxy_users_p99_ms",
        "/users/{id} p99 at saturation via the proxy (ms)",
        false,
    ),
    (
        "proxy_fixed_rate_p99_ms",
        "/users/{id} p99 at the fixed rate via the proxy (ms)",
        false,
    ),
];

pub fn markdown(
    order: &[String],
    results: &BTreeMap<String, Samples>,
    metrics: &[Metric],
) -> String {
    let mut out = format!(
        "| metric | {} |\n|---|{}\n",
        order.join(" | "),
        "---|".repeat(order.len())
    );
    let baseline = results.get("baseline");
    for (key, label, higher_is_better) in metrics {
        if order
            .iter()
            .all(|name| results[name].values(key).is_empty())
        {
            continue; // not measured in this run (`--no-cold`, `--throughput-only`)
        }
        out.push_str(&format!("| {label} |"));
        for name in order {
            let samples = &results[name];
            let cell = match (samples.median(key), samples.range(key)) {
                (Some(median), Some((min, max))) => {
                    let spread = if samples.values(key).len() > 1 {
                        let percent = samples.spread(key).unwrap_or(0.0) * 100.0;
                        format!(" ({}–{}; {percent:.1}%)", fmt(min), fmt(max))
                    } else {
                        String::new()
                    };
                    let ratio = match baseline.and_then(|b| b.median(key)) {
                        Some(base) if name != "baseline" && base > 0.0 => {
                            let ratio = median / base;
                            let better = if *higher_is_better {
                                ratio >= 1.0
                            } else {
                                ratio <= 1.0
                            };
                            format!(" **×{ratio:.2}**{}", if better { "" } else { " ⚠" })
                        }
                        _ => String::new(),
                    };
                    format!("{}{spread}{ratio}", fmt(median))
                }
                _ => "–".to_owned(),
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out.push_str(
        "\nmedian (min–max; spread = (max − min) / median) over the runs; ×ratio against the baseline, ⚠ where it is worse.\n",
    );
    out
}

/// The ratios the issues set targets on: each variant's `/users/{id}` throughput over the
/// ceiling's and the baseline's, as the ratio of the medians and as the median (min–max) of the
/// ratios within each round (the two services of a ratio measured minutes apart at most).
pub fn ratios(order: &[String], results: &BTreeMap<String, Samples>) -> Option<String> {
    let against: Vec<&str> = ["ceiling", "baseline"]
        .into_iter()
        .filter(|name| results.contains_key(*name))
        .collect();
    let variants: Vec<&String> = order
        .iter()
        .filter(|name| !["ceiling", "baseline"].contains(&name.as_str()))
        .collect();
    if against.is_empty() || variants.is_empty() {
        return None;
    }
    let mut out = String::from("| variant |");
    for name in &against {
        out.push_str(&format!(
            " / {name}: ratio of medians | / {name}: per round | / {name}: at equal CPU, in duets |"
        ));
    }
    out.push_str(&format!(
        "\n|---|{}\n",
        "---|---|---|".repeat(against.len())
    ));
    for variant in variants {
        out.push_str(&format!("| {variant} |"));
        for name in &against {
            let (ours, theirs) = (&results[variant.as_str()], &results[*name]);
            let of_medians = match (ours.median("users_rps"), theirs.median("users_rps")) {
                (Some(a), Some(b)) if b > 0.0 => format!("{:.3}", a / b),
                _ => "–".to_owned(),
            };
            let mut per_round = Samples::default();
            for (a, b) in ours
                .values("users_rps")
                .iter()
                .zip(theirs.values("users_rps"))
            {
                per_round.push("ratio", a / b);
            }
            let ratio_cell =
                |samples: &Samples, key: &str| match (samples.median(key), samples.range(key)) {
                    (Some(median), Some((min, max))) => format!("{median:.3} ({min:.3}–{max:.3})"),
                    _ => "–".to_owned(),
                };
            let per_round = ratio_cell(&per_round, "ratio");
            let in_duets = ratio_cell(ours, &duet_key(name));
            out.push_str(&format!(" {of_medians} | {per_round} | {in_duets} |"));
        }
        out.push('\n');
    }
    Some(out)
}

/// The throughput and CPU rows whose spread is wider than the difference the run is asked to
/// resolve (`--resolve`, percent): their medians cannot show a difference that small.
pub fn spread_warnings(
    order: &[String],
    results: &BTreeMap<String, Samples>,
    resolve_percent: f64,
) -> Vec<String> {
    let mut warnings = Vec::new();
    for name in order {
        for (key, label, _) in METRICS {
            if !["users_rps", "users_cpu_us", "health_rps"].contains(key) {
                continue;
            }
            if let Some(spread) = results[name].spread(key)
                && spread * 100.0 > resolve_percent
            {
                warnings.push(format!(
                    "⚠ {name}: {label} spread {:.1}% over {} runs, wider than the {resolve_percent}% this run is asked to resolve",
                    spread * 100.0,
                    results[name].values(key).len()
                ));
            }
        }
    }
    warnings
}

/// For every `<variant>@<ref>`: the current variant against it, metric by metric (after /
/// before), each difference beside the wider spread of its two sides; ⚠ marks a difference
/// that spread can hide.
pub fn before_after(order: &[String], results: &BTreeMap<String, Samples>) -> Option<String> {
    let pairs: Vec<(&String, &String)> = order
        .iter()
        .filter_map(|before| {
            let (current, _) = before.split_once('@')?;
            order
                .iter()
                .find(|name| *name == current)
                .map(|after| (before, after))
        })
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let mut out = String::from(
        "| metric | before | after | after / before | wider spread of the two |\n|---|---|---|---|---|\n",
    );
    for (before, after) in pairs {
        for (key, label, _) in METRICS.iter().chain(PROXY_METRICS) {
            if let (Some(b), Some(a)) = (results[before].median(key), results[after].median(key)) {
                let spread = results[before]
                    .spread(key)
                    .into_iter()
                    .chain(results[after].spread(key))
                    .fold(None, |wider: Option<f64>, s| {
                        Some(wider.map_or(s, |w| w.max(s)))
                    });
                let (ratio, hidden) = if b > 0.0 {
                    let difference = (a / b - 1.0) * 100.0;
                    let hidden = spread.is_some_and(|s| s * 100.0 >= difference.abs());
                    (format!("{difference:+.1}%"), hidden)
                } else {
                    ("–".to_owned(), false)
                };
                let spread = spread.map_or("–".to_owned(), |s| {
                    format!("{:.1}%{}", s * 100.0, if hidden { " ⚠" } else { "" })
                });
                out.push_str(&format!(
                    "| {before} → {after}: {label} | {} | {} | {ratio} | {spread} |\n",
                    fmt(b),
                    fmt(a)
                ));
            }
        }
    }
    for (before, after) in order.iter().filter_map(|before| {
        let (current, _) = before.split_once('@')?;
        Some((before, current))
    }) {
        if let (Some(median), Some((min, max))) = (
            results[after].median(&duet_key(before)),
            results[after].range(&duet_key(before)),
        ) {
            let percent = |ratio: f64| (ratio - 1.0) * 100.0;
            let hidden = min <= 1.0 && max >= 1.0;
            out.push_str(&format!(
                "| {before} → {after}: throughput at equal CPU, in duets (before's CPU per request / after's) | | | {:+.1}% | per round {:+.1}% to {:+.1}%{} |\n",
                percent(median),
                percent(min),
                percent(max),
                if hidden { " ⚠" } else { "" }
            ));
        }
    }
    out.push_str(
        "\n⚠: the difference is within the spread of the runs: this run shows no difference, and bounds it by that spread.\n",
    );
    Some(out)
}

fn fmt(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

pub fn now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

pub fn machine() -> String {
    let cpus = thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|line| {
                line.strip_prefix("model name")
                    .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_default();
    format!("{cpus} cores, {model}")
}

/// Lets the service close the connections of the run before. Under its CPU quota it may still
/// count some of them when the next run opens as many again, and answer one past
/// `MAX_CONNECTIONS` with a 503 (seen once in 60,000 requests): a pause, not a retry.
pub fn settle_connections() {
    std::thread::sleep(std::time::Duration::from_millis(500));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read_in_milliseconds() {
        let text = "Running 10s test @ http://127.0.0.1:1/users/42\n  Latency Distribution\n     50%  812.00us\n     75%    1.20ms\n     90%    2.00ms\n     99%    1.50s\n  80000 requests in 10.00s, 12.00MB read\n  Socket errors: connect 3, read 2, write 1, timeout 4\n  Non-2xx or 3xx responses: 5\nRequests/sec:   8000.50\nTransfer/sec:      1.20MB\n";

        let load = parse_wrk(text).unwrap();

        assert_eq!(load.rps, 8000.5);
        assert_eq!(load.requests, 80000.0);
        assert!((load.p50_ms - 0.812).abs() < 1e-9);
        assert_eq!(load.p99_ms, 1500.0);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let mut samples = Samples::default();
        for value in [4.0, 1.0, 3.0, 2.0] {
            samples.push("x", value);
        }
        assert_eq!(samples.median("x"), Some(2.5));
        assert_eq!(samples.range("x"), Some((1.0, 4.0)));
    }
}
