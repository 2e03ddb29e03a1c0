//! A compose file as the rules read it: each service with its line and the settings the rules
//! look at, read once.

use super::project::line_of;
use anyhow::{Context, Result};
use serde_yaml::Value;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compose {
    pub services: Vec<Service>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub line: usize,
    /// `build:` is set: the image comes from a Dockerfile here.
    pub builds_here: bool,
    /// A CPU or memory limit, in `deploy.resources.limits` or the legacy keys.
    pub limited: bool,
    pub healthcheck: bool,
    pub restart: bool,
    pub privileged: bool,
    pub cap_drop: Vec<String>,
    pub security_opt: Vec<String>,
    pub ports: Vec<Port>,
}

/// A published port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// As written: `"8080:8080"`, or the long syntax's fields.
    pub spec: String,
    pub line: usize,
    /// The host address it listens on; `None` for every interface.
    pub host_ip: Option<String>,
}

impl Compose {
    pub fn parse(text: &str) -> Result<Compose> {
        let document: Value = serde_yaml::from_str(text).context("not valid YAML")?;
        let mut compose = Compose::default();
        let Some(services) = document.get("services").and_then(|s| s.as_mapping()) else {
            return Ok(compose);
        };
        for (name, service) in services {
            let name = name.as_str().unwrap_or_default().to_owned();
            let line = line_of(text, &format!("  {name}:"));
            let has = |key: &str| service.get(key).is_some();
            let limits = service
                .get("deploy")
                .and_then(|d| d.get("resources"))
                .and_then(|r| r.get("limits"));
            let list = |key: &str| -> Vec<String> {
                service
                    .get(key)
                    .and_then(|v| v.as_sequence())
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|i| i.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let mut ports = Vec::new();
            for port in service
                .get("ports")
                .and_then(|p| p.as_sequence())
                .into_iter()
                .flatten()
            {
                let (spec, host_ip) = match port {
                    Value::String(spec) => (spec.clone(), None),
                    Value::Number(number) => (number.to_string(), None),
                    Value::Mapping(long) => match long.get("host_ip") {
                        Some(ip) => (String::new(), Some(ip.as_str().unwrap_or("").to_owned())),
                        None => ("published on every interface".to_owned(), None),
                    },
                    _ => continue,
                };
                let host_ip = host_ip.or_else(|| {
                    (spec.split(':').count() > 2).then(|| spec.split(':').next().unwrap().into())
                });
                ports.push(Port {
                    line: line_of(text, &spec),
                    spec,
                    host_ip,
                });
            }
            compose.services.push(Service {
                line,
                builds_here: has("build"),
                limited: limits
                    .is_some_and(|l| l.get("cpus").is_some() || l.get("memory").is_some())
                    || has("mem_limit")
                    || has("cpus"),
                healthcheck: has("healthcheck"),
                restart: has("restart"),
                privileged: service.get("privileged").and_then(|p| p.as_bool()) == Some(true),
                cap_drop: list("cap_drop"),
                security_opt: list("security_opt"),
                ports,
                name,
            });
        }
        Ok(compose)
    }
}
