//! Rules that read a file of Kubernetes objects, once per file.

use crate::check::kubernetes::{Container, Pod};
use crate::check::rules::Report;

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
pub mod cm114_writable_root_filesystem;

/// Reports a container's securityContext flag that is not `wanted`: at its own line when it is
/// set the other way, at the container when it is not set at all.
fn require_flag(
    report: &mut Report,
    pod: &Pod,
    container: &Container,
    field: &str,
    value: Option<(bool, usize)>,
    wanted: bool,
) {
    match value {
        Some((set, _)) if set == wanted => {}
        None if pod.patch => {}
        Some((set, line)) => report.at(
            line,
            format!(
                "{}: container {} sets securityContext.{field}: {set}",
                pod.owner, container.name
            ),
        ),
        None => report.at(
            container.line,
            format!(
                "{}: container {} does not set securityContext.{field}: {wanted}",
                pod.owner, container.name
            ),
        ),
    }
}
