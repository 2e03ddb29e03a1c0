//! CM001: one stage that builds Rust and also runs it ships the toolchain.

use crate::check::rules::prelude::*;

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
    // An image that tends its toolchain (rustup components, a pinned RUSTUP_TOOLCHAIN) runs
    // cargo or rustdoc on purpose.
    let tends_toolchain = model.lineage_instructions(final_stage).iter().any(|i| {
        let text = i.script();
        text.contains("rustup component add") || text.contains("RUSTUP_TOOLCHAIN")
    });
    if tends_toolchain {
        return;
    }
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
    } else if model.stages.len() > 1 && model.facts(final_stage).is_rust_builder {
        report.at(
            final_stage.line,
            format!(
                "the final stage starts FROM {}, a Rust toolchain image",
                model.runtime_image()
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
    fn fires_on_a_runtime_stage_that_is_a_rust_image() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie AS build\nRUN cargo build --release\nFROM rust:1.95-slim-trixie AS runner\nCOPY --from=build /target/release/app /app\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:3"]);
    }

    #[test]
    fn near_miss_a_prebuilt_binary_on_scratch_and_a_toolchain_kept_on_purpose() {
        for text in [
            "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n",
            "FROM rust:1.95-slim-trixie\nRUN rustup component add rust-src\nENTRYPOINT [\"/usr/local/bin/registry\"]\n",
        ] {
            assert!(
                Fixture::dockerfile(text).findings(&RULE).is_empty(),
                "{text}"
            );
        }
    }
}
