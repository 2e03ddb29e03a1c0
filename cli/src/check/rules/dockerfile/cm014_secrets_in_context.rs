//! CM014: a .env file that `COPY . .` bakes into the image.

use crate::check::rules::prelude::*;

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
    let model = context.model;
    let Some(final_stage) = model.final_stage() else {
        return;
    };
    let Some(context_copy) = model.context_copy() else {
        return;
    };
    // What reaches the image people pull: the context copied into the final stage's lineage,
    // or an env file copied over from a stage that had the context.
    let final_copies_context = model
        .lineage(final_stage)
        .any(|stage| model.stage_copies_context(stage));
    let line = context_copy.line;
    for env_file in &context.project.env_files {
        if context
            .dockerignore()
            .is_some_and(|ignore| ignore.ignores(env_file))
        {
            continue;
        }
        if final_copies_context {
            report.at(
                line,
                format!(
                    "{env_file} is in the build context and `COPY . .` copies it into the image"
                ),
            );
            continue;
        }
        let carried = final_stage.copies_from.iter().find(|copy| {
            matches!(copy.source, CopySource::Stage(source)
                if model.lineage(&model.stages[source]).any(|stage| model.stage_copies_context(stage)))
                && copy
                    .paths
                    .iter()
                    .any(|path| path.rsplit('/').next() == Some(env_file.as_str()))
        });
        if let Some(copy) = carried {
            report.at(
                copy.line,
                format!("{env_file} is copied into the final image from the build context"),
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
    fn fires_on_an_env_file_carried_over_from_the_builder() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie AS build\nCOPY . .\nRUN cargo build --release\nFROM debian:trixie-slim\nCOPY --from=build /target/release/app /app\nCOPY --from=build /.env /app/.env\n",
        )
        .with_dockerignore(Some(&["target"]))
        .with_project(|project| project.env_files = vec![".env".into(), ".env.local".into()]);
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:6"]);
    }

    #[test]
    fn near_miss_an_env_file_that_reaches_only_the_builder() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie AS build\nCOPY . .\nRUN cargo build --release\nFROM debian:trixie-slim\nCOPY --from=build /target/release/app /app\n",
        )
        .with_dockerignore(Some(&["target"]))
        .with_project(|project| project.env_files = vec![".env".into()]);
        assert!(fixture.findings(&RULE).is_empty());
    }

    #[test]
    fn near_miss_env_files_ignored() {
        let fixture = Fixture::dockerfile("FROM rust:1.95-trixie\nCOPY . .\n")
            .with_dockerignore(Some(&["target", ".env*"]))
            .with_project(|project| project.env_files = vec![".env".into(), ".env.local".into()]);
        assert!(fixture.findings(&RULE).is_empty());
    }
}
