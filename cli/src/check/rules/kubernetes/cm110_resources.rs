//! CM110: a container without CPU and memory requests and limits.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM110",
    severity: Warning,
    title: "Kubernetes container without requests and limits",
    why: "Without requests the scheduler packs pods blind and the pod is the first evicted; without a memory limit a leak takes the node's memory from its neighbours.",
    fix: "Set `resources.requests` and `resources.limits` for `cpu` and `memory` (the compose file's limits: 500m and 128Mi here).",
    explain: "Requests equal to limits make the pod Guaranteed, the last class the kubelet evicts when a node runs short. A CPU limit also tells the runtime how many CPUs the process may use, which sizes its worker threads.",
    check: Check::Kubernetes(check),
};

fn check(context: &KubernetesContext, report: &mut Report) {
    for pod in context.manifests.pods.iter().filter(|pod| !pod.patch) {
        for container in pod.all_containers() {
            let missing: Vec<&str> = [
                "requests.cpu",
                "requests.memory",
                "limits.cpu",
                "limits.memory",
            ]
            .into_iter()
            .filter(|wanted| !container.resources.iter().any(|set| set == wanted))
            .collect();
            if !missing.is_empty() {
                report.at(
                    container.line,
                    format!(
                        "{}: container {} sets no {}",
                        pod.owner,
                        container.name,
                        missing.join(", ")
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
    fn fires_without_limits() {
        let unlimited = Fixture::kubernetes(
            &DEPLOYMENT.replace("            limits: {cpu: 500m, memory: 128Mi}\n", ""),
        );
        assert_eq!(unlimited.findings(&RULE), ["deploy/app.yaml:28"]);
        assert!(
            unlimited.run(&RULE)[0]
                .message
                .contains("limits.cpu, limits.memory")
        );
    }

    #[test]
    fn near_miss_all_four_set() {
        assert!(Fixture::kubernetes(DEPLOYMENT).findings(&RULE).is_empty());
    }
}
