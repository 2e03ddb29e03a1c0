//! CM104: a container without the runtime's seccomp profile (Pod Security "restricted").

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM104",
    severity: Error,
    title: "Kubernetes container without a seccomp profile",
    why: "Pod Security \"restricted\" requires `seccompProfile.type` RuntimeDefault or Localhost; Kubernetes runs containers Unconfined by default, with every system call open to an attacker.",
    fix: "Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod (or on every container).",
    explain: "RuntimeDefault is the container runtime's own profile, the one Docker applies by default: it blocks the system calls a service never needs (kexec_load, mount, bpf and more). Unlike Docker, the kubelet applies no profile unless asked.",
    check: Check::Kubernetes(check),
};

fn check(context: &KubernetesContext, report: &mut Report) {
    for pod in &context.manifests.pods {
        for container in pod.all_containers() {
            match pod.effective(container).seccomp_profile {
                Some((kind, _)) if kind == "RuntimeDefault" || kind == "Localhost" => {}
                None if pod.patch => {}
                Some((kind, line)) => report.at(
                    line,
                    format!(
                        "{}: container {} runs with seccompProfile.type {kind}",
                        pod.owner, container.name
                    ),
                ),
                None => report.at(
                    container.line,
                    format!(
                        "{}: neither the pod's nor container {}'s securityContext sets seccompProfile.type: RuntimeDefault",
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
    fn fires_when_unset_or_unconfined() {
        let unset = Fixture::kubernetes(&DEPLOYMENT.replace(
            "        seccompProfile:\n          type: RuntimeDefault\n",
            "",
        ));
        let unconfined =
            Fixture::kubernetes(&DEPLOYMENT.replace("type: RuntimeDefault", "type: Unconfined"));
        assert_eq!(unset.findings(&RULE), ["deploy/app.yaml:26"]);
        assert_eq!(unconfined.findings(&RULE), ["deploy/app.yaml:26"]);
    }

    #[test]
    fn near_miss_localhost_profile() {
        let localhost = DEPLOYMENT.replace("type: RuntimeDefault", "type: Localhost");
        assert!(Fixture::kubernetes(&localhost).findings(&RULE).is_empty());
    }
}
