//! A rendered project's Kubernetes manifests as data: `kubectl kustomize` output parsed into the
//! fields the suites read, with Kubernetes' own defaults where a field is left out.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

use crate::{clean_command, run_ok};

/// The kustomize base every rendered project carries.
pub const BASE_DIR: &str = "deploy/kubernetes";

/// Every document `kubectl kustomize <dir>` renders, in its order.
pub struct Manifests {
    pub text: String,
    pub documents: Vec<serde_json::Value>,
}

impl Manifests {
    /// Renders `dir` with `kubectl kustomize`, which needs no cluster.
    pub fn kustomize(dir: &Path) -> Manifests {
        let output = run_ok(clean_command("kubectl").arg("kustomize").arg(dir));
        Manifests::parse(&String::from_utf8(output.stdout).unwrap())
    }

    pub fn parse(text: &str) -> Manifests {
        let documents = serde_saphyr::from_multiple::<serde_json::Value>(text)
            .unwrap_or_else(|error| panic!("kustomize's output does not parse: {error}"))
            .into_iter()
            .filter(|document| !document.is_null())
            .collect();
        Manifests {
            text: text.to_owned(),
            documents,
        }
    }

    /// The one document of `kind`; fails the test when there is none or more than one.
    pub fn one(&self, kind: &str) -> &serde_json::Value {
        let found: Vec<_> = self
            .documents
            .iter()
            .filter(|document| document["kind"].as_str() == Some(kind))
            .collect();
        assert_eq!(found.len(), 1, "expected one {kind}, found {}", found.len());
        found[0]
    }

    pub fn kinds(&self) -> Vec<String> {
        self.documents
            .iter()
            .map(|document| document["kind"].as_str().unwrap_or("?").to_owned())
            .collect()
    }

    pub fn deployment(&self) -> Deployment {
        serde_json::from_value(self.one("Deployment").clone())
            .unwrap_or_else(|error| panic!("the Deployment does not parse: {error}"))
    }

    /// The data of the ConfigMap called `name`.
    pub fn config_map(&self, name: &str) -> BTreeMap<String, String> {
        let document = self
            .documents
            .iter()
            .find(|document| {
                document["kind"].as_str() == Some("ConfigMap")
                    && document["metadata"]["name"].as_str() == Some(name)
            })
            .unwrap_or_else(|| panic!("no ConfigMap {name}"));
        serde_json::from_value(document["data"].clone()).unwrap_or_default()
    }

    /// The environment the kubelet gives `container`, Secret references left out: its
    /// ConfigMaps' data, then its own `env` values on top, as Kubernetes orders them.
    pub fn environment(&self, container: &Container) -> BTreeMap<String, String> {
        self.environment_with(container, None)
            .unwrap_or_else(|_| unreachable!("no Secret is read without secrets"))
    }

    /// The environment with `secretKeyRef`s resolved from `secrets` (left out when `None`):
    /// `Err` names the Secret or key that is missing, where the kubelet would refuse to start
    /// the container.
    pub fn environment_with(
        &self,
        container: &Container,
        secrets: Option<&Secrets>,
    ) -> Result<BTreeMap<String, String>, String> {
        let mut environment = BTreeMap::new();
        for source in &container.env_from {
            if let Some(config_map) = &source.config_map_ref {
                environment.extend(self.config_map(&config_map.name));
            }
        }
        for variable in &container.env {
            if let Some(value) = &variable.value {
                environment.insert(variable.name.clone(), value.clone());
            }
            let reference = variable
                .value_from
                .as_ref()
                .and_then(|source| source.secret_key_ref.as_ref());
            if let (Some(reference), Some(secrets)) = (reference, secrets) {
                let value = secrets
                    .get(&reference.name)
                    .and_then(|data| data.get(&reference.key))
                    .ok_or_else(|| {
                        format!(
                            "env {} reads key {:?} of Secret {:?}, which does not exist",
                            variable.name, reference.key, reference.name
                        )
                    })?;
                environment.insert(variable.name.clone(), value.clone());
            }
        }
        Ok(environment)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Deployment {
    pub spec: DeploymentSpec,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeploymentSpec {
    pub replicas: Option<u32>,
    pub template: PodTemplate,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PodTemplate {
    pub spec: PodSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    pub termination_grace_period_seconds: Option<u64>,
    pub automount_service_account_token: Option<bool>,
    #[serde(default)]
    pub security_context: SecurityContext,
    pub containers: Vec<Container>,
    #[serde(default)]
    pub init_containers: Vec<Container>,
}

impl PodSpec {
    /// Kubernetes' default when the field is left out.
    pub fn grace_period_seconds(&self) -> u64 {
        self.termination_grace_period_seconds.unwrap_or(30)
    }
}

/// The pod's and the container's securityContext share these fields; the container's win.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub seccomp_profile: Option<SeccompProfile>,
    pub allow_privilege_escalation: Option<bool>,
    pub read_only_root_filesystem: Option<bool>,
    pub privileged: Option<bool>,
    pub capabilities: Option<Capabilities>,
}

impl SecurityContext {
    /// The container's context with the pod's filled in where the container says nothing.
    pub fn over(&self, pod: &SecurityContext) -> SecurityContext {
        SecurityContext {
            run_as_non_root: self.run_as_non_root.or(pod.run_as_non_root),
            run_as_user: self.run_as_user.or(pod.run_as_user),
            run_as_group: self.run_as_group.or(pod.run_as_group),
            seccomp_profile: self
                .seccomp_profile
                .clone()
                .or_else(|| pod.seccomp_profile.clone()),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SeccompProfile {
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Capabilities {
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub drop: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    pub name: String,
    pub image: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub ports: Vec<ContainerPort>,
    #[serde(default)]
    pub env_from: Vec<EnvFromSource>,
    #[serde(default)]
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub security_context: SecurityContext,
    #[serde(default)]
    pub resources: Resources,
    pub startup_probe: Option<Probe>,
    pub liveness_probe: Option<Probe>,
    pub readiness_probe: Option<Probe>,
    pub lifecycle: Option<Lifecycle>,
}

impl Container {
    /// A probe's port as a number: a name is looked up among the container's ports.
    pub fn resolve_port(&self, port: &PortRef) -> Option<u16> {
        match port {
            PortRef::Number(number) => Some(*number),
            PortRef::Name(name) => self
                .ports
                .iter()
                .find(|port| port.name.as_deref() == Some(name))
                .map(|port| port.container_port),
        }
    }

    /// The preStop `sleep` action's seconds, 0 when there is none.
    pub fn pre_stop_sleep_seconds(&self) -> u64 {
        self.lifecycle
            .as_ref()
            .and_then(|lifecycle| lifecycle.pre_stop.as_ref())
            .and_then(|handler| handler.sleep.as_ref())
            .map_or(0, |sleep| sleep.seconds)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    pub name: Option<String>,
    pub container_port: u16,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvFromSource {
    pub config_map_ref: Option<NameRef>,
    pub secret_ref: Option<NameRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NameRef {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    pub value: Option<String>,
    pub value_from: Option<EnvVarSource>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVarSource {
    pub secret_key_ref: Option<SecretKeyRef>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SecretKeyRef {
    pub name: String,
    pub key: String,
}

/// Secrets as the cluster would hold them: name -> key -> value. No manifest carries them.
pub type Secrets = BTreeMap<String, BTreeMap<String, String>>;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Resources {
    #[serde(default)]
    pub requests: BTreeMap<String, String>,
    #[serde(default)]
    pub limits: BTreeMap<String, String>,
}

/// A probe with Kubernetes' defaults for the fields left out.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    pub http_get: Option<HttpGet>,
    #[serde(default)]
    pub initial_delay_seconds: u64,
    #[serde(default = "ten")]
    pub period_seconds: u64,
    #[serde(default = "one")]
    pub timeout_seconds: u64,
    #[serde(default = "one")]
    pub success_threshold: u32,
    #[serde(default = "three")]
    pub failure_threshold: u32,
}

fn one<T: From<u8>>() -> T {
    T::from(1)
}
fn three() -> u32 {
    3
}
fn ten() -> u64 {
    10
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpGet {
    #[serde(default = "root_path")]
    pub path: String,
    pub port: PortRef,
}

fn root_path() -> String {
    "/".to_owned()
}

/// A port given by number or by the name of one of the container's ports.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

impl std::fmt::Display for PortRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortRef::Number(number) => write!(f, "{number}"),
            PortRef::Name(name) => write!(f, "{name:?}"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lifecycle {
    pub pre_stop: Option<LifecycleHandler>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LifecycleHandler {
    pub sleep: Option<SleepAction>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SleepAction {
    pub seconds: u64,
}

/// A CPU quantity ("500m", "0.5", "2") in millicores.
pub fn cpu_millicores(quantity: &str) -> Option<u64> {
    match quantity.strip_suffix('m') {
        Some(millis) => millis.parse().ok(),
        None => quantity
            .parse::<f64>()
            .ok()
            .map(|cores| (cores * 1000.0).round() as u64),
    }
}

/// A memory quantity ("128Mi", "1Gi", "134217728", "128M") in bytes.
pub fn memory_bytes(quantity: &str) -> Option<u64> {
    let units: [(&str, u64); 8] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("k", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
    ];
    for (suffix, factor) in units {
        if let Some(number) = quantity.strip_suffix(suffix) {
            return number.parse::<u64>().ok().map(|n| n * factor);
        }
    }
    quantity.parse().ok()
}
