//! A compose file as the rules read it: each service with its line and the settings the rules
//! look at, read once. serde-saphyr resolves merge keys (`<<: *defaults`) and anchors and
//! gives every value its line.

use crate::check::files::yaml_options;
use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;
use std::collections::HashMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compose {
    /// In the order the file lists them.
    pub services: Vec<Service>,
    /// An override file (`docker-compose.override.yml`): compose merges it into the main
    /// file, so its services are partial.
    pub overrides: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub line: usize,
    /// `build:` is set: the image comes from a Dockerfile here.
    pub builds_here: bool,
    /// `image:`: what it runs, or with `build:` the name the built image gets.
    pub image: Option<String>,
    pub build: Option<Build>,
    /// A CPU or memory limit, in `deploy.resources.limits` or the legacy keys.
    pub limited: bool,
    /// A healthcheck that is not `disable: true`.
    pub healthcheck: bool,
    /// A restart policy other than `"no"`.
    pub restart: bool,
    /// A job, not a server: another service waits for it to exit 0
    /// (`depends_on: {<name>: {condition: service_completed_successfully}}`).
    pub awaited_to_complete: bool,
    pub privileged: bool,
    pub cap_drop: Vec<String>,
    pub security_opt: Vec<String>,
    pub ports: Vec<Port>,
}

/// What `build:` says: a context directory, or one with a Dockerfile and a target stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Build {
    pub context: String,
    pub dockerfile: Option<String>,
    pub target: Option<String>,
}

impl Build {
    /// Whether this builds `dockerfile` (at the project root) up to its last stage, `last`.
    /// With one Dockerfile in the project, a `dockerfile:` elsewhere is taken to be it.
    pub fn builds(&self, dockerfile: &str, last: Option<&str>, only_dockerfile: bool) -> bool {
        let context = self.context.trim_start_matches("./").trim_end_matches('/');
        let file = self
            .dockerfile
            .as_deref()
            .map(|f| f.trim_start_matches("./"));
        matches!(context, "" | ".")
            && (file.is_none_or(|file| file == dockerfile) || only_dockerfile)
            && self
                .target
                .as_deref()
                .is_none_or(|target| last.is_some_and(|last| last.eq_ignore_ascii_case(target)))
    }
}

/// A published port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// As written (`"8080:8080"`), or the long syntax's fields in that form.
    pub spec: String,
    pub line: usize,
    pub listens_on: HostAddress,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostAddress {
    /// No address, `0.0.0.0`, `::` or `[::]`: every interface of the host.
    Every,
    /// One address, such as `127.0.0.1`.
    One(String),
    /// An environment variable without a default chooses it.
    Unknown,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    services: Option<HashMap<Spanned<String>, Option<ServiceFields>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ServiceFields {
    build: Option<Value>,
    deploy: Option<Value>,
    mem_limit: Option<Value>,
    cpus: Option<Value>,
    healthcheck: Option<Value>,
    image: Option<Value>,
    restart: Option<Value>,
    privileged: Option<Value>,
    cap_drop: Option<Vec<Value>>,
    security_opt: Option<Vec<Value>>,
    ports: Option<Vec<Spanned<Value>>>,
    depends_on: Option<Value>,
}

impl Compose {
    /// Reads a compose file within `files::yaml_options`' caps; an empty one is an error, as
    /// docker compose refuses it ("empty compose file").
    pub fn parse(text: &str) -> Result<Compose> {
        let document: Value = serde_saphyr::from_str_with_options(text, yaml_options())
            .context("it is not a valid compose file")?;
        anyhow::ensure!(
            !document.is_null(),
            "it is empty, and docker compose refuses an empty compose file (\"empty compose \
             file\"): give it a `services:` table, or remove it"
        );
        let file: File = serde_saphyr::from_str_with_options(text, yaml_options())
            .context("it is not a valid compose file")?;
        let mut awaited = Vec::new();
        let mut services: Vec<Service> = file
            .services
            .unwrap_or_default()
            .into_iter()
            .map(|(name, fields)| {
                let fields = fields.unwrap_or_default();
                awaited.extend(awaited_to_complete(fields.depends_on.as_ref()));
                service(name, fields)
            })
            .collect();
        for service in &mut services {
            service.awaited_to_complete = awaited.contains(&service.name);
        }
        services.sort_by_key(|service| service.line);
        Ok(Compose {
            services,
            overrides: false,
        })
    }
}

fn service(name: Spanned<String>, fields: ServiceFields) -> Service {
    let strings = |items: Option<Vec<Value>>| -> Vec<String> {
        items
            .unwrap_or_default()
            .into_iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect()
    };
    let limits = fields
        .deploy
        .as_ref()
        .and_then(|deploy| deploy.pointer("/resources/limits"));
    Service {
        line: name.referenced.line() as usize,
        builds_here: fields.build.is_some(),
        image: fields
            .image
            .as_ref()
            .and_then(Value::as_str)
            .map(str::to_owned),
        build: fields.build.as_ref().map(|build| match build {
            Value::String(context) => Build {
                context: context.clone(),
                ..Build::default()
            },
            other => {
                let text = |key: &str| other.get(key).and_then(Value::as_str).map(str::to_owned);
                Build {
                    context: text("context").unwrap_or_else(|| ".".into()),
                    dockerfile: text("dockerfile"),
                    target: text("target"),
                }
            }
        }),
        limited: limits.is_some_and(|l| l.get("cpus").is_some() || l.get("memory").is_some())
            || fields.mem_limit.is_some()
            || fields.cpus.is_some(),
        healthcheck: fields.healthcheck.as_ref().is_some_and(|healthcheck| {
            healthcheck.get("disable").and_then(Value::as_bool) != Some(true)
        }),
        restart: fields
            .restart
            .as_ref()
            .is_some_and(|restart| restart.as_str() != Some("no") && !restart.is_null()),
        // Known only once every service is read: `Compose::parse` sets it.
        awaited_to_complete: false,
        privileged: fields.privileged.as_ref().and_then(Value::as_bool) == Some(true),
        cap_drop: strings(fields.cap_drop),
        security_opt: strings(fields.security_opt),
        ports: fields
            .ports
            .unwrap_or_default()
            .iter()
            .filter_map(port)
            .collect(),
        name: name.value,
    }
}

/// The services a `depends_on` waits on to exit 0. The list form only waits for a start.
fn awaited_to_complete(depends_on: Option<&Value>) -> Vec<String> {
    let Some(Value::Object(services)) = depends_on else {
        return Vec::new();
    };
    services
        .iter()
        .filter(|(_, wait)| {
            wait.get("condition").and_then(Value::as_str) == Some("service_completed_successfully")
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// A port in the short (`[IP:][HOST:]CONTAINER[/PROTOCOL]`) or the long syntax.
fn port(item: &Spanned<Value>) -> Option<Port> {
    let line = item.referenced.line() as usize;
    let (spec, host_ip) = match &item.value {
        Value::String(spec) => (spec.clone(), short_host_ip(spec)),
        Value::Number(number) => (number.to_string(), None),
        Value::Object(long) => {
            let field = |key: &str| {
                long.get(key).map(|value| match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
            };
            let target = field("target").unwrap_or_default();
            let host_ip = field("host_ip");
            let shown_ip = host_ip.as_ref().map(|ip| match ip.contains(':') {
                true => format!("[{ip}]"),
                false => ip.clone(),
            });
            let spec = match (&shown_ip, field("published")) {
                (Some(ip), Some(published)) => format!("{ip}:{published}:{target}"),
                (None, Some(published)) => format!("{published}:{target}"),
                (Some(ip), None) => format!("{ip}::{target}"),
                (None, None) => target,
            };
            (spec, host_ip)
        }
        _ => return None,
    };
    Some(Port {
        spec,
        line,
        listens_on: host_address(host_ip.as_deref()),
    })
}

/// The IP of a short-syntax port, if it names one: `127.0.0.1:8080:80`, `[::1]:8080:80`,
/// `${BIND:-127.0.0.1}:8080:80`. Colons inside `${...}` and `[...]` do not separate parts.
fn short_host_ip(spec: &str) -> Option<String> {
    let mut separators = Vec::new();
    let mut depth = 0usize;
    let mut chars = spec.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '$' if chars.peek().map(|(_, next)| *next) == Some('{') => {
                depth += 1;
                chars.next();
            }
            '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => separators.push(at),
            _ => {}
        }
    }
    (separators.len() >= 2).then(|| spec[..separators[0]].to_owned())
}

fn host_address(ip: Option<&str>) -> HostAddress {
    let Some(ip) = ip.map(str::trim) else {
        return HostAddress::Every;
    };
    let ip = match ip.strip_prefix("${") {
        Some(variable) => {
            let inner = variable.strip_suffix('}').unwrap_or(variable);
            match inner.split_once(":-").or_else(|| inner.split_once('-')) {
                Some((_, default)) => default,
                None => return HostAddress::Unknown,
            }
        }
        None => ip,
    };
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    if ip.contains('$') {
        return HostAddress::Unknown;
    }
    match ip {
        "" | "0.0.0.0" | "::" => HostAddress::Every,
        ip => HostAddress::One(ip.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(ports: &str) -> Vec<(String, usize, HostAddress)> {
        let text = format!("services:\n  app:\n    image: app:1\n    ports:\n{ports}");
        Compose::parse(&text).unwrap().services[0]
            .ports
            .iter()
            .map(|port| (port.spec.clone(), port.line, port.listens_on.clone()))
            .collect()
    }

    #[test]
    fn every_interface_is_seen_in_each_short_form() {
        let every = addresses(
            "      - 8080\n      - \"8080:80\"\n      - \"0.0.0.0:8080:80\"\n      - \"[::]:8080:80/tcp\"\n",
        );
        assert!(
            every
                .iter()
                .all(|(_, _, address)| *address == HostAddress::Every),
            "{every:?}"
        );
        assert_eq!(
            every.iter().map(|(_, line, _)| *line).collect::<Vec<_>>(),
            [5, 6, 7, 8]
        );
        let one = addresses(
            "      - \"127.0.0.1:8080:80\"\n      - \"[::1]:8080:80\"\n      - \"${BIND:-127.0.0.1}:8080:80\"\n",
        );
        assert_eq!(one[0].2, HostAddress::One("127.0.0.1".into()));
        assert_eq!(one[1].2, HostAddress::One("::1".into()));
        assert_eq!(one[2].2, HostAddress::One("127.0.0.1".into()));
        let unknown = addresses("      - \"${BIND}:8080:80\"\n");
        assert_eq!(unknown[0].2, HostAddress::Unknown);
        let port_only = addresses("      - \"${PORT}:8080\"\n      - \"${PORT:-8080}:80\"\n");
        assert!(
            port_only
                .iter()
                .all(|(_, _, address)| *address == HostAddress::Every)
        );
    }

    #[test]
    fn the_long_syntax_keeps_its_fields_and_its_line() {
        let ports = addresses(
            "      - target: 80\n        published: \"8080\"\n      - target: 80\n        published: 8081\n        host_ip: 127.0.0.1\n      - target: 80\n        host_ip: \"::\"\n",
        );
        assert_eq!(
            ports,
            [
                ("8080:80".to_owned(), 5, HostAddress::Every),
                (
                    "127.0.0.1:8081:80".to_owned(),
                    7,
                    HostAddress::One("127.0.0.1".into())
                ),
                ("[::]::80".to_owned(), 10, HostAddress::Every),
            ]
        );
    }

    #[test]
    fn merge_keys_bring_the_shared_settings_in() {
        let compose = Compose::parse(
            "x-hardened: &hardened\n  cap_drop: [ALL]\n  security_opt: [\"no-new-privileges:true\"]\n  deploy:\n    resources:\n      limits: {cpus: \"0.5\", memory: 128M}\nservices:\n  web:\n    <<: *hardened\n    image: web:1\n  worker:\n    image: worker:1\n",
        )
        .unwrap();
        let web = &compose.services[0];
        assert_eq!((web.name.as_str(), web.line), ("web", 8));
        assert!(web.limited);
        assert_eq!(web.cap_drop, ["ALL"]);
        assert!(!compose.services[1].limited);
    }

    #[test]
    fn a_disabled_healthcheck_and_restart_no_do_not_count() {
        let compose = Compose::parse(
            "services:\n  app:\n    image: app:1\n    restart: \"no\"\n    healthcheck:\n      disable: true\n",
        )
        .unwrap();
        assert!(!compose.services[0].healthcheck);
        assert!(!compose.services[0].restart);
    }

    #[test]
    fn a_service_waited_on_to_complete_is_a_job() {
        let compose = Compose::parse(
            "services:\n  app:\n    build: .\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n      db:\n        condition: service_healthy\n  migrate:\n    build: .\n  db:\n    image: db:1\n  cache:\n    image: cache:1\n",
        )
        .unwrap();
        let awaited: Vec<(&str, bool)> = compose
            .services
            .iter()
            .map(|service| (service.name.as_str(), service.awaited_to_complete))
            .collect();
        assert_eq!(
            awaited,
            [
                ("app", false),
                ("migrate", true),
                ("db", false),
                ("cache", false)
            ]
        );
    }

    #[test]
    fn a_file_that_is_not_compose_is_an_error() {
        assert!(Compose::parse("services: [1, 2\n").is_err());
        assert!(Compose::parse("services:\n  app:\n    ports: 8080\n").is_err());
        assert!(Compose::parse("").is_err(), "compose refuses an empty file");
        assert!(Compose::parse("# only a comment\n").is_err());
    }
}
