//! CM105: a container that keeps capabilities (Pod Security "restricted").

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM105",
    severity: Error,
    title: "Kubernetes container keeps Linux capabilities",
    why: "Pod Security \"restricted\" requires dropping ALL capabilities and adding back none but NET_BIND_SERVICE; the runtime's default set (CHOWN, SETUID, NET_RAW, ...) is more than an HTTP service needs.",
    fix: "Set `securityContext.capabilities.drop: [ALL]` on every container and add nothing back (a port below 1024 may add NET_BIND_SERVICE).",
    explain: "compose's `cap_drop: [ALL]` is the same setting. NET_RAW alone lets a compromised process forge packets on the node's network. Capabilities are a container field: the pod's securityContext cannot set them. Names are case-sensitive: `drop: [all]` is not `ALL`, and the message says so.",
    check: Check::Kubernetes(check),
};

fn check(context: &KubernetesContext, report: &mut Report) {
    for pod in &context.manifests.pods {
        for container in pod.all_containers() {
            let security = &container.security;
            let dropped = security.capabilities_drop.as_deref().unwrap_or_default();
            let drops_all = dropped.iter().any(|name| name == "ALL");
            // A patch that sets no capabilities leaves them to its base.
            let left_to_the_base = pod.patch && security.capabilities_drop.is_none();
            let misspelt = dropped
                .iter()
                .find(|name| !drops_all && name.eq_ignore_ascii_case("ALL"));
            if let Some(written) = misspelt {
                report.at(
                    container.line,
                    format!(
                        "{}: container {} drops `{written}`: capability names are upper case, so admission (Pod Security \"restricted\") refuses it and the runtime drops nothing; write `drop: [ALL]`",
                        pod.owner, container.name
                    ),
                );
            } else if !drops_all && !left_to_the_base {
                report.at(
                    container.line,
                    format!(
                        "{}: container {} does not set securityContext.capabilities.drop: [ALL]",
                        pod.owner, container.name
                    ),
                );
            }
            for (added, line) in &security.capabilities_add {
                if added != "NET_BIND_SERVICE" {
                    report.at(
                        *line,
                        format!(
                            "{}: container {} adds capability {added}",
                            pod.owner, container.name
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::{DEPLOYMENT, Fixture};

    #[test]
    fn fires_without_drop_all_or_with_an_added_capability() {
        let kept = Fixture::kubernetes(&DEPLOYMENT.replace("drop: [ALL]", "drop: [NET_RAW]"));
        let added = Fixture::kubernetes(
            &DEPLOYMENT.replace("drop: [ALL]", "drop: [ALL]\n              add: [SYS_ADMIN]"),
        );
        assert_eq!(kept.findings(&RULE), ["deploy/app.yaml:28"]);
        assert_eq!(added.findings(&RULE), ["deploy/app.yaml:41"]);
    }

    #[test]
    fn near_miss_net_bind_service_added_back() {
        let bind = DEPLOYMENT.replace(
            "drop: [ALL]",
            "drop: [ALL]\n              add: [NET_BIND_SERVICE]",
        );
        assert!(Fixture::kubernetes(&bind).findings(&RULE).is_empty());
    }

    #[test]
    fn fires_on_a_lower_case_all_and_names_the_case() {
        let lower = Fixture::kubernetes(&DEPLOYMENT.replace("drop: [ALL]", "drop: [all]"));

        let findings = lower.run(&RULE);

        assert_eq!(lower.findings(&RULE), ["deploy/app.yaml:28"]);
        assert!(findings[0].message.contains("upper case"), "{findings:?}");
    }
}
