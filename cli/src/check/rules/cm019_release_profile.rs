//! CM019: the release profile lacks lto, codegen-units = 1 or strip.

use super::prelude::*;

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
    let is_set = |key: &str, ok: &dyn Fn(&toml::Value) -> bool| {
        cargo
            .release_profile
            .as_ref()
            .and_then(|profile| profile.get(key))
            .is_some_and(ok)
    };
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
    // Only where it ships in an image: a library's profile is its users' business.
    if !missing.is_empty() && !project.dockerfiles.is_empty() {
        let line = if cargo.release_profile.is_some() {
            line_of(&cargo.manifest_text, "[profile.release]")
        } else {
            1
        };
        report.at(
            line,
            format!("[profile.release] lacks {}", missing.join(", ")),
        );
    }
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
    fn near_miss_strip_symbols_and_fat_lto() {
        let fixture = with_profile("lto = \"fat\"\ncodegen-units = 1\nstrip = \"symbols\"\n");
        assert!(fixture.findings(&RULE).is_empty());
    }
}
