//! Kubernetes manifests as the rules read them: every workload's pod (its securityContext,
//! containers, probes, resources, termination), every ConfigMap's data, and the image
//! overrides of a kustomization, each value with its line. One file may hold many documents.

mod raw;

use crate::check::files::yaml_options;
use raw::*;
use serde_json::Value;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// One YAML file's Kubernetes documents, in order.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    pub pods: Vec<Pod>,
    pub config_maps: Vec<ConfigMap>,
    /// A kustomization's `images:`: name -> the tag or digest it sets.
    pub image_overrides: BTreeMap<String, String>,
    /// The files a kustomization names as patches, as written (relative to its directory).
    pub patch_files: Vec<String>,
}

/// The pod template of a workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
/// CronJob) or a bare Pod.
#[derive(Debug, Clone, Default)]
pub struct Pod {
    /// `Deployment orders`.
    pub owner: String,
    /// `Deployment`, `Job`, `Pod`, ...
    pub kind: String,
    /// `restartPolicy` as written; Kubernetes' default is `Always`.
    pub restart_policy: Option<String>,
    /// Read from a kustomize patch: partial by design, so what it leaves out is not missing.
    pub patch: bool,
    pub line: usize,
    /// `terminationGracePeriodSeconds`, with its line; Kubernetes' default is 30.
    pub grace_period: Option<(u64, usize)>,
    pub security: SecurityContext,
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
    /// `hostNetwork`, `hostPID`, `hostIPC` set to true, with their lines.
    pub host_namespaces: Vec<(String, usize)>,
    /// Every volume: name, type (`emptyDir`, `hostPath`, ...) and line.
    pub volumes: Vec<(String, String, usize)>,
}

/// A securityContext's fields that the restricted profile reads, each with its line.
#[derive(Debug, Clone, Default)]
pub struct SecurityContext {
    pub run_as_non_root: Option<(bool, usize)>,
    pub run_as_user: Option<(i64, usize)>,
    pub allow_privilege_escalation: Option<(bool, usize)>,
    pub privileged: Option<(bool, usize)>,
    pub read_only_root_filesystem: Option<(bool, usize)>,
    pub seccomp_profile: Option<(String, usize)>,
    /// `None`: no `capabilities` at all.
    pub capabilities_drop: Option<Vec<String>>,
    pub capabilities_add: Vec<(String, usize)>,
}

#[derive(Debug, Clone, Default)]
pub struct Container {
    pub name: String,
    pub line: usize,
    pub image: Option<(String, usize)>,
    pub ports: Vec<ContainerPort>,
    /// `env` values given inline.
    pub env: BTreeMap<String, String>,
    /// ConfigMaps named by `envFrom`.
    pub env_config_maps: Vec<String>,
    pub security: SecurityContext,
    /// `requests.cpu`, `requests.memory`, `limits.cpu`, `limits.memory` that are set.
    pub resources: Vec<String>,
    pub startup_probe: Option<Probe>,
    pub liveness_probe: Option<Probe>,
    pub readiness_probe: Option<Probe>,
    /// The preStop `sleep` action's seconds.
    pub pre_stop_sleep: Option<u64>,
    pub mount_paths: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ContainerPort {
    pub number: u16,
    pub name: Option<String>,
    pub host_port: Option<(u16, usize)>,
}

#[derive(Debug, Clone)]
pub struct Probe {
    pub line: usize,
    /// `httpGet`'s path and port (a number or a port's name); `None` for exec/tcp/grpc probes.
    pub http: Option<(String, Value)>,
    /// `tcpSocket`'s port (a number or a port's name).
    pub tcp: Option<Value>,
}

impl Probe {
    /// The port the kubelet connects to, for an httpGet or tcpSocket probe.
    pub fn port(&self) -> Option<&Value> {
        self.http
            .as_ref()
            .map(|(_, port)| port)
            .or(self.tcp.as_ref())
    }
}

/// What a YAML file turned out to be.
#[derive(Debug)]
pub enum Parsed {
    Manifests(Manifests),
    /// YAML of another kind (a CI file, a Helm template): not checked, not reported.
    NotKubernetes,
    /// It holds Kubernetes objects, or looks as if it does, and cannot be read: why.
    Broken(String),
}

#[derive(Debug, Clone, Default)]
pub struct ConfigMap {
    pub name: String,
    pub data: BTreeMap<String, String>,
}

impl Manifests {
    /// Reads every document of `text`, within `files::yaml_options`' caps. A file that does
    /// not parse is broken when it looks like a manifest (`apiVersion:` and `kind:` at the
    /// start of a line) and is no template (`{{`); otherwise it is YAML of another kind.
    pub fn parse(text: &str) -> Parsed {
        let documents =
            match serde_saphyr::from_multiple_with_options::<Value>(text, manifest_options()) {
                Ok(documents) => documents,
                Err(_) if text.contains("{{") || !looks_like_kubernetes(text) => {
                    return Parsed::NotKubernetes;
                }
                Err(error) => {
                    return Parsed::Broken(format!(
                        "it looks like a Kubernetes manifest but is not valid YAML: {}",
                        first_line(&error.to_string())
                    ));
                }
            };
        let is_kubernetes = |document: &Value| {
            document.get("apiVersion").is_some_and(Value::is_string)
                && document.get("kind").is_some_and(Value::is_string)
        };
        if !documents.iter().any(is_kubernetes) {
            return Parsed::NotKubernetes;
        }
        let objects: Vec<Option<Object>> =
            match serde_saphyr::from_multiple_with_options(text, manifest_options()) {
                Ok(objects) => objects,
                Err(error) => {
                    return Parsed::Broken(format!(
                        "it is not a valid Kubernetes manifest: {}",
                        first_line(&error.to_string())
                    ));
                }
            };
        let mut manifests = Manifests::default();
        for object in objects.into_iter().flatten() {
            manifests.add(object);
        }
        Parsed::Manifests(manifests)
    }

    fn add(&mut self, object: Object) {
        let kind = object.kind.as_ref().map_or("", |kind| kind.value.as_str());
        let line = object.kind.as_ref().map_or(1, line);
        let name = object
            .metadata
            .and_then(|metadata| metadata.name)
            .unwrap_or_default();
        match kind {
            "ConfigMap" => self.config_maps.push(ConfigMap {
                name,
                data: object
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(key, value)| (key, text_of(&value)))
                    .collect(),
            }),
            "Kustomization" => {
                let strategic = object.patches_strategic_merge.unwrap_or_default();
                let listed = object.patches.unwrap_or_default();
                let paths = strategic
                    .iter()
                    .filter_map(Value::as_str)
                    .chain(
                        listed
                            .iter()
                            .filter_map(|patch| patch.get("path")?.as_str()),
                    )
                    .filter(|path| !path.contains('\n'));
                self.patch_files.extend(paths.map(str::to_owned));
                for image in object.images.unwrap_or_default() {
                    let pinned = image
                        .digest
                        .map(|digest| format!("@{digest}"))
                        .or_else(|| image.new_tag.map(|tag| format!(":{}", text_of(&tag))));
                    if let (Some(name), Some(pinned)) = (image.name, pinned) {
                        self.image_overrides.insert(name, pinned);
                    }
                }
            }
            _ => {
                let spec = object.spec.unwrap_or_default();
                let pod_spec = match kind {
                    "Pod" => Some(spec),
                    "CronJob" => spec
                        .job_template
                        .and_then(|job| job.spec)
                        .and_then(|job| job.template)
                        .and_then(|template| template.spec),
                    _ => spec.template.and_then(|template| template.spec),
                };
                if let Some(pod_spec) = pod_spec {
                    let mut pod = pod(format!("{kind} {name}"), line, *pod_spec);
                    pod.kind = kind.to_owned();
                    self.pods.push(pod);
                }
            }
        }
    }
}

impl Pod {
    /// Whether its containers run to completion rather than serve: a Job's or CronJob's pod, or
    /// a bare Pod that is not restarted (`restartPolicy: Never` or `OnFailure`, a test Pod).
    pub fn runs_to_completion(&self) -> bool {
        matches!(self.kind.as_str(), "Job" | "CronJob")
            || (self.kind == "Pod"
                && matches!(self.restart_policy.as_deref(), Some("Never" | "OnFailure")))
    }

    /// The container's securityContext with the pod's filling what the container leaves out.
    pub fn effective(&self, container: &Container) -> SecurityContext {
        let (own, pod) = (&container.security, &self.security);
        SecurityContext {
            run_as_non_root: own.run_as_non_root.or(pod.run_as_non_root),
            run_as_user: own.run_as_user.or(pod.run_as_user),
            seccomp_profile: own
                .seccomp_profile
                .clone()
                .or_else(|| pod.seccomp_profile.clone()),
            ..own.clone()
        }
    }

    pub fn all_containers(&self) -> impl Iterator<Item = &Container> {
        self.init_containers.iter().chain(&self.containers)
    }
}

impl Container {
    /// A probe's port as a number: names are looked up among the container's ports.
    pub fn port_number(&self, port: &Value) -> Option<u16> {
        match port {
            Value::Number(number) => number.as_u64().and_then(|n| u16::try_from(n).ok()),
            Value::String(name) => self
                .ports
                .iter()
                .find(|port| port.name.as_deref() == Some(name))
                .map(|port| port.number),
            _ => None,
        }
    }

    pub fn probes(&self) -> [(&'static str, Option<&Probe>); 3] {
        [
            ("startupProbe", self.startup_probe.as_ref()),
            ("livenessProbe", self.liveness_probe.as_ref()),
            ("readinessProbe", self.readiness_probe.as_ref()),
        ]
    }
}

/// How manifests are parsed: within `files::yaml_options`' caps, and a key given twice in one
/// mapping keeps its last value, as kubectl's YAML reader keeps it (the API server only warns
/// of the duplicate field), where compose refuses it.
fn manifest_options() -> serde_saphyr::Options {
    let mut options = yaml_options();
    options.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::LastWins;
    options
}

/// Whether a file that does not parse meant to be a manifest: a line starts with `apiVersion:`
/// and one with `kind:`.
fn looks_like_kubernetes(text: &str) -> bool {
    let starts = |key: &str| {
        text.lines()
            .any(|line| line.trim_start_matches("- ").starts_with(key))
    };
    starts("apiVersion:") && starts("kind:")
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

fn line<T>(spanned: &Spanned<T>) -> usize {
    spanned.referenced.line() as usize
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn pod(owner: String, line: usize, spec: Spec) -> Pod {
    let host_namespaces = [
        ("hostNetwork", spec.host_network),
        ("hostPID", spec.host_pid),
        ("hostIPC", spec.host_ipc),
    ]
    .into_iter()
    .filter_map(|(name, set)| {
        let set = set?;
        set.value.then(|| (name.to_owned(), self::line(&set)))
    })
    .collect();
    let volumes = spec
        .volumes
        .unwrap_or_default()
        .into_iter()
        .map(|volume| {
            // A volume that names no source is an emptyDir, Kubernetes' default.
            let kind = volume
                .value
                .as_object()
                .and_then(|fields| fields.keys().find(|key| *key != "name").cloned())
                .unwrap_or_else(|| "emptyDir".to_owned());
            let name = volume.value.get("name").map(text_of).unwrap_or_default();
            (name, kind, self::line(&volume))
        })
        .collect();
    Pod {
        owner,
        kind: String::new(),
        restart_policy: spec.restart_policy,
        patch: false,
        line,
        grace_period: spec
            .termination_grace_period_seconds
            .map(|grace| (grace.value, self::line(&grace))),
        security: security(spec.security_context),
        containers: spec
            .containers
            .unwrap_or_default()
            .into_iter()
            .map(container)
            .collect(),
        init_containers: spec
            .init_containers
            .unwrap_or_default()
            .into_iter()
            .map(container)
            .collect(),
        host_namespaces,
        volumes,
    }
}

fn security(context: Option<RawSecurityContext>) -> SecurityContext {
    let Some(context) = context else {
        return SecurityContext::default();
    };
    let pair = |value: Option<Spanned<bool>>| value.map(|value| (value.value, line(&value)));
    let capabilities = context.capabilities.unwrap_or_default();
    SecurityContext {
        run_as_non_root: pair(context.run_as_non_root),
        run_as_user: context.run_as_user.map(|uid| (uid.value, line(&uid))),
        allow_privilege_escalation: pair(context.allow_privilege_escalation),
        privileged: pair(context.privileged),
        read_only_root_filesystem: pair(context.read_only_root_filesystem),
        seccomp_profile: context
            .seccomp_profile
            .and_then(|profile| profile.kind)
            .map(|kind| (kind.value.clone(), line(&kind))),
        capabilities_drop: capabilities.drop,
        capabilities_add: capabilities
            .add
            .unwrap_or_default()
            .into_iter()
            .map(|added| (added.value.clone(), line(&added)))
            .collect(),
    }
}

fn container(raw: RawContainer) -> Container {
    let probe = |probe: Option<Spanned<RawProbe>>| {
        probe.map(|probe| Probe {
            line: line(&probe),
            http: probe.value.http_get.map(|get| {
                (
                    get.path.unwrap_or_else(|| "/".to_owned()),
                    get.port.unwrap_or(Value::Null),
                )
            }),
            tcp: probe.value.tcp_socket.and_then(|socket| socket.port),
        })
    };
    let mut resources = Vec::new();
    if let Some(raw_resources) = raw.resources {
        for (group, quantities) in [
            ("requests", raw_resources.requests),
            ("limits", raw_resources.limits),
        ] {
            for name in quantities.unwrap_or_default().into_keys() {
                resources.push(format!("{group}.{name}"));
            }
        }
    }
    Container {
        line: raw.name.as_ref().map_or(1, line),
        name: raw.name.map(|name| name.value).unwrap_or_default(),
        image: raw.image.map(|image| (image.value.clone(), line(&image))),
        ports: raw
            .ports
            .unwrap_or_default()
            .into_iter()
            .map(|port| ContainerPort {
                number: port.container_port.unwrap_or_default(),
                name: port.name,
                host_port: port.host_port.map(|host| (host.value, line(&host))),
            })
            .collect(),
        env: raw
            .env
            .unwrap_or_default()
            .into_iter()
            .filter_map(|variable| Some((variable.name?, text_of(&variable.value?))))
            .collect(),
        env_config_maps: raw
            .env_from
            .unwrap_or_default()
            .into_iter()
            .filter_map(|source| source.config_map_ref?.name)
            .collect(),
        security: security(raw.security_context),
        resources,
        startup_probe: probe(raw.startup_probe),
        liveness_probe: probe(raw.liveness_probe),
        readiness_probe: probe(raw.readiness_probe),
        pre_stop_sleep: raw
            .lifecycle
            .and_then(|lifecycle| lifecycle.pre_stop)
            .and_then(|handler| handler.sleep)
            .and_then(|sleep| sleep.seconds),
        mount_paths: raw
            .volume_mounts
            .unwrap_or_default()
            .into_iter()
            .filter_map(|mount| mount.mount_path)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_document_with_lines_and_skips_other_yaml() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  SHUTDOWN_TIMEOUT: \"5\"\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      terminationGracePeriodSeconds: 15\n      containers:\n        - name: app\n          image: app:1.0\n          readinessProbe:\n            httpGet:\n              path: /ready\n              port: http\n";

        let Parsed::Manifests(manifests) = Manifests::parse(text) else {
            panic!("not read as manifests");
        };

        assert_eq!(manifests.config_maps[0].data["SHUTDOWN_TIMEOUT"], "5");
        let pod = &manifests.pods[0];
        assert_eq!(pod.owner, "Deployment app");
        assert_eq!(pod.grace_period, Some((15, 15)));
        assert_eq!(pod.containers[0].line, 17);
        assert_eq!(pod.containers[0].readiness_probe.as_ref().unwrap().line, 20);
        assert!(matches!(
            Manifests::parse("services:\n  app:\n    image: a\n"),
            Parsed::NotKubernetes
        ));
        assert!(matches!(
            Manifests::parse("apiVersion: v1\nkind: {{ .Values.kind }}: ["),
            Parsed::NotKubernetes
        ));
    }

    #[test]
    fn a_manifest_that_does_not_parse_is_broken_and_says_why() {
        let tab = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n\tname: app\n";

        let parsed = Manifests::parse(tab);

        let Parsed::Broken(reason) = parsed else {
            panic!("a tab in the indentation was not reported: {parsed:?}");
        };
        assert!(reason.contains("not valid YAML"), "{reason}");
    }

    /// Nine levels of nine aliases would expand to 387 million nodes; the alias cap stops it.
    #[test]
    fn an_alias_bomb_is_broken_within_five_seconds() {
        let mut bomb =
            String::from("apiVersion: v1\nkind: ConfigMap\na0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let previous = format!("*a{}", level - 1);
            let items = [previous.as_str(); 9].join(", ");
            bomb.push_str(&format!("a{level}: &a{level} [{items}]\n"));
        }
        let started = std::time::Instant::now();

        let parsed = Manifests::parse(&bomb);

        assert!(matches!(parsed, Parsed::Broken(_)), "{parsed:?}");
        assert!(
            started.elapsed().as_secs_f64() < 5.0,
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_key_given_twice_keeps_its_last_value_as_kubectl_reads_it() {
        let twice = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          resources:\n            limits: {cpu: 1}\n          resources: {}\n";

        let Parsed::Manifests(manifests) = Manifests::parse(twice) else {
            panic!("not read");
        };

        assert!(manifests.pods[0].containers[0].resources.is_empty());
    }
}
