//! CM028: a file check found and could not read, so nothing in it was checked.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM028",
    severity: Warning,
    title: "a file check could not read",
    why: "Nothing in this file was checked, and the tool it is meant for (Docker, cargo, docker compose, kubectl) will most likely stop at it too.",
    fix: "Make it the readable UTF-8 file of its kind the message says it is not, add what the checkout lacks, or remove it.",
    explain: "check reads regular files only (not a named pipe, a device or a link to nowhere), at most 16 MiB of one file, as UTF-8 text, and YAML whose aliases replay at most 100,000 events (an alias bomb replays millions). A Dockerfile with no FROM, a compose file or Kubernetes manifest that does not parse, an empty compose file (compose refuses it), and a workspace member that is missing, invalid or above the project are reported here too. Everything else in the project is still checked: check stops with exit status 2 only when it could read nothing at all. YAML that is not Kubernetes (a CI file, a Helm template with `{{ }}`) is not reported.",
    check: Check::Project(check),
};

fn check(project: &Project, report: &mut Report) {
    for file in &project.unreadable {
        report.in_file(
            &file.path,
            1,
            format!("{} was not checked: {}", file.path, file.reason),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::files::Unreadable;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_once_per_file_that_could_not_be_read() {
        let fixture = Fixture::dockerfile("FROM debian:trixie-slim\n").with_project(|project| {
            project.unreadable = vec![
                Unreadable::new("crates/api/Cargo.toml", "it does not exist"),
                Unreadable::new("deploy/app.yaml", "it is not UTF-8 text"),
            ];
        });

        let findings = fixture.run(&RULE);

        assert_eq!(
            fixture.findings(&RULE),
            ["crates/api/Cargo.toml:1", "deploy/app.yaml:1"]
        );
        assert!(findings[0].message.contains("it does not exist"));
    }

    #[test]
    fn near_miss_everything_read() {
        let fixture = Fixture::dockerfile("FROM debian:trixie-slim\n");
        assert!(fixture.findings(&RULE).is_empty());
    }
}
