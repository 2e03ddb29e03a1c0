//! CM001: one stage that builds Rust and also runs it ships the toolchain.

use super::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM001",
    severity: Warning,
    title: "single-stage build",
    why: "The image ships the whole Rust toolchain and build cache: hundreds of megabytes to pull, scan and patch.",
    fix: "Build in a `rust:` stage and copy only the binary into a small runtime stage (distroless, debian-slim, scratch).",
    explain: "A Rust binary needs nothing of the toolchain at run time. A multi-stage Dockerfile compiles in a builder stage and starts the final stage from a runtime image, copying in only the binary (and CA certificates where the runtime lacks them). Images drop from over 1 GB to 3-30 MB.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    let Some(final_stage) = model.final_stage() else {
        return;
    };
    if model.stages.len() == 1
        && (final_stage.builds_rust || model.facts(final_stage).is_rust_builder)
    {
        report.at(
            final_stage.line,
            format!(
                "the only stage, FROM {}, is also the runtime image",
                final_stage.image()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_on_one_stage_that_builds_and_runs() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie\nCOPY . .\nRUN cargo build --release\nCMD [\"/target/release/app\"]\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:1"]);
    }

    #[test]
    fn near_miss_a_prebuilt_binary_on_scratch() {
        let fixture = Fixture::dockerfile("FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n");
        assert!(fixture.findings(&RULE).is_empty());
    }
}
