//! CM109: a probe on a path the service does not route.

use crate::check::project::source::routed;
use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM109",
    severity: Warning,
    title: "Kubernetes probe on a path the service may not serve",
    why: "A probe path the code does not route answers 404, a failure to the kubelet: the container is restarted in a loop or never receives traffic.",
    fix: "Point the probe at a route the service serves: `/health` for startup and liveness, `/ready` for readiness in this template.",
    explain: "The routes are read from the code under src/ as text (actix-web's `resource(\"/p\")`, `route(\"/p\", ...)`, `#[get(\"/p\")]` and `web::scope(\"/prefix\")`; axum's `.route(\"/p\", ...)`), with path parameters (`{id}`, `:id`, `{tail:.*}`) matching any segment. Read from source, not stated by a file, so the finding is a warning; where no route can be read, as for code this tool does not understand, the rule says nothing.",
    check: Check::Kubernetes(check),
};

fn check(context: &KubernetesContext, report: &mut Report) {
    let routes = &context.project.code_routes;
    if routes.is_empty() {
        return;
    }
    for pod in &context.manifests.pods {
        for container in &pod.containers {
            for (name, probe) in container.probes() {
                let Some(probe) = probe else { continue };
                let Some((path, _)) = &probe.http else {
                    continue;
                };
                if !routed(routes, path) {
                    report.at(
                        probe.line,
                        format!(
                            "{}: container {}'s {name} calls {path}, which the code does not seem to route (read from the source, it routes {})",
                            pod.owner,
                            container.name,
                            routes.join(", ")
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
    fn fires_on_a_path_the_code_does_not_route() {
        let typo = Fixture::kubernetes(&DEPLOYMENT.replace("path: /ready", "path: /readyz"));
        assert_eq!(typo.findings(&RULE), ["deploy/app.yaml:47"]);
    }

    #[test]
    fn near_miss_a_query_string_or_unknown_routes() {
        let query = DEPLOYMENT.replace("path: /ready", "path: /ready?full=1");
        let parameter = Fixture::kubernetes(&DEPLOYMENT.replace("path: /ready", "path: /ready/db"))
            .with_project(|project| project.code_routes.push("/ready/{check}".into()));
        assert!(parameter.findings(&RULE).is_empty());
        let unknown = Fixture::kubernetes(&DEPLOYMENT.replace("path: /ready", "path: /readyz"))
            .with_project(|project| project.code_routes.clear());
        assert!(Fixture::kubernetes(&query).findings(&RULE).is_empty());
        assert!(unknown.findings(&RULE).is_empty());
    }
}
