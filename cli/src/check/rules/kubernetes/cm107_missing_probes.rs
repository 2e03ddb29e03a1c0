//! CM107: a long-running container without liveness or readiness probes.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM107",
    severity: Warning,
    title: "Kubernetes container without liveness or readiness probe",
    why: "Without a readiness probe a pod gets traffic before it can answer and keeps it when it cannot; without a liveness probe a hung process is never restarted.",
    fix: "Add `readinessProbe` (httpGet on the service's readiness route, `/ready` here) and `livenessProbe` (httpGet on `/health`); add a `startupProbe` if the service starts slowly.",
    explain: "compose's healthcheck does neither job on Kubernetes: the kubelet ignores the image's HEALTHCHECK. What runs to completion needs no probes: init containers, Jobs, CronJobs, and a bare Pod with `restartPolicy: Never` or `OnFailure` (a test Pod, a one-off task); this rule reads Deployments, StatefulSets, DaemonSets, ReplicaSets and the Pods that are restarted.",
    check: Check::Kubernetes(check),
};

fn check(context: &KubernetesContext, report: &mut Report) {
    for pod in &context.manifests.pods {
        if pod.runs_to_completion() || pod.patch {
            continue;
        }
        for container in &pod.containers {
            let missing: Vec<&str> = [
                ("livenessProbe", &container.liveness_probe),
                ("readinessProbe", &container.readiness_probe),
            ]
            .into_iter()
            .filter(|(_, probe)| probe.is_none())
            .map(|(name, _)| name)
            .collect();
            if !missing.is_empty() {
                report.at(
                    container.line,
                    format!(
                        "{}: container {} has no {}",
                        pod.owner,
                        container.name,
                        missing.join(" and no ")
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
    fn fires_without_a_readiness_probe() {
        let unready = Fixture::kubernetes(&DEPLOYMENT.replace(
            "          readinessProbe:\n            httpGet: {path: /ready, port: 8080}\n",
            "",
        ));
        assert_eq!(unready.findings(&RULE), ["deploy/app.yaml:28"]);
    }

    #[test]
    fn near_miss_a_job_needs_none() {
        let job = DEPLOYMENT.replace("kind: Deployment", "kind: Job").replace(
            "          livenessProbe:\n            httpGet: {path: /health, port: http}\n",
            "",
        );
        assert!(Fixture::kubernetes(&job).findings(&RULE).is_empty());
    }

    #[test]
    fn near_miss_a_pod_that_is_not_restarted_runs_to_completion() {
        let test_pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: smoke-test\nspec:\n  restartPolicy: Never\n  containers:\n    - name: curl\n      image: curlimages/curl:8.11.0\n";
        let restarted = test_pod.replace("  restartPolicy: Never\n", "");
        assert!(Fixture::kubernetes(test_pod).findings(&RULE).is_empty());
        assert_eq!(
            Fixture::kubernetes(&restarted).findings(&RULE),
            ["deploy/app.yaml:7"]
        );
    }
}
