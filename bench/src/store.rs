//! `--store`: what the users' store costs. The default variant with `database = postgres` and
//! with `database = none`, side by side in interleaved rounds: `GET /users/{id}` on seeded rows
//! and `POST /users` at saturation, p99 at a fixed 1,000 req/s, and `pgbench -S` (select-only,
//! the same server, as many clients as the service's pool, then as many as wrk's connections)
//! as the database's own ceiling. `--pool-sizes 2,10` adds the PostgreSQL variant with each of
//! those `DATABASE_POOL_SIZE`s to the same rounds: the pool's size as a lever, measured.
//!
//! The service runs as compose runs it (0.5 CPU, 128 MiB, read-only, no capabilities) but on the
//! host network, bound to 127.0.0.1, so no proxy sits in the path; PostgreSQL runs beside it
//! with no limit, on 127.0.0.1 too. Every load targets 127.0.0.1 for a fixed time.

use crate::measure::{Load, Placement, Samples, parse_wrk, run_wrk};
use anyhow::{Context, Result, bail};
use cargo_microservice::docker::{self, docker_ok};
use cargo_microservice::variants::Database;
use cargo_microservice::{NewArgs, Values};
use cargo_microservice_support::loopback::{OnLoopback, wait_for_200};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Rows seeded before the reads; reads pick ids at random among them.
const SEEDED: u32 = 10_000;
/// The fixed rate of the latency target.
const FIXED_RATE: u32 = 1_000;
/// The template's DATABASE_POOL_SIZE default: pgbench gets as many clients.
const POOL_SIZE: u32 = 5;
const POSTGRES_IMAGE: &str = "postgres:17-trixie";

/// `POST path` with a JSON body on 127.0.0.1; the status.
pub fn post_json(port: u16, path: &str, body: &str) -> Result<u16> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    raw.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("no HTTP answer: {raw:?}"))
}

/// Makes `/users/{id}` up to `count` answer 200: a service that keeps users (the template)
/// gets them by `POST /users`; one that invents them (the baseline, the ceiling) needs none.
pub fn seed_users(port: u16, count: u32) -> Result<()> {
    if matches!(
        docker::http_get(port, &format!("/users/{count}")),
        Ok((200, _))
    ) {
        return Ok(());
    }
    for n in 1..=count {
        let body = format!(r#"{{"name":"User {n}","email":"user{n}@example.com"}}"#);
        let status = post_json(port, "/users", &body)?;
        if status != 201 {
            bail!("seeding user {n}: POST /users answered {status}");
        }
    }
    Ok(())
}

/// A container removed when dropped.
struct Running(String);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = docker_ok(&["rm", "--force", "--volumes", &self.0]);
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// PostgreSQL on the host network, listening on 127.0.0.1 only, with no CPU or memory limit.
struct Postgres {
    container: Running,
    port: u16,
}

impl Postgres {
    fn start() -> Result<Postgres> {
        let port = free_port()?;
        let id = docker_ok(&[
            "run",
            "--detach",
            "--network",
            "host",
            "--env",
            "POSTGRES_USER=bench",
            "--env",
            "POSTGRES_PASSWORD=bench",
            "--env",
            "POSTGRES_DB=bench",
            POSTGRES_IMAGE,
            "postgres",
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            &format!("port={port}"),
        ])?;
        let postgres = Postgres {
            container: Running(id),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while postgres.sql("bench", "SELECT 1").is_err() {
            if Instant::now() > deadline {
                bail!("PostgreSQL did not start within 60 s");
            }
            thread::sleep(Duration::from_millis(250));
        }
        Ok(postgres)
    }

    fn url(&self) -> String {
        format!("postgres://bench:bench@127.0.0.1:{}/bench", self.port)
    }

    /// Runs `sql` with psql inside the container, over TCP (the real server, not first-run setup).
    fn sql(&self, database: &str, sql: &str) -> Result<String> {
        docker_ok(&[
            "exec",
            "--env",
            "PGPASSWORD=bench",
            &self.container.0,
            "psql",
            "--host=127.0.0.1",
            &format!("--port={}", self.port),
            "--username=bench",
            &format!("--dbname={database}"),
            "--no-psqlrc",
            "--quiet",
            "--tuples-only",
            "--set=ON_ERROR_STOP=1",
            "--command",
            sql,
        ])
    }

    /// `pgbench -S` for `seconds` with `clients` clients; transactions per second.
    fn pgbench_select_only(&self, clients: u32, seconds: u32) -> Result<f64> {
        let port = self.port.to_string();
        let run = |args: &[&str]| -> Result<String> {
            let out = Command::new("pgbench")
                .args([
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port,
                    "--username",
                    "bench",
                ])
                .args(args)
                .env("PGPASSWORD", "bench")
                .stdin(Stdio::null())
                .output()
                .context("while running pgbench (apt-get install postgresql-contrib)")?;
            if !out.status.success() {
                bail!("pgbench {args:?}: {}", String::from_utf8_lossy(&out.stderr));
            }
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        };
        if self
            .sql(
                "bench",
                "SELECT 1 FROM pg_database WHERE datname = 'pgbench'",
            )?
            .trim()
            .is_empty()
        {
            self.sql("bench", "CREATE DATABASE pgbench")?;
            run(&["--initialize", "--scale", "10", "--quiet", "pgbench"])?;
        }
        let report = run(&[
            "--select-only",
            "--protocol",
            "prepared",
            "--client",
            &clients.to_string(),
            "--jobs",
            if clients.is_multiple_of(2) { "2" } else { "1" },
            "--time",
            &seconds.to_string(),
            "pgbench",
        ])?;
        report
            .lines()
            .find_map(|line| line.strip_prefix("tps = "))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|tps| tps.parse().ok())
            .with_context(|| format!("pgbench printed no tps:\n{report}"))
    }
}

/// The default variant with `database` rendered and built as `tag`.
fn build(work: &Path, database: Database) -> Result<String> {
    let created = cargo_microservice::create(&NewArgs {
        name: "orders".into(),
        values: Values {
            database: Some(database),
            ..Values::default()
        },
        destination: work.join(database.to_string()),
        yes: true,
        ..NewArgs::default()
    })?;
    let tag = format!("cargo-microservice-bench/store-{database}:latest");
    let took = docker::build(&created.project_dir, &tag)?;
    eprintln!("   built {tag} in {:.0} s", took.as_secs_f64());
    Ok(tag)
}

/// The service as the runner starts every service (host network, 127.0.0.1, the compose file's
/// limits, its CPUs), once `/ready` says its store can serve (after `/health`).
fn start_service(tag: &str, env: &[String], placement: &Placement) -> Result<OnLoopback> {
    let service = crate::measure::start_on_loopback(tag, env, placement)?;
    wait_for_200(&service.container, service.port, "/ready")?;
    Ok(service)
}

const READ_SCRIPT: &str = r#"
request = function()
  return wrk.format("GET", "/users/" .. math.random(1, SEEDED))
end
"#;

/// Each wrk thread gets an id in setup, so the emails of one run never collide.
const WRITE_SCRIPT: &str = r#"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local sent = 0
local run = tostring(os.time())
request = function()
  sent = sent + 1
  local body = '{"name":"Bench","email":"w' .. run .. '-' .. id .. '-' .. sent .. '@example.com"}'
  return wrk.format("POST", "/users", { ["Content-Type"] = "application/json" }, body)
end
"#;

fn wrk(
    service: &OnLoopback,
    script: &Path,
    seconds: u32,
    connections: u32,
    placement: &Placement,
) -> Result<Load> {
    let text = run_wrk(
        service.port,
        "",
        Some(script),
        seconds,
        connections,
        placement,
    )?;
    if text.contains("Non-2xx") {
        // wrk counts them but does not say which: the service's access log does.
        let log = service.container.logs().unwrap_or_default();
        let answers: Vec<&str> = log
            .lines()
            .filter(|line| line.contains(r#""status":"#) && !line.contains(r#""status":2"#))
            .take(5)
            .collect();
        let answers = if answers.is_empty() {
            "none: not an answer of the application (a 503 past MAX_CONNECTIONS, a 408 or a 400 of actix-http's own is not logged)".to_owned()
        } else {
            answers.join("\n")
        };
        bail!("wrk saw answers other than 2xx:\n{text}\nthe service's log of them: {answers}");
    }
    parse_wrk(&text)
}

/// p99 of `GET /users/{random seeded id}` at `FIXED_RATE` req/s, from oha's JSON summary. The
/// URLs are written out in full: oha's `--rand-regex-url` mangles an escaped `\.` into random
/// hosts, which would send the load away from 127.0.0.1.
fn fixed_rate_p99(port: u16, urls: &Path, seconds: u32, placement: &Placement) -> Result<f64> {
    std::fs::write(
        urls,
        (1..=SEEDED)
            .map(|id| format!("http://127.0.0.1:{port}/users/{id}\n"))
            .collect::<String>(),
    )?;
    let output = placement
        .load_command("oha")
        .args([
            "--no-tui",
            "--output-format",
            "json",
            "-z",
            &format!("{seconds}s"),
            "-q",
            &FIXED_RATE.to_string(),
            "-c",
            "16",
            "--urls-from-file",
        ])
        .arg(urls)
        .stdin(Stdio::null())
        .output()
        .context("while running oha")?;
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "oha printed no JSON: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    let statuses = &report["statusCodeDistribution"];
    if statuses
        .as_object()
        .is_some_and(|codes| codes.keys().any(|code| code != "200"))
    {
        bail!("oha saw answers other than 200: {statuses}");
    }
    report["latencyPercentiles"]["p99"]
        .as_f64()
        .map(|seconds| seconds * 1000.0)
        .context("oha's JSON has no p99")
}

/// One configuration the rounds measure: a store's image and, for PostgreSQL, the pool's size.
struct Arm {
    name: String,
    database: Database,
    tag: String,
    env: Vec<String>,
}

/// Measures every arm (both stores, and PostgreSQL with each of `pool_sizes`), `runs`
/// interleaved rounds; prints the table and returns the samples.
pub fn run(
    work: &Path,
    runs: usize,
    seconds: u32,
    connections: u32,
    pool_sizes: &[u32],
    placement: &Placement,
) -> Result<serde_json::Value> {
    docker::docker_ok(&["image", "inspect", POSTGRES_IMAGE])
        .with_context(|| format!("{POSTGRES_IMAGE} is not here: the docker suite builds its stand-in (tests/support/standin.sh {POSTGRES_IMAGE})"))?;
    let postgres_tag = build(work, Database::Postgres)?;
    let memory_tag = build(work, Database::Memory)?;
    let postgres = Postgres::start()?;
    docker_ok(&[
        "run",
        "--rm",
        "--network",
        "host",
        "--env",
        &format!("DATABASE_URL={}", postgres.url()),
        &postgres_tag,
        "migrate",
    ])?;
    postgres.sql(
        "bench",
        &format!(
            "INSERT INTO users (name, email) SELECT 'User ' || n, 'user' || n || '@example.com' \
             FROM generate_series(1, {SEEDED}) AS n"
        ),
    )?;
    let read_script = work.join("read.lua");
    std::fs::write(
        &read_script,
        READ_SCRIPT.replace("SEEDED", &SEEDED.to_string()),
    )?;
    let write_script = work.join("write.lua");
    std::fs::write(&write_script, WRITE_SCRIPT)?;

    // The template's defaults first and last, the pool sizes asked for between them.
    let database_url = format!("DATABASE_URL={}", postgres.url());
    let mut arms = vec![Arm {
        name: "postgres".to_owned(),
        database: Database::Postgres,
        tag: postgres_tag.clone(),
        env: vec![database_url.clone()],
    }];
    arms.extend(pool_sizes.iter().map(|size| Arm {
        name: format!("postgres, pool {size}"),
        database: Database::Postgres,
        tag: postgres_tag.clone(),
        env: vec![database_url.clone(), format!("DATABASE_POOL_SIZE={size}")],
    }));
    arms.push(Arm {
        name: "none".to_owned(),
        database: Database::Memory,
        tag: memory_tag,
        // Room for the seeded users and every write of the rounds.
        env: vec!["MAX_USERS=1000000".to_owned()],
    });
    let mut samples: Vec<Samples> = arms.iter().map(|_| Samples::default()).collect();
    let mut pgbench = Samples::default();
    for round in 0..runs {
        for (arm, into) in arms.iter().zip(&mut samples) {
            eprintln!("== store round {}: {}", round + 1, arm.name);
            let service = start_service(&arm.tag, &arm.env, placement)?;
            let port = service.port;
            if arm.database == Database::Memory {
                seed_users(port, SEEDED)?;
            }
            wrk(&service, &read_script, 2, connections, placement)?; // warm-up
            crate::measure::settle_connections();
            let reads = wrk(&service, &read_script, seconds, connections, placement)?;
            into.push("read_rps", reads.rps);
            into.push("read_p50_ms", reads.p50_ms);
            into.push("read_p99_ms", reads.p99_ms);
            into.push(
                "fixed_rate_p99_ms",
                fixed_rate_p99(port, &work.join("urls.txt"), seconds, placement)?,
            );
            let writes = wrk(&service, &write_script, seconds, connections, placement)?;
            into.push("write_rps", writes.rps);
            into.push("write_p99_ms", writes.p99_ms);
            drop(service);
        }
        pgbench.push(
            "pgbench_tps",
            postgres.pgbench_select_only(POOL_SIZE, seconds)?,
        );
        pgbench.push(
            "pgbench_tps_http_clients",
            postgres.pgbench_select_only(connections, seconds)?,
        );
    }

    let names: Vec<&str> = arms.iter().map(|arm| arm.name.as_str()).collect();
    let table = table(&names, &samples, &pgbench, connections);
    println!("{table}");
    Ok(serde_json::json!({
        "runs": runs,
        "seconds": seconds,
        "connections": connections,
        "seeded_rows": SEEDED,
        "fixed_rate": FIXED_RATE,
        "pgbench_clients": POOL_SIZE,
        "postgres": samples[0],
        "none": samples[samples.len() - 1],
        "pool_sizes": pool_sizes,
        "arms": arms
            .iter()
            .zip(&samples)
            .map(|(arm, samples)| (arm.name.clone(), serde_json::to_value(samples)))
            .map(|(name, value)| value.map(|value| (name, value)))
            .collect::<Result<serde_json::Map<_, _>, _>>()?,
        "pgbench": pgbench,
        "table": table,
    }))
}

/// The markdown table of a run: a column for each arm (`names`, PostgreSQL's first, `none`
/// last, `samples` in the same order), the ratio of the first to `none`, each PostgreSQL arm's
/// reads against `none` round by round when there are several, pgbench's rows, and the targets
/// (the first arm: the template's defaults).
fn table(names: &[&str], samples: &[Samples], pgbench: &Samples, connections: u32) -> String {
    let median = |samples: &Samples, key: &str| samples.median(key).unwrap_or(f64::NAN);
    let cell = |samples: &Samples, key: &str| {
        let (low, high) = samples.range(key).unwrap_or((f64::NAN, f64::NAN));
        format!("{:.2} ({low:.2}–{high:.2})", median(samples, key)).replace(".00", "")
    };
    let none = names.len() - 1;
    let mut table = format!(
        "| metric | {} | postgres / none |\n|---|{}---|\n",
        names.join(" | "),
        "---|".repeat(names.len())
    );
    for (key, label) in [
        ("read_rps", "GET /users/{id} requests/s (seeded rows)"),
        ("read_p50_ms", "GET /users/{id} p50 at saturation (ms)"),
        ("read_p99_ms", "GET /users/{id} p99 at saturation (ms)"),
        (
            "fixed_rate_p99_ms",
            "GET /users/{id} p99 at 1,000 req/s (ms)",
        ),
        ("write_rps", "POST /users requests/s"),
        ("write_p99_ms", "POST /users p99 at saturation (ms)"),
    ] {
        let cells: Vec<String> = samples.iter().map(|arm| cell(arm, key)).collect();
        table.push_str(&format!(
            "| {label} | {} | {:.2} |\n",
            cells.join(" | "),
            median(&samples[0], key) / median(&samples[none], key)
        ));
    }
    if names.len() > 2 {
        // Each PostgreSQL arm's reads against none's, median of the rounds' own ratios.
        let shares: Vec<String> = samples[..none]
            .iter()
            .map(|arm| {
                let mut ratios = Samples::default();
                for (postgres, none) in arm
                    .values("read_rps")
                    .iter()
                    .zip(samples[none].values("read_rps"))
                {
                    ratios.push("share", postgres / none);
                }
                cell(&ratios, "share")
            })
            .collect();
        table.push_str(&format!(
            "| GET /users/{{id}} against none, round by round | {} | | |\n",
            shares.join(" | ")
        ));
    }
    table.push_str(&format!(
        "| pgbench -S, {POOL_SIZE} clients (the service's pool), same server (transactions/s) | {} |{padding}\n\
         | pgbench -S, {connections} clients (wrk's connections), same server (transactions/s) | {} |{padding}\n",
        cell(pgbench, "pgbench_tps"),
        cell(pgbench, "pgbench_tps_http_clients"),
        padding = " |".repeat(names.len()),
    ));
    let share = median(&samples[0], "read_rps") / median(&samples[none], "read_rps");
    let p99 = median(&samples[0], "fixed_rate_p99_ms");
    table.push_str(&format!(
        "\nTargets: GET /users/{{id}} on PostgreSQL at >= 40% of none: {:.0}% ({}); \
         p99 <= 3 ms at 1,000 req/s: {p99:.2} ms ({})\n",
        share * 100.0,
        if share >= 0.4 { "met" } else { "MISSED" },
        if p99 <= 3.0 { "met" } else { "MISSED" },
    ));
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm(reads: &[f64]) -> Samples {
        let mut samples = Samples::default();
        for &value in reads {
            samples.push("read_rps", value);
            samples.push("fixed_rate_p99_ms", 0.5);
        }
        samples
    }

    #[test]
    fn every_arm_is_judged_against_none_the_last_column() {
        let samples = [
            arm(&[4_000.0, 4_200.0, 4_100.0]),
            arm(&[3_000.0, 3_300.0, 3_100.0]),
            arm(&[10_000.0, 10_000.0, 10_000.0]),
        ];

        let table = table(
            &["postgres", "postgres, pool 2", "none"],
            &samples,
            &Samples::default(),
            64,
        );

        let rows: Vec<&str> = table.lines().collect();
        assert_eq!(
            rows[0],
            "| metric | postgres | postgres, pool 2 | none | postgres / none |"
        );
        assert_eq!(rows[1], "|---|---|---|---|---|");
        assert!(
            rows[2].starts_with("| GET /users/{id} requests/s (seeded rows) | 4100 (4000–4200) |")
                && rows[2].ends_with("| 0.41 |"),
            "{}",
            rows[2]
        );
        assert!(
            table.contains(
                "| GET /users/{id} against none, round by round | 0.41 (0.40–0.42) | 0.31 (0.30–0.33) | | |"
            ),
            "{table}"
        );
        // Every row has as many cells as the header.
        for row in rows.iter().take_while(|row| row.starts_with('|')) {
            assert_eq!(row.matches('|').count(), 6, "{row}");
        }
        assert!(
            table.contains("on PostgreSQL at >= 40% of none: 41% (met)"),
            "{table}"
        );
    }
}
