//! CM020: panic = "abort" and a compose service with no restart policy.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM020",
    severity: Warning,
    title: "panic = \"abort\" without a restart policy",
    why: "With panic = \"abort\" a panic ends the process, and with no restart policy the service stays down.",
    fix: "Add `restart: unless-stopped` to the compose service.",
    explain: "panic = \"abort\" makes binaries smaller and faster but turns every panic into a process exit. Something must bring the service back: a compose restart policy or an orchestrator. A one-shot job (a migration that another service waits for with `condition: service_completed_successfully`) is exempt: it is meant to exit, a restart policy would run it again, and a failure already stops what waits for it.",
    check: Check::Compose(check),
};

fn check(context: &ComposeContext, report: &mut Report) {
    // An override file's services are partial: compose merges them into the main file's.
    if context.compose.overrides {
        return;
    }
    let aborts = context
        .project
        .cargo
        .as_ref()
        .and_then(|cargo| cargo.release_profile.as_ref())
        .and_then(|profile| profile.get("panic"))
        .and_then(|panic| panic.as_str())
        == Some("abort");
    if !aborts {
        return;
    }
    for service in &context.compose.services {
        if service.builds_here && !service.restart && !service.awaited_to_complete {
            report.at(
                service.line,
                format!(
                    "service {} has no restart policy, and Cargo.toml sets panic = \"abort\"",
                    service.name
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    fn aborting(compose: &str, panic: &str) -> Fixture {
        let profile = format!("panic = \"{panic}\"");
        Fixture::compose(compose)
            .with_cargo(|cargo| cargo.release_profile = Some(toml::from_str(&profile).unwrap()))
    }

    #[test]
    fn fires_without_restart() {
        let fixture = aborting("services:\n  app:\n    build: .\n", "abort");
        assert_eq!(fixture.findings(&RULE), ["compose.yaml:2"]);
    }

    #[test]
    fn fires_on_a_server_another_service_only_waits_to_start() {
        let fixture = aborting(
            "services:\n  web:\n    build: .\n    restart: always\n    depends_on:\n      api:\n        condition: service_healthy\n  api:\n    build: .\n",
            "abort",
        );
        assert_eq!(fixture.findings(&RULE), ["compose.yaml:8"]);
    }

    #[test]
    fn near_miss_a_one_shot_job_awaited_to_complete() {
        let fixture = aborting(
            "services:\n  web:\n    build: .\n    restart: always\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n  migrate:\n    build: .\n    command: [\"migrate\"]\n    restart: \"no\"\n",
            "abort",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }

    #[test]
    fn near_miss_unwinding() {
        let fixture = aborting("services:\n  app:\n    build: .\n", "unwind");
        assert!(fixture.findings(&RULE).is_empty());
    }
}
