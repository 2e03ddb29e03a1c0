//! CM007: shell-form ENTRYPOINT or CMD: no start without a shell, no SIGTERM with one.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM007",
    severity: Error,
    title: "shell-form ENTRYPOINT or CMD",
    why: "Shell form runs `/bin/sh -c`: on an image with no shell the container cannot start, and where there is one the shell is PID 1 and SIGTERM never reaches the service.",
    fix: "Use exec form: `ENTRYPOINT [\"/usr/local/bin/app\"]`.",
    explain: "The shell form wraps the command in `/bin/sh -c`. Distroless and scratch images have no /bin/sh, so the container fails at once. Where a shell exists, it becomes PID 1 and does not forward signals, so `docker stop` waits its full 10 seconds and kills the service without a graceful shutdown. On images with a shell this is reported as a warning.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    let Some(final_stage) = model.final_stage() else {
        return;
    };
    let runtime = model.facts(final_stage);
    let runtime_image = model.runtime_image();
    for instruction in [
        model.last_in_final("ENTRYPOINT"),
        model.last_in_final("CMD"),
    ]
    .into_iter()
    .flatten()
    {
        if let Form::Shell(command) = instruction.form() {
            if runtime.shell == Some(false) {
                report.at_severity(
                    Error,
                    instruction.line,
                    format!(
                        "{} {command:?} runs /bin/sh -c, and {runtime_image} has no shell",
                        instruction.keyword
                    ),
                );
            } else {
                report.at_severity(
                    Warning,
                    instruction.line,
                    format!(
                        "{} {command:?} makes /bin/sh PID 1, which does not pass SIGTERM on",
                        instruction.keyword
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::Severity;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_as_an_error_without_a_shell_and_a_warning_with_one() {
        let fixture =
            Fixture::dockerfile("FROM gcr.io/distroless/cc-debian13:nonroot\nENTRYPOINT /app\n");
        assert_eq!(fixture.run(&RULE)[0].severity, Severity::Error);
        let fixture = Fixture::dockerfile("FROM debian:trixie-slim\nCMD /app serve\n");
        assert_eq!(fixture.run(&RULE)[0].severity, Severity::Warning);
    }

    #[test]
    fn near_miss_exec_form() {
        let fixture =
            Fixture::dockerfile("FROM gcr.io/distroless/cc-debian13:nonroot\nCMD [\"/app\"]\n");
        assert!(fixture.findings(&RULE).is_empty());
    }
}
