//! CM024: a port published on every interface of the host.

use crate::check::compose::HostAddress;
use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM024",
    severity: Info,
    title: "port published on every interface",
    why: "A `ports: [\"8080:8080\"]` mapping listens on every address of the host, past most firewalls (Docker writes its own iptables rules).",
    fix: "Bind to loopback (`\"127.0.0.1:8080:8080\"`) and put a reverse proxy in front.",
    explain: "Docker's published ports bypass ufw and similar host firewalls. Publishing on 127.0.0.1 keeps the service private to the host.",
    check: Check::Compose(check),
};

fn check(context: &ComposeContext, report: &mut Report) {
    for service in &context.compose.services {
        for port in service
            .ports
            .iter()
            .filter(|port| port.listens_on == HostAddress::Every)
        {
            report.at(
                port.line,
                format!(
                    "service {} publishes {:?} on every interface",
                    service.name, port.spec
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_on_every_form_of_every_interface() {
        let fixture = Fixture::compose(
            "services:\n  app:\n    image: app:1\n    ports:\n      - \"8080:8080\"\n      - \"0.0.0.0:8081:8081\"\n      - \"[::]:8082:8082\"\n      - target: 8083\n        published: 8083\n",
        );
        assert_eq!(
            fixture.findings(&RULE),
            [
                "compose.yaml:5",
                "compose.yaml:6",
                "compose.yaml:7",
                "compose.yaml:8"
            ]
        );
    }

    #[test]
    fn near_miss_loopback() {
        let fixture = Fixture::compose(
            "services:\n  app:\n    image: app:1\n    ports:\n      - \"127.0.0.1:8080:8080\"\n      - \"[::1]:8081:8081\"\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }
}
