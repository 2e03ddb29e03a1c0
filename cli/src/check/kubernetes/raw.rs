//! The YAML as written: every field optional, so a manifest that leaves one out still reads.
//! `Manifests::parse` turns these into the model the rules read.

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

#[derive(Deserialize)]
pub(super) struct Object {
    pub(super) kind: Option<Spanned<String>>,
    pub(super) metadata: Option<Metadata>,
    pub(super) spec: Option<Box<Spec>>,
    pub(super) data: Option<BTreeMap<String, Value>>,
    pub(super) images: Option<Vec<ImageOverride>>,
    #[serde(rename = "patchesStrategicMerge")]
    pub(super) patches_strategic_merge: Option<Vec<Value>>,
    pub(super) patches: Option<Vec<Value>>,
}

#[derive(Deserialize)]
pub(super) struct Metadata {
    pub(super) name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ImageOverride {
    pub(super) name: Option<String>,
    pub(super) new_tag: Option<Value>,
    pub(super) digest: Option<String>,
}

/// A workload's spec and a pod's spec in one: serde ignores the fields a kind does not have.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct Spec {
    pub(super) restart_policy: Option<String>,
    pub(super) template: Option<Template>,
    pub(super) job_template: Option<JobTemplate>,
    pub(super) termination_grace_period_seconds: Option<Spanned<u64>>,
    pub(super) security_context: Option<RawSecurityContext>,
    pub(super) containers: Option<Vec<RawContainer>>,
    pub(super) init_containers: Option<Vec<RawContainer>>,
    pub(super) host_network: Option<Spanned<bool>>,
    #[serde(rename = "hostPID")]
    pub(super) host_pid: Option<Spanned<bool>>,
    #[serde(rename = "hostIPC")]
    pub(super) host_ipc: Option<Spanned<bool>>,
    pub(super) volumes: Option<Vec<Spanned<Value>>>,
}

#[derive(Deserialize)]
pub(super) struct Template {
    pub(super) spec: Option<Box<Spec>>,
}

#[derive(Deserialize)]
pub(super) struct JobTemplate {
    pub(super) spec: Option<Box<Spec>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawSecurityContext {
    pub(super) run_as_non_root: Option<Spanned<bool>>,
    pub(super) run_as_user: Option<Spanned<i64>>,
    pub(super) allow_privilege_escalation: Option<Spanned<bool>>,
    pub(super) privileged: Option<Spanned<bool>>,
    pub(super) read_only_root_filesystem: Option<Spanned<bool>>,
    pub(super) seccomp_profile: Option<SeccompProfile>,
    pub(super) capabilities: Option<RawCapabilities>,
}

#[derive(Deserialize)]
pub(super) struct SeccompProfile {
    #[serde(rename = "type")]
    pub(super) kind: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawCapabilities {
    pub(super) drop: Option<Vec<String>>,
    pub(super) add: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawContainer {
    pub(super) name: Option<Spanned<String>>,
    pub(super) image: Option<Spanned<String>>,
    pub(super) ports: Option<Vec<RawPort>>,
    pub(super) env: Option<Vec<RawEnv>>,
    pub(super) env_from: Option<Vec<RawEnvFrom>>,
    pub(super) security_context: Option<RawSecurityContext>,
    pub(super) resources: Option<RawResources>,
    pub(super) startup_probe: Option<Spanned<RawProbe>>,
    pub(super) liveness_probe: Option<Spanned<RawProbe>>,
    pub(super) readiness_probe: Option<Spanned<RawProbe>>,
    pub(super) lifecycle: Option<RawLifecycle>,
    pub(super) volume_mounts: Option<Vec<RawMount>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawPort {
    pub(super) name: Option<String>,
    pub(super) container_port: Option<u16>,
    pub(super) host_port: Option<Spanned<u16>>,
}

#[derive(Deserialize)]
pub(super) struct RawEnv {
    pub(super) name: Option<String>,
    pub(super) value: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawEnvFrom {
    pub(super) config_map_ref: Option<Metadata>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawResources {
    pub(super) requests: Option<BTreeMap<String, Value>>,
    pub(super) limits: Option<BTreeMap<String, Value>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct RawProbe {
    pub(super) http_get: Option<RawHttpGet>,
    pub(super) tcp_socket: Option<RawTcpSocket>,
}

#[derive(Deserialize)]
pub(super) struct RawHttpGet {
    pub(super) path: Option<String>,
    pub(super) port: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawLifecycle {
    pub(super) pre_stop: Option<RawHandler>,
}

#[derive(Deserialize)]
pub(super) struct RawHandler {
    pub(super) sleep: Option<RawSleep>,
}

#[derive(Deserialize)]
pub(super) struct RawSleep {
    pub(super) seconds: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawMount {
    pub(super) mount_path: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RawTcpSocket {
    pub(super) port: Option<Value>,
}
