//! CM017: OpenSSL in a static or musl build.

use super::prelude::*;

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
    let (Some(cargo), Some(final_stage)) = (&context.project.cargo, model.final_stage()) else {
        return;
    };
    let Some(tls) = cargo.tls() else {
        return;
    };
    let runtime = model.facts(final_stage);
    let static_build = final_stage.copies_from.iter().any(|copy| {
        model.instruction(copy.instruction).keyword == "COPY"
            && matches!(copy.source, CopySource::Stage(source)
                if model.stages[source].builds_rust && model.stages[source].links_statically)
    });
    if tls.openssl && (static_build || runtime.no_libc || runtime.libc == Some(Libc::Musl)) {
        let dependency = &cargo.dependencies[&tls.crate_name];
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
    use crate::check::project::Dependency;
    use crate::check::rules::testing::Fixture;

    fn dependency(features: &[&str], default_features: bool) -> Dependency {
        Dependency {
            default_features,
            features: features.iter().map(|f| f.to_string()).collect(),
            manifest: "Cargo.toml".into(),
            line: 7,
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
    fn near_miss_rustls() {
        let fixture = Fixture::dockerfile(STATIC)
            .with_dependency("reqwest", dependency(&["rustls-tls"], false));
        assert!(fixture.findings(&RULE).is_empty());
    }
}
