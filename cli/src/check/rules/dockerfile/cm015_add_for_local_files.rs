//! CM015: ADD for local files, where COPY does one thing.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM015",
    severity: Warning,
    title: "ADD for local files",
    why: "ADD also extracts archives and fetches URLs, so a local file can turn into an unpacked tree by surprise.",
    fix: "Use COPY for local files; keep ADD for remote sources you verify with --checksum.",
    explain: "COPY does one thing. ADD auto-extracts local tar archives, which makes the result depend on the file's contents.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    for copy in &model.context_copies {
        let instruction = model.instruction(copy.instruction);
        let local = copy
            .sources
            .iter()
            .any(|source| !source.contains("://") && !source.starts_with("git@"));
        if instruction.keyword == "ADD" && local {
            report.at(copy.line, format!("ADD {}", instruction.args.trim()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_on_add_of_a_local_file() {
        let fixture = Fixture::dockerfile("FROM debian:trixie-slim\nADD app.tar.gz /srv/\n");
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:2"]);
    }

    #[test]
    fn near_miss_add_of_a_url() {
        let fixture = Fixture::dockerfile(
            "FROM debian:trixie-slim\nADD --checksum=sha256:00 https://example.com/a.tgz /srv/\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }
}
