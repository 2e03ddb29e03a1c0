//! Base images on hosts with no registry: local if present, pulled if a registry answers,
//! else built here as a labelled stand-in from the Debian packages the real image is made of
//! (`tests/support/standin.sh`). The docker matrix and the benchmark share this.

use crate::{in_ci, repo_root, skip};
use cargo_microservice::docker::{docker_ok, engine_problem};
use std::io::Write;
use std::process::{Command, Stdio};

/// The label stand-in images carry; its value says what they were built from.
pub const STAND_IN_LABEL: &str = "org.cargo-microservice.stand-in";

/// Where a base image came from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// Already local (and not a stand-in), or pulled now.
    Real,
    /// Built here from Debian packages by the stand-in script; what it was built from.
    StandIn(String),
}

/// Whether the engine and BuildKit are here: in CI their absence fails the test.
pub fn require_docker() -> bool {
    match engine_problem() {
        None => true,
        Some(problem) => {
            assert!(!in_ci(), "{problem}; CI runs the docker matrix");
            skip(&format!("{problem}: the docker tests did not run"));
            false
        }
    }
}

pub fn image_exists(reference: &str) -> bool {
    docker_ok(&["image", "inspect", "--format", "{{.Id}}", reference]).is_ok()
}

/// What a stand-in image was built from, or `None` for a real (pulled or user-built) image.
pub fn stand_in_origin(reference: &str) -> Option<String> {
    let template = format!("{{{{index .Config.Labels \"{STAND_IN_LABEL}\"}}}}");
    docker_ok(&["image", "inspect", "--format", &template, reference])
        .ok()
        .filter(|value| !value.is_empty() && value != "<no value>")
}

/// Makes `reference` available locally: as it is, pulled, or built as a stand-in, whose report
/// goes to stderr. `Err` says why the image cannot be had here.
pub fn ensure_base_image(reference: &str) -> Result<Origin, String> {
    if !image_exists(reference) && docker_ok(&["pull", "--quiet", reference]).is_err() {
        if reference.contains("alpine") {
            return Err(format!(
                "{reference} cannot be pulled (no registry is reachable), and no stand-in can be built: \
                 there is no Alpine package source or musl toolchain here; the GitHub Actions matrix builds it"
            ));
        }
        let script = repo_root().join("tests/support/standin.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg(reference)
            .stdin(Stdio::null())
            .output()
            .map_err(|error| format!("cannot run {}: {error}", script.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{reference} cannot be pulled, and its stand-in failed to build: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        // Straight to stderr: libtest's capture would swallow eprintln! in the tests.
        let _ = std::io::stderr().write_all(&out.stdout);
    }
    Ok(match stand_in_origin(reference) {
        Some(origin) => Origin::StandIn(origin),
        None => Origin::Real,
    })
}

/// The external images a Dockerfile's stages start from: not earlier stages, not `scratch`,
/// read by check's Dockerfile model (ARG defaults, stage names in any case, `--platform`).
pub fn base_images(dockerfile: &str) -> Vec<String> {
    cargo_microservice::check::model::Model::parse(dockerfile).external_images()
}

/// Whether the image a Dockerfile makes starts from `scratch`.
pub fn runs_on_scratch(dockerfile: &str) -> bool {
    let model = cargo_microservice::check::model::Model::parse(dockerfile);
    model
        .final_stage()
        .and_then(|stage| model.root_image(stage))
        == Some("scratch")
}

/// The images a compose file's services run (`image:`), beside those it builds, read with
/// check's own compose model.
pub fn compose_images(compose: &str) -> Vec<String> {
    cargo_microservice::check::compose::Compose::parse(compose)
        .expect("a valid compose file")
        .services
        .into_iter()
        .filter(|service| !service.builds_here)
        .filter_map(|service| service.image)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_images_are_the_services_image_lines() {
        let compose = "services:\n  app:\n    build: .\n    image: orders:dev\n  postgres:\n    image: \"postgres:17-trixie\"\n";
        assert_eq!(compose_images(compose), ["postgres:17-trixie"]);
    }

    #[test]
    fn base_images_skip_stages_and_scratch() {
        let dockerfile = "FROM rust:1.95-trixie AS chef\nFROM chef AS planner\nfrom --platform=$BUILDPLATFORM chef as builder\nFROM scratch AS runtime\nCOPY --from=builder /a /a\n";
        assert_eq!(base_images(dockerfile), ["rust:1.95-trixie"]);
        assert!(runs_on_scratch(dockerfile));
        let with_args = "ARG RUST=1.95\nFROM rust:${RUST}-trixie AS chef\nFROM gcr.io/distroless/cc-debian13:nonroot\n";
        assert_eq!(
            base_images(with_args),
            ["rust:1.95-trixie", "gcr.io/distroless/cc-debian13:nonroot"]
        );
        assert!(!runs_on_scratch(with_args));
    }
}
