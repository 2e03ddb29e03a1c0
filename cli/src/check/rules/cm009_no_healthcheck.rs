//! CM009: no HEALTHCHECK in the image and none in compose.

use super::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM009",
    severity: Warning,
    title: "no HEALTHCHECK",
    why: "Without a health check, Docker and compose report a hung or crash-looping service as running.",
    fix: "Add `HEALTHCHECK CMD [\"/usr/local/bin/app\", \"healthcheck\"]` (or a compose healthcheck).",
    explain: "`docker ps`, `docker compose up --wait` and `depends_on: condition: service_healthy` all rely on a health status. Kubernetes ignores HEALTHCHECK and uses its own probes: point them at the same endpoint.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    let Some(final_stage) = model.final_stage() else {
        return;
    };
    if model.last_in_final("HEALTHCHECK").is_some() {
        return;
    }
    let compose_has_one = context.project.compose.iter().any(|compose| {
        compose
            .parsed
            .services
            .iter()
            .any(|service| service.healthcheck)
    });
    if !compose_has_one {
        report.at(
            final_stage.line,
            format!(
                "the final stage (FROM {}) has no HEALTHCHECK",
                model.runtime_image()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::compose::Compose;
    use crate::check::project::Source;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_without_a_healthcheck() {
        let fixture = Fixture::dockerfile("FROM debian:trixie-slim\nUSER 1\n");
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:1"]);
    }

    #[test]
    fn near_miss_a_compose_healthcheck() {
        let compose = "services:\n  app:\n    build: .\n    healthcheck:\n      test: [\"CMD\", \"/app\", \"healthcheck\"]\n";
        let fixture =
            Fixture::dockerfile("FROM debian:trixie-slim\nUSER 1\n").with_project(|project| {
                project.compose.push(Source {
                    path: "compose.yaml".into(),
                    text: compose.into(),
                    parsed: Compose::parse(compose).unwrap(),
                })
            });
        assert!(fixture.findings(&RULE).is_empty());
    }
}
