//! CM017: OpenSSL in a static or musl build.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM017",
    severity: Error,
    title: "OpenSSL with a static or musl build",
    why: "openssl-sys (via native-tls or reqwest's default features) needs OpenSSL headers and libraries built for the target, which musl and static builds do not have, so the build or the binary fails.",
    fix: "Use rustls (`reqwest = { default-features = false, features = [\"rustls-tls\"] }`), or vendor OpenSSL (`openssl = { features = [\"vendored\"] }`).",
    explain: "native-tls links the system OpenSSL dynamically. A static glibc build or a musl build needs a static OpenSSL for that target; rustls is pure Rust and avoids the problem.",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    let Some((tls, final_stage)) = context.tls() else {
        return;
    };
    let runtime = model.facts(final_stage);
    let builders: Vec<&Stage> = final_stage
        .copies_from
        .iter()
        .filter(|copy| model.instruction(copy.instruction).keyword == "COPY")
        .filter_map(|copy| match copy.source {
            CopySource::Stage(source) if model.stages[source].builds_rust => {
                Some(&model.stages[source])
            }
            _ => None,
        })
        .collect();
    let static_build = builders.iter().any(|stage| stage.links_statically);
    // A builder that has OpenSSL for its target: a musl image that ships a static one, or
    // Alpine's packages installed.
    let openssl_provided = !builders.is_empty()
        && builders.iter().all(|stage| {
            model.facts(stage).static_openssl
                || model.lineage_instructions(stage).iter().any(|i| {
                    let text = i.script();
                    text.contains("openssl-libs-static") || text.contains("openssl-dev")
                })
        });
    if openssl_provided {
        return;
    }
    if tls.openssl && (static_build || runtime.no_libc || runtime.libc == Some(Libc::Musl)) {
        let Some(dependency) = context
            .project
            .cargo
            .as_ref()
            .and_then(|cargo| cargo.dependencies.get(&tls.crate_name))
        else {
            return;
        };
        report.in_file(
            &dependency.manifest,
            dependency.line,
            format!(
                "{} links OpenSSL, and this image is built statically or for musl",
                tls.crate_name
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::cargo::Dependency;
    use crate::check::rules::testing::Fixture;

    fn dependency(features: &[&str], default_features: bool) -> Dependency {
        Dependency {
            default_features,
            features: features.iter().map(|f| f.to_string()).collect(),
            manifest: "Cargo.toml".into(),
            line: 7,
            ..Dependency::default()
        }
    }

    const STATIC: &str = "FROM rust:1.95-trixie AS builder\nENV RUSTFLAGS=\"-C target-feature=+crt-static\"\nRUN cargo build --release\nFROM scratch\nCOPY --from=builder /app /app\n";

    #[test]
    fn fires_on_native_tls_in_a_static_build() {
        let fixture =
            Fixture::dockerfile(STATIC).with_dependency("native-tls", dependency(&[], true));
        assert_eq!(fixture.findings(&RULE), ["Cargo.toml:7"]);
    }

    #[test]
    fn near_miss_a_musl_builder_that_ships_openssl() {
        let fixture = Fixture::dockerfile(
            "FROM clux/muslrust:1.67.0 AS builder\nRUN cargo build --release\nFROM scratch\nCOPY --from=builder /app/target/x86_64-unknown-linux-musl/release/app /app\n",
        )
        .with_dependency("native-tls", dependency(&[], true));
        assert!(fixture.findings(&RULE).is_empty());
    }

    const OPTIONAL_NATIVE_TLS: &str = "[package]\nname = \"app\"\n[features]\ndefault = [\"full\"]\nfull = []\nhttp-native-tls = [\"native-tls\"]\n[dependencies]\nnative-tls = { version = \"0.2\", optional = true }\n";

    #[test]
    fn fires_on_an_optional_native_tls_the_build_asks_for() {
        let fixture = Fixture::dockerfile(&STATIC.replace(
            "cargo build --release",
            "cargo build --release --features \"full http-native-tls\"",
        ))
        .with_manifests(&[("Cargo.toml", OPTIONAL_NATIVE_TLS)]);
        assert_eq!(fixture.findings(&RULE), ["Cargo.toml:8"]);
    }

    #[test]
    fn near_miss_an_optional_native_tls_the_build_leaves_off() {
        let fixture = Fixture::dockerfile(&STATIC.replace(
            "cargo build --release",
            "cargo build --release --features full",
        ))
        .with_manifests(&[("Cargo.toml", OPTIONAL_NATIVE_TLS)]);
        assert!(fixture.findings(&RULE).is_empty());
    }

    #[test]
    fn near_miss_openssl_vendored_through_the_workspace() {
        let fixture = Fixture::dockerfile(STATIC).with_manifests(&[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"push\"]\n[workspace.dependencies]\nopenssl = { version = \"0.10\", features = [\"vendored\"] }\n",
            ),
            (
                "push/Cargo.toml",
                "[package]\nname = \"push\"\n[dependencies]\nopenssl.workspace = true\n",
            ),
        ]);
        assert!(fixture.findings(&RULE).is_empty());
    }

    #[test]
    fn near_miss_reqwest_0_13_whose_default_tls_is_rustls() {
        let fixture = Fixture::dockerfile(STATIC).with_manifests(&[(
            "Cargo.toml",
            "[package]\nname = \"app\"\n[dependencies]\nreqwest = \"0.13\"\n",
        )]);
        assert!(fixture.findings(&RULE).is_empty());
    }

    #[test]
    fn near_miss_rustls() {
        let fixture = Fixture::dockerfile(STATIC)
            .with_dependency("reqwest", dependency(&["rustls-tls"], false));
        assert!(fixture.findings(&RULE).is_empty());
    }
}
