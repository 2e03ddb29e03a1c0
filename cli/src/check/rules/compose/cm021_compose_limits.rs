//! CM021: a compose service with no CPU or memory limit.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM021",
    severity: Warning,
    title: "compose service without resource limits",
    why: "Without limits one service can take every CPU and all memory on the host, starving its neighbours.",
    fix: "Add `deploy.resources.limits` with `cpus` and `memory`.",
    explain: "Compose v2 applies `deploy.resources.limits` with `docker compose up`. Limits also make the service behave in development as it will under an orchestrator.",
    check: Check::Compose(check),
};

fn check(context: &ComposeContext, report: &mut Report) {
    // An override file's services are partial: compose merges them into the main file's.
    if context.compose.overrides {
        return;
    }
    for service in &context.compose.services {
        if !service.limited {
            report.at(
                service.line,
                format!("service {} has no CPU or memory limit", service.name),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_without_limits() {
        let fixture = Fixture::compose("services:\n  app:\n    image: app:1\n");
        assert_eq!(fixture.findings(&RULE), ["compose.yaml:2"]);
    }

    #[test]
    fn near_miss_legacy_limit_keys() {
        let fixture =
            Fixture::compose("services:\n  app:\n    image: app:1\n    mem_limit: 128m\n");
        assert!(fixture.findings(&RULE).is_empty());
    }
}
