//! CM014: a .env file that `COPY . .` bakes into the image.

use super::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM014",
    severity: Error,
    title: "secrets sent to the build context",
    why: "A .env file is copied into the image by `COPY . .`, where anyone who pulls the image can read it.",
    fix: "Add `.env` and `.env.*` to .dockerignore, and pass secrets at run time.",
    explain: "Image layers are readable by anyone with the image. Credentials belong in the runtime environment (compose `env_file`, orchestrator secrets), never in the build context.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    if !context.model.copies_context() {
        return;
    }
    let line = context.model.first_local_copy_line();
    for env_file in &context.project.env_files {
        if !context
            .dockerignore()
            .is_some_and(|ignore| ignore.ignores(env_file))
        {
            report.at(
                line,
                format!(
                    "{env_file} is in the build context and `COPY . .` copies it into the image"
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
    fn fires_on_an_env_file_not_ignored() {
        let fixture = Fixture::dockerfile("FROM rust:1.95-trixie\nCOPY . .\n")
            .with_dockerignore(Some(&["target", ".env"]))
            .with_project(|project| project.env_files = vec![".env".into(), ".env.local".into()]);
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:2"]);
    }

    #[test]
    fn near_miss_env_files_ignored() {
        let fixture = Fixture::dockerfile("FROM rust:1.95-trixie\nCOPY . .\n")
            .with_dockerignore(Some(&["target", ".env*"]))
            .with_project(|project| project.env_files = vec![".env".into(), ".env.local".into()]);
        assert!(fixture.findings(&RULE).is_empty());
    }
}
