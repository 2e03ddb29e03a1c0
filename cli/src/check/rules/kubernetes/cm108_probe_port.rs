//! CM108: a probe on a port the container does not declare.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM108",
    severity: Error,
    title: "Kubernetes probe on a port the container or its image does not expose",
    why: "A probe on a port nothing listens on fails every time: the startup or liveness probe has the container killed in a loop, the readiness probe keeps the pod out of its Service for good.",
    fix: "Point the probe's `httpGet.port` at one of the container's `ports` (by its name, so the two cannot drift), and make that `containerPort` a port the image EXPOSEs and the service binds.",
    explain: "The kubelet probes the pod's IP on the port given; a name is looked up among the container's ports, and a name that matches none is an error only at run time. Probing by name keeps the probe and `containerPort` in one place. Where the project's Dockerfile EXPOSEs ports, the probe's port must be one of them, unless the container's environment moves the service there (`PORT`, `ADMIN_PORT`).",
    check: Check::Kubernetes(check),
};

/// The ports the project's Dockerfiles EXPOSE in their final stages.
fn exposed(project: &Project) -> Vec<u16> {
    project
        .dockerfiles
        .iter()
        .flat_map(|dockerfile| dockerfile.parsed.exposed_ports())
        .map(|(port, _)| port)
        .collect()
}

fn check(context: &KubernetesContext, report: &mut Report) {
    let exposed = exposed(context.project);
    for pod in &context.manifests.pods {
        for container in &pod.containers {
            let environment = context.environment(container);
            let moved_to: Vec<u16> = ["PORT", "ADMIN_PORT"]
                .iter()
                .filter_map(|name| environment.get(*name)?.trim().parse().ok())
                .collect();
            for (name, probe) in container.probes() {
                let Some((path, port)) = probe.and_then(|probe| probe.http.as_ref()) else {
                    continue;
                };
                let line = probe.map_or(container.line, |probe| probe.line);
                let declared = container
                    .port_number(port)
                    .filter(|number| container.ports.iter().any(|p| p.number == *number));
                if let Some(number) = declared
                    && !exposed.is_empty()
                    && !exposed.contains(&number)
                    && !moved_to.contains(&number)
                {
                    report.at(
                        line,
                        format!(
                            "{}: container {}'s {name} calls {path} on port {number}, which the image does not expose (EXPOSE {})",
                            pod.owner,
                            container.name,
                            exposed
                                .iter()
                                .map(u16::to_string)
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    );
                }
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
    fn fires_on_a_declared_port_the_image_does_not_expose() {
        let elsewhere = Fixture::kubernetes(
            &DEPLOYMENT
                .replace("containerPort: 8080", "containerPort: 9000")
                .replace("port: 8080}", "port: 9000}"),
        );
        assert_eq!(
            elsewhere.findings(&RULE),
            ["deploy/app.yaml:45", "deploy/app.yaml:47"]
        );
    }

    #[test]
    fn near_miss_by_name_and_by_number_or_moved_by_the_environment() {
        let moved = DEPLOYMENT
            .replace("containerPort: 8080", "containerPort: 9000")
            .replace("port: 8080}", "port: 9000}")
            .replace(
                "  SHUTDOWN_TIMEOUT: \"5\"\n",
                "  SHUTDOWN_TIMEOUT: \"5\"\n  PORT: \"9000\"\n",
            );
        assert!(Fixture::kubernetes(DEPLOYMENT).findings(&RULE).is_empty());
        assert!(Fixture::kubernetes(&moved).findings(&RULE).is_empty());
    }
}
