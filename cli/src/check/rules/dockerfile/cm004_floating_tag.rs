//! CM004: a base image whose tag moves (untagged, `latest`, `rust:1`).

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM004",
    severity: Warning,
    title: "floating base image tag",
    why: "An untagged, `latest`, major-only (`rust:1`) or variant-only tag (`redis:alpine`) changes under you, so the same Dockerfile builds a different image tomorrow.",
    fix: "Pin a release tag (`rust:1.95-trixie`, `gcr.io/distroless/cc-debian13:nonroot`, `alpine:3.23`) or a digest.",
    explain: "A floating tag also hides the Debian release a rust image is built on: `rust:1.75` resolves to today's default Debian (trixie), which decides which glibc the binary needs. Pin the Rust version and the release together.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    for stage in &context.model.stages {
        // An earlier stage is not an image; nor, perhaps, is a name made of ARGs only the
        // build knows (`FROM build_${TARGETARCH}`): say nothing of what cannot be read.
        if stage.parent.is_some() {
            continue;
        }
        if let Some(why) = stage.base.as_deref().and_then(images::floating) {
            report.at(stage.line, why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_on_latest_and_a_major_only_rust_tag() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1 AS builder\nFROM debian:latest\nCOPY --from=builder /a /a\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:1", "Dockerfile:2"]);
    }

    #[test]
    fn fires_on_tags_without_a_version_and_rolling_names_through_args() {
        let fixture = Fixture::dockerfile(
            "ARG RUNTIME=debian:sid-slim\nFROM rust:slim-bookworm AS builder\nFROM ${RUNTIME}\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:2", "Dockerfile:3"]);
    }

    #[test]
    fn fires_on_a_musl_builder_tag_that_names_a_target_but_no_rust_version() {
        let fixture = Fixture::dockerfile(
            "FROM messense/rust-musl-cross:x86_64-musl AS amd64\nFROM ghcr.io/blackdex/rust-musl:aarch64-musl AS arm64\nFROM scratch\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:1", "Dockerfile:2"]);
    }

    #[test]
    fn near_miss_builder_tags_with_a_rust_version_or_a_nightly_date() {
        let fixture = Fixture::dockerfile(
            "FROM ghcr.io/blackdex/rust-musl:x86_64-musl-stable-1.97.1 AS a\nFROM clux/muslrust:1.85.0-stable AS b\nFROM rustlang/rust:nightly-2025-05-01-slim AS c\nFROM ghcr.io/blackdex/rust-musl:x86_64-musl-nightly-2025-05-01 AS d\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }

    #[test]
    fn near_miss_a_digest_and_stage_names_also_from_args() {
        let fixture = Fixture::dockerfile(
            "ARG FLAVOUR=cpu\nFROM rust:1.95-trixie AS chef\nFROM chef AS build-cpu\nFROM build-${FLAVOUR} AS builder\nFROM build_${TARGETARCH}\nFROM debian@sha256:0123\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }
}
