//! CM008: a HEALTHCHECK that calls a shell, curl or wget the image does not have.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM008",
    severity: Error,
    title: "HEALTHCHECK the image cannot run",
    why: "A HEALTHCHECK that calls a shell, curl or wget the image does not have always fails, so the container is marked unhealthy and orchestrators restart it forever.",
    fix: "Probe with the service itself (`HEALTHCHECK CMD [\"/usr/local/bin/app\", \"healthcheck\"]`), or install the tool it calls.",
    explain: "Distroless and scratch images have no shell, curl or wget; debian-slim has a shell but neither curl nor wget unless installed; alpine has busybox wget. A small `healthcheck` subcommand in the service binary that GETs its own /health needs nothing from the image.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    let Some(final_stage) = model.final_stage() else {
        return;
    };
    let Some(instruction) = model.last_in_final("HEALTHCHECK") else {
        return;
    };
    let Some(form) = instruction.healthcheck_command() else {
        return;
    };
    let runtime = model.facts(final_stage);
    let runtime_image = model.runtime_image();
    let words = form.words();
    let program = words
        .first()
        .map(|word| word.rsplit('/').next().unwrap_or(word))
        .unwrap_or_default()
        .to_owned();
    let shell_needed = matches!(form, Form::Shell(_)) || matches!(program.as_str(), "sh" | "bash");
    let tool = ["curl", "wget"].into_iter().find(|tool| {
        words
            .iter()
            .any(|word| word.rsplit('/').next() == Some(tool))
    });
    if runtime.shell == Some(false) && (shell_needed || tool.is_some()) {
        let what = tool.unwrap_or("a shell");
        report.at(
            instruction.line,
            format!("HEALTHCHECK needs {what}, and {runtime_image} has no shell, curl or wget"),
        );
        return;
    }
    if let Some(tool) = tool {
        let installed = model
            .lineage_instructions(final_stage)
            .iter()
            .any(|run| run.keyword == "RUN" && run.script().contains(tool))
            || (tool == "wget" && runtime.wget);
        if !installed && runtime.shell == Some(true) {
            report.at_severity(
                Warning,
                instruction.line,
                format!(
                    "HEALTHCHECK calls {tool}, which {runtime_image} does not have and no RUN installs"
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
    fn fires_on_curl_where_there_is_none() {
        let fixture = Fixture::dockerfile(
            "FROM gcr.io/distroless/cc-debian13:nonroot\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:2"]);
    }

    #[test]
    fn near_miss_busybox_wget_and_an_installed_curl() {
        for text in [
            "FROM alpine:3.23\nHEALTHCHECK CMD wget -q -O- http://localhost/health\n",
            "FROM debian:trixie-slim\nRUN apt-get install -y curl\nHEALTHCHECK CMD curl -f http://localhost/\n",
        ] {
            assert!(
                Fixture::dockerfile(text).findings(&RULE).is_empty(),
                "{text}"
            );
        }
    }
}
