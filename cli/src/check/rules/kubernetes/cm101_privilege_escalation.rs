//! CM101: a container that may gain privileges (Pod Security "restricted").

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM101",
    severity: Error,
    title: "Kubernetes container allows privilege escalation",
    why: "Pod Security \"restricted\" requires `allowPrivilegeEscalation: false`; without it a setuid binary or file capability in the image can raise the process's privileges, and a namespace enforcing the profile refuses the pod.",
    fix: "Set `securityContext.allowPrivilegeEscalation: false` on every container (init containers too).",
    explain: "The field sets the kernel's no_new_privs flag, as compose's `no-new-privileges:true` does. It is a container field: the pod's securityContext has no such field, so each container must say it. The Pod Security admission controller rejects a pod in a namespace labelled `pod-security.kubernetes.io/enforce: restricted` when any container leaves it unset or true.",
    check: Check::Kubernetes(check),
};

fn check(context: &KubernetesContext, report: &mut Report) {
    for pod in &context.manifests.pods {
        for container in pod.all_containers() {
            let value = container.security.allow_privilege_escalation;
            super::require_flag(
                report,
                pod,
                container,
                "allowPrivilegeEscalation",
                value,
                false,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::{DEPLOYMENT, Fixture};

    #[test]
    fn fires_when_unset_or_true() {
        let unset = Fixture::kubernetes(
            &DEPLOYMENT.replace("            allowPrivilegeEscalation: false\n", ""),
        );
        let set = Fixture::kubernetes(&DEPLOYMENT.replace(
            "allowPrivilegeEscalation: false",
            "allowPrivilegeEscalation: true",
        ));
        assert_eq!(unset.findings(&RULE), ["deploy/app.yaml:28"]);
        assert_eq!(set.findings(&RULE), ["deploy/app.yaml:37"]);
    }

    #[test]
    fn near_miss_set_false() {
        assert!(Fixture::kubernetes(DEPLOYMENT).findings(&RULE).is_empty());
    }
}
