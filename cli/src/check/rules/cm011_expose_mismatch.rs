//! CM011: EXPOSE names another port than the one the service listens on.

use super::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM011",
    severity: Warning,
    title: "EXPOSE does not match the port the code binds",
    why: "The published port leads nowhere, so health checks and clients time out.",
    fix: "Make EXPOSE (and the compose ports) match the port the service listens on, or set it with `ENV PORT`.",
    explain: "check reads the default port from the code (`.bind((\"0.0.0.0\", 8080))`, `\"0.0.0.0:8080\"`, `PORT: u16 = 8080`) and from `ENV PORT` in the Dockerfile, and compares it with EXPOSE.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    let Some(final_stage) = model.final_stage() else {
        return;
    };
    let final_instructions = model.lineage_instructions(final_stage);
    let exposed: Vec<(u16, usize)> = final_instructions
        .iter()
        .filter(|i| i.keyword == "EXPOSE")
        .flat_map(|i| {
            i.args
                .split_whitespace()
                .filter_map(|p| p.split('/').next()?.parse().ok())
                .map(move |port| (port, i.line))
        })
        .collect();
    let env_port = final_instructions
        .iter()
        .filter(|i| i.keyword == "ENV")
        .find_map(|i| {
            i.args
                .split_whitespace()
                .find_map(|pair| pair.strip_prefix("PORT="))
                .and_then(|port| port.trim_matches('"').parse::<u16>().ok())
        });
    let listening =
        env_port.or_else(|| context.project.code_ports.first().map(|(port, _, _)| *port));
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
            format!("EXPOSE {ports}, but the service listens on {port}"),
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
    fn near_miss_env_port_sets_the_port() {
        let fixture = Fixture::dockerfile("FROM debian:trixie-slim\nENV PORT=3000\nEXPOSE 3000\n");
        assert!(fixture.findings(&RULE).is_empty());
    }
}
