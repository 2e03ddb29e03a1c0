//! CM023: a compose service that keeps privileges (privileged, capabilities, escalation).

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM023",
    severity: Warning,
    title: "compose service keeps privileges",
    why: "Privileged mode, kept capabilities or allowed privilege escalation widen what an attacker gets from a compromised service.",
    fix: "Set `cap_drop: [ALL]`, `security_opt: [\"no-new-privileges:true\"]`, `read_only: true`, and never `privileged: true`.",
    explain: "A web service needs no Linux capabilities (Docker lets unprivileged processes bind any port in the container). Dropping them all and forbidding setuid escalation removes whole classes of attack.",
    check: Check::Compose(check),
};

fn check(context: &ComposeContext, report: &mut Report) {
    // An override file's services are partial: compose merges them into the main file's.
    if context.compose.overrides {
        return;
    }
    for service in &context.compose.services {
        let mut kept = Vec::new();
        if service.privileged {
            kept.push("privileged: true".to_owned());
        }
        if !service
            .cap_drop
            .iter()
            .any(|cap| cap.eq_ignore_ascii_case("ALL"))
        {
            kept.push("no cap_drop: [ALL]".to_owned());
        }
        if !service
            .security_opt
            .iter()
            .any(|opt| opt.starts_with("no-new-privileges"))
        {
            kept.push("no no-new-privileges".to_owned());
        }
        if kept.is_empty() {
            continue;
        }
        let severity = if service.privileged {
            Error
        } else {
            RULE.severity
        };
        report.at_severity(
            severity,
            service.line,
            format!("service {}: {}", service.name, kept.join(", ")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::Severity;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_on_kept_capabilities_and_as_an_error_when_privileged() {
        let fixture = Fixture::compose("services:\n  app:\n    image: app:1\n");
        assert_eq!(fixture.findings(&RULE), ["compose.yaml:2"]);
        let fixture =
            Fixture::compose("services:\n  app:\n    image: app:1\n    privileged: true\n");
        assert_eq!(fixture.run(&RULE)[0].severity, Severity::Error);
    }

    #[test]
    fn near_miss_fully_hardened() {
        let fixture = Fixture::compose(
            "services:\n  app:\n    image: app:1\n    cap_drop: [ALL]\n    security_opt: [\"no-new-privileges:true\"]\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }
}
