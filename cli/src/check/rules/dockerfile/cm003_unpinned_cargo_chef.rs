//! CM003: `cargo install cargo-chef` without `--version` and `--locked`.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM003",
    severity: Warning,
    title: "unpinned cargo-chef",
    why: "`cargo install cargo-chef` takes whatever is newest, so a cargo-chef release (or one of its dependencies) can break the build with no change on your side.",
    fix: "Pin it: `cargo install cargo-chef --locked --version 0.1.78`.",
    explain: "Without `--version`, each cold build installs the latest cargo-chef; without `--locked`, it also resolves its dependencies afresh, and a new dependency release that needs a newer rustc than the builder image has fails the install.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    // cargo-chef delivered by its own image: `latest-rust-...` leaves its version open.
    for stage in model.stages.iter().filter(|stage| stage.parent.is_none()) {
        if let Some(image) = &stage.base
            && images::facts(image).cargo_chef_pinned == Some(false)
        {
            report.at(
                stage.line,
                format!("{image} carries whichever cargo-chef is newest (`latest`)"),
            );
        }
    }
    for copy in model.stages.iter().flat_map(|stage| &stage.copies_from) {
        if let CopySource::Image(image) = &copy.source
            && images::facts(image).cargo_chef_pinned == Some(false)
        {
            report.at(
                copy.line,
                format!("{image} carries whichever cargo-chef is newest (`latest`)"),
            );
        }
    }
    for command in model
        .cargo_commands
        .iter()
        .filter(|command| command.subcommand == "install")
    {
        let chef = |word: &String| word == "cargo-chef" || word.starts_with("cargo-chef@");
        if !command.args.iter().any(chef) {
            continue;
        }
        let versioned = command.has("--version")
            || !command.values("--version").is_empty()
            || command
                .args
                .iter()
                .any(|word| word.starts_with("cargo-chef@"));
        let locked = command.has("--locked");
        if !versioned || !locked {
            let missing = match (versioned, locked) {
                (false, false) => "no --version and no --locked",
                (false, true) => "no --version",
                _ => "no --locked",
            };
            report.at(
                command.line,
                format!("cargo install cargo-chef has {missing}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_without_a_version_or_without_locked() {
        for text in [
            "FROM rust:1.95-trixie\nRUN cargo install cargo-chef\n",
            "FROM rust:1.95-trixie\nRUN cargo install cargo-chef --version 0.1.78\n",
        ] {
            assert_eq!(
                Fixture::dockerfile(text).findings(&RULE),
                ["Dockerfile:2"],
                "{text}"
            );
        }
    }

    #[test]
    fn fires_on_the_latest_cargo_chef_image() {
        let fixture = Fixture::dockerfile(
            "ARG RUST=1.95\nFROM lukemathwalker/cargo-chef:latest-rust-${RUST}-trixie AS chef\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:2"]);
    }

    #[test]
    fn near_miss_a_pinned_or_digest_cargo_chef_image() {
        let fixture = Fixture::dockerfile(
            "FROM lukemathwalker/cargo-chef:0.1.73-rust-1.91.1-trixie AS chef\nFROM lukemathwalker/cargo-chef:latest-rust-slim-bookworm@sha256:00 AS other\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }

    #[test]
    fn near_miss_pinned_with_the_at_syntax() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie\nRUN cargo install cargo-chef@0.1.78 --locked\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }

    #[test]
    fn the_fix_pins_the_cargo_chef_the_template_installs() {
        let pinned = crate::vocabulary::CARGO_CHEF_VERSION;
        assert!(RULE.fix.contains(pinned), "{}", RULE.fix);
    }
}
