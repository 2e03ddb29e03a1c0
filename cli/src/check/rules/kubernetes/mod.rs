//! Rules that read a file of Kubernetes objects, once per file.

pub mod cm101_privilege_escalation;
pub mod cm102_run_as_non_root;
pub mod cm103_run_as_root_uid;
pub mod cm104_seccomp_profile;
pub mod cm105_capabilities;
pub mod cm106_host_access;
pub mod cm107_missing_probes;
pub mod cm108_probe_port;
pub mod cm109_probe_path;
pub mod cm110_resources;
pub mod cm111_floating_image;
pub mod cm112_grace_period;
pub mod cm113_read_only_root_writes;
