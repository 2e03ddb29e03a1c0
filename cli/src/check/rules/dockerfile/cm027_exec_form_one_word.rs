//! CM027: an exec-form command whose program is written with its arguments in one word.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM027",
    severity: Error,
    title: "exec-form command written as one word",
    why: "In exec form Docker runs the first element as the program's path, spaces included, so `[\"app --help\"]` looks for a file named `app --help` and the container cannot start.",
    fix: "Give every argument its own element: `CMD [\"app\", \"--help\"]`.",
    explain: "The exec form is a JSON array handed to execve without a shell, so nothing splits it on spaces. A program written together with its flags (`[\"cepler --help\"]`) fails with `exec: \"cepler --help\": executable file not found in $PATH`, at build time for RUN and at start for ENTRYPOINT, CMD and HEALTHCHECK. CMD after an exec-form ENTRYPOINT holds arguments, where spaces are fine.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    let has_entrypoint = model.last_in_final("ENTRYPOINT").is_some();
    for instruction in &model.file.instructions {
        let form = match instruction.keyword.as_str() {
            "RUN" | "ENTRYPOINT" => instruction.form(),
            "CMD" if !has_entrypoint => instruction.form(),
            "HEALTHCHECK" => match instruction.healthcheck_command() {
                Some(form) => form,
                None => continue,
            },
            _ => continue,
        };
        if let Form::Exec(words) = form
            && let Some(program) = words.first()
            && program.trim().contains(char::is_whitespace)
        {
            report.at(
                instruction.line,
                format!(
                    "{} runs a program named {program:?}: the words are not split",
                    instruction.keyword
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
    fn fires_on_a_program_and_its_flags_in_one_word() {
        let fixture = Fixture::dockerfile(
            "FROM debian:trixie-slim\nRUN [\"apt-get update\"]\nHEALTHCHECK CMD [\"/app healthcheck\"]\nCMD [\"/app --help\"]\n",
        );
        assert_eq!(
            fixture.findings(&RULE),
            ["Dockerfile:2", "Dockerfile:3", "Dockerfile:4"]
        );
    }

    #[test]
    fn near_miss_arguments_with_spaces_after_an_entrypoint() {
        let fixture = Fixture::dockerfile(
            "FROM debian:trixie-slim\nENTRYPOINT [\"/app\"]\nCMD [\"--greeting\", \"hello world\"]\nHEALTHCHECK CMD /app healthcheck\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }
}
