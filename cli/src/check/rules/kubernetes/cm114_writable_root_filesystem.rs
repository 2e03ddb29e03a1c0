//! CM114: a container whose root filesystem is writable.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM114",
    severity: Warning,
    title: "Kubernetes container with a writable root filesystem",
    why: "A writable root filesystem lets a compromised process change the image's own files (drop a binary, edit a config or a CA bundle) and keeps what it writes for the container's whole life; the service never needs it.",
    fix: "Set `securityContext.readOnlyRootFilesystem: true` on every container (init containers too), and mount an `emptyDir` at each path the process writes (/tmp, a cache).",
    explain: "compose's `read_only: true` is the same setting, and the template's compose file and manifests set both. Kubernetes leaves the root filesystem writable unless a container asks otherwise; Pod Security \"restricted\" does not require it, trivy (KSV-0014) and checkov (CKV_K8S_22) do. It is a container field: the pod's securityContext has no such field. CM113 says which paths the image declares it writes.",
    check: Check::Kubernetes(check),
};

fn check(context: &KubernetesContext, report: &mut Report) {
    for pod in &context.manifests.pods {
        for container in pod.all_containers() {
            let value = container.security.read_only_root_filesystem;
            super::require_flag(
                report,
                pod,
                container,
                "readOnlyRootFilesystem",
                value,
                true,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::{DEPLOYMENT, Fixture};

    #[test]
    fn fires_when_unset_or_false_in_an_otherwise_hardened_container() {
        let unset = Fixture::kubernetes(
            &DEPLOYMENT.replace("            readOnlyRootFilesystem: true\n", ""),
        );
        let writable = Fixture::kubernetes(&DEPLOYMENT.replace(
            "readOnlyRootFilesystem: true",
            "readOnlyRootFilesystem: false",
        ));
        assert_eq!(unset.findings(&RULE), ["deploy/app.yaml:28"]);
        assert_eq!(writable.findings(&RULE), ["deploy/app.yaml:38"]);
    }

    #[test]
    fn near_miss_read_only() {
        assert!(Fixture::kubernetes(DEPLOYMENT).findings(&RULE).is_empty());
    }
}
