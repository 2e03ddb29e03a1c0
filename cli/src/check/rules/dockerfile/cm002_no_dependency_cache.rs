//! CM002: `cargo build` right after the sources are copied rebuilds every dependency.

use crate::check::rules::prelude::*;

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
        let rust_image = model.facts(stage).is_rust_builder;
        let copies = model
            .context_copies
            .iter()
            .filter(|copy| copy.stage == stage.index);
        let mut copies = copies.peekable();
        for &index in &stage.instructions {
            let instruction = model.instruction(index);
            let text = instruction.script();
            match instruction.keyword.as_str() {
                "COPY" | "ADD" if instruction.flag("from").is_none() => {
                    let copy = copies.next_if(|copy| copy.instruction == index);
                    if copy.is_some_and(|copy| copy.sources.iter().any(|s| is_source(s))) {
                        state.copied_sources = true;
                    }
                }
                // The compiled dependencies of an earlier stage (the older cargo-chef pattern).
                "COPY" if instruction.args.contains("target") => state.cached = true,
                "RUN" => {
                    let caches_target = instruction.flags.iter().any(|(name, value)| {
                        name.eq_ignore_ascii_case("mount")
                            && value.as_deref().is_some_and(|mount| {
                                mount.contains("type=cache")
                                    && (mount.contains("target") && mount.contains("/target")
                                        || mount.contains("sccache"))
                            })
                    });
                    let compiles = compiles(&text, rust_image);
                    if text.contains("cargo chef cook")
                        || caches_target
                        || makes_dummy_sources(&text)
                    {
                        state.cached = true;
                    }
                    if (compiles || text.contains("cargo fetch")) && !state.copied_sources {
                        state.cached = true; // dependencies built from the manifests alone
                    }
                    if compiles && state.copied_sources && !state.cached {
                        report.at(
                            instruction.line,
                            "the build runs after the sources are copied, with no dependency layer before it",
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

/// Whether a COPY source brings in code: the context, `src`, or a directory (`crates`).
fn is_source(source: &str) -> bool {
    let source = source.trim_start_matches("./").trim_end_matches('/');
    let last = source.rsplit('/').next().unwrap_or(source);
    source.is_empty()
        || source == "."
        || source == "src"
        || source.starts_with("src/")
        || (!last.contains('.') && !last.contains('$') && !last.contains('*'))
}

/// Whether a RUN compiles the project: cargo itself, wasm-pack, or make and just in a
/// rust image (their recipes run cargo).
fn compiles(text: &str, rust_image: bool) -> bool {
    text.split(['&', ';', '|', '\n']).any(|command| {
        let words: Vec<&str> = command.split_whitespace().collect();
        let has = |phrase: &[&str]| words.windows(phrase.len()).any(|window| window == phrase);
        has(&["cargo", "build"])
            || has(&["cargo", "rustc"])
            || has(&["cargo", "zigbuild"])
            || (has(&["cargo", "auditable"]) && words.contains(&"build"))
            || (has(&["cargo", "install"]) && words.iter().any(|w| w.starts_with("--path")))
            || has(&["wasm-pack", "build"])
            || (rust_image
                && command_word(&words).is_some_and(|word| matches!(word, "make" | "just"))
                && !words.contains(&"fetch"))
    })
}

/// The program a shell command runs: its first word after `VAR=value` assignments and the
/// wrappers that run another program (`env`, `time`, `sudo`, `exec`). `make` in
/// `apt-get install make` is a package, not a build.
fn command_word<'a>(words: &[&'a str]) -> Option<&'a str> {
    words
        .iter()
        .copied()
        .find(|word| !word.contains('=') && !matches!(*word, "env" | "time" | "sudo" | "exec"))
}

/// A RUN that writes placeholder sources to build only the dependencies.
fn makes_dummy_sources(text: &str) -> bool {
    (text.contains("src/main.rs") || text.contains("src/lib.rs"))
        && (text.contains("echo") || text.contains("touch") || text.contains("printf"))
        && !text.contains("touch src/main.rs &&")
        || text.contains("cargo new")
        || text.contains("cargo init")
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
    fn fires_on_install_from_path_wrappers_and_member_directories() {
        for text in [
            "FROM rust:1.95-trixie AS builder\nCOPY . .\nRUN cargo install --path .\n",
            "FROM rust:1.95-trixie AS builder\nCOPY . app\nRUN cd app && make\n",
            "FROM rust:1.95-trixie AS builder\nCOPY Cargo.toml .\nCOPY crates crates\nRUN cargo build --release\n",
            "FROM rust:1.95-trixie AS builder\nCOPY . .\nRUN --mount=type=cache,target=/usr/local/cargo/registry cargo build --release\n",
            // make and just installed as packages or tools build nothing.
            "FROM rust:1.95-trixie AS builder\nRUN apt-get install -y clang make\nRUN cargo install just\nCOPY . .\nRUN cargo install --path .\n",
        ] {
            assert_eq!(Fixture::dockerfile(text).findings(&RULE).len(), 1, "{text}");
        }
    }

    #[test]
    fn near_miss_manifests_first_and_a_cache_mount() {
        for text in [
            "FROM rust:1.95-trixie AS builder\nCOPY Cargo.toml Cargo.lock ./\nRUN cargo fetch\nCOPY . .\nRUN cargo build --release\n",
            "FROM rust:1.95-trixie AS builder\nCOPY . .\nRUN --mount=type=cache,target=/app/target cargo build --release\n",
            "FROM rust:1.95-trixie AS cacher\nRUN cargo chef cook --release\nFROM rust:1.95-trixie AS builder\nCOPY . .\nCOPY --from=cacher /app/target target\nRUN cargo build --release\n",
            "FROM rust:1.95-trixie AS builder\nCOPY Cargo.toml .\nCOPY migrations migrations\nRUN mkdir src && echo 'fn main() {}' > src/main.rs && cargo build --release\nCOPY src src\nRUN cargo build --release\n",
            // A make recipe run on the manifests alone builds the dependencies.
            "FROM rust:1.95-trixie AS builder\nCOPY Cargo.toml Cargo.lock build.mk ./\nRUN CARGO_TERM_COLOR=never make -f build.mk deps\nCOPY . .\nRUN make -f build.mk release\n",
        ] {
            assert!(
                Fixture::dockerfile(text).findings(&RULE).is_empty(),
                "{text}"
            );
        }
    }
}
