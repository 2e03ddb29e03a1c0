//! The PostgreSQL server the suites create their databases on: `.ci/run` installs and starts
//! Debian's, creates the login `e2e` and points `CARGO_MICROSERVICE_DATABASE_URL` at it.

use crate::{clean_command, in_ci, require_tool, run_ok, skip};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// `CARGO_MICROSERVICE_DATABASE_URL`, or the login `.ci/run` creates on the host's server.
pub fn server_url() -> String {
    std::env::var("CARGO_MICROSERVICE_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://e2e:e2e@127.0.0.1:5432/postgres".to_owned())
}

/// The server's URL when it accepts connections and psql is installed. In CI their absence
/// fails the test; elsewhere the test is skipped, and says so.
pub fn require_server() -> Option<String> {
    let url = server_url();
    let address = url
        .rsplit_once('@')
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let reachable = address
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .is_some_and(|address| {
            TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok()
        });
    if !reachable {
        let why = format!(
            "no PostgreSQL answers at {address} (bash .ci/run installs and starts one; \
             CARGO_MICROSERVICE_DATABASE_URL points elsewhere)"
        );
        assert!(!in_ci(), "{why}; CI runs every test");
        skip(&why);
        return None;
    }
    require_tool("psql", "--version").then_some(url)
}

/// `psql <url> -c <sql>`, its output without headers or alignment.
pub fn psql(url: &str, sql: &str) -> String {
    let output = run_ok(
        clean_command("psql")
            .args([
                "--no-psqlrc",
                "--tuples-only",
                "--no-align",
                "--set",
                "ON_ERROR_STOP=1",
            ])
            .arg(url)
            .args(["--command", sql]),
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// A fresh, empty database `name` on the server `server_url` reaches (any earlier one of that
/// name dropped first), and the URL that reaches it with the same login.
pub fn fresh_database(server_url: &str, name: &str) -> String {
    psql(
        server_url,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
    psql(server_url, &format!("CREATE DATABASE {name}"));
    let (server, _) = server_url
        .rsplit_once('/')
        .expect("a database URL ends in /<database>");
    format!("{server}/{name}")
}
