//! The default variant with its database, in Docker, as its compose file runs it: the three
//! faults (the database stops under load; the service and the database are killed mid-write;
//! the service starts before its database), bad database settings, and bad input. Every
//! request goes to 127.0.0.1; every load is bounded in time and count and stops by itself.

use crate::helpers::*;
use cargo_microservice::docker::docker_ok;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// The template's DATABASE_ACQUIRE_TIMEOUT_MS: the longest a request may wait.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// What a loaded 2-core machine may add to a bound before the test calls it broken.
const SLACK: Duration = Duration::from_secs(1);
/// The issue's bound on recovery once the database is back.
const RECOVERY: Duration = Duration::from_secs(5);
/// No load runs longer than this, whatever happens.
const LOAD_LIMIT: Duration = Duration::from_secs(40);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

fn call(method: &str, path: &str, body: &str) -> Result<Reply, String> {
    request(APP_PORT, method, path, body.as_bytes(), CLIENT_TIMEOUT)
}

fn inspect(container: &str, template: &str) -> String {
    docker_ok(&["inspect", "--format", template, container]).unwrap()
}

/// Asks until `done` says yes, every 50 ms, for at most `within`; how long it took.
fn wait_until(within: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < within {
        if done() {
            return Some(started.elapsed());
        }
        thread::sleep(Duration::from_millis(50));
    }
    None
}

fn answers(path: &str, status: u16) -> bool {
    call("GET", path, "").is_ok_and(|reply| reply.status == status)
}

fn is_unavailable_json(reply: &Reply) -> bool {
    reply.status == 503
        && reply
            .json()
            .is_ok_and(|body| body["error"] == "database_unavailable")
}

/// One request of a load: when it started (since the load began), how it ended, how long.
struct Sample {
    at: Duration,
    outcome: Result<Reply, String>,
    took: Duration,
}

/// GET requests from a few threads, 10 ms apart each, until stopped or `LOAD_LIMIT`.
struct Load {
    started: Instant,
    stop: Arc<AtomicBool>,
    threads: Vec<thread::JoinHandle<Vec<Sample>>>,
}

impl Load {
    fn start(path: &str, threads: usize) -> Load {
        let started = Instant::now();
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..threads)
            .map(|_| {
                let stop = Arc::clone(&stop);
                let path = path.to_owned();
                thread::spawn(move || {
                    let mut samples = Vec::new();
                    while !stop.load(Ordering::Relaxed) && started.elapsed() < LOAD_LIMIT {
                        let sent = Instant::now();
                        let outcome = call("GET", &path, "");
                        samples.push(Sample {
                            at: sent - started,
                            outcome,
                            took: sent.elapsed(),
                        });
                        thread::sleep(Duration::from_millis(10));
                    }
                    samples
                })
            })
            .collect();
        Load {
            started,
            stop,
            threads,
        }
    }

    fn finish(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        let mut samples: Vec<Sample> = self
            .threads
            .into_iter()
            .flat_map(|thread| thread.join().unwrap())
            .collect();
        samples.sort_by_key(|sample| sample.at);
        samples
    }
}

/// What the scenarios measured, for the summary.
#[derive(Default)]
struct Timings {
    lines: Vec<String>,
    failures: Vec<String>,
}

impl Timings {
    fn report(&mut self, line: String) {
        self.lines.push(line);
    }

    fn check(&mut self, ok: bool, failure: impl FnOnce() -> String) {
        if !ok {
            self.failures.push(failure());
        }
    }
}

/// (1) The database stops while a load runs, then comes back.
fn database_stops_under_load(composed: &Composed, timings: &mut Timings) {
    let seeded = call(
        "POST",
        "/users",
        r#"{"name":"Under load","email":"load@example.com"}"#,
    )
    .unwrap();
    let user = seeded.header("location").unwrap().to_owned();
    let load = Load::start(&user, 4);
    thread::sleep(Duration::from_secs(1));

    let stop_sent = Instant::now();
    composed.compose(&["stop", "postgres"]).unwrap();
    let stopped = stop_sent.elapsed();
    let ready_503 = wait_until(ACQUIRE_TIMEOUT + SLACK, || answers("/ready", 503))
        .map(|waited| stopped + waited);
    thread::sleep(Duration::from_secs(3));
    let health = call("GET", "/health", "").map(|reply| reply.status);
    let ready = call("GET", "/ready", "");
    let start_sent = Instant::now();
    composed.compose(&["start", "postgres"]).unwrap();
    let recovered = wait_until(RECOVERY * 2, || {
        answers("/ready", 200) && answers(&user, 200)
    })
    .map(|_| start_sent.elapsed());
    thread::sleep(Duration::from_millis(500));
    let load_started = load.started;
    let samples = load.finish();

    let stop_at = stop_sent - load_started;
    let first_503 = samples
        .iter()
        .find(|s| s.at >= stop_at && s.outcome.as_ref().is_ok_and(is_unavailable_json))
        .map(|s| s.at + s.took - stop_at);
    let statuses = |wanted: u16| {
        samples
            .iter()
            .filter(|s| s.outcome.as_ref().is_ok_and(|r| r.status == wanted))
            .count()
    };
    let others: Vec<String> = samples
        .iter()
        .filter_map(|s| match &s.outcome {
            Ok(reply) if reply.status == 200 || is_unavailable_json(reply) => None,
            Ok(reply) => Some(format!("{} {}", reply.status, reply.body)),
            Err(error) => Some(error.clone()),
        })
        .collect();
    let slowest = samples.iter().map(|s| s.took).max().unwrap_or_default();
    timings.report(format!(
        "database stopped under load: {} requests ({} × 200, {} × 503 JSON, {} other); \
         first 503 {} after the stop was sent (the stop took {:.2} s), /ready 503 after {}; \
         slowest request {:.2} s; /health during the outage {:?}; \
         /ready 200 and the user read back {} after the start was sent",
        samples.len(),
        statuses(200),
        statuses(503),
        others.len(),
        seconds(first_503),
        stopped.as_secs_f64(),
        seconds(ready_503),
        slowest.as_secs_f64(),
        health,
        seconds(recovered),
    ));
    timings.check(first_503.is_some(), || {
        "no user request answered 503 while the database was stopped".into()
    });
    timings.check(
        ready_503.is_some_and(|at| at <= stopped + ACQUIRE_TIMEOUT + SLACK),
        || format!("/ready did not turn 503 within the acquire timeout: {ready_503:?}"),
    );
    timings.check(ready.as_ref().is_ok_and(is_unavailable_json), || {
        format!("/ready during the outage: {ready:?}")
    });
    timings.check(health == Ok(200), || {
        format!("/health during the outage: {health:?}")
    });
    timings.check(others.is_empty(), || {
        format!(
            "requests that were neither 200 nor a JSON 503: {:?}",
            &others[..others.len().min(5)]
        )
    });
    timings.check(slowest <= ACQUIRE_TIMEOUT + SLACK, || {
        format!("a request took {slowest:?}, past the acquire timeout")
    });
    timings.check(recovered.is_some_and(|took| took <= RECOVERY), || {
        format!("not recovered within {RECOVERY:?} of the database's start: {recovered:?}")
    });
}

fn seconds(duration: Option<Duration>) -> String {
    duration.map_or("never".to_owned(), |d| format!("{:.2} s", d.as_secs_f64()))
}

/// (2) Writes are acknowledged, then the service and the database are both killed (SIGKILL)
/// and started again: every acknowledged user must be there, byte for byte.
fn killed_mid_write(composed: &Composed, timings: &mut Timings) {
    let app = composed.container("orders").unwrap();
    let database = composed.container("postgres").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let mut acknowledged = Vec::new();
                let mut attempts = 0;
                while !stop.load(Ordering::Relaxed) && started.elapsed() < LOAD_LIMIT {
                    attempts += 1;
                    let body = serde_json::json!({
                        "name": format!("Writer {writer} · n°{attempts} \"quoted\" ✓"),
                        "email": format!("writer{writer}-{attempts}@example.com"),
                    })
                    .to_string();
                    match call("POST", "/users", &body) {
                        Ok(reply) if reply.status == 201 => {
                            let location = reply.header("location").unwrap().to_owned();
                            acknowledged.push((location, reply.body));
                        }
                        // Refused or cut off: not acknowledged, so not promised.
                        _ => thread::sleep(Duration::from_millis(20)),
                    }
                }
                (acknowledged, attempts)
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(1500));
    let killer = {
        let database = database.clone();
        thread::spawn(move || docker_ok(&["kill", "--signal", "KILL", &database]))
    };
    docker_ok(&["kill", "--signal", "KILL", &app]).unwrap();
    killer.join().unwrap().unwrap();
    thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    let mut attempts = 0;
    for writer in writers {
        let (acked, tried) = writer.join().unwrap();
        acknowledged.extend(acked);
        attempts += tried;
    }

    let restart = Instant::now();
    composed
        .compose(&[
            "up",
            "--detach",
            "--wait",
            "--wait-timeout",
            "120",
            "postgres",
        ])
        .unwrap();
    // The restart policy may have brought the service back already; start is a no-op then.
    docker_ok(&["start", &app]).unwrap();
    let ready = wait_until(Duration::from_secs(60), || answers("/ready", 200));
    let lost: Vec<&(String, String)> = acknowledged
        .iter()
        .filter(|(location, body)| {
            call("GET", location, "")
                .map_or(true, |reply| reply.status != 200 || reply.body != *body)
        })
        .collect();
    timings.report(format!(
        "killed mid-write (SIGKILL to the service and to PostgreSQL): {} POSTs sent, {} acknowledged, \
         {} of them lost; ready again {} after the restart began",
        attempts,
        acknowledged.len(),
        lost.len(),
        seconds(ready.map(|_| restart.elapsed())),
    ));
    timings.check(acknowledged.len() >= 20, || {
        format!(
            "too few writes acknowledged to prove anything: {}",
            acknowledged.len()
        )
    });
    timings.check(ready.is_some(), || "not ready after the restart".into());
    timings.check(lost.is_empty(), || {
        format!(
            "{} acknowledged users lost or changed, e.g. {:?}",
            lost.len(),
            lost.first()
        )
    });
}

/// (3) The service starts while the database is down, and becomes ready when it comes up.
fn starts_before_its_database(composed: &Composed, timings: &mut Timings) {
    let app = composed.container("orders").unwrap();
    composed.compose(&["stop", "postgres"]).unwrap();
    docker_ok(&["restart", &app]).unwrap();
    let serving = wait_until(Duration::from_secs(30), || answers("/health", 200));
    let ready = call("GET", "/ready", "");
    let user = call("GET", "/users/1", "");
    let start_sent = Instant::now();
    composed.compose(&["start", "postgres"]).unwrap();
    let became_ready = wait_until(Duration::from_secs(30), || answers("/ready", 200))
        .map(|_| start_sent.elapsed());
    timings.report(format!(
        "started with the database down: /health 200 after {}, /ready {:?} and a user request {:?} \
         meanwhile; ready {} after the database's start was sent",
        seconds(serving),
        ready.as_ref().map(|r| r.status),
        user.as_ref().map(|r| r.status),
        seconds(became_ready),
    ));
    timings.check(serving.is_some(), || {
        "the service did not start without its database".into()
    });
    timings.check(ready.as_ref().is_ok_and(is_unavailable_json), || {
        format!("/ready with the database down: {ready:?}")
    });
    timings.check(user.as_ref().is_ok_and(is_unavailable_json), || {
        format!("a user request with the database down: {user:?}")
    });
    timings.check(became_ready.is_some(), || {
        "never ready after the database came up".into()
    });
}

/// A container of the service's image beside the composed services, removed when dropped.
struct Beside(String);

impl Beside {
    fn start(composed: &Composed, image: &str, database_url: &str) -> Result<Beside, String> {
        docker_ok(&[
            "run",
            "--detach",
            "--network",
            &composed.network(),
            "--publish",
            "127.0.0.1:0:8080",
            "--env",
            &format!("DATABASE_URL={database_url}"),
            image,
        ])
        .map(Beside)
        .map_err(|error| format!("{error:#}"))
    }

    fn port(&self) -> u16 {
        docker_ok(&["port", &self.0, "8080/tcp"])
            .unwrap()
            .lines()
            .find_map(|line| line.strip_prefix("127.0.0.1:")?.parse().ok())
            .unwrap()
    }

    fn logs(&self) -> String {
        let out = cargo_microservice::docker::docker(&["logs", &self.0])
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

impl Drop for Beside {
    fn drop(&mut self) {
        let _ = docker_ok(&["rm", "--force", &self.0]);
    }
}

/// A `DATABASE_URL` that does not parse stops the start; a wrong password and a database that
/// does not exist are named by `/ready`. No message carries the password.
fn bad_database_settings(composed: &Composed, timings: &mut Timings) {
    let app = composed.container("orders").unwrap();
    let image = inspect(&app, "{{.Image}}");
    let secret = "s3cret-e2e-pw";
    let password = format!("e2e{}", std::process::id());

    let unparseable = Beside::start(
        composed,
        &image,
        &format!("postgres://orders:{secret}@postgres:notaport/orders"),
    )
    .unwrap();
    let exit = docker_ok(&["wait", &unparseable.0]).unwrap();
    let log = unparseable.logs();
    timings.report(format!(
        "unparseable DATABASE_URL: exit {exit}, {:?}",
        log.lines().last().unwrap_or_default()
    ));
    timings.check(exit != "0" && log.contains("DATABASE_URL"), || {
        format!("an unparseable DATABASE_URL: exit {exit}, log {log}")
    });
    timings.check(!log.contains(secret), || {
        format!("the password was printed: {log}")
    });

    for (what, url, expected) in [
        (
            "wrong password",
            format!("postgres://orders:{secret}@postgres:5432/orders"),
            "refused the credentials",
        ),
        (
            "missing database",
            format!("postgres://orders:{password}@postgres:5432/no_such_database"),
            "\"no_such_database\" does not exist",
        ),
    ] {
        let beside = Beside::start(composed, &image, &url).unwrap();
        let port = beside.port();
        let mut ready = Err("never answered".to_owned());
        wait_until(Duration::from_secs(15), || {
            ready = request(port, "GET", "/ready", b"", CLIENT_TIMEOUT);
            ready.is_ok()
        });
        let user = request(port, "GET", "/users/1", b"", CLIENT_TIMEOUT);
        let log = beside.logs();
        let reason = ready
            .as_ref()
            .ok()
            .and_then(|reply| reply.json().ok())
            .map(|body| body["reason"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        timings.report(format!("{what}: /ready says {reason:?}"));
        timings.check(
            ready.as_ref().is_ok_and(is_unavailable_json) && reason.contains(expected),
            || format!("{what}: /ready {ready:?}"),
        );
        timings.check(user.as_ref().is_ok_and(is_unavailable_json), || {
            format!("{what}: a user request {user:?}")
        });
        let everything = format!("{log}{ready:?}{user:?}");
        timings.check(
            !everything.contains(secret) && !everything.contains(&password),
            || format!("{what}: the password was printed: {everything}"),
        );
    }
}

/// Oversized and malformed bodies, ids and pagination values: a JSON 4xx each, never a 5xx.
fn bad_input(timings: &mut Timings) {
    let oversized = format!(
        r#"{{"name":"{}","email":"big@example.com"}}"#,
        "x".repeat(70_000)
    );
    let cases: Vec<(&str, String, String)> = vec![
        ("POST", "/users".into(), oversized),
        (
            "POST",
            "/users".into(),
            r#"{"name": "Ada", "email": "#.into(),
        ),
        ("POST", "/users".into(), "[1, 2, 3]".into()),
        (
            "POST",
            "/users".into(),
            r#"{"name":"","email":"ada@example.com"}"#.into(),
        ),
        (
            "POST",
            "/users".into(),
            r#"{"name":"Ada","email":"no-at-sign"}"#.into(),
        ),
        (
            "POST",
            "/users".into(),
            r#"{"name":"Ada","email":42}"#.into(),
        ),
        ("POST", "/users".into(), "\u{0}\u{1}binary".into()),
        ("GET", "/users/abc".into(), String::new()),
        ("GET", "/users/0".into(), String::new()),
        ("GET", "/users/-7".into(), String::new()),
        (
            "GET",
            "/users/99999999999999999999999".into(),
            String::new(),
        ),
        ("GET", "/users/%00".into(), String::new()),
        ("GET", "/users?limit=0".into(), String::new()),
        ("GET", "/users?limit=101".into(), String::new()),
        ("GET", "/users?limit=-1".into(), String::new()),
        ("GET", "/users?after=abc".into(), String::new()),
        ("GET", "/users?after=-5".into(), String::new()),
        ("GET", "/users?limit=1&limit=2".into(), String::new()),
        ("DELETE", "/users/1".into(), String::new()),
    ];
    let mut refused = Vec::new();
    for (method, path, body) in &cases {
        let reply = call(method, path, body);
        let ok = reply
            .as_ref()
            .is_ok_and(|reply| (400..500).contains(&reply.status) && reply.json().is_ok());
        if !ok {
            refused.push(format!(
                "{method} {}: {:?}",
                &path[..path.len().min(60)],
                reply.map(|r| (r.status, r.body.chars().take(120).collect::<String>()))
            ));
        }
    }
    timings.report(format!(
        "bad input: {} requests, {} answered with a JSON 4xx",
        cases.len(),
        cases.len() - refused.len()
    ));
    timings.check(refused.is_empty(), || {
        format!("not a JSON 4xx: {refused:#?}")
    });
}

/// One composition for every scenario: building is minutes, a scenario seconds.
#[test]
fn the_default_variant_rides_out_database_faults_and_loses_no_acknowledged_write() {
    if !require_docker() || !require_tool("cargo-generate", "--version") {
        return;
    }
    let variant = Variant::default();
    every_image_built();
    let _docker = docker_lock();
    let image = image(&variant);
    image.tag();
    let composed = Composed::up(&image.project, "cms-e2e-faults").unwrap();
    let app = composed.container("orders").unwrap();
    let first_start = inspect(&app, "{{.State.StartedAt}} {{.RestartCount}}");
    let mut timings = Timings::default();

    database_stops_under_load(&composed, &mut timings);
    let after_outage = inspect(&app, "{{.State.StartedAt}} {{.RestartCount}}");
    timings.check(after_outage == first_start, || {
        format!("the service restarted during the outage: {first_start} -> {after_outage}")
    });
    bad_input(&mut timings);
    bad_database_settings(&composed, &mut timings);
    killed_mid_write(&composed, &mut timings);
    starts_before_its_database(&composed, &mut timings);

    note(&format!(
        "\ndatabase faults on {} (acquire timeout {} s):\n- {}",
        variant.id(),
        ACQUIRE_TIMEOUT.as_secs(),
        timings.lines.join("\n- ")
    ));
    assert!(
        timings.failures.is_empty(),
        "{}",
        timings.failures.join("\n")
    );
}
