//! CM010: the Dockerfile builds or copies a binary Cargo.toml does not produce.

use super::prelude::*;

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
    for instruction in &context.model.file.instructions {
        let named = match instruction.keyword.as_str() {
            "RUN" => {
                let text = instruction.script();
                // `--bin NAME` of the commands that build a binary; `cargo new --bin PATH`
                // makes a project.
                text.split(['&', ';', '|', '\n'])
                    .filter(|command| {
                        ["build", "install", "run", "rustc", "chef"]
                            .iter()
                            .any(|verb| command.contains(&format!("cargo {verb}")))
                    })
                    .flat_map(|command| {
                        let words: Vec<&str> = command.split_whitespace().collect();
                        words
                            .windows(2)
                            .filter(|pair| pair[0] == "--bin")
                            .map(|pair| pair[1].trim_matches(['"', '\'']).to_owned())
                            .collect::<Vec<_>>()
                    })
                    .filter(|name| !name.contains(['/', '$']))
                    .collect::<Vec<_>>()
            }
            "COPY" if instruction.flag("from").is_some() => instruction
                .args
                .split_whitespace()
                .filter_map(|source| {
                    source
                        .split_once("/release/")
                        .or_else(|| source.split_once("/debug/"))
                })
                .map(|(_, name)| name.trim_end_matches('/').to_owned())
                .filter(|name| !name.is_empty() && !name.contains(['*', '$', '/']))
                .collect(),
            _ => Vec::new(),
        };
        for name in named {
            if !cargo.bins.contains(&name) {
                let known = cargo.bins.iter().cloned().collect::<Vec<_>>().join(", ");
                report.at(
                    instruction.line,
                    format!(
                        "`{name}` is not a binary of this project (Cargo.toml builds: {known})"
                    ),
                );
            }
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
    fn near_miss_the_binary_cargo_builds_and_a_dummy_project() {
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie AS builder\nRUN USER=root cargo new --bin /app\nRUN cargo build --release --bin app\nFROM scratch\nCOPY --from=builder /src/target/release/app /app\n",
        );
        assert!(fixture.findings(&RULE).is_empty());
    }
}
