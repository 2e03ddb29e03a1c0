//! CM016: a TLS client on a runtime image with no CA bundle.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM016",
    severity: Error,
    title: "TLS client without CA certificates",
    why: "The service makes TLS calls but the runtime image has no CA bundle, so every HTTPS request fails with a certificate error.",
    fix: "Copy the bundle from the builder: `COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/`, or use webpki-roots.",
    explain: "scratch and debian-slim ship no CA certificates. Crates such as reqwest, ureq, hyper-rustls and native-tls read the system bundle (rustls with webpki-roots embeds its own).",
    check: Check::Dockerfile(check),
};

fn check(context: &DockerfileContext, report: &mut Report) {
    let model = context.model;
    let Some((tls, final_stage)) = context.tls() else {
        return;
    };
    let runtime = model.facts(final_stage);
    let has_bundle = runtime.ca_certificates == Some(true)
        || model.lineage_instructions(final_stage).iter().any(|i| {
            let text = i.script();
            text.contains("ca-certificates")
                || text.contains("/etc/ssl/certs")
                || recommends_ca_certificates(&text)
        })
        || tls.embeds_roots;
    if !has_bundle && runtime.ca_certificates == Some(false) {
        report.at(
            final_stage.line,
            format!(
                "{} makes TLS calls, and {} has no CA bundle",
                tls.crate_name,
                model.runtime_image()
            ),
        );
    }
}

/// An apt install that keeps Recommends of a package recommending ca-certificates (curl,
/// wget, openssl, git and gnupg do): the bundle comes along.
fn recommends_ca_certificates(text: &str) -> bool {
    text.split(['&', ';', '|', '\n']).any(|command| {
        let words: Vec<&str> = command.split_whitespace().collect();
        let installs = words
            .windows(2)
            .any(|pair| matches!(pair[0], "apt-get" | "apt") && pair[1] == "install");
        installs
            && !words.contains(&"--no-install-recommends")
            && words.iter().any(|word| {
                matches!(
                    word.split('=').next().unwrap_or(word),
                    "curl" | "wget" | "openssl" | "git" | "gnupg"
                )
            })
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::check::cargo::Dependency;
    use crate::check::rules::testing::Fixture;

    fn reqwest() -> Dependency {
        Dependency {
            default_features: true,
            ..Dependency::default()
        }
    }

    #[test]
    fn fires_on_reqwest_on_scratch() {
        let fixture = Fixture::dockerfile("FROM scratch\nCOPY app /app\n")
            .with_dependency("reqwest", reqwest());
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:1"]);
    }

    #[test]
    fn fires_when_curl_comes_without_its_recommends() {
        let fixture = Fixture::dockerfile(
            "FROM debian:trixie-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n",
        )
        .with_dependency("reqwest", reqwest());
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:1"]);
    }

    #[test]
    fn near_miss_curl_with_its_recommends_brings_the_bundle() {
        let fixture = Fixture::dockerfile(
            "FROM debian:trixie-slim\nRUN apt-get update && apt-get install -y curl\n",
        )
        .with_dependency("reqwest", reqwest());
        assert!(fixture.findings(&RULE).is_empty());
    }

    #[test]
    fn fires_on_a_client_that_a_default_feature_enables() {
        let fixture = Fixture::dockerfile("FROM scratch\nCOPY app /app\n").with_manifests(&[(
            "Cargo.toml",
            "[package]\nname = \"app\"\n[features]\ndefault = [\"client\"]\nclient = [\"dep:reqwest\"]\n[dependencies]\nreqwest = { version = \"0.13\", optional = true }\n",
        )]);
        assert_eq!(fixture.findings(&RULE), ["Dockerfile:1"]);
    }

    #[test]
    fn near_miss_an_optional_client_no_feature_enables() {
        let fixture = Fixture::dockerfile("FROM scratch\nCOPY app /app\n").with_manifests(&[(
            "Cargo.toml",
            "[package]\nname = \"app\"\n[features]\nclient = [\"dep:reqwest\"]\n[dependencies]\nreqwest = { version = \"0.13\", optional = true }\n",
        )]);
        assert!(fixture.findings(&RULE).is_empty());
    }

    #[test]
    fn near_miss_roots_compiled_in_by_reqwest_0_12_or_a_package_feature() {
        for manifest in [
            "[package]\nname = \"app\"\n[dependencies]\nreqwest = { version = \"0.12.8\", default-features = false, features = [\"rustls-tls\"] }\n",
            "[package]\nname = \"app\"\n[features]\ndefault = [\"tls\"]\ntls = [\"awc/rustls-0_23-webpki-roots\"]\n[dependencies]\nawc = \"3\"\n",
        ] {
            let fixture = Fixture::dockerfile("FROM scratch\nCOPY app /app\n")
                .with_manifests(&[("Cargo.toml", manifest)]);
            assert!(fixture.findings(&RULE).is_empty(), "{manifest}");
        }
    }

    #[test]
    fn near_miss_the_bundle_copied_in() {
        let fixture = Fixture::dockerfile(
            "FROM scratch\nCOPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/\n",
        )
        .with_dependency("reqwest", reqwest());
        assert!(fixture.findings(&RULE).is_empty());
    }
}
