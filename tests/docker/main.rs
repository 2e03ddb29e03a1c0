//! The docker matrix: every variant rendered, built with BuildKit, run under the compose
//! limits, probed over HTTP from the host, checked for uid and shell, stopped with SIGTERM, and
//! brought up with its own compose file. And proof that the harness catches broken images.

mod helpers;
mod sbom;
mod under_load;

use cargo_microservice::docker;
use helpers::*;
use std::time::Instant;

/// Proves one variant's image as the matrix does: the container proof the rendered project
/// ships (run as compose runs it: uid, HEALTHCHECK, probes, a user round trip, shell, SIGTERM),
/// then its compose file brought up, its hardening inspected and its users API driven. The
/// pipeline calls it as each image is built (see `helpers`), while the next one builds.
pub fn prove_variant(image: &Image) -> (Row, Vec<String>) {
    let id = image.variant.id();
    let not_run = |built: &str, bases: String| Row {
        variant: id.clone(),
        built: built.to_owned(),
        healthy: "-".into(),
        probed: "-".into(),
        non_root: "-".into(),
        stopped: "-".into(),
        compose: "-".into(),
        size: "-".into(),
        build_time: "-".into(),
        bases,
    };
    let build_time = match &image.outcome {
        Built::Yes(took) => *took,
        Built::NotBuiltHere(why) => return (not_run("NOT BUILT HERE", why.clone()), Vec::new()),
        Built::Failed(error) => {
            return (
                not_run("FAILED", image.bases.clone()),
                vec![format!("{id}: {error}")],
            );
        }
    };
    let variant = image.variant;
    let size = docker::image_size(&image.tag).unwrap();
    let proof = container_proof(&image.project, &image.tag);
    let compose = Composed::up(&image.project, &format!("cms-e2e-{id}")).and_then(|composed| {
        let hardening = composed.verify_hardening(&variant)?;
        let api = probe_users_api(APP_PORT)?;
        Ok(format!("{hardening}; {api}"))
    });
    let mut failures: Vec<String> = proof
        .checks
        .iter()
        .filter_map(|(name, outcome)| Some(format!("{id}: {name}: {}", outcome.as_ref().err()?)))
        .collect();
    if !proof.passed && failures.is_empty() {
        failures.push(format!(
            "{id}: the container proof failed:\n{}",
            proof.output
        ));
    }
    if let Err(why) = &compose {
        failures.push(format!("{id}: compose: {why}"));
    }
    let row = Row {
        variant: id,
        built: "yes".into(),
        healthy: mark(&proof.check("healthy")),
        probed: mark(&proof.check("probes").and(proof.check("round trip"))),
        non_root: mark(&proof.check("non-root")),
        stopped: proof.check("stop").unwrap_or_else(|_| "FAILED".into()),
        compose: mark(&compose),
        size: format!("{:.1} MB", size as f64 / 1e6),
        build_time: format!("{:.0} s", build_time.as_secs_f64()),
        bases: image.bases.clone(),
    };
    (row, failures)
}

#[test]
fn every_variant_builds_runs_answers_and_stops_cleanly() {
    if !require_docker() || !require_tool("cargo-generate", "--version") {
        return;
    }
    let started = Instant::now();

    let (rows, failures) = matrix_proofs();

    print_summary(&rows);
    let built = rows.iter().filter(|row| row.built == "yes").count();
    note(&format!(
        "docker matrix: {built} of {} variants built and proven; this test waited {:.0} s for the pipeline; {} not built here",
        rows.len(),
        started.elapsed().as_secs_f64(),
        rows.iter()
            .filter(|row| row.built == "NOT BUILT HERE")
            .count()
    ));
    assert!(
        failures.is_empty(),
        "the docker matrix failed:\n{}",
        failures.join("\n")
    );
    // Only alpine may be missing here, and only for want of a registry.
    for row in rows.iter().filter(|row| row.built != "yes") {
        assert!(
            row.variant.starts_with("alpine-"),
            "{} was not built: {}",
            row.variant,
            row.bases
        );
    }
}

/// Renders a variant, breaks its Dockerfile with `edit`, builds it, and runs the rendered
/// project's own container proof on it.
fn prove_broken(
    variant: Variant,
    tag: &str,
    edit: impl Fn(String) -> String,
) -> Option<ContainerProof> {
    if !require_docker() || !require_tool("cargo-generate", "--version") {
        return None;
    }
    start_building();
    let _docker = docker_lock();
    let project = render(&variant, &scratch_dir(tag));
    let dockerfile = project.join("Dockerfile");
    let original = std::fs::read_to_string(&dockerfile).unwrap();
    let broken = edit(original.clone());
    assert_ne!(broken, original, "the fixture's edit changed nothing");
    std::fs::write(&dockerfile, broken).unwrap();
    ensure_bases(&project).expect("the fixture's base images");
    let tag = format!("cargo-microservice-e2e/{tag}:broken");
    docker::build(&project, &tag).unwrap();
    let proof = container_proof(&project, &tag);
    assert!(
        !proof.passed,
        "the broken image passed its proof:\n{}",
        proof.output
    );
    Some(proof)
}

/// A fixture with one fault fails the check named for it and no other.
fn fails_only(proof: &ContainerProof, check: &str) -> String {
    assert_eq!(proof.failed(), [check], "{}", proof.output);
    proof.check(check).unwrap_err()
}

/// Rust's std binds new glibc functions at run time, so a plain service built on trixie still
/// runs on bookworm; C code compiled on trixie does not. This links one C function, as a -sys
/// crate would: with _GNU_SOURCE, glibc 2.38+ headers turn strtol into __isoc23_strtol.
#[test]
fn the_harness_catches_a_binary_built_on_a_newer_debian_than_its_runtime() {
    let trixie = Variant {
        base: Base::Distroless,
        debian: Some(Debian::Trixie),
        database: Database::Memory,
    };
    let Some(proof) = prove_broken(trixie, "glibc-mismatch", |dockerfile| {
        dockerfile
            .replace(
                "RUN cargo auditable build --release --locked --bin orders",
                "RUN printf '#define _GNU_SOURCE\\n#include <stdlib.h>\\nlong parse(const char *s) { return strtol(s, 0, 10); }\\n' > /c.c \\\n    && gcc -O2 -c /c.c -o /c.o \\\n    && cargo rustc --release --locked --bin orders -- -C link-arg=/c.o -C link-arg=-Wl,--undefined=parse",
            )
            .replace("FROM gcr.io/distroless/cc-debian13:nonroot", "FROM gcr.io/distroless/cc-debian12:nonroot")
    }) else {
        return;
    };

    let why = proof
        .check("healthy")
        .expect_err("a binary needing trixie's glibc must not run on debian12");
    assert!(
        why.contains("GLIBC_2."),
        "the failure should name the missing glibc: {why}"
    );
}

#[test]
fn the_harness_catches_a_curl_healthcheck_on_an_image_without_curl() {
    let distroless = Variant {
        base: Base::Distroless,
        debian: Some(Debian::Trixie),
        database: Database::Memory,
    };
    let Some(proof) = prove_broken(distroless, "curl-healthcheck", |dockerfile| {
        dockerfile.replace(
            r#"CMD ["/usr/local/bin/orders", "healthcheck"]"#,
            "CMD curl -f http://localhost:8080/health || exit 1",
        )
    }) else {
        return;
    };

    // curl cannot run on distroless: the service answers, but its HEALTHCHECK never passes.
    let why = fails_only(&proof, "healthy");
    assert!(why.contains("unhealthy"), "{why}");
}

#[test]
fn the_harness_catches_a_missing_user() {
    let slim = Variant {
        base: Base::DebianSlim,
        debian: Some(Debian::Trixie),
        database: Database::Memory,
    };
    let Some(proof) = prove_broken(slim, "missing-user", |dockerfile| {
        dockerfile.replace("USER 10001:10001\n", "")
    }) else {
        return;
    };

    // Without USER the service runs as root; nothing else changes.
    let why = fails_only(&proof, "non-root");
    assert!(why.contains("root"), "{why}");
}

/// A shell as PID 1 that ignores SIGTERM and never passes it on: the service answers, is
/// healthy and non-root, and does not stop.
#[test]
fn the_proof_catches_a_service_that_ignores_sigterm() {
    let slim = Variant {
        base: Base::DebianSlim,
        debian: Some(Debian::Trixie),
        database: Database::Memory,
    };
    let Some(proof) = prove_broken(slim, "ignores-sigterm", |dockerfile| {
        dockerfile.replace(
            r#"ENTRYPOINT ["/usr/local/bin/orders"]"#,
            r#"ENTRYPOINT ["/bin/sh", "-c", "trap '' TERM; /usr/local/bin/orders; exit $?"]"#,
        )
    }) else {
        return;
    };

    let why = fails_only(&proof, "stop");
    assert!(why.contains("still running"), "{why}");
}

#[test]
fn the_github_matrix_workflow_is_actionlint_clean_and_reads_the_variant_list() {
    if !require_tool("actionlint", "--version") {
        return;
    }
    let workflow = repo_root().join(".github/workflows/template-matrix.yml");

    run_ok(clean_command("actionlint").arg("-no-color").arg(&workflow));

    let text = std::fs::read_to_string(&workflow).unwrap();
    for required in [
        "fail-fast: false",
        "schedule:",
        "paths:",
        "variants --json",
        "CARGO_MICROSERVICE_VARIANTS",
    ] {
        assert!(text.contains(required), "the workflow lacks {required}");
    }
}

/// `check --build` proves images with the same code as this matrix.
#[test]
fn check_build_passes_a_rendered_project_and_fails_a_broken_one() {
    use cargo_microservice::check::{self, CheckOptions};
    if !require_docker() || !require_tool("cargo-generate", "--version") {
        return;
    }
    start_building();
    let _docker = docker_lock();
    let good = render(
        &Variant {
            base: Base::Distroless,
            debian: Some(Debian::Trixie),
            database: Database::Memory,
        },
        &scratch_dir("check-build-good"),
    );
    let bad = render(
        &Variant {
            base: Base::DebianSlim,
            debian: Some(Debian::Trixie),
            database: Database::Memory,
        },
        &scratch_dir("check-build-bad"),
    );
    let dockerfile = bad.join("Dockerfile");
    let text = std::fs::read_to_string(&dockerfile).unwrap();
    std::fs::write(&dockerfile, text.replace("USER 10001:10001\n", "")).unwrap();
    for project in [&good, &bad] {
        ensure_bases(project).expect("base images");
    }
    let options = CheckOptions {
        build: true,
        ..CheckOptions::default()
    };

    let good_findings = check::run(&good, &options).unwrap();
    let bad_findings = check::run(&bad, &options).unwrap();

    assert!(good_findings.is_empty(), "{good_findings:#?}");
    let built: Vec<_> = bad_findings
        .iter()
        .filter(|finding| finding.rule == "CM025")
        .collect();
    assert!(
        built
            .iter()
            .any(|finding| finding.message.contains("runs as root")),
        "the running image's uid 0 was not caught: {bad_findings:#?}"
    );
    assert!(
        bad_findings.iter().any(|finding| finding.rule == "CM006"),
        "and the static rule sees the missing USER"
    );
}

/// The credentials live only in `.env`, which git and the image build never see: without it
/// compose refuses to start anything, and says how to make it.
#[test]
fn compose_refuses_to_start_without_the_credentials_in_env() {
    if !require_docker() || !require_tool("cargo-generate", "--version") {
        return;
    }
    let variant = Variant::default();
    let project = render(&variant, &scratch_dir("no-env"));
    let compose = |args: &[&str]| {
        run(clean_command("docker")
            .current_dir(&project)
            .args(["compose", "--project-name", "cms-e2e-no-env"])
            .args(args))
    };

    let up = compose(&["up", "--detach", "--no-build"]);
    let started = compose(&["ps", "--all", "--quiet"]);

    let said = String::from_utf8_lossy(&up.stderr);
    assert!(!up.status.success(), "compose started without .env");
    assert!(
        said.contains("POSTGRES_") && said.contains("set it in .env (cp .env.example .env)"),
        "{said}"
    );
    assert!(String::from_utf8_lossy(&started.stdout).trim().is_empty());
    for ignore_file in [".gitignore", ".dockerignore"] {
        let text = std::fs::read_to_string(project.join(ignore_file)).unwrap();
        assert!(
            text.lines().any(|line| line.trim() == ".env"),
            "{ignore_file} lets .env in"
        );
    }
}
