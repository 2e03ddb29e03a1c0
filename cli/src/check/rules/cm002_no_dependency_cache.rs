//! CM002: `cargo build` right after the sources are copied rebuilds every dependency.

use super::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM002",
    severity: Warning,
    title: "no dependency caching",
    why: "Every source change recompiles every dependency, turning a 30-second rebuild into many minutes.",
    fix: "Use cargo-chef (`cargo chef prepare` / `cargo chef cook`) or build dependencies from the manifests before `COPY . .`, or a BuildKit cache mount.",
    explain: "Docker caches a layer until its inputs change. When `cargo build` runs right after `COPY . .`, any change to any file invalidates the layer that compiles all dependencies. cargo-chef computes a recipe from the manifests, cooks (builds) the dependencies in their own layer, and only then copies the source.",
    check: Check::Dockerfile(check),
};

/// How far a stage has got: whether the sources are in, and whether dependencies are cached.
#[derive(Clone, Copy, Default)]
struct Progress {
    copied_sources: bool,
    cached: bool,
}

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    // Each stage goes on from where the stage it builds on stopped: linear in the stages.
    let mut progress: Vec<Progress> = Vec::with_capacity(model.stages.len());
    for stage in &model.stages {
        let mut state = stage.parent.map(|p| progress[p]).unwrap_or_default();
        for instruction in model.stage_instructions(stage) {
            let text = instruction.script();
            match instruction.keyword.as_str() {
                "COPY" | "ADD" if instruction.flag("from").is_none() => {
                    let sources = instruction
                        .args
                        .split_whitespace()
                        .rev()
                        .skip(1)
                        .collect::<Vec<_>>();
                    if sources.iter().any(|source| {
                        *source == "." || source.starts_with("src") || source.starts_with("./src")
                    }) {
                        state.copied_sources = true;
                    }
                }
                "RUN" => {
                    if text.contains("cargo chef cook")
                        || instruction
                            .flag("mount")
                            .is_some_and(|m| m.contains("type=cache"))
                    {
                        state.cached = true;
                    }
                    if (text.contains("cargo build") || text.contains("cargo fetch"))
                        && !state.copied_sources
                    {
                        state.cached = true; // dependencies built from the manifests alone
                    }
                    if text.contains("cargo build") && state.copied_sources && !state.cached {
                        report.at(
                            instruction.line,
                            "cargo build runs after the sources are copied, with no dependency layer before it",
                        );
                        state.cached = true;
                    }
                }
                _ => {}
            }
        }
        progress.push(state);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_on_a_build_right_after_copying_everything() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie AS builder\nCOPY . .\nRUN cargo build --release\nFROM scratch\nCOPY --from=builder /a /a\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:3"]);
    }

    #[test]
    fn near_miss_manifests_first_and_a_cache_mount() {
        for text in [
            "FROM rust:1.95-trixie AS builder\nCOPY Cargo.toml Cargo.lock ./\nRUN cargo fetch\nCOPY . .\nRUN cargo build --release\n",
            "FROM rust:1.95-trixie AS builder\nCOPY . .\nRUN --mount=type=cache,target=/usr/local/cargo/registry cargo build --release\n",
        ] {
            assert!(
                Fixture::dockerfile(text).findings(&RULE).is_empty(),
                "{text}"
            );
        }
    }
}
