//! CM005: a binary built against one C library and run on an image with an older or no glibc.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM005",
    severity: Error,
    title: "builder and runtime C library mismatch",
    why: "A binary linked against a newer glibc (or against glibc at all) may fail to start on the runtime image with `GLIBC_2.xx not found` or `no such file`.",
    fix: "Build and run on the same Debian release (rust:<v>-bookworm with cc-debian12 or bookworm-slim; trixie with cc-debian13), or link statically (musl, or `-C target-feature=+crt-static`).",
    explain: "Dynamically linked binaries bind to versioned glibc symbols of the builder's release. Rust's std avoids new symbols, but any C code (a -sys crate, a C dependency built by cc) compiled on trixie can need GLIBC_2.38+, which bookworm (2.36) does not have. A glibc binary cannot run on musl (alpine) or on an image with no C library (scratch, distroless static) at all. Floating rust tags resolve to the newest Debian. Statically linked binaries (musl, crt-static) are not affected.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    let Some(final_stage) = model.final_stage() else {
        return;
    };
    let runtime_image = model.runtime_image();
    let runtime = model.facts(final_stage);
    // One finding per builder, at the copy of its binary: the cause is the pair of images,
    // not each file copied from the builder.
    let mut reported: Vec<usize> = Vec::new();
    let copies = final_stage.copies_from.iter().filter(|copy| {
        model.instruction(copy.instruction).keyword == "COPY"
            && matches!(copy.source, CopySource::Stage(_))
    });
    let (binaries, others): (Vec<_>, Vec<_>) = copies.partition(|copy| {
        copy.paths.iter().any(|path| {
            path.contains("/release/")
                || path.contains("/debug/")
                || path.contains("/bin/")
                || path.contains("target/")
        })
    });
    for copy in binaries.into_iter().chain(others) {
        let CopySource::Stage(source) = copy.source else {
            continue;
        };
        let source = &model.stages[source];
        if reported.contains(&source.root) || !source.builds_rust || source.links_statically {
            continue;
        }
        let builder_image = model.root_image(source).unwrap_or(source.image());
        let builder = model.facts(source);
        if builder.libc != Some(Libc::Glibc) {
            continue;
        }
        let problem = if runtime.no_libc {
            Some(format!(
                "a glibc binary built on {builder_image} cannot start on {runtime_image}, which has no C library"
            ))
        } else if runtime.libc == Some(Libc::Musl) {
            Some(format!(
                "a glibc binary built on {builder_image} cannot start on {runtime_image}, which has musl"
            ))
        } else if let (Some(built), Some(runs)) = (builder.glibc, runtime.glibc) {
            (built > runs).then(|| {
                format!(
                    "built on {} ({builder_image}, glibc {}.{}) but runs on {} ({runtime_image}), whose glibc {}.{} is older",
                    builder.release.as_deref().unwrap_or("a newer release"),
                    built.0,
                    built.1,
                    runtime.release.as_deref().unwrap_or("an older release"),
                    runs.0,
                    runs.1,
                )
            })
        } else {
            None
        };
        if let Some(problem) = problem {
            reported.push(source.root);
            report.at(copy.line, problem);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_on_a_trixie_binary_on_debian12() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie AS builder\nRUN cargo build --release\nFROM gcr.io/distroless/cc-debian12:nonroot\nCOPY --from=builder /app /app\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:4"]);
    }

    #[test]
    fn fires_once_per_builder_at_the_binary_and_on_ubuntu() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.90 AS builder\nRUN cargo build --release\nFROM gcr.io/distroless/cc-debian12:nonroot\nCOPY --from=builder /usr/share/zoneinfo /usr/share/zoneinfo\nCOPY --from=builder /app/target/release/app /app\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:5"]);
        let fixture = Fixture::dockerfile(
            "FROM lukemathwalker/cargo-chef:0.1.73-rust-1.95-trixie AS builder\nRUN cargo build --release\nFROM ubuntu:24.04\nCOPY --from=builder /app/target/release/app /app\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:4"]);
    }

    #[test]
    fn near_miss_a_rust_tag_whose_default_was_the_runtimes_release() {
        for text in [
            "FROM rust:1.83-slim AS builder\nRUN cargo build --release\nFROM debian:bookworm-slim\nCOPY --from=builder /app/target/release/app /app\n",
            "FROM rust:1@sha256:00 AS builder\nRUN cargo build --release\nFROM debian:bookworm-slim\nCOPY --from=builder /app/target/release/app /app\n",
        ] {
            assert!(
                Fixture::dockerfile(text).findings(&RULE).is_empty(),
                "{text}"
            );
        }
    }

    #[test]
    fn near_miss_an_older_builder_and_a_static_build() {
        for text in [
            "FROM rust:1.95-bookworm AS builder\nRUN cargo build --release\nFROM gcr.io/distroless/cc-debian13:nonroot\nCOPY --from=builder /app /app\n",
            "FROM rust:1.95-trixie AS builder\nENV RUSTFLAGS=\"-C target-feature=+crt-static\"\nRUN cargo build --release\nFROM scratch\nCOPY --from=builder /app /app\n",
        ] {
            assert!(
                Fixture::dockerfile(text).findings(&RULE).is_empty(),
                "{text}"
            );
        }
    }
}
