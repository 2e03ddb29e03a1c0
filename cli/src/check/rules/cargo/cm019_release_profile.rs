//! CM019: the release profile lacks lto, codegen-units = 1 or strip.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM019",
    severity: Info,
    title: "release profile not tuned",
    why: "Without lto, codegen-units = 1 and strip, the release binary is larger and slower than it needs to be.",
    fix: "Add `[profile.release]` with `lto = true`, `codegen-units = 1` and `strip = true`.",
    explain: "Link-time optimisation across crates and a single codegen unit give the optimiser the whole program; strip removes symbols the image does not need. Together they typically cut the binary by a third.",
    check: Check::Cargo(check),
};

fn check(project: &Project, cargo: &Cargo, report: &mut Report) {
    // Only where it ships in an image: a library's profile is its users' business.
    if project.dockerfiles.is_empty() {
        return;
    }
    // The profile the image is built with: `--profile NAME` (ARG defaults applied), else
    // release.
    let mut names: Vec<String> = project
        .dockerfiles
        .iter()
        .flat_map(|file| profiles_built(&file.parsed))
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        names.push("release".to_owned());
    }
    for name in names {
        let settings = resolved(cargo, &name);
        let is_set =
            |key: &str, ok: &dyn Fn(&toml::Value) -> bool| settings.get(key).is_some_and(ok);
        let mut missing = Vec::new();
        if !is_set("lto", &|v| {
            v.as_bool() == Some(true) || matches!(v.as_str(), Some("fat" | "thin"))
        }) {
            missing.push("lto = true");
        }
        if !is_set("codegen-units", &|v| v.as_integer() == Some(1)) {
            missing.push("codegen-units = 1");
        }
        if !is_set("strip", &|v| {
            v.as_bool() == Some(true) || matches!(v.as_str(), Some("symbols" | "debuginfo"))
        }) {
            missing.push("strip = true");
        }
        if missing.is_empty() {
            continue;
        }
        let header = format!("[profile.{name}]");
        let line = if cargo.manifest_text.contains(&header) {
            line_of(&cargo.manifest_text, &header)
        } else {
            1
        };
        report.at(line, format!("{header} lacks {}", missing.join(", ")));
    }
}

/// A profile's settings with what it inherits (`inherits = "release"`) underneath.
fn resolved(cargo: &Cargo, name: &str) -> toml::Table {
    let profile = |name: &str| -> Option<toml::Table> {
        match name {
            "release" => cargo.release_profile.clone(),
            _ => cargo.profiles.get(name)?.as_table().cloned(),
        }
    };
    let mut chain = vec![profile(name).unwrap_or_default()];
    while chain.len() < 8 {
        let Some(parent) = chain
            .last()
            .and_then(|table| table.get("inherits"))
            .and_then(|inherits| inherits.as_str())
            .and_then(profile)
        else {
            break;
        };
        chain.push(parent);
    }
    let mut settings = toml::Table::new();
    for table in chain.into_iter().rev() {
        settings.extend(table);
    }
    settings
}

/// The profiles a Dockerfile's cargo commands name with `--profile`.
fn profiles_built(model: &crate::check::model::Model) -> Vec<String> {
    model
        .cargo_commands
        .iter()
        .flat_map(|command| command.values("--profile"))
        .filter(|name| !name.is_empty() && !name.contains('$'))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::rules::testing::Fixture;

    fn with_profile(profile: &str) -> Fixture {
        let manifest = format!("[package]\nname = \"app\"\n\n[profile.release]\n{profile}");
        Fixture::dockerfile("FROM scratch\n").with_cargo(|cargo| {
            cargo.release_profile = Some(toml::from_str(profile).unwrap());
            cargo.manifest_text = manifest;
        })
    }

    #[test]
    fn fires_without_strip() {
        assert_eq!(
            with_profile("lto = true\ncodegen-units = 1\n").findings(&RULE),
            ["Cargo.toml:4"]
        );
    }

    #[test]
    fn judges_the_profile_the_image_builds_with() {
        let manifest = "[profile.release]\nlto = true\n\n[profile.performance]\ninherits = \"release\"\ncodegen-units = 1\n";
        let fixture = Fixture::dockerfile(
            "FROM rust:1.95-trixie\nARG PROFILE=performance\nRUN cargo build --profile ${PROFILE}\n",
        )
        .with_cargo(|cargo| {
            cargo.profiles = toml::from_str(&manifest.replace("[profile.", "[")).unwrap();
            cargo.release_profile = cargo.profiles.get("release").unwrap().as_table().cloned();
            cargo.manifest_text = manifest.into();
        });
        let findings = fixture.run(&RULE);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].line, 4);
        assert!(
            findings[0]
                .message
                .contains("[profile.performance] lacks strip")
        );
    }

    #[test]
    fn near_miss_strip_symbols_and_fat_lto() {
        let fixture = with_profile("lto = \"fat\"\ncodegen-units = 1\nstrip = \"symbols\"\n");
        assert!(fixture.findings(&RULE).is_empty());
    }
}
