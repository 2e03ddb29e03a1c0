{%- if database == "postgres" -%}
//! Starts the application on a free port in its own thread, with a database of its own, and
//! talks HTTP/1.1 to it.

use crate::database::TestDatabase;
{% else -%}
//! Starts the application on a free port in its own thread and talks HTTP/1.1 to it.

{% endif -%}
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::num::NonZeroUsize;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use {{crate_name}}::{Application, Settings};
use {{crate_name}}::{Store, StoreSettings};

pub struct TestApp {
    pub address: SocketAddr,
    pub admin_address: SocketAddr,
{%- if database == "postgres" %}
    /// Dropped with the app: the database goes when the test ends.
    pub database: Option<TestDatabase>,
{%- endif %}
}

pub struct TestResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub body: String,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("body is not JSON ({error}): {}", self.body))
    }
}

/// Settings for a test: 127.0.0.1, free ports, one worker.
pub fn test_settings() -> Settings {
    Settings {
        host: Ipv4Addr::LOCALHOST.into(),
        port: 0,
        admin_port: 0,
        workers: NonZeroUsize::MIN,
        ..Settings::default()
    }
}

/// Spawns the app with `test_settings`; the server thread dies with the test.
pub fn spawn_app() -> TestApp {
    spawn_app_with(test_settings())
}
{%- if database == "postgres" %}

/// Spawns the app with `settings` against a fresh, migrated database that goes with it.
pub fn spawn_app_with(settings: Settings) -> TestApp {
    let database = TestDatabase::create();
    let mut app = spawn_app_with_store(settings, database.store_settings());
    app.database = Some(database);
    app
}
{%- else %}

/// Spawns the app with `settings` and an empty store.
pub fn spawn_app_with(settings: Settings) -> TestApp {
    spawn_app_with_store(settings, StoreSettings::default())
}
{%- endif %}

pub fn spawn_app_with_store(settings: Settings, store: StoreSettings) -> TestApp {
    let (port_tx, port_rx) = mpsc::channel();
    thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let store = Store::new(&store);
            let application =
                Application::build(&settings, store).expect("the app binds a free port");
            port_tx
                .send((application.port(), application.admin_port()))
                .unwrap();
            application.run_until_stopped().await
        })
    });
    let (port, admin_port) = port_rx.recv().expect("the app thread reports its ports");
    TestApp {
        address: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        admin_address: SocketAddr::from((Ipv4Addr::LOCALHOST, admin_port)),
{%- if database == "postgres" %}
        database: None,
{%- endif %}
    }
}

impl TestApp {
    pub fn get(&self, path: &str) -> TestResponse {
        self.request("GET", path, None, &[])
    }

    pub fn post_json(&self, path: &str, body: &[u8]) -> TestResponse {
        self.request("POST", path, Some("application/json"), body)
    }

    pub fn admin_get(&self, path: &str) -> TestResponse {
        send(self.admin_address, "GET", path, None, b"")
    }

    /// `GET /metrics` on the admin port, as `name{labels}` -> value.
    pub fn metrics(&self) -> BTreeMap<String, f64> {
        let response = self.admin_get("/metrics");
        assert_eq!(response.status, 200);
        assert!(
            response
                .content_type
                .as_deref()
                .is_some_and(|content_type| content_type.starts_with("text/plain; version=0.0.4")),
            "{:?}",
            response.content_type
        );
        response
            .body
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .map(|line| {
                let (name, value) = line.rsplit_once(' ').expect("`name value`");
                (name.to_owned(), value.parse().expect("a number"))
            })
            .collect()
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> TestResponse {
        send(self.address, method, path, content_type, body)
    }

    /// One request with extra header lines, sent as given.
    pub fn request_with_headers(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> TestResponse {
        send_with_headers(self.address, method, path, headers, body)
    }
}

/// One request per connection keeps this client simple and enough for these tests.
pub fn send(
    address: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> TestResponse {
    let headers: Vec<(&str, &str)> = content_type
        .map(|content_type| ("Content-Type", content_type))
        .into_iter()
        .collect();
    send_with_headers(address, method, path, &headers, body)
}

pub fn send_with_headers(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> TestResponse {
    let mut stream = TcpStream::connect(address).expect("the app accepts connections");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer 413 and close before reading a large body: that is fine.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("the app answers");
    parse_response(&String::from_utf8_lossy(&raw))
}

/// Sends `bytes` as they are on a new connection and reads until the server closes it (or
/// `timeout` passes); returns everything read and how long the server took to close.
pub fn exchange_raw(address: SocketAddr, bytes: &[u8], timeout: Duration) -> (String, Duration) {
    let mut stream = TcpStream::connect(address).expect("the app accepts connections");
    stream.set_read_timeout(Some(timeout)).unwrap();
    let started = Instant::now();
    stream.write_all(bytes).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    (
        String::from_utf8_lossy(&raw).into_owned(),
        started.elapsed(),
    )
}

pub fn parse_response(raw: &str) -> TestResponse {
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no header/body separator in {raw:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {raw:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.to_owned(), value.trim().to_owned()))
        })
        .collect();
    let content_type = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.clone());
    TestResponse {
        status,
        headers,
        content_type,
        body: body.to_owned(),
    }
}
