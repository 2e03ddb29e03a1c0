//! CM012: `COPY . .` with no .dockerignore sends the whole directory.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM012",
    severity: Warning,
    title: "no .dockerignore",
    why: "`COPY . .` sends target/ (often gigabytes), .git and any secrets to the build, slowing every build and risking leaks into the image.",
    fix: "Add a .dockerignore with at least `target/`, `.git/` and `.env`.",
    explain: "The build context is everything in the directory unless .dockerignore excludes it. target/ alone can be several gigabytes; .git holds history; .env files hold credentials that `COPY . .` bakes into a layer.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    if context.dockerignore().is_none()
        && let Some(copy) = context.model.context_copy()
    {
        let instruction = context.model.instruction(copy.instruction);
        report.at(
            copy.line,
            format!(
                "`{} {}` sends the whole directory, and there is no .dockerignore",
                instruction.keyword,
                instruction.args.trim()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_on_copy_dot_without_dockerignore() {
        let fixture =
            Fixture::dockerfile("FROM rust:1.95-trixie\nCOPY . .\n").with_dockerignore(None);
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:2"]);
    }

    #[test]
    fn fires_at_the_copy_of_the_whole_context_in_either_form() {
        for text in [
            "FROM rust:1.95-trixie\nCOPY Cargo.toml ./\nCOPY . /app/\n",
            "FROM rust:1.95-trixie\nCOPY Cargo.toml ./\nCOPY [\".\", \"/app/\"]\n",
        ] {
            let fixture = Fixture::dockerfile(text).with_dockerignore(None);
            assert_eq!(fixture.findings(&RULE), ["Dockerfile:3"], "{text}");
        }
    }

    #[test]
    fn near_miss_no_context_copy() {
        let fixture = Fixture::dockerfile("FROM rust:1.95-trixie\nCOPY Cargo.toml .\n")
            .with_dockerignore(None);
        assert!(fixture.findings(&RULE).is_empty());
    }
}
