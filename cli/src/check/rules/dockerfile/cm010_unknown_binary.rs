//! CM010: the Dockerfile builds or copies a binary Cargo.toml does not produce.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM010",
    severity: Error,
    title: "binary name not built by Cargo.toml",
    why: "The Dockerfile builds or copies a binary that Cargo.toml does not produce, so the build fails (or copies a stale file) after a rename.",
    fix: "Make `--bin` and the copied `target/.../release/<name>` match the package or [[bin]] name in Cargo.toml.",
    explain: "Cargo names a binary after the package (src/main.rs), a [[bin]] entry or a file in src/bin/. Renaming the package without updating the Dockerfile is a common way to break an image build.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let Some(cargo) = &context.project.cargo else {
        return;
    };
    if cargo.bins.is_empty() {
        return;
    }
    let model = context.model;
    // `--bin NAME` of the commands that build a binary (`cargo new --bin PATH` makes a
    // project), and `target/<profile>/NAME` copied out of a stage.
    let built = model
        .cargo_commands
        .iter()
        .filter(|command| {
            ["build", "install", "run", "rustc", "chef"].contains(&command.subcommand.as_str())
        })
        .flat_map(|command| {
            command
                .values("--bin")
                .into_iter()
                .map(|name| (command.line, name.to_owned()))
        })
        .filter(|(_, name)| !name.contains(['/', '$']));
    let copied = model
        .stages
        .iter()
        .flat_map(|stage| &stage.copies_from)
        .flat_map(|copy| {
            copy.paths.iter().filter_map(|source| {
                let (_, name) = source
                    .split_once("/release/")
                    .or_else(|| source.split_once("/debug/"))?;
                Some((copy.line, name.trim_end_matches('/').to_owned()))
            })
        })
        .filter(|(_, name)| !name.is_empty() && !name.contains(['*', '$', '/']));
    for (line, name) in built.chain(copied) {
        if !cargo.bins.contains(&name) {
            let known = cargo.bins.iter().cloned().collect::<Vec<_>>().join(", ");
            report.at(
                line,
                format!("`{name}` is not a binary of this project (Cargo.toml builds: {known})"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    #[test]
    fn fires_on_a_renamed_binary() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie AS builder\nRUN cargo build --release --bin old\nFROM scratch\nCOPY --from=builder /src/target/release/old /app\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:2", "Dockerfile:4"]);
    }

    #[test]
    fn fires_on_a_binary_named_through_an_arg_in_either_flag_form() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie AS builder\nARG BIN=old\nRUN cargo build --release --bin=\"${BIN}\"\nFROM scratch\nARG BIN=old\nCOPY --from=builder /src/target/release/${BIN} /app\n",
        );
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:3", "Dockerfile:6"]);
    }

    #[test]
    fn near_miss_an_arg_the_build_must_be_given() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie AS builder\nARG BIN\nRUN cargo build --release --bin \"$BIN\"\nFROM scratch\nARG BIN\nCOPY --from=builder /src/target/release/$BIN /app\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }

    #[test]
    fn near_miss_the_binary_cargo_builds_and_a_dummy_project() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie AS builder\nRUN USER=root cargo new --bin /app\nRUN cargo build --release --bin app\nFROM scratch\nCOPY --from=builder /src/target/release/app /app\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }
}
