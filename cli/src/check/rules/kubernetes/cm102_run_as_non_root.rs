//! CM102: a pod that does not promise to run as non-root (Pod Security "restricted").

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM102",
    severity: Error,
    title: "Kubernetes pod does not require a non-root user",
    why: "Pod Security \"restricted\" requires `runAsNonRoot: true`; without it the kubelet starts the container as whatever user the image names, root included.",
    fix: "Set `securityContext.runAsNonRoot: true` on the pod (or on every container), with `runAsUser` the image's own non-root uid.",
    explain: "With runAsNonRoot the kubelet checks the uid before it starts the process and refuses a container that would run as uid 0, so an image rebuilt without its USER line fails loudly instead of running as root. The pod's securityContext covers every container; a container's own value overrides it.",
    check: Check::Kubernetes(check),
};

fn check(context: &KubernetesContext, report: &mut Report) {
    for pod in &context.manifests.pods {
        for container in pod.all_containers() {
            match pod.effective(container).run_as_non_root {
                Some((true, _)) => {}
                None if pod.patch => {}
                Some((false, line)) => report.at(
                    line,
                    format!(
                        "{}: container {} runs with runAsNonRoot: false",
                        pod.owner, container.name
                    ),
                ),
                None => report.at(
                    container.line,
                    format!(
                        "{}: neither the pod's nor container {}'s securityContext sets runAsNonRoot: true",
                        pod.owner, container.name
                    ),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::{DEPLOYMENT, Fixture};

    #[test]
    fn fires_when_unset_or_false() {
        let unset = Fixture::kubernetes(&DEPLOYMENT.replace("        runAsNonRoot: true\n", ""));
        let overridden = Fixture::kubernetes(&DEPLOYMENT.replace(
            "            allowPrivilegeEscalation: false\n",
            "            allowPrivilegeEscalation: false\n            runAsNonRoot: false\n",
        ));
        assert_eq!(unset.findings(&RULE), ["deploy/app.yaml:27"]);
        assert_eq!(overridden.findings(&RULE), ["deploy/app.yaml:38"]);
    }

    #[test]
    fn near_miss_set_on_the_pod_only() {
        assert!(Fixture::kubernetes(DEPLOYMENT).findings(&RULE).is_empty());
    }
}
