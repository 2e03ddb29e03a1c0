//! CM013: .dockerignore leaves target/ in the build context.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM013",
    severity: Warning,
    title: ".dockerignore does not exclude target/",
    why: "The build context carries the local target/ directory, gigabytes that slow every build and invalidate the COPY layer.",
    fix: "Add `target/` to .dockerignore.",
    explain: "Local build artefacts are useless to the container build (it compiles for itself) and change constantly, so they both slow the upload of the context and defeat layer caching.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    if let Some(ignore) = context.dockerignore()
        && context.model.context_copy().is_some()
        && !ignore.ignores("target")
    {
        report.in_file(
            &ignore.path,
            1,
            "target/ is not excluded from the build context",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_when_target_is_not_ignored() {
        let fixture = Fixture::dockerfile("FROM rust:1.95-trixie\nCOPY . .\n")
            .with_dockerignore(Some(&[".git"]));
        assert_eq!(fixture.findings(&RULE), [".dockerignore:1"]);
    }

    #[test]
    fn near_miss_a_rooted_pattern() {
        let fixture = Fixture::dockerfile("FROM rust:1.95-trixie\nCOPY . .\n")
            .with_dockerignore(Some(&["/target"]));
        assert!(fixture.findings(&RULE).is_empty());
    }
}
