//! Configuration read from the environment, with every bad value named at start-up.

use std::env;
use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

/// The port the service listens on when `PORT` is unset; the Dockerfile's `EXPOSE` matches it.
pub const DEFAULT_PORT: u16 = 8080;

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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            host: IpAddr::from([0, 0, 0, 0]),
            port: DEFAULT_PORT,
            workers: std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
            shutdown_timeout: Duration::from_secs(5),
            max_body_bytes: 64 * 1024,
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
        Ok(Self {
            host: read_value(
                &lookup,
                "HOST",
                "an IP address such as 0.0.0.0 or ::",
                |v| v.parse().ok(),
            )?
            .unwrap_or(defaults.host),
            port: read_value(&lookup, "PORT", "a port number from 0 to 65535", |v| {
                v.parse().ok()
            })?
            .unwrap_or(defaults.port),
            workers: read_value(
                &lookup,
                "WORKERS",
                "a whole number of threads, at least 1",
                |v| v.parse().ok(),
            )?
            .unwrap_or(defaults.workers),
            // docker stop kills after 10 s, so a longer drain could never finish cleanly.
            shutdown_timeout: read_value(
                &lookup,
                "SHUTDOWN_TIMEOUT",
                "whole seconds from 0 to 9",
                |v| {
                    v.parse()
                        .ok()
                        .filter(|secs| *secs <= 9)
                        .map(Duration::from_secs)
                },
            )?
            .unwrap_or(defaults.shutdown_timeout),
            max_body_bytes: read_value(
                &lookup,
                "MAX_BODY_BYTES",
                "a whole number of bytes, at least 1",
                |v| v.parse().ok().filter(|bytes| *bytes > 0),
            )?
            .unwrap_or(defaults.max_body_bytes),
        })
    }
}

/// Looks `variable` up; unset is `None`, set but unusable is an error naming it.
fn read_value<T>(
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
        ])
        .unwrap();
        assert_eq!(settings.host, IpAddr::from([127, 0, 0, 1]));
        assert_eq!(settings.port, 9000);
        assert_eq!(settings.workers.get(), 3);
        assert_eq!(settings.shutdown_timeout, Duration::from_secs(2));
        assert_eq!(settings.max_body_bytes, 1024);
    }

    #[test]
    fn a_bad_value_names_the_variable_and_what_fits() {
        let cases = [
            ("PORT", "abc"),
            ("PORT", "70000"),
            ("HOST", "localhost:80"),
            ("WORKERS", "0"),
            ("SHUTDOWN_TIMEOUT", "30"),
            ("MAX_BODY_BYTES", "-1"),
        ];
        for (variable, value) in cases {
            let error = settings_from(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable);
            let message = error.to_string();
            assert!(message.starts_with(&format!("invalid {variable}=\"{value}\": expected ")));
        }
    }
}
