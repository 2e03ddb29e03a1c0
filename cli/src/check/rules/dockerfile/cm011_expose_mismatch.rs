//! CM011: EXPOSE names another port than the one the service listens on.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM011",
    severity: Warning,
    title: "EXPOSE does not match the port the code binds",
    why: "The published port leads nowhere, so health checks and clients time out.",
    fix: "Make EXPOSE (and the compose ports) match the port the service listens on, or set it with `ENV PORT`.",
    explain: "check reads the default port from `ENV PORT` in the Dockerfile, else from the code as text (`.bind((\"0.0.0.0\", 8080))`, `\"0.0.0.0:8080\"`, `PORT: u16 = 8080`), and compares it with EXPOSE; the message says which. Read from source, so at most a warning.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    let exposed = model.exposed_ports();
    let env_port = model
        .final_env("PORT")
        .and_then(|port| port.trim().parse::<u16>().ok());
    let code_port = context.project.code_ports.first();
    let (listening, source) = match (env_port, code_port) {
        (Some(port), _) => (Some(port), "ENV PORT".to_owned()),
        (None, Some((port, file, line))) => (
            Some(*port),
            format!("its default, read from the source at {file}:{line}"),
        ),
        (None, None) => (None, String::new()),
    };
    if let (Some(port), Some((_, line))) = (listening, exposed.first())
        && !exposed
            .iter()
            .any(|(exposed_port, _)| *exposed_port == port)
    {
        let ports = exposed
            .iter()
            .map(|(p, _)| p.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        report.at(
            *line,
            format!("EXPOSE {ports}, but the service listens on {port} ({source})"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_when_expose_differs_from_the_bound_port() {
        let fixture = Fixture::dockerfile("FROM debian:trixie-slim\nEXPOSE 3000\n");
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:2"]);
    }

    #[test]
    fn fires_when_expose_takes_its_port_from_an_arg() {
        let fixture =
            Fixture::dockerfile("FROM debian:trixie-slim\nARG PORT=3000\nEXPOSE ${PORT}/tcp\n");
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:3"]);
    }

    #[test]
    fn near_miss_env_port_sets_the_port() {
        for text in [
            "FROM debian:trixie-slim\nENV PORT=3000\nEXPOSE 3000\n",
            "FROM debian:trixie-slim\nENV PORT 3000\nEXPOSE 3000\n",
            "FROM debian:trixie-slim AS base\nARG LISTEN=3000\nENV PORT=\"${LISTEN}\"\nFROM base\nEXPOSE ${PORT}\n",
        ] {
            assert!(
                Fixture::dockerfile(text).findings(&RULE).is_empty(),
                "{text}"
            );
        }
    }
}
