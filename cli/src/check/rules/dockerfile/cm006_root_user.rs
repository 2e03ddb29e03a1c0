//! CM006: the final stage runs as root.

use crate::check::dockerfile::words;
use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM006",
    severity: Warning,
    title: "final stage runs as root",
    why: "A compromise of the service is a compromise of root in the container, one kernel bug away from the host.",
    fix: "Add `USER 65532:65532` (or a user you create) to the final stage, or use a `:nonroot` distroless tag.",
    explain: "Docker runs the entrypoint as root unless the image or the Dockerfile sets USER. Distroless images have a `nonroot` user (65532) and `:nonroot` tags that select it; on debian-slim and alpine create a user with a fixed uid. A numeric uid works even where /etc/passwd is missing (scratch).",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    let Some(final_stage) = model.final_stage() else {
        return;
    };
    match model.last_index_in_final("USER") {
        Some(index) => {
            let user = model.instruction(index);
            // `USER "$UID:$GID"` with `ARG UID=0`: what the build makes by default.
            let Some(value) = model.expanded[index].as_deref() else {
                return;
            };
            let value = words(value).join(" ");
            let name = value.split(':').next().unwrap_or_default().trim();
            if name == "root" || name == "0" {
                let written = user.args.trim();
                let message = if written == value {
                    format!("USER {written} is root")
                } else {
                    format!("USER {written} is {value} with the ARG defaults: root")
                };
                report.at(user.line, message);
            }
        }
        None if !model.facts(final_stage).nonroot_default => {
            report.at(
                final_stage.line,
                format!(
                    "the final stage (FROM {}) sets no USER, so it runs as root",
                    model.runtime_image()
                ),
            );
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_on_user_root_and_on_no_user() {
        let fixture = Fixture::dockerfile("FROM debian:trixie-slim\nUSER root\n");
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:2"]);
        let fixture = Fixture::dockerfile("FROM gcr.io/distroless/cc-debian13:debug\n");
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:1"]);
    }

    #[test]
    fn fires_on_a_user_whose_arg_defaults_to_root() {
        let fixture = Fixture::dockerfile(
            "FROM debian:trixie-slim\nARG USER_ID=0\nUSER \"$USER_ID:$USER_ID\"\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:3"]);
    }

    #[test]
    fn near_miss_a_numeric_user_and_a_nonroot_tag() {
        for text in [
            "FROM debian:trixie-slim\nUSER 10001:10001\n",
            "FROM debian:trixie-slim\nARG USER_ID=10001\nUSER ${USER_ID}\n",
            "FROM gcr.io/distroless/cc-debian13:nonroot\n",
        ] {
            assert!(
                Fixture::dockerfile(text).findings(&RULE).is_empty(),
                "{text}"
            );
        }
    }
}
