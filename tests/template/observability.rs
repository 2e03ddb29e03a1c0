//! The rendered service run as a process, the way a platform team meets it: every log line is
//! one JSON object, text a client sends cannot forge a line or a field, `/metrics` passes the
//! Prometheus client library's own text-format parser and counts exactly, and a panic in the
//! release binary (`panic = "abort"`) is logged after every line logged before it.

use super::{first_variant_binary, port_from_log};
use crate::helpers::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

/// Prometheus's Python client parses the scrape; the test gets the samples back as JSON.
const PARSE_METRICS: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
json.dump([
    {"name": family.name, "type": family.type,
     "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples]}
    for family in text_string_to_metric_families(sys.stdin.read())
], sys.stdout)
"#;

/// An access-log line's fields, in order; no line of any kind has a field outside them.
const ACCESS_FIELDS: [&str; 12] = [
    "timestamp",
    "level",
    "target",
    "message",
    "request_id",
    "trace_id",
    "method",
    "route",
    "path",
    "status",
    "bytes",
    "duration_ms",
];

#[test]
fn metrics_after_ten_thousand_requests_over_twenty_ids_have_one_series_per_route_exactly() {
    let Some(binary) = first_variant_binary() else {
        return;
    };
    if !require_prometheus_parser() {
        return;
    }
    let Some(database) = seeded_database(&binary, "metrics", 20) else {
        return;
    };
    let service = Service::start(
        &binary,
        &[("LOG_FORMAT", "json"), ("DATABASE_URL", &database)],
    );
    let mut client = Client::connect(service.port);

    for i in 0..10_000 {
        let reply = client.send("GET", &format!("/users/{}", i % 20 + 1), &[], "");
        assert_eq!(reply.status, 200);
    }
    for _ in 0..7 {
        assert_eq!(client.send("GET", "/users/abc", &[], "").status, 400);
    }
    for i in 0..5 {
        assert_eq!(
            client.send("GET", &format!("/no/such/{i}"), &[], "").status,
            404
        );
    }
    for i in 0..3 {
        let body = format!(r#"{}"name":"N{i}","email":"n{i}@example.com"{}"#, '{', '}');
        let reply = client.send(
            "POST",
            "/users",
            &[("Content-Type", "application/json")],
            &body,
        );
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let scrape = Client::connect(service.metrics_port()).send("GET", "/metrics", &[], "");
    service.stop();

    assert_eq!(scrape.status, 200);
    assert!(
        scrape
            .header("content-type")
            .is_some_and(|value| value.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        scrape.headers
    );
    let families = parse_with_prometheus_client(&scrape.body);
    let samples = |sample_name: &str| -> BTreeMap<String, f64> {
        families
            .iter()
            .flat_map(|family| family["samples"].as_array().unwrap())
            .filter(|sample| sample["name"] == sample_name)
            .map(|sample| {
                let labels: Vec<String> = sample["labels"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .filter(|(name, _)| *name != "le")
                    .map(|(name, value)| format!("{name}={}", value.as_str().unwrap()))
                    .collect();
                (labels.join(","), sample["value"].as_f64().unwrap())
            })
            .collect()
    };
    let requests = samples("http_requests_total");
    note(&format!("http_requests_total after the load: {requests:?}"));
    assert_eq!(
        requests,
        BTreeMap::from([
            (
                "method=GET,route=/users/{id},status_class=2xx".to_owned(),
                10_000.0
            ),
            (
                "method=GET,route=/users/{id},status_class=4xx".to_owned(),
                7.0
            ),
            (
                "method=GET,route=unmatched,status_class=4xx".to_owned(),
                5.0
            ),
            ("method=POST,route=/users,status_class=2xx".to_owned(), 3.0),
        ]),
        "one series per route pattern, with exact counts"
    );
    assert_eq!(
        samples("http_request_duration_seconds_count"),
        BTreeMap::from([
            ("method=GET,route=/users/{id}".to_owned(), 10_007.0),
            ("method=GET,route=unmatched".to_owned(), 5.0),
            ("method=POST,route=/users".to_owned(), 3.0),
        ])
    );
    let family = |name: &str| {
        families
            .iter()
            .find(|family| family["name"] == name)
            .unwrap_or_else(|| panic!("no {name} family"))
    };
    assert_eq!(family("http_request_duration_seconds")["type"], "histogram");
    assert_eq!(family("http_requests")["type"], "counter");
    assert_eq!(family("http_requests_in_flight")["type"], "gauge");
    // Buckets are cumulative, and the last one holds every request.
    let buckets: Vec<(f64, f64)> = family("http_request_duration_seconds")["samples"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|sample| {
            sample["name"] == "http_request_duration_seconds_bucket"
                && sample["labels"]["route"] == "/users/{id}"
        })
        .map(|sample| {
            let le = sample["labels"]["le"].as_str().unwrap();
            let bound = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            (bound, sample["value"].as_f64().unwrap())
        })
        .collect();
    assert!(buckets.len() >= 10, "{buckets:?}");
    assert!(
        buckets
            .windows(2)
            .all(|pair| pair[0].0 < pair[1].0 && pair[0].1 <= pair[1].1)
    );
    assert_eq!(buckets.last().unwrap().1, 10_007.0);
    for name in [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    ] {
        assert!(samples(name)[""] > 0.0, "{name}");
    }
    // The store's pool: every call waited for a connection once, none in vain.
    assert_eq!(
        samples("db_pool_acquire_duration_seconds_count")[""],
        10_003.0,
        "one wait per store call: the reads of existing users and the writes"
    );
    assert_eq!(samples("db_pool_acquire_timeouts_total")[""], 0.0);
    assert_eq!(samples("db_pool_max_connections")[""], 5.0);
    let pool = samples("db_pool_connections");
    assert!(
        (1.0..=5.0).contains(&(pool["state=idle"] + pool["state=in_use"])),
        "{pool:?}"
    );
    assert!(
        !scrape.body.contains("/users/1\"") && !scrape.body.contains("/no/such"),
        "a raw path became a label:\n{}",
        scrape.body
    );
}

#[test]
fn every_log_line_is_json_and_client_text_cannot_forge_a_line_or_a_field() {
    let Some(binary) = first_variant_binary() else {
        return;
    };
    let Some(database) = seeded_database(&binary, "logs", 42) else {
        return;
    };
    let service = Service::start(
        &binary,
        &[("LOG_FORMAT", "json"), ("DATABASE_URL", &database)],
    );
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    // Each attack carries its own id, so its access line can be found.
    let attacks: [(&str, &str); 4] = [
        ("plain", "/users/42"),
        (
            "encoded-crlf",
            "/users/%0d%0a%7B%22level%22%3A%22ERROR%22%7D",
        ),
        ("quote-backslash", r#"/users/a","status":500,"x":"\"#),
        ("fake-field", "/users/1%22,%22request_id%22:%22forged"),
    ];
    let mut client = Client::connect(service.port);
    for (id, path) in attacks {
        let reply = client.send(
            "GET",
            path,
            &[("X-Request-Id", id), ("traceparent", traceparent)],
            "",
        );
        assert_eq!(reply.header("x-request-id"), Some(id));
    }
    // A header line broken by a bare LF ends there; what follows is a header of its own, and
    // neither reaches a log line as anything but the clean id before the break.
    let split = exchange(
        service.port,
        b"GET /users/7 HTTP/1.1\r\nHost: x\r\nX-Request-Id: split\nX-Level: ERROR\r\nConnection: close\r\n\r\n",
    );
    // A request id made of terminal control bytes (U+009B, CSI, as UTF-8) is replaced.
    let csi = exchange(
        service.port,
        b"GET /users/8 HTTP/1.1\r\nHost: x\r\nX-Request-Id: \xc2\x9b31m\r\nConnection: close\r\n\r\n",
    );
    let (status, log) = service.stop();

    assert!(status.success(), "{status:?}\n{log}");
    let lines: Vec<Value> = log
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line:?}"))
        })
        .collect();
    for line in &lines {
        let timestamp = line["timestamp"].as_str().unwrap();
        assert!(
            timestamp.len() == 27 && timestamp.ends_with('Z') && timestamp.as_bytes()[10] == b'T',
            "not RFC 3339 UTC: {timestamp}"
        );
        for field in ["level", "target", "message"] {
            assert!(line[field].is_string(), "{field} missing: {line}");
        }
        for key in line.as_object().unwrap().keys() {
            assert!(
                ACCESS_FIELDS.contains(&key.as_str()),
                "a field no code writes: {line}"
            );
        }
    }
    let access: Vec<&Value> = lines
        .iter()
        .filter(|line| line["target"] == "access")
        .collect();
    for (id, path) in attacks {
        let matching: Vec<&&Value> = access
            .iter()
            .filter(|line| line["request_id"] == id)
            .collect();
        assert_eq!(matching.len(), 1, "{id}: {matching:?}");
        let line = matching[0];
        assert_eq!(line["path"], path, "the path reads back exactly as sent");
        assert_eq!(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(line["method"], "GET");
        assert_eq!(line["route"], "/users/{id}");
        assert!(line["bytes"].as_u64().unwrap() > 0);
        assert!(line["duration_ms"].as_f64().unwrap() >= 0.0);
        let raw = log
            .lines()
            .find(|raw| raw.contains(&format!(r#""request_id":"{id}""#)))
            .unwrap();
        let at: Vec<Option<usize>> = ACCESS_FIELDS
            .iter()
            .map(|key| raw.find(&format!(r#""{key}":"#)))
            .collect();
        assert!(
            at.iter().all(Option::is_some) && at.windows(2).all(|pair| pair[0] < pair[1]),
            "fields missing or out of order: {raw}"
        );
        assert_eq!(
            line.as_object().unwrap().len(),
            ACCESS_FIELDS.len(),
            "{raw}"
        );
    }
    assert_eq!(
        access
            .iter()
            .filter(|line| line["request_id"] == "split")
            .count(),
        1
    );
    assert!(split.starts_with("HTTP/1.1 200"), "{split}");
    assert!(csi.starts_with("HTTP/1.1 200"), "{csi}");
    let csi_id = header_of(&csi, "x-request-id").expect("an X-Request-Id");
    assert!(
        csi_id.len() == 32 && csi_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{csi_id:?}"
    );
    assert_eq!(access.len(), attacks.len() + 2, "{log}");
    assert!(!log.contains('\u{9b}') && !log.contains('\u{1b}'));
}

#[test]
fn a_panic_in_the_release_binary_is_logged_after_every_line_before_it() {
    let Some(trees) = rust_trees() else { return };
    let project = &trees[0];
    // The route that panics exists only with this feature; the images never enable it.
    run_ok(&mut cargo_in(
        &project.dir,
        &[
            "build",
            "--release",
            "--locked",
            "--features",
            "panic-route",
        ],
    ));
    let binary: PathBuf = shared_target_dir().join("release").join("svc");
    let Some(database) = seeded_database(&binary, "panic", 42) else {
        return;
    };
    let service = Service::start(
        &binary,
        &[("LOG_FORMAT", "json"), ("DATABASE_URL", &database)],
    );
    let mut client = Client::connect(service.port);

    // Lines the batched writer holds for up to 100 ms: the panic must not lose them.
    for i in 0..200 {
        let id = format!("before-{i}");
        assert_eq!(
            client
                .send("GET", "/users/42", &[("X-Request-Id", &id)], "")
                .status,
            200
        );
    }
    client.send_without_reply("GET", "/panic", &[("X-Request-Id", "the-panic")]);
    let (status, log) = service.wait();

    assert_eq!(
        status.signal(),
        Some(6),
        "panic = \"abort\" ends the process with SIGABRT: {status:?}\n{log}"
    );
    let lines: Vec<Value> = log
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line:?}"))
        })
        .collect();
    let ids: Vec<&str> = lines
        .iter()
        .filter(|line| line["target"] == "access")
        .map(|line| line["request_id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..200).map(|i| format!("before-{i}")).collect();
    assert_eq!(ids, expected, "every line before the panic, in order");
    let panic = lines.last().unwrap();
    assert_eq!(panic["level"], "ERROR", "{panic}");
    assert_eq!(panic["target"], "panic");
    assert_eq!(panic["request_id"], "the-panic");
    assert!(
        panic["message"]
            .as_str()
            .unwrap()
            .contains("panic requested through GET /panic"),
        "{panic}"
    );
    assert!(
        panic["location"].as_str().unwrap().contains("http.rs"),
        "{panic}"
    );
}

/// A fresh database for `test` on the suites' PostgreSQL, migrated by the service's own
/// `migrate` and holding users 1 to `users`; `None` (the test skipped, outside CI only) when
/// there is no server.
pub(crate) fn seeded_database(binary: &Path, test: &str, users: u32) -> Option<String> {
    let url = fresh_database(&require_server()?, &format!("observability_{test}"));
    run_ok(
        clean_command(binary)
            .arg("migrate")
            .env("DATABASE_URL", &url),
    );
    psql(
        &url,
        &format!(
            "INSERT INTO users (name, email) \
             SELECT 'User ' || n, 'user' || n || '@example.com' FROM generate_series(1, {users}) AS n"
        ),
    );
    Some(url)
}

/// The service binary running on a free port, its log collected as it goes.
pub(crate) struct Service {
    child: Child,
    pub(crate) port: u16,
    admin_port: u16,
    log: JoinHandle<String>,
}

impl Service {
    pub(crate) fn start(binary: &Path, environment: &[(&str, &str)]) -> Self {
        // Picked here rather than by the service: the tests need to know it.
        let admin_port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .unwrap()
            .port();
        let mut child = clean_command(binary)
            .env("PORT", "0")
            .env("ADMIN_PORT", admin_port.to_string())
            .env("HOST", "127.0.0.1")
            .envs(environment.iter().copied())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("could not start {}: {error}", binary.display()));
        let (port, log) = port_from_log(child.stderr.take().unwrap());
        Self {
            child,
            port,
            admin_port,
            log,
        }
    }

    fn metrics_port(&self) -> u16 {
        self.admin_port
    }

    /// SIGTERM, then the exit status and the whole log.
    pub(crate) fn stop(self) -> (ExitStatus, String) {
        run_ok(Command::new("kill").args(["-TERM", &self.child.id().to_string()]));
        self.wait()
    }

    /// The exit status and the whole log; a service still running after 10 s is killed and
    /// fails the test.
    fn wait(mut self) -> (ExitStatus, String) {
        for _ in 0..500 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, self.log.join().unwrap());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        panic!("the service did not exit:\n{}", self.log.join().unwrap());
    }
}

/// A keep-alive HTTP/1.1 client for responses with a Content-Length.
pub(crate) struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

impl Client {
    pub(crate) fn connect(port: u16) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Self {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        }
    }

    pub(crate) fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        self.send_without_reply_with_body(method, path, headers, body);
        let mut status_line = String::new();
        self.reader.read_line(&mut status_line).unwrap();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
        let mut reply = Reply {
            status,
            headers,
            body: String::new(),
        };
        let length: usize = reply
            .header("content-length")
            .map_or(0, |length| length.parse().unwrap());
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        reply.body = String::from_utf8(body).unwrap();
        reply
    }

    fn send_without_reply(&mut self, method: &str, path: &str, headers: &[(&str, &str)]) {
        self.send_without_reply_with_body(method, path, headers, "");
    }

    fn send_without_reply_with_body(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) {
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        self.writer.write_all(request.as_bytes()).unwrap();
    }
}

/// Sends raw bytes on a connection of their own and returns everything the service answers.
fn exchange(port: u16, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(raw).unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).unwrap();
    String::from_utf8_lossy(&reply).into_owned()
}

fn header_of<'a>(reply: &'a str, name: &str) -> Option<&'a str> {
    reply.split("\r\n\r\n").next()?.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// Whether Python has `prometheus_client`; in CI a missing parser fails the test.
fn require_prometheus_parser() -> bool {
    let present = clean_command("python3")
        .args(["-c", "import prometheus_client"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !present {
        let why = "python3 cannot import prometheus_client (bash .ci/run installs it)";
        assert!(!in_ci(), "{why}; CI runs every test");
        skip(why);
    }
    present
}

fn parse_with_prometheus_client(text: &str) -> Vec<Value> {
    let mut parser = clean_command("python3")
        .args(["-c", PARSE_METRICS])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    parser
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = parser.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "prometheus_client refused the scrape: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
