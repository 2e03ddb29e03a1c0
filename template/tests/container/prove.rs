//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! The container proof: runs an image the way compose.yaml runs it (0.5 CPU, 128 MiB, read-only
//! root, no capabilities, no new privileges, ports on 127.0.0.1 only) and checks what a
//! deployment relies on, each check by name: `non-root`, `healthy` (the image's own
//! HEALTHCHECK), `probes`, `round trip`, `shell` and `stop` (SIGTERM, exit 0 inside the grace
//! period). With a database it first starts PostgreSQL and runs the image's `migrate`, as compose
//! does, on a network of their own.
//!
//! The cargo-microservice CLI compiles this same file into `check --build` and its docker matrix
//! runs it from every rendered project: keep it to std and serde_json, and free of the template
//! engine's syntax.

use serde_json::Value;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// `docker run` flags for compose.yaml's limits and hardening.
pub const AS_COMPOSE_RUNS_IT: [&str; 9] = [
    "--cpus",
    "0.5",
    "--memory",
    "128m",
    "--read-only",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges:true",
];

/// What the image must do.
#[derive(Debug, Clone)]
pub struct Expectations {
    pub image: String,
    /// The main port: the API.
    pub port: u16,
    /// The port `probes` answer on; the main port when `None`.
    pub admin_port: Option<u16>,
    /// Paths that must answer 200.
    pub probes: Vec<String>,
    /// Whether `POST /users` then `GET` its `Location` must give the user back.
    pub round_trip: bool,
    /// The PostgreSQL image to run beside it, migrated by the image's own `migrate` first.
    pub postgres: Option<String>,
    /// `KEY=value` settings for the service.
    pub env: Vec<String>,
    /// `Some(false)`: the image must have no shell; `Some(true)`: it must have one.
    pub shell: Option<bool>,
    /// The uid it must run as; any uid but 0 when `None`.
    pub uid: Option<u32>,
    /// How long SIGTERM may take to end it (compose's `stop_grace_period`).
    pub grace: Duration,
}

/// One named check: what was seen, or why it failed.
#[derive(Debug, Clone)]
pub struct Check {
    pub name: &'static str,
    pub outcome: Result<String, String>,
}

/// Every check, in the order they ran.
#[derive(Debug, Clone)]
pub struct Proof {
    pub image: String,
    pub checks: Vec<Check>,
}

impl Proof {
    /// `name: why` for each failed check.
    pub fn failures(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter_map(|check| {
                let why = check.outcome.as_ref().err()?;
                Some(format!("{}: {why}", check.name))
            })
            .collect()
    }

    /// One line per check: `check <name>: ok: <seen>` or `check <name>: FAILED: <why>`.
    pub fn report(&self) -> String {
        self.checks
            .iter()
            .map(|check| match &check.outcome {
                Ok(seen) => format!("check {}: ok: {seen}\n", check.name),
                Err(why) => format!("check {}: FAILED: {why}\n", check.name),
            })
            .collect()
    }
}

/// Runs the image and proves it. `Err` only when it cannot even be started (no Docker, no
/// image, a database that never came up); everything after that is a check.
pub fn prove(expect: &Expectations) -> Result<Proof, String> {
    let mut resources = Resources::default();
    let mut env = expect.env.clone();
    let mut run_args = Vec::new();
    let mut checks = Vec::new();
    if let Some(postgres) = &expect.postgres {
        let url = resources.start_postgres(postgres)?;
        run_args.extend(["--network".to_owned(), resources.network.clone().unwrap()]);
        env.push(format!("DATABASE_URL={url}"));
        checks.push(Check {
            name: "migrate",
            outcome: migrate(&expect.image, &run_args, &env),
        });
    }
    let mut ports = vec![expect.port];
    ports.extend(expect.admin_port);
    for port in &ports {
        run_args.extend(["--publish".to_owned(), format!("127.0.0.1:0:{port}")]);
    }
    // The image's own HEALTHCHECK command, probed more often than it says, to finish sooner.
    run_args.extend(["--health-interval".to_owned(), "500ms".to_owned()]);
    for pair in &env {
        run_args.extend(["--env".to_owned(), pair.clone()]);
    }
    let mut args: Vec<&str> = vec!["run", "--detach"];
    args.extend(AS_COMPOSE_RUNS_IT);
    args.extend(run_args.iter().map(String::as_str));
    args.push(&expect.image);
    let id = docker_ok(&args)?;
    resources.containers.push(id.clone());

    let healthy = wait_healthy(&id, Duration::from_secs(30));
    let host_port = |port: u16| published_port(&id, port);
    checks.push(Check {
        name: "non-root",
        outcome: uid(&id)
            .and_then(|uid| match expect.uid {
                _ if uid == 0 => Err("runs as root (uid 0)".to_owned()),
                Some(expected) if uid != expected => {
                    Err(format!("runs as uid {uid}, expected {expected}"))
                }
                _ => Ok(format!("uid {uid}")),
            })
            .and_then(|seen| configured_user(&id).map(|user| format!("{seen}, USER {user}"))),
    });
    checks.push(Check {
        name: "healthy",
        outcome: healthy,
    });
    checks.push(Check {
        name: "probes",
        outcome: host_port(expect.admin_port.unwrap_or(expect.port)).and_then(|port| {
            for path in &expect.probes {
                let answer = request(port, "GET", path, "")?;
                if answer.status != 200 {
                    return Err(format!(
                        "{path} answered {}: {}",
                        answer.status, answer.body
                    ));
                }
            }
            Ok(format!("{} answered 200", expect.probes.join(", ")))
        }),
    });
    if expect.round_trip {
        checks.push(Check {
            name: "round trip",
            outcome: host_port(expect.port).and_then(round_trip),
        });
    }
    if let Some(expected) = expect.shell {
        checks.push(Check {
            name: "shell",
            outcome: match (has_shell(&expect.image), expected) {
                (true, true) => Ok("has /bin/sh".to_owned()),
                (false, false) => Ok("no shell".to_owned()),
                (true, false) => Err("has /bin/sh, but this base is meant to have none".to_owned()),
                (false, true) => {
                    Err("has no /bin/sh, but this base is meant to have one".to_owned())
                }
            },
        });
    }
    checks.push(Check {
        name: "stop",
        outcome: stop(&id, expect.grace),
    });
    Ok(Proof {
        image: expect.image.clone(),
        checks,
    })
}

/// Containers and the network a proof made, removed when it ends, however it ends.
#[derive(Default)]
struct Resources {
    containers: Vec<String>,
    network: Option<String>,
}

impl Resources {
    /// PostgreSQL on a network of its own, as compose's `postgres` service; its URL from there.
    fn start_postgres(&mut self, image: &str) -> Result<String, String> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        let network = format!("container-proof-{}-{nanos}", std::process::id());
        docker_ok(&["network", "create", &network])?;
        self.network = Some(network.clone());
        let id = docker_ok(&[
            "run",
            "--detach",
            "--network",
            &network,
            "--network-alias",
            "postgres",
            "--env",
            "POSTGRES_USER=proof",
            "--env",
            "POSTGRES_PASSWORD=proof",
            "--env",
            "POSTGRES_DB=proof",
            image,
        ])?;
        self.containers.push(id.clone());
        let started = Instant::now();
        // Over TCP, as compose's healthcheck: the entrypoint's first-run server is socket-only.
        while docker(&[
            "exec",
            &id,
            "pg_isready",
            "--host",
            "127.0.0.1",
            "--username",
            "proof",
        ])
        .is_err()
        {
            if started.elapsed() > Duration::from_secs(60) {
                return Err(format!(
                    "{image} did not accept connections within 60 s: {}",
                    logs_tail(&id)
                ));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        Ok("postgres://proof:proof@postgres:5432/proof".to_owned())
    }
}

impl Drop for Resources {
    fn drop(&mut self) {
        for id in &self.containers {
            let _ = docker(&["rm", "--force", "--volumes", id]);
        }
        if let Some(network) = &self.network {
            let _ = docker(&["network", "rm", network]);
        }
    }
}

/// `docker <args>`: its output when it exits 0, else why not.
fn docker(args: &[&str]) -> Result<Output, String> {
    let output = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("docker cannot be run ({error}): is Docker installed?"))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "docker {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn docker_ok(args: &[&str]) -> Result<String, String> {
    docker(args).map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn inspect(id: &str) -> Result<Value, String> {
    let text = docker_ok(&["inspect", id])?;
    let all: Value = serde_json::from_str(&text).map_err(|error| error.to_string())?;
    Ok(all[0].clone())
}

fn logs_tail(id: &str) -> String {
    Command::new("docker")
        .args(["logs", "--tail", "10", id])
        .output()
        .map(|output| {
            let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&output.stderr));
            text.trim().to_owned()
        })
        .unwrap_or_default()
}

/// The image's `migrate`, once, to completion, with the service's limits.
fn migrate(image: &str, network: &[String], env: &[String]) -> Result<String, String> {
    let mut args: Vec<&str> = vec!["run", "--rm"];
    args.extend(AS_COMPOSE_RUNS_IT);
    args.extend(network.iter().map(String::as_str));
    for pair in env {
        args.extend(["--env", pair.as_str()]);
    }
    args.extend([image, "migrate"]);
    docker(&args).map(|_| "migrate exited 0".to_owned())
}

/// Waits for the HEALTHCHECK's verdict: healthy, or why not (unhealthy, no HEALTHCHECK, the
/// container gone, or the timeout).
fn wait_healthy(id: &str, timeout: Duration) -> Result<String, String> {
    let started = Instant::now();
    loop {
        let state = inspect(id)?["State"].clone();
        let health = state["Health"]["Status"].as_str().unwrap_or("none");
        match (state["Status"].as_str().unwrap_or_default(), health) {
            ("running", "healthy") => {
                return Ok(format!(
                    "healthy after {:.1} s",
                    started.elapsed().as_secs_f64()
                ));
            }
            ("running", "unhealthy") => {
                let said: Vec<&str> = state["Health"]["Log"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|probe| probe["Output"].as_str())
                    .collect();
                return Err(format!(
                    "the HEALTHCHECK reports unhealthy: {}",
                    said.join(" ").trim()
                ));
            }
            (_, "none") => return Err("the image has no HEALTHCHECK".to_owned()),
            ("running", _) => {}
            (status, _) => {
                return Err(format!(
                    "the container is {status} (exit {}): {}",
                    state["ExitCode"],
                    logs_tail(id)
                ));
            }
        }
        if started.elapsed() > timeout {
            return Err(format!("not healthy after {timeout:?} ({health})"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The effective uid of the container's first process, as `ps` sees it (Docker needs the pid
/// column to map the processes to the container).
fn uid(id: &str) -> Result<u32, String> {
    let table = docker_ok(&["top", id, "-o", "pid,euid"])?;
    table
        .lines()
        .nth(1)
        .and_then(|line| line.split_whitespace().nth(1)?.parse().ok())
        .ok_or_else(|| format!("no uid in docker top's answer: {table:?}"))
}

/// The image's USER, which must name someone other than root: where Docker remaps users
/// (rootless, userns-remap) the host sees a non-zero uid even for the container's root.
fn configured_user(id: &str) -> Result<String, String> {
    let user = inspect(id)?["Config"]["User"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let name = user.split(':').next().unwrap_or_default();
    if ["", "0", "root"].contains(&name) {
        Err(format!("the image's USER is {user:?}: root"))
    } else {
        Ok(user)
    }
}

fn published_port(id: &str, port: u16) -> Result<u16, String> {
    let mapping = docker_ok(&["port", id, &format!("{port}/tcp")])?;
    mapping
        .lines()
        .find_map(|line| line.strip_prefix("127.0.0.1:")?.parse().ok())
        .ok_or_else(|| format!("port {port} is not published on 127.0.0.1: {mapping:?}"))
}

fn has_shell(image: &str) -> bool {
    docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "/bin/sh",
        image,
        "-c",
        "exit 0",
    ])
    .is_ok()
}

/// A user created on the main port, then read back from its `Location`.
fn round_trip(port: u16) -> Result<String, String> {
    let user = r#"{"name":"Proof","email":"proof@example.com"}"#;
    let created = request(port, "POST", "/users", user)?;
    let location = created
        .header("location")
        .filter(|_| created.status == 201)
        .ok_or_else(|| format!("POST /users answered {}: {}", created.status, created.body))?;
    let read = request(port, "GET", &location, "")?;
    if read.status != 200 || read.body != created.body {
        return Err(format!(
            "GET {location} answered {}: {} (created: {})",
            read.status, read.body, created.body
        ));
    }
    Ok(format!("POST /users 201 at {location}, read back"))
}

/// SIGTERM, then the exit: status 0 inside `grace`. A container still running then is killed.
fn stop(id: &str, grace: Duration) -> Result<String, String> {
    let started = Instant::now();
    docker_ok(&["kill", "--signal", "TERM", id])?;
    loop {
        let state = inspect(id)?["State"].clone();
        if state["Status"] != "running" {
            let took = started.elapsed().as_secs_f64();
            return match state["ExitCode"].as_i64() {
                Some(0) => Ok(format!("exit 0 {took:.2} s after SIGTERM")),
                code => Err(format!(
                    "exit {} {took:.2} s after SIGTERM: {}",
                    code.unwrap_or(-1),
                    logs_tail(id)
                )),
            };
        }
        if started.elapsed() > grace {
            let _ = docker(&["kill", id]);
            return Err(format!(
                "still running {} s after SIGTERM, past the grace period",
                grace.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An HTTP answer: its status, its head (the status line and headers) and its body.
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}

/// One HTTP/1.1 request on loopback, `Connection: close`, the answer read to its end.
pub fn request(port: u16, method: &str, path: &str, body: &str) -> Result<Answer, String> {
    let fail = |error: std::io::Error| format!("{method} {path}: {error}");
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2)).map_err(fail)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(fail)?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(fail)?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).map_err(fail)?;
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("{method} {path}: no HTTP answer: {raw:?}"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("{method} {path}: no status line: {head:?}"))?;
    Ok(Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    })
}
