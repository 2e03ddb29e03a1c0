//! The attack suite: hostile clients against the service running as its compose file runs it
//! (0.5 CPU, 128 MiB, read-only, no capabilities), on the host network bound to 127.0.0.1, so
//! the attacker's sockets reach the container itself and not Docker's port proxy (which would
//! hold them outside the container's limits). Every attack targets loopback only, is bounded in
//! connections and seconds, and stops by itself.
//!
//! For each scenario: the container never exits or restarts, `/health` on the admin listener
//! answers within 100 ms (p99) throughout, peak RSS stays under 100 MiB, RSS returns to within
//! 5 MB of idle afterwards (8 MiB after pipelining on every connection: see [`SCENARIOS`]), and
//! what clients make the service log (warnings and errors) stays under a fixed size.

use crate::helpers::*;
use cargo_microservice::docker::{self, Container};
use cargo_microservice_support::loopback::{self, OnLoopback};
use cargo_microservice_support::postgres;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;
const PEAK_RSS_LIMIT: u64 = 100 * MIB;
const SETTLE_MARGIN: u64 = 5_000_000;
/// After pipelining on every connection the service takes: see [`SCENARIOS`].
const POOLS_MARGIN: u64 = 8 * MIB;
const HEALTH_P99_LIMIT: Duration = Duration::from_millis(100);
/// What clients may make the service write besides the access log, per scenario.
const CLIENT_LOG_LIMIT: usize = 16 * 1024;
/// How long each attack lasts.
const ATTACK: Duration = Duration::from_secs(4);
/// The user every attacker asks for, created before each scenario.
const USER: &str = r#"{"name":"Target","email":"target@example.com"}"#;
const USER_PATH: &str = "/users/1";

/// One service to attack: a variant, and what else its container needs.
pub struct Target {
    pub variant: Variant,
    /// Extra `--env` values for the container: for a variant with a database, a fresh one on
    /// the suites' PostgreSQL (on the host's loopback, reached through the host network),
    /// migrated by the service at its first start.
    pub env: Vec<String>,
}

/// `CARGO_MICROSERVICE_ATTACK_VARIANTS` (comma-separated ids), or the default variant with its
/// database and without, and `static` without (a different libc path). `None` (skipped, outside
/// CI only) when a database variant has no PostgreSQL to use.
fn targets() -> Option<Vec<Target>> {
    let wanted = std::env::var("CARGO_MICROSERVICE_ATTACK_VARIANTS").unwrap_or_else(|_| {
        "distroless-trixie-postgres,distroless-trixie-none,static-trixie-none".to_owned()
    });
    let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
    let mut targets = Vec::new();
    for variant in Variant::matrix() {
        let id = variant.id();
        if !wanted.contains(&id.as_str()) {
            continue;
        }
        let env = match variant.database {
            Database::Postgres => {
                let server = postgres::require_server()?;
                let url =
                    postgres::fresh_database(&server, &format!("attacks_{}", id.replace('-', "_")));
                vec![
                    format!("DATABASE_URL={url}"),
                    "RUN_MIGRATIONS=true".to_owned(),
                ]
            }
            Database::Memory => Vec::new(),
        };
        targets.push(Target { variant, env });
    }
    assert!(
        !targets.is_empty(),
        "CARGO_MICROSERVICE_ATTACK_VARIANTS={wanted:?} names no variant"
    );
    Some(targets)
}

type Attack = fn(u16) -> String;

/// One attack, and how far above idle RSS may stay once it is over.
struct Scenario {
    name: &'static str,
    attack: Attack,
    settle_margin: u64,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "pipelined, replies unread",
        attack: pipelined_without_reading,
        settle_margin: SETTLE_MARGIN,
    },
    // What stays after this one is the request pools of actix-http and actix-web (128 parsed
    // heads each per worker, kept for reuse) and the heap pages they pin, scattered over the
    // heap the burst grew: about 6 MiB, the same after a second run. The service README says so.
    Scenario {
        name: "pipelined on MAX_CONNECTIONS connections",
        attack: pipelined_on_every_connection,
        settle_margin: POOLS_MARGIN,
    },
    Scenario {
        name: "body stall",
        attack: body_stall,
        settle_margin: SETTLE_MARGIN,
    },
    Scenario {
        name: "idle connections",
        attack: idle_connections,
        settle_margin: SETTLE_MARGIN,
    },
    Scenario {
        name: "slowloris",
        attack: slowloris,
        settle_margin: SETTLE_MARGIN,
    },
    Scenario {
        name: "TLS-hello flood",
        attack: tls_hello_flood,
        settle_margin: SETTLE_MARGIN,
    },
    Scenario {
        name: "connection burst",
        attack: connection_burst,
        settle_margin: SETTLE_MARGIN,
    },
];

#[test]
fn the_service_survives_hostile_clients_within_its_bounds() {
    if !require_docker() || !require_tool("cargo-generate", "--version") {
        return;
    }
    let Some(targets) = targets() else {
        return;
    };
    every_image_built();
    let _docker = docker_lock();
    let mut table = String::from(
        "\n| variant | scenario | what the attacker did | peak RSS | RSS idle -> after | /health p99 (max) | log bytes (client errors) | verdict |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let mut failures = Vec::new();
    for target in targets {
        let id = target.variant.id();
        let image = image(&target.variant);
        let tag = image.tag();
        for scenario in SCENARIOS {
            let outcome = run_scenario(tag, &target, scenario);
            let verdict = outcome.problems();
            table.push_str(&format!(
                "| {id} | {} | {} | {:.1} MiB | {:.1} -> {:.1} MiB | {:.1} ms ({:.0} ms) | {} ({}) | {} |\n",
                scenario.name,
                outcome.attacker,
                outcome.peak_rss as f64 / MIB as f64,
                outcome.idle_rss as f64 / MIB as f64,
                outcome.settled_rss as f64 / MIB as f64,
                outcome.health_p99.as_secs_f64() * 1000.0,
                outcome.health_max.as_secs_f64() * 1000.0,
                outcome.log_bytes,
                outcome.client_log_bytes,
                if verdict.is_empty() { "held".to_owned() } else { verdict.join("; ") },
            ));
            failures.extend(
                verdict
                    .into_iter()
                    .map(|problem| format!("{id}, {}: {problem}", scenario.name)),
            );
        }
    }
    note(&table);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What one scenario did to the service.
struct Outcome {
    attacker: String,
    idle_rss: u64,
    peak_rss: u64,
    settled_rss: u64,
    health_p99: Duration,
    health_max: Duration,
    health_failures: usize,
    log_bytes: usize,
    client_log_bytes: usize,
    state: String,
    settle_margin: u64,
}

impl Outcome {
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.state != "running 0 false" {
            problems.push(format!(
                "the container did not stay up (status, restarts, OOM-killed: {})",
                self.state
            ));
        }
        if self.health_failures > 0 {
            problems.push(format!("{} /health probes failed", self.health_failures));
        }
        if self.health_p99 >= HEALTH_P99_LIMIT {
            problems.push(format!("/health p99 {:?}", self.health_p99));
        }
        if self.peak_rss >= PEAK_RSS_LIMIT {
            problems.push(format!("peak RSS {} MiB", self.peak_rss / MIB));
        }
        if self.settled_rss > self.idle_rss + self.settle_margin {
            problems.push(format!(
                "RSS stayed at {:.1} MiB after the attack (idle {:.1} MiB)",
                self.settled_rss as f64 / MIB as f64,
                self.idle_rss as f64 / MIB as f64
            ));
        }
        if self.client_log_bytes > CLIENT_LOG_LIMIT {
            problems.push(format!(
                "clients made it log {} bytes of warnings and errors",
                self.client_log_bytes
            ));
        }
        problems
    }
}

fn run_scenario(tag: &str, target: &Target, scenario: &Scenario) -> Outcome {
    let env: Vec<String> = ["RUST_LOG=info".to_owned()]
        .into_iter()
        .chain(target.env.iter().cloned())
        .collect();
    let service = OnLoopback::start(tag, &env).unwrap();
    // Ready, not only alive: with a database, migrated and connected.
    loopback::wait_for_200(&service.container, service.admin_port, "/ready").unwrap();
    // Idle after a little real traffic, as a service in use would be: the user the attackers
    // ask for exists (a store that keeps it across scenarios answers 409 to the later POSTs).
    let created = request(
        service.port,
        "POST",
        "/users",
        USER.as_bytes(),
        Duration::from_secs(5),
    );
    assert!(
        matches!(
            created,
            Ok(Reply {
                status: 201 | 409,
                ..
            })
        ),
        "POST /users: {created:?}: {}",
        service.container.logs_tail(20)
    );
    for _ in 0..50 {
        let _ = docker::http_get(service.port, USER_PATH);
    }
    thread::sleep(Duration::from_millis(500));
    let (idle_rss, _) = service.container.resident_memory().unwrap();
    let log_before = service.container.logs().unwrap();

    let prober = Prober::start(service.admin_port);
    let attacker = (scenario.attack)(service.port);
    let (health_p99, health_max, health_failures) = prober.stop();

    let (_, peak_rss) = service
        .container
        .resident_memory()
        .unwrap_or((u64::MAX, u64::MAX));
    let settled_rss = settle(&service.container, idle_rss, scenario.settle_margin);
    let log_after = service.container.logs().unwrap();
    let added = log_after.get(log_before.len()..).unwrap_or(&log_after);
    let client_log_bytes = added
        .lines()
        // The image logs JSON (LOG_FORMAT=json).
        .filter(|line| line.contains(r#""level":"WARN""#) || line.contains(r#""level":"ERROR""#))
        .map(|line| line.len() + 1)
        .sum();
    let state = docker::docker_ok(&[
        "inspect",
        "--format",
        "{{.State.Status}} {{.RestartCount}} {{.State.OOMKilled}}",
        &service.container.id,
    ])
    .unwrap_or_else(|error| format!("{error:#}"));
    Outcome {
        attacker,
        idle_rss,
        peak_rss,
        settled_rss,
        health_p99,
        health_max,
        health_failures,
        log_bytes: added.len(),
        client_log_bytes,
        state,
        settle_margin: scenario.settle_margin,
    }
}

/// Waits up to 10 s for RSS to come back within the margin of idle; returns the last reading.
fn settle(container: &Container, idle: u64, margin: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (now, _) = container.resident_memory().unwrap_or((u64::MAX, 0));
        if now <= idle + margin || Instant::now() > deadline {
            return now;
        }
        thread::sleep(Duration::from_millis(250));
    }
}

/// Probes `/health` on the admin listener every 20 ms, a new connection each time as an
/// orchestrator does, until stopped.
struct Prober {
    stop: Arc<AtomicBool>,
    handle: thread::JoinHandle<Vec<Option<Duration>>>,
}

impl Prober {
    fn start(admin_port: u16) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let handle = thread::spawn(move || {
            let mut samples = Vec::new();
            while !stopping.load(Ordering::Relaxed) {
                let started = Instant::now();
                let ok = matches!(docker::http_get(admin_port, "/health"), Ok((200, _)));
                samples.push(ok.then(|| started.elapsed()));
                thread::sleep(Duration::from_millis(20));
            }
            samples
        });
        Self { stop, handle }
    }

    /// p99, max and the number of failed probes.
    fn stop(self) -> (Duration, Duration, usize) {
        self.stop.store(true, Ordering::Relaxed);
        let samples = self.handle.join().unwrap();
        let failures = samples.iter().filter(|sample| sample.is_none()).count();
        let mut times: Vec<Duration> = samples.into_iter().flatten().collect();
        times.sort();
        let p99 = times
            .get((times.len() * 99).div_ceil(100).saturating_sub(1))
            .copied()
            .unwrap_or(Duration::MAX);
        (
            p99,
            times.last().copied().unwrap_or(Duration::MAX),
            failures,
        )
    }
}

fn address(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// Opens up to `count` connections (fewer when the file-descriptor limit is lower), non-blocking.
fn connect_many(port: u16, count: usize) -> Vec<TcpStream> {
    let count = count.min(open_files_limit().saturating_sub(200));
    (0..count)
        .filter_map(|_| {
            let stream = TcpStream::connect_timeout(&address(port), Duration::from_secs(1)).ok()?;
            stream.set_nonblocking(true).ok()?;
            Some(stream)
        })
        .collect()
}

fn open_files_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|line| line.starts_with("Max open files"))
                .and_then(|line| line.split_whitespace().nth(3))
                .and_then(|soft| soft.parse().ok())
        })
        .unwrap_or(1024)
}

/// Writes as much of `bytes[*sent..]` as the socket takes now; false once the server closed it.
fn write_some(stream: &mut TcpStream, bytes: &[u8], sent: &mut usize) -> bool {
    while *sent < bytes.len() {
        match stream.write(&bytes[*sent..]) {
            Ok(0) => return false,
            Ok(n) => *sent += n,
            Err(error) if error.kind() == ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
    true
}

/// Whether a non-blocking stream has an HTTP status line waiting, and which.
fn status_waiting(mut stream: &TcpStream) -> Option<u16> {
    let mut head = [0; 12];
    match stream.read(&mut head) {
        Ok(n) if n >= 12 => std::str::from_utf8(&head[9..12]).ok()?.parse().ok(),
        _ => None,
    }
}

/// The issue's first OOM: 10 connections pipelining GETs as fast as they can and reading none
/// of the replies; each reconnects when the service closes it.
fn pipelined_without_reading(port: u16) -> String {
    pipelining(port, 10)
}

/// The same on as many connections as the service takes (its default MAX_CONNECTIONS): what
/// each holds ahead of the request it is handling, times the most connections it holds.
fn pipelined_on_every_connection(port: u16) -> String {
    pipelining(port, 128)
}

fn pipelining(port: u16, count: usize) -> String {
    let batch = format!("GET {USER_PATH} HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .repeat(200)
        .into_bytes();
    let deadline = Instant::now() + ATTACK;
    let mut connections: Vec<(TcpStream, usize)> = connect_many(port, count)
        .into_iter()
        .map(|stream| (stream, 0))
        .collect();
    let opened = connections.len();
    let (mut bytes, mut reconnects) = (0_usize, 0);
    while Instant::now() < deadline {
        for (stream, sent) in &mut connections {
            let before = *sent;
            let open = write_some(stream, &batch, sent);
            bytes += *sent - before;
            if *sent == batch.len() {
                *sent = 0;
            }
            if !open && let Ok(fresh) = TcpStream::connect(address(port)) {
                let _ = fresh.set_nonblocking(true);
                *stream = fresh;
                *sent = 0;
                reconnects += 1;
            }
        }
        thread::sleep(Duration::from_millis(1));
    }
    format!(
        "{opened} connections sent {} MiB of pipelined GETs, read nothing; {reconnects} reconnects after being cut off",
        bytes >> 20
    )
}

/// The issue's second OOM: 1,000 connections each sending a 64 KiB body but its last byte,
/// then stalling.
fn body_stall(port: u16) -> String {
    let body_length = 64 * 1024;
    let mut request = format!(
        "POST /users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {body_length}\r\n\r\n"
    )
    .into_bytes();
    request.extend(std::iter::repeat_n(b' ', body_length - 1));
    let deadline = Instant::now() + ATTACK;
    let mut connections: Vec<(TcpStream, usize)> = connect_many(port, 1000)
        .into_iter()
        .map(|stream| (stream, 0))
        .collect();
    let opened = connections.len();
    let mut refused = 0;
    while Instant::now() < deadline {
        for (stream, sent) in &mut connections {
            if *sent < request.len() && !write_some(stream, &request, sent) {
                *sent = usize::MAX;
            }
        }
        thread::sleep(Duration::from_millis(10));
    }
    for (stream, _) in &mut connections {
        if status_waiting(&*stream) == Some(503) {
            refused += 1;
        }
    }
    format!(
        "{opened} connections sent 64 KiB bodies less a byte and stalled; {refused} answered 503"
    )
}

/// The issue's third OOM: as many idle connections as the client can open, held.
fn idle_connections(port: u16) -> String {
    let connections = connect_many(port, 5000);
    thread::sleep(ATTACK);
    let refused = connections
        .iter()
        .filter(|stream| status_waiting(stream) == Some(503))
        .count();
    format!(
        "{} idle connections held for {} s; {refused} answered 503",
        connections.len(),
        ATTACK.as_secs()
    )
}

/// 200 connections sending a request head one header line every 500 ms.
fn slowloris(port: u16) -> String {
    let mut connections = connect_many(port, 200);
    let deadline = Instant::now() + ATTACK;
    for stream in &mut connections {
        let _ =
            stream.write_all(format!("GET {USER_PATH} HTTP/1.1\r\nHost: localhost\r\n").as_bytes());
    }
    while Instant::now() < deadline {
        for stream in &mut connections {
            let _ = stream.write(b"X-Slow: a\r\n");
        }
        thread::sleep(Duration::from_millis(500));
    }
    format!(
        "{} connections sent a header line every 500 ms for {} s",
        connections.len(),
        ATTACK.as_secs()
    )
}

/// 3,000 connections that each open with a TLS ClientHello, as a client configured for HTTPS.
fn tls_hello_flood(port: u16) -> String {
    // A TLS 1.2 record header and the start of a ClientHello: not HTTP, as the parser will say.
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03,
    ];
    hello.extend((0..189).map(|n: u8| n.wrapping_mul(37)));
    let deadline = Instant::now() + ATTACK;
    let mut sent = 0;
    while sent < 3000 && Instant::now() < deadline {
        for mut stream in connect_many(port, 100) {
            let _ = stream.write_all(&hello);
            sent += 1;
        }
    }
    format!("{sent} connections sent a TLS ClientHello")
}

/// 2,000 connections opened at once, each sending a request and holding the connection.
fn connection_burst(port: u16) -> String {
    let mut connections = connect_many(port, 2000);
    for stream in &mut connections {
        let _ = stream
            .write_all(format!("GET {USER_PATH} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes());
    }
    thread::sleep(Duration::from_secs(2));
    let answered = connections.iter().filter_map(status_waiting).fold(
        (0, 0),
        |(ok, busy), status| match status {
            503 => (ok, busy + 1),
            _ => (ok + 1, busy),
        },
    );
    format!(
        "{} connections each sent a GET at once: {} answered, {} answered 503",
        connections.len(),
        answered.0,
        answered.1
    )
}
