//! CM103: a pod or container that sets uid 0 (Pod Security "restricted").

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM103",
    severity: Error,
    title: "Kubernetes container runs as uid 0",
    why: "Pod Security \"restricted\" forbids `runAsUser: 0`: root in the container is root on the node the moment anything escapes, and with runAsNonRoot the kubelet refuses to start it at all.",
    fix: "Set `runAsUser` to the image's own non-root uid (the Dockerfile's USER, 65532 on distroless `:nonroot`), or leave it out and let the image's USER apply.",
    explain: "runAsUser overrides the image's USER. A manifest copied from elsewhere with `runAsUser: 0` undoes a non-root image; this rule reads the field wherever it is set, the pod's securityContext or a container's.",
    check: Check::Kubernetes(check),
};

fn check(context: &KubernetesContext, report: &mut Report) {
    for pod in &context.manifests.pods {
        for container in pod.all_containers() {
            if let Some((0, line)) = pod.effective(container).run_as_user {
                report.at(
                    line,
                    format!(
                        "{}: container {} runs as uid 0 (runAsUser: 0)",
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
    fn fires_on_uid_0() {
        let root = Fixture::kubernetes(&DEPLOYMENT.replace("runAsUser: 65532", "runAsUser: 0"));
        assert_eq!(root.findings(&RULE), ["deploy/app.yaml:24"]);
    }

    #[test]
    fn near_miss_a_non_root_uid_or_none() {
        let unset = DEPLOYMENT.replace("        runAsUser: 65532\n", "");
        assert!(Fixture::kubernetes(DEPLOYMENT).findings(&RULE).is_empty());
        assert!(Fixture::kubernetes(&unset).findings(&RULE).is_empty());
    }
}
