//! CM022: a compose service with no healthcheck, here or in its image.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM022",
    severity: Warning,
    title: "compose service without a healthcheck",
    why: "`docker compose up --wait` and `depends_on: service_healthy` cannot tell when the service is ready.",
    fix: "Add a `healthcheck` that runs the service's own probe, or a HEALTHCHECK in its Dockerfile.",
    explain: "A compose healthcheck overrides or supplies the image's HEALTHCHECK.",
    check: Check::Compose(check),
};

fn check(context: &ComposeContext, report: &mut Report) {
    // An override file's services are partial: compose merges them into the main file's.
    if context.compose.overrides {
        return;
    }
    let image_has_healthcheck = context
        .project
        .dockerfiles
        .iter()
        .any(|file| file.parsed.last_in_final("HEALTHCHECK").is_some());
    for service in &context.compose.services {
        let healthy = service.healthcheck || (service.builds_here && image_has_healthcheck);
        if !healthy {
            report.at(
                service.line,
                format!("service {} has no healthcheck", service.name),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_without_a_healthcheck() {
        let fixture = Fixture::compose("services:\n  app:\n    image: app:1\n");
        assert_eq!(fixture.findings(&RULE), ["compose.yaml:2"]);
    }

    #[test]
    fn near_miss_a_compose_healthcheck() {
        let fixture = Fixture::compose(
            "services:\n  app:\n    image: app:1\n    healthcheck:\n      test: [\"CMD\", \"/app\", \"healthcheck\"]\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }
}
