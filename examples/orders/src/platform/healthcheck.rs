//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! `<binary> healthcheck`: a probe for images with no shell and no curl.
//!
//! It sends a plain HTTP/1.1 GET to this process's own `/health` on the admin listener over
//! loopback and exits 0 on a 200, 1 otherwise, so `HEALTHCHECK` and compose can call the binary
//! itself. The admin listener has its own connection budget, so a flood of clients on the main
//! port does not make a healthy service look dead.

use super::settings::Settings;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(2);

/// Probes the service configured by the environment and reports the verdict on stderr.
pub fn run() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("healthcheck: {error}");
            return ExitCode::FAILURE;
        }
    };
    match probe(loopback_for(settings.host, settings.admin_port)) {
        Ok(200) => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("healthcheck: /health answered {status}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("healthcheck: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A wildcard bind is reached on loopback; a specific address is probed as bound.
fn loopback_for(host: IpAddr, port: u16) -> SocketAddr {
    let ip = match host {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, port)
}

/// Returns the status code `GET /health` answers with at `address`.
pub fn probe(address: SocketAddr) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    stream.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut head = [0; 12];
    stream.read_exact(&mut head)?;
    // "HTTP/1.1 200": the status code is bytes 9..12.
    std::str::from_utf8(&head[9..])
        .ok()
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("the answer is not an HTTP status line"))
}
