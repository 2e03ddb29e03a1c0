//! CM018: the builder's Rust is older than the crate's rust-version or edition needs.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM018",
    severity: Error,
    title: "builder toolchain older than the crate needs",
    why: "The builder's Rust is older than Cargo.toml's rust-version (or the edition's minimum), so the build fails.",
    fix: "Use a builder image at least as new as rust-version, e.g. `rust:1.95-trixie`.",
    explain: "rust-version declares the oldest toolchain the crate builds with; edition 2024 needs 1.85. The rust image tag sets the builder's toolchain.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    let Some(cargo) = &context.project.cargo else {
        return;
    };
    let needed = cargo
        .rust_version
        .as_deref()
        .and_then(|version| {
            let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next()??))
        })
        .into_iter()
        .chain((cargo.edition.as_deref() == Some("2024")).then_some((1, 85)))
        .max();
    let Some(needed) = needed else {
        return;
    };
    // Point at the FROM that names the image, once however many stages build on it.
    let mut roots: Vec<usize> = model
        .stages
        .iter()
        .filter(|stage| stage.builds_rust)
        .map(|stage| stage.root)
        .collect();
    roots.dedup();
    for root in roots {
        let root = &model.stages[root];
        let image = root.image();
        if let Some(have) = images::facts(image).rust_version
            && have < needed
        {
            report.at(
                root.line,
                format!(
                    "{image} has Rust {}.{}, and the crate needs {}.{}",
                    have.0, have.1, needed.0, needed.1
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    const BUILD: &str = "FROM rust:1.80-bookworm AS builder\nRUN cargo build --release\n";

    #[test]
    fn fires_when_rust_version_or_edition_needs_more() {
        let fixture =
            Fixture::dockerfile(BUILD).with_cargo(|cargo| cargo.rust_version = Some("1.82".into()));
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:1"]);
        let fixture =
            Fixture::dockerfile(BUILD).with_cargo(|cargo| cargo.edition = Some("2024".into()));
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:1"]);
    }

    #[test]
    fn near_miss_a_matching_toolchain() {
        let fixture =
            Fixture::dockerfile(BUILD).with_cargo(|cargo| cargo.rust_version = Some("1.80".into()));
        assert!(fixture.findings(&RULE).is_empty());
    }
}
