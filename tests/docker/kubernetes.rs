//! The default variant's Kubernetes manifests proven against its built image (see
//! `conformance.rs`), and manifests that drift from the image caught, each by the field at fault.

use crate::conformance::{Verdict, run_pod};
use crate::helpers::*;
use cargo_microservice::docker;
use cargo_microservice_support::kubernetes::{BASE_DIR, Manifests};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The default variant rendered and built once for every test here: the manifests' fixtures
/// change only YAML, never the image. `None` when docker or a tool is missing outside CI.
fn default_variant() -> Option<&'static (PathBuf, String)> {
    static BUILT: OnceLock<Option<(PathBuf, String)>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if !require_docker()
                || !require_tool("cargo-generate", "--version")
                || !require_tool("kubectl", "help")
            {
                return None;
            }
            let variant = Variant {
                base: Base::default(),
                debian: Some(Debian::default()),
            };
            let _docker = docker_lock();
            let project = render(&variant, &scratch_dir("conformance"));
            let dockerfile = std::fs::read_to_string(project.join("Dockerfile")).unwrap();
            for image in base_images(&dockerfile) {
                ensure_base_image(&image).expect("the default variant's base images");
            }
            let tag = format!("cargo-microservice-e2e/{}:test", variant.id());
            docker::build(&project, &tag).unwrap();
            Some((project, tag))
        })
        .as_ref()
}

/// The project's kustomize base with `edit` applied to its Deployment, rendered by kustomize.
fn manifests_with(project: &Path, fixture: &str, edit: impl Fn(String) -> String) -> Manifests {
    let base = scratch_dir(&format!("manifests-{fixture}"));
    for entry in std::fs::read_dir(project.join(BASE_DIR)).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let text = if path.ends_with("deployment.yaml") {
            let edited = edit(text.clone());
            assert!(
                fixture == "as-rendered" || edited != text,
                "the fixture {fixture} changed nothing"
            );
            edited
        } else {
            text
        };
        std::fs::write(base.join(path.file_name().unwrap()), text).unwrap();
    }
    Manifests::kustomize(&base)
}

fn conform(fixture: &str, edit: impl Fn(String) -> String) -> Option<Verdict> {
    let (project, image) = default_variant()?;
    let _docker = docker_lock();
    let manifests = manifests_with(project, fixture, edit);
    let verdict = run_pod(image, &manifests);
    for line in &verdict.log {
        note(&format!("conformance ({fixture}): {line}"));
    }
    Some(verdict)
}

#[test]
fn the_default_variant_runs_as_its_deployment_says_and_survives_a_rolling_update() {
    let Some((project, _)) = default_variant() else {
        return;
    };
    // The image the Deployment names is the one `docker build -t <name>:<version>` makes.
    let deployment = Manifests::kustomize(&project.join(BASE_DIR)).deployment();
    let cargo = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    let version = cargo
        .lines()
        .find_map(|line| line.strip_prefix("version = "))
        .unwrap()
        .trim_matches('"');
    assert_eq!(
        deployment.spec.template.spec.containers[0].image,
        format!("orders:{version}")
    );

    let Some(verdict) = conform("as-rendered", |deployment| deployment) else {
        return;
    };

    assert!(
        verdict.failures.is_empty(),
        "the conformance run failed:\n{}",
        verdict.log.join("\n")
    );
    assert!(
        verdict.log.iter().any(|line| line.starts_with("exit 0")),
        "{:#?}",
        verdict.log
    );
}

/// Asserts the run failed, and that one failure names `field`.
fn assert_caught(verdict: &Verdict, field: &str) {
    assert!(
        verdict
            .failures
            .iter()
            .any(|failure| failure.contains(field)),
        "no failure names {field}:\n{}",
        verdict.log.join("\n")
    );
}

#[test]
fn a_conformance_run_fails_a_probe_on_a_port_the_service_does_not_listen_on() {
    let Some(verdict) = conform("wrong-probe-port", |deployment| {
        deployment.replacen(
            "              port: http\n",
            "              port: 9090\n",
            1,
        )
    }) else {
        return;
    };

    assert_caught(&verdict, "startupProbe");
    assert_caught(&verdict, "httpGet.port 9090");
}

#[test]
fn a_conformance_run_fails_a_pod_that_runs_as_uid_0() {
    let Some(verdict) = conform("uid-0", |deployment| {
        deployment.replace("runAsUser: 65532", "runAsUser: 0")
    }) else {
        return;
    };

    assert_caught(
        &verdict,
        "spec.template.spec.securityContext.runAsUser is 0",
    );
}

#[test]
fn a_conformance_run_fails_a_grace_period_shorter_than_the_drain() {
    let Some(verdict) = conform("short-grace", |deployment| {
        deployment.replace(
            "terminationGracePeriodSeconds: 15",
            "terminationGracePeriodSeconds: 6",
        )
    }) else {
        return;
    };

    assert_caught(&verdict, "terminationGracePeriodSeconds");
    // Not only read from the YAML: the kubelet's SIGKILL cut the slow client's request off.
    assert!(
        verdict
            .failures
            .iter()
            .any(|failure| failure.contains("would SIGKILL")),
        "{}",
        verdict.log.join("\n")
    );
}

#[test]
fn a_conformance_run_fails_a_readiness_probe_on_a_path_that_404s() {
    let Some(verdict) = conform("probe-path-404", |deployment| {
        deployment.replace("path: /ready", "path: /readyz")
    }) else {
        return;
    };

    assert_caught(&verdict, "readinessProbe (GET /readyz) never passed");
}
