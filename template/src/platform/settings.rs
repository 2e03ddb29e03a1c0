//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! Configuration read from the environment, with every bad value named at start-up.

use super::log_format::LogFormat;
use std::env;
use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

/// The port the service listens on when `PORT` is unset; the Dockerfile's `EXPOSE` matches it.
pub const DEFAULT_PORT: u16 = {{port}};
/// The port of the admin listener (probes) when `ADMIN_PORT` is unset.
pub const DEFAULT_ADMIN_PORT: u16 = {{admin_port}};
/// actix-server refuses (panics on) more worker threads than this.
const MAX_WORKERS: usize = 512;

/// Everything the service reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `HOST`: the address to bind (default `0.0.0.0`, so the container's port mapping reaches it).
    pub host: IpAddr,
    /// `PORT`: the TCP port to bind; 0 picks a free one (tests use that).
    pub port: u16,
    /// `WORKERS`: HTTP worker threads (default: the CPUs the container may use).
    pub workers: NonZeroUsize,
    /// `SHUTDOWN_TIMEOUT`: seconds in-flight requests get after SIGTERM; kept under `docker stop`'s 10 s.
    pub shutdown_timeout: Duration,
    /// `MAX_BODY_BYTES`: the largest JSON body accepted; larger ones get a 413.
    pub max_body_bytes: usize,
    /// `LOG_FORMAT`: `json` or `text` (default: text on a terminal, JSON otherwise).
    pub log_format: LogFormat,
    /// `ADMIN_PORT`: the admin listener's port (health and readiness probes); 0 picks a free one.
    pub admin_port: u16,
    /// The connection bounds; README.md derives their defaults from the 128 MiB limit.
    pub bounds: Bounds,
}

/// What one client may hold; past these the service refuses work instead of growing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounds {
    /// `MAX_CONNECTIONS`: open connections on the main listener, all workers together (and so
    /// per worker too); one more is answered 503 with `Retry-After` and closed.
    pub max_connections: usize,
    /// `BACKLOG`: connections the kernel holds for the service before it accepts them.
    pub backlog: u32,
    /// `REQUEST_TIMEOUT`: seconds a client has to send a request's head, and again its body.
    pub request_timeout: Duration,
    /// `KEEP_ALIVE_TIMEOUT`: seconds an idle connection stays open; 0 closes after each response.
    pub keep_alive_timeout: Duration,
    /// `MAX_UNSENT_BYTES`: responses a client has not read yet; past it, reading from that client
    /// has already stopped, and the connection is closed.
    pub max_unsent_bytes: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Self {
            max_connections: 128,
            backlog: 128,
            request_timeout: Duration::from_secs(5),
            keep_alive_timeout: Duration::from_secs(5),
            max_unsent_bytes: 64 * 1024,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            host: IpAddr::from([0, 0, 0, 0]),
            port: DEFAULT_PORT,
            workers: std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
            shutdown_timeout: Duration::from_secs(5),
            max_body_bytes: 64 * 1024,
            admin_port: DEFAULT_ADMIN_PORT,
            bounds: Bounds::default(),
            log_format: LogFormat::for_stderr(),
        }
    }
}

/// A variable that is set but cannot be used; the message names it and says what fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    pub variable: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            return write!(
                f,
                "{} is not set: expected {}",
                self.variable, self.expected
            );
        }
        write!(
            f,
            "invalid {}={:?}: expected {}",
            self.variable, self.value, self.expected
        )
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|name| env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let defaults = Self::default();
        let port = read_value(&lookup, "PORT", "a port number from 0 to 65535", |v| {
            v.parse().ok()
        })?
        .unwrap_or(defaults.port);
        Ok(Self {
            host: read_value(
                &lookup,
                "HOST",
                "an IP address such as 0.0.0.0 or ::",
                |v| v.parse().ok(),
            )?
            .unwrap_or(defaults.host),
            port,
            workers: read_value(
                &lookup,
                "WORKERS",
                "a whole number of threads from 1 to 512",
                |v| {
                    v.parse()
                        .ok()
                        .filter(|n: &NonZeroUsize| n.get() <= MAX_WORKERS)
                },
            )?
            .unwrap_or(defaults.workers),
            // docker stop kills after 10 s, so a longer drain could never finish cleanly.
            shutdown_timeout: read_value(
                &lookup,
                "SHUTDOWN_TIMEOUT",
                "whole seconds from 0 to 9",
                |v| seconds(v, 0..=9),
            )?
            .unwrap_or(defaults.shutdown_timeout),
            max_body_bytes: read_value(
                &lookup,
                "MAX_BODY_BYTES",
                "a whole number of bytes from 1 to 16777216 (16 MiB)",
                |v| {
                    v.parse()
                        .ok()
                        .filter(|bytes| (1..=16 << 20).contains(bytes))
                },
            )?
            .unwrap_or(defaults.max_body_bytes),
            log_format: read_value(&lookup, "LOG_FORMAT", "json or text", |v| v.parse().ok())?
                .unwrap_or(defaults.log_format),
            admin_port: read_value(
                &lookup,
                "ADMIN_PORT",
                "a port number from 0 to 65535",
                |v| v.parse().ok(),
            )?
            .unwrap_or(defaults.admin_port),
            bounds: Bounds::from_lookup(&lookup)?,
        })
        .and_then(|settings| settings.check_ports_differ())
    }

    /// The default admin port can meet a `PORT` set to the same number; say which to change.
    fn check_ports_differ(self) -> Result<Self, SettingsError> {
        if self.port != 0 && self.port == self.admin_port {
            return Err(SettingsError {
                variable: "ADMIN_PORT",
                value: self.admin_port.to_string(),
                expected: "a port other than PORT's: set ADMIN_PORT to a free port",
            });
        }
        Ok(self)
    }
}

impl Bounds {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let defaults = Self::default();
        Ok(Self {
            max_connections: read_value(
                lookup,
                "MAX_CONNECTIONS",
                "a whole number of connections from 1 to 65536",
                |v| v.parse().ok().filter(|n| (1..=65_536).contains(n)),
            )?
            .unwrap_or(defaults.max_connections),
            backlog: read_value(
                lookup,
                "BACKLOG",
                "a whole number of connections from 1 to 65535",
                |v| v.parse().ok().filter(|n| (1..=65_535).contains(n)),
            )?
            .unwrap_or(defaults.backlog),
            request_timeout: read_value(
                lookup,
                "REQUEST_TIMEOUT",
                "whole seconds from 1 to 60",
                |v| seconds(v, 1..=60),
            )?
            .unwrap_or(defaults.request_timeout),
            keep_alive_timeout: read_value(
                lookup,
                "KEEP_ALIVE_TIMEOUT",
                "whole seconds from 0 to 300",
                |v| seconds(v, 0..=300),
            )?
            .unwrap_or(defaults.keep_alive_timeout),
            max_unsent_bytes: read_value(
                lookup,
                "MAX_UNSENT_BYTES",
                "a whole number of bytes from 1024 to 16777216 (16 MiB)",
                |v| v.parse().ok().filter(|n| (1024..=16 << 20).contains(n)),
            )?
            .unwrap_or(defaults.max_unsent_bytes),
        })
    }
}

fn seconds(value: &str, range: std::ops::RangeInclusive<u64>) -> Option<Duration> {
    value
        .parse()
        .ok()
        .filter(|secs| range.contains(secs))
        .map(Duration::from_secs)
}

/// Looks `variable` up; unset is `None`, set but unusable is an error naming it.
pub(crate) fn read_value<T>(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    expected: &'static str,
    convert: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, SettingsError> {
    let Some(value) = lookup(variable) else {
        return Ok(None);
    };
    match convert(value.trim()) {
        Some(converted) => Ok(Some(converted)),
        None => Err(SettingsError {
            variable,
            value,
            expected,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings_from(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        Settings::from_lookup(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        })
    }

    #[test]
    fn unset_variables_fall_back_to_defaults() {
        assert_eq!(settings_from(&[]), Ok(Settings::default()));
    }

    #[test]
    fn set_variables_are_honoured() {
        let settings = settings_from(&[
            ("HOST", "127.0.0.1"),
            ("PORT", "9000"),
            ("WORKERS", "3"),
            ("SHUTDOWN_TIMEOUT", "2"),
            ("MAX_BODY_BYTES", "1024"),
            ("ADMIN_PORT", "9001"),
            ("LOG_FORMAT", "text"),
        ])
        .unwrap();
        assert_eq!(settings.host, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(settings.port, 9000);
        assert_eq!(settings.workers.get(), 3);
        assert_eq!(settings.shutdown_timeout, Duration::from_secs(2));
        assert_eq!(settings.max_body_bytes, 1024);
        assert_eq!(settings.log_format, LogFormat::Text);
    }

    #[test]
    fn bounds_are_read_from_their_variables() {
        let settings = settings_from(&[
            ("MAX_CONNECTIONS", "64"),
            ("BACKLOG", "32"),
            ("REQUEST_TIMEOUT", "2"),
            ("KEEP_ALIVE_TIMEOUT", "0"),
            ("MAX_UNSENT_BYTES", "4096"),
            ("ADMIN_PORT", "9001"),
        ])
        .unwrap();
        assert_eq!(
            settings.bounds,
            Bounds {
                max_connections: 64,
                backlog: 32,
                request_timeout: Duration::from_secs(2),
                keep_alive_timeout: Duration::ZERO,
                max_unsent_bytes: 4096,
            }
        );
        assert_eq!(settings.admin_port, 9001);
    }

    #[test]
    fn the_admin_port_may_not_be_the_main_port() {
        let error = settings_from(&[("PORT", "9000"), ("ADMIN_PORT", "9000")]).unwrap_err();
        assert_eq!(error.variable, "ADMIN_PORT");
        let error = settings_from(&[("PORT", &DEFAULT_ADMIN_PORT.to_string())]).unwrap_err();
        assert_eq!(error.variable, "ADMIN_PORT");
        assert!(settings_from(&[("PORT", "0"), ("ADMIN_PORT", "0")]).is_ok());
    }

    #[test]
    fn a_bad_value_names_the_variable_and_what_fits() {
        let cases = [
            ("PORT", "abc"),
            ("PORT", "70000"),
            ("HOST", "localhost:80"),
            ("WORKERS", "0"),
            ("WORKERS", "513"),
            ("SHUTDOWN_TIMEOUT", "30"),
            ("MAX_BODY_BYTES", "-1"),
            ("MAX_BODY_BYTES", "16777217"),
            ("ADMIN_PORT", "65536"),
            ("MAX_CONNECTIONS", "0"),
            ("MAX_CONNECTIONS", "65537"),
            ("BACKLOG", "0"),
            ("BACKLOG", "65536"),
            ("REQUEST_TIMEOUT", "0"),
            ("REQUEST_TIMEOUT", "61"),
            ("KEEP_ALIVE_TIMEOUT", "301"),
            ("MAX_UNSENT_BYTES", "1023"),
            ("MAX_UNSENT_BYTES", "16777217"),
            ("LOG_FORMAT", "yaml"),
        ];
        for (variable, value) in cases {
            let error = settings_from(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable);
            let message = error.to_string();
            assert!(message.starts_with(&format!("invalid {variable}=\"{value}\": expected ")));
        }
    }
}
