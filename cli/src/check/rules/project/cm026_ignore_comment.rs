//! CM026: a `check:ignore=` comment that names no rule of ours, or gives no reason.
use crate::check::ignore::IgnoreComment;
use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM026",
    severity: Warning,
    title: "ignore comment that silences nothing or says not why",
    why: "An ignore that names an unknown rule silences nothing (a typo hides the finding it meant to keep quiet, or keeps one that is gone), and one without a reason leaves the next reader to guess.",
    fix: "Name rules check knows (`cargo microservice check --explain CM004`) and say why: `# check:ignore=CM004 pinned by digest in CI`.",
    explain: "`# check:ignore=CM004,CM006 reason` silences those rules on the next line that is not a comment (in a Dockerfile, the next instruction), or at the end of a Cargo.toml or compose line, on that line; in the comments a file starts with, it also covers findings about the whole file. Ids are checked against the rule list, and the reason is required, as hadolint's inline ignores are reviewed.",
    check: Check::Ignore(check),
};

fn check(comment: &IgnoreComment, report: &mut Report) {
    let unknown: Vec<&str> = comment
        .ids
        .iter()
        .map(String::as_str)
        .filter(|id| crate::check::rules::rule(id).is_none())
        .collect();
    if comment.ids.is_empty() {
        report.at(comment.line, "check:ignore= names no rule");
    } else if !unknown.is_empty() {
        report.at(
            comment.line,
            format!(
                "check:ignore names {}, which check does not know",
                unknown.join(", ")
            ),
        );
    }
    if comment.reason.is_empty() {
        report.at(comment.line, "check:ignore gives no reason");
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_on_an_unknown_id_and_a_missing_reason() {
        let fixture = Fixture::dockerfile(
            "# check:ignore=CM044 a typo\nFROM debian:trixie-slim\n# check:ignore=CM006\nUSER root\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:1", "Dockerfile:3"]);
    }

    #[test]
    fn near_miss_a_known_id_with_a_reason_silences_its_rule() {
        let fixture = Fixture::dockerfile(
            "FROM debian:trixie-slim\n# check:ignore=CM006 the entrypoint drops to uid 10001 itself\nUSER root\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
        assert!(
            fixture
                .findings(&crate::check::rules::dockerfile::cm006_root_user::RULE)
                .is_empty()
        );
    }
}
