//! CM108: a probe on a port the container does not declare.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM108",
    severity: Error,
    title: "Kubernetes probe on a port nothing listens on",
    why: "A probe on a port nothing listens on fails every time: the startup or liveness probe has the container killed in a loop, the readiness probe keeps the pod out of its Service for good.",
    fix: "Point the probe at the port the service listens on, by the name of one of the container's `ports` (so the two cannot drift), and make that `containerPort` a port the image EXPOSEs and the service binds.",
    explain: "The kubelet probes the pod's IP on the port given, whatever the container's `ports` list: a number the process opens works listed or not, while a name must be one of the container's ports or the probe fails at run time. What the process opens is read from the project's Dockerfile (EXPOSE), the container's environment (`PORT`, `ADMIN_PORT` move the service) and the code's default port; a probe on any of them works. One on none of them is an error when the Dockerfile EXPOSEs ports (the file says so), a warning when only the code says (it is read from the source, not stated). Where none of these says, a number is not judged.",
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

fn listed(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn check(context: &KubernetesContext, report: &mut Report) {
    let exposed = exposed(context.project);
    let coded: Vec<u16> = context
        .project
        .code_ports
        .iter()
        .map(|(port, _, _)| *port)
        .collect();
    for pod in &context.manifests.pods {
        for container in &pod.containers {
            let environment = context.environment(container);
            let moved_to: Vec<u16> = ["PORT", "ADMIN_PORT"]
                .iter()
                .filter_map(|name| environment.get(*name)?.trim().parse().ok())
                .collect();
            for (name, probe) in container.probes() {
                let Some(probe) = probe else { continue };
                let Some(port) = probe.port() else { continue };
                let what = match &probe.http {
                    Some((path, _)) => format!("{name} calls {path} on port"),
                    None => format!("{name} connects to port"),
                };
                let Some(number) = container.port_number(port) else {
                    if let serde_json::Value::String(port_name) = port {
                        report.at(
                            probe.line,
                            format!(
                                "{}: container {}'s {what} {port_name}, a name none of its ports has ({})",
                                pod.owner,
                                container.name,
                                container
                                    .ports
                                    .iter()
                                    .filter_map(|port| port.name.as_deref())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        );
                    }
                    continue;
                };
                let opened = [&moved_to, &exposed, &coded];
                if opened.iter().any(|ports| ports.contains(&number)) {
                    continue;
                }
                if !exposed.is_empty() {
                    report.at(
                        probe.line,
                        format!(
                            "{}: container {}'s {what} {number}, which the image does not expose (EXPOSE {})",
                            pod.owner,
                            container.name,
                            listed(&exposed)
                        ),
                    );
                } else if !coded.is_empty() {
                    report.at_severity(
                        Warning,
                        probe.line,
                        format!(
                            "{}: container {}'s {what} {number}, and the code binds {} (read from the source, so not certain)",
                            pod.owner,
                            container.name,
                            listed(&coded)
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
    fn fires_on_a_number_the_image_does_not_expose_or_an_unknown_name() {
        let number = Fixture::kubernetes(&DEPLOYMENT.replace("port: 8080}", "port: 9090}"));
        let name = Fixture::kubernetes(&DEPLOYMENT.replace("port: http}", "port: admin}"));
        assert_eq!(number.findings(&RULE), ["deploy/app.yaml:47"]);
        assert_eq!(name.findings(&RULE), ["deploy/app.yaml:45"]);
    }

    #[test]
    fn near_miss_a_port_the_process_opens_but_ports_does_not_list() {
        let unlisted = DEPLOYMENT
            .replace(
                "              containerPort: 8080\n",
                "              containerPort: 9100\n",
            )
            .replace("port: http}", "port: 8080}");
        let no_ports = DEPLOYMENT
            .replace(
                "          ports:\n            - name: http\n              containerPort: 8080\n",
                "",
            )
            .replace("port: http}", "port: 8080}");
        assert!(Fixture::kubernetes(&unlisted).findings(&RULE).is_empty());
        assert!(Fixture::kubernetes(&no_ports).findings(&RULE).is_empty());
    }

    #[test]
    fn a_port_only_the_code_contradicts_is_a_warning_that_says_so() {
        let elsewhere = Fixture::kubernetes(&DEPLOYMENT.replace("port: 8080}", "port: 9090}"))
            .with_project(|project| {
                let dockerfile = "FROM gcr.io/distroless/cc-debian13:nonroot\nCOPY app /app\nENTRYPOINT [\"/app\"]\n";
                project.dockerfiles[0].text = dockerfile.into();
                project.dockerfiles[0].parsed = crate::check::model::Model::parse(dockerfile);
            });

        let findings = elsewhere.run(&RULE);

        assert_eq!(elsewhere.findings(&RULE), ["deploy/app.yaml:47"]);
        assert_eq!(findings[0].severity, crate::check::Severity::Warning);
        assert!(findings[0].message.contains("read from the source"));
    }

    #[test]
    fn near_miss_a_port_the_code_binds_though_expose_says_another() {
        let bound_elsewhere = Fixture::kubernetes(
            &DEPLOYMENT
                .replace("containerPort: 8080", "containerPort: 8000")
                .replace("port: 8080}", "port: 8000}"),
        )
        .with_project(|project| project.code_ports = vec![(8000, "version.rs".into(), 78)]);
        assert!(bound_elsewhere.findings(&RULE).is_empty());
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
