//! CM112: a grace period that ends before the preStop pause and the drain do.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM112",
    severity: Error,
    title: "Kubernetes grace period shorter than the drain",
    why: "The kubelet sends SIGKILL when `terminationGracePeriodSeconds` ends, counted from the start of the preStop hook: a pause plus a SHUTDOWN_TIMEOUT drain that add up to more is cut off, and the requests still in flight fail.",
    fix: "Make `terminationGracePeriodSeconds` greater than the preStop sleep plus SHUTDOWN_TIMEOUT (5 + 5 < 15 here), or shorten them.",
    explain: "On a rolling update the pod is deleted, the preStop hook runs while endpoints drop the pod, then SIGTERM starts the service's drain. The grace period (30 s when left out) covers all of it. SHUTDOWN_TIMEOUT is read from the container's env and its envFrom ConfigMaps; where it is not set, only the pause is compared.",
    check: Check::Kubernetes(check),
};

fn check(context: &KubernetesContext, report: &mut Report) {
    // A patch that leaves the grace period to its base says nothing of it.
    for pod in context
        .manifests
        .pods
        .iter()
        .filter(|pod| !pod.patch || pod.grace_period.is_some())
    {
        let (grace, line) = pod.grace_period.unwrap_or((30, pod.line));
        for container in &pod.containers {
            let pause = container.pre_stop_sleep.unwrap_or(0);
            let drain: u64 = context
                .environment(container)
                .get("SHUTDOWN_TIMEOUT")
                .and_then(|secs| secs.trim().parse().ok())
                .unwrap_or(0);
            if grace <= pause + drain {
                report.at(
                    line,
                    format!(
                        "{}: terminationGracePeriodSeconds {grace} is not more than container {}'s preStop sleep ({pause} s) plus SHUTDOWN_TIMEOUT ({drain} s)",
                        pod.owner, container.name
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::{DEPLOYMENT, Fixture};

    #[test]
    fn fires_when_the_pause_and_drain_outlast_the_grace_period() {
        let short = Fixture::kubernetes(&DEPLOYMENT.replace(
            "terminationGracePeriodSeconds: 15",
            "terminationGracePeriodSeconds: 10",
        ));
        assert_eq!(short.findings(&RULE), ["deploy/app.yaml:21"]);
    }

    #[test]
    fn near_miss_one_second_to_spare_or_the_default_30() {
        let spare = DEPLOYMENT.replace(
            "terminationGracePeriodSeconds: 15",
            "terminationGracePeriodSeconds: 11",
        );
        let default = DEPLOYMENT.replace("      terminationGracePeriodSeconds: 15\n", "");
        assert!(Fixture::kubernetes(&spare).findings(&RULE).is_empty());
        assert!(Fixture::kubernetes(&default).findings(&RULE).is_empty());
    }
}
