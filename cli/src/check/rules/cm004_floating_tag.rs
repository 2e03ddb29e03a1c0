//! CM004: a base image whose tag moves (untagged, `latest`, `rust:1`).

use super::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM004",
    severity: Warning,
    title: "floating base image tag",
    why: "An untagged, `latest` or major-only tag (`rust:1`) changes under you, so the same Dockerfile builds a different image tomorrow.",
    fix: "Pin a release tag (`rust:1.95-trixie`, `gcr.io/distroless/cc-debian13:nonroot`, `alpine:3.23`) or a digest.",
    explain: "A floating tag also hides the Debian release a rust image is built on: `rust:1.75` resolves to today's default Debian (trixie), which decides which glibc the binary needs. Pin the Rust version and the release together.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    for stage in &context.model.stages {
        if stage.parent.is_some() {
            continue; // an earlier stage, not an image
        }
        if let Some(why) = images::floating(stage.image()) {
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
    fn near_miss_a_digest_and_a_stage_name() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie AS chef\nFROM chef AS builder\nFROM debian@sha256:0123\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }
}
