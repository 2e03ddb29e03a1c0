//! CM108: a probe on a port the container does not declare.

use super::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM108",
    severity: Error,
    title: "Kubernetes probe on a port the container does not expose",
    why: "A probe on a port nothing listens on fails every time: the startup or liveness probe has the container killed in a loop, the readiness probe keeps the pod out of its Service for good.",
    fix: "Point the probe's `httpGet.port` at one of the container's `ports` (by its name, so the two cannot drift), the port the service binds.",
    explain: "The kubelet probes the pod's IP on the port given; a name is looked up among the container's ports, and a name that matches none is an error only at run time. Probing by name keeps the probe and `containerPort` in one place.",
    check: Check::Kubernetes(check),
};

fn check(context: &KubernetesContext, report: &mut Report) {
    for pod in &context.manifests.pods {
        for container in &pod.containers {
            for (name, probe) in container.probes() {
                let Some((path, port)) = probe.and_then(|probe| probe.http.as_ref()) else {
                    continue;
                };
                let line = probe.map_or(container.line, |probe| probe.line);
                let declared = container
                    .port_number(port)
                    .filter(|number| container.ports.iter().any(|p| p.number == *number));
                if declared.is_none() {
                    report.at(
                        line,
                        format!(
                            "{}: container {}'s {name} calls {path} on port {port}, which is not among its ports ({})",
                            pod.owner,
                            container.name,
                            container
                                .ports
                                .iter()
                                .map(|port| port.number.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
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
    fn fires_on_an_undeclared_number_or_an_unknown_name() {
        let number = Fixture::kubernetes(&DEPLOYMENT.replace("port: 8080}", "port: 9090}"));
        let name = Fixture::kubernetes(&DEPLOYMENT.replace("port: http}", "port: admin}"));
        assert_eq!(number.findings(&RULE), ["deploy/app.yaml:47"]);
        assert_eq!(name.findings(&RULE), ["deploy/app.yaml:45"]);
    }

    #[test]
    fn near_miss_by_name_and_by_number() {
        assert!(Fixture::kubernetes(DEPLOYMENT).findings(&RULE).is_empty());
    }
}
