//! The image's SBOM lists its crates: the Dockerfile builds the binary with `cargo auditable`,
//! which embeds the dependency list in it, so `trivy image --format cyclonedx` (offline) reads
//! every crate and its version from the image alone. A control image, the same Dockerfile with
//! a plain `cargo build`, lists none: what the SBOM shows comes from auditable. Each document
//! validates against the CycloneDX schema it declares (cyclonedx-python-lib's copy).

use crate::helpers::*;
use cargo_microservice::docker;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// `name -> version` of every crate in `Cargo.lock`.
fn locked_versions(project: &Path) -> BTreeMap<String, Vec<String>> {
    let lock: toml::Table = std::fs::read_to_string(project.join("Cargo.lock"))
        .unwrap()
        .parse()
        .unwrap();
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in lock["package"].as_array().unwrap() {
        versions
            .entry(package["name"].as_str().unwrap().to_owned())
            .or_default()
            .push(package["version"].as_str().unwrap().to_owned());
    }
    versions
}

/// The image's CycloneDX document from trivy, validated; and its cargo crates, `name -> versions`.
fn sbom(image: &str) -> (Value, BTreeMap<String, Vec<String>>) {
    let output = run_ok(clean_command("trivy").args([
        "image",
        "--format",
        "cyclonedx",
        "--offline-scan",
        "--skip-db-update",
        "--skip-java-db-update",
        "--image-src",
        "docker",
        "--quiet",
        image,
    ]));
    let text = String::from_utf8(output.stdout).unwrap();
    let document: Value = serde_json::from_str(&text).unwrap();
    let version = document["specVersion"].as_str().unwrap().replace('.', "_");
    let script = format!(
        "import sys\n\
         from cyclonedx.schema import SchemaVersion\n\
         from cyclonedx.validation.json import JsonStrictValidator\n\
         error = JsonStrictValidator(SchemaVersion.V{version}).validate_str(sys.stdin.read())\n\
         sys.exit(str(error) if error else 0)\n"
    );
    let mut validate = clean_command("python3");
    validate.args(["-c", &script]);
    let validated = run_with_stdin(&mut validate, text.as_bytes());
    assert!(
        validated.status.success(),
        "{image}: the SBOM does not validate against CycloneDX {}: {}",
        document["specVersion"],
        String::from_utf8_lossy(&validated.stderr)
    );
    let mut crates: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for component in document["components"].as_array().into_iter().flatten() {
        let purl = component["purl"].as_str().unwrap_or_default();
        if let Some(rest) = purl.strip_prefix("pkg:cargo/") {
            let (name, version) = rest.split_once('@').unwrap();
            crates
                .entry(name.to_owned())
                .or_default()
                .push(version.to_owned());
        }
    }
    (document, crates)
}

fn run_with_stdin(command: &mut std::process::Command, input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_images_sbom_lists_its_crates_at_the_locked_versions_and_a_control_lists_none() {
    if !require_docker()
        || !require_tool("cargo-generate", "--version")
        || !require_tool("trivy", "--version")
    {
        return;
    }
    let variants: Vec<Variant> = Variant::matrix()
        .into_iter()
        .filter(|variant| {
            variant.base == Base::Distroless && variant.debian == Some(Debian::Trixie)
        })
        .collect();
    for variant in &variants {
        let image = image(variant);
        let id = variant.id();
        assert!(
            matches!(image.outcome, Built::Yes(_)),
            "{id} was not built: {:?}",
            image.outcome
        );
        let locked = locked_versions(&image.project);
        let (_, crates) = sbom(&image.tag);
        let mut expected = vec!["actix-web", "tokio", "serde_json"];
        if variant.database == Database::Postgres {
            expected.extend(["sqlx", "sqlx-postgres"]);
        }
        for name in &expected {
            assert_eq!(
                crates.get(*name),
                locked.get(*name),
                "{id}: the SBOM's {name} is not Cargo.lock's"
            );
        }
        assert_eq!(
            crates.contains_key("sqlx-postgres"),
            variant.database == Database::Postgres,
            "{id}: sqlx is in the SBOM exactly when the service uses it"
        );
        // Every crate it lists is locked at that version (crates only the build uses may be
        // left out, and a crate locked at two versions may appear at one).
        for (name, versions) in &crates {
            for version in versions {
                assert!(
                    locked
                        .get(name)
                        .is_some_and(|locked| locked.contains(version)),
                    "{id}: the SBOM lists {name} {version}, which Cargo.lock does not"
                );
            }
        }
        note(&format!(
            "{id}: trivy's CycloneDX SBOM lists {} crates at Cargo.lock's versions (actix-web {}{})",
            crates.len(),
            crates["actix-web"][0],
            crates
                .get("sqlx-postgres")
                .map(|versions| format!(", sqlx-postgres {}", versions[0]))
                .unwrap_or_default()
        ));
    }

    // The control: the default variant's Dockerfile with a plain `cargo build`.
    let _docker = docker_lock();
    let project = render(&Variant::default(), &scratch_dir("sbom-control"));
    let dockerfile = project.join("Dockerfile");
    let text = std::fs::read_to_string(&dockerfile).unwrap();
    let plain = text.replace("cargo auditable build", "cargo build");
    assert_ne!(
        plain, text,
        "the Dockerfile builds with `cargo auditable build`"
    );
    std::fs::write(&dockerfile, plain).unwrap();
    ensure_bases(&project).expect("the control's base images");
    let tag = "cargo-microservice-e2e/sbom-control:plain-cargo-build";
    docker::build(&project, tag).unwrap();
    let (_, crates) = sbom(tag);
    assert!(
        crates.is_empty(),
        "a binary built without auditable carries no crate list, yet trivy found {crates:?}"
    );
    note("control (plain cargo build): trivy's SBOM lists no crate");
}
