//! CM009: no HEALTHCHECK in the image and none in compose.

use crate::check::rules::prelude::*;

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
    // A compose healthcheck counts for the service that builds this image, not another's.
    let only_dockerfile = context.project.dockerfiles.len() == 1;
    let compose_has_one = context
        .project
        .compose
        .iter()
        .flat_map(|compose| &compose.parsed.services)
        .filter(|service| {
            service.build.as_ref().is_some_and(|build| {
                build.builds(context.path, final_stage.name.as_deref(), only_dockerfile)
            })
        })
        .any(|service| service.healthcheck);
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
    fn fires_when_only_another_service_or_stage_has_a_healthcheck() {
        let compose = "services:\n  db:\n    image: postgres:17\n    healthcheck:\n      test: [\"CMD\", \"pg_isready\"]\n  web:\n    build: {context: ., target: web}\n    healthcheck:\n      test: [\"CMD\", \"/web\", \"healthcheck\"]\n  cli:\n    build: .\n";
        let fixture = Fixture::dockerfile(
            "FROM debian:trixie-slim AS web\nUSER 1\nFROM debian:trixie-slim AS cli\nUSER 1\n",
        )
        .with_project(|project| {
            project.compose.push(Source {
                path: "compose.yaml".into(),
                text: compose.into(),
                parsed: Compose::parse(compose).unwrap(),
            })
        });
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:3"]);
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
