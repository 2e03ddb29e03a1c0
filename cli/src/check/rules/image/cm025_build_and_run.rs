//! CM025 (`--build`): the image fails when built and run.

use crate::check::rules::prelude::*;

pub const RULE: Rule = Rule {
    id: "CM025",
    severity: Error,
    title: "the image fails when built and run (--build)",
    why: "The image does not build, start, turn healthy, answer /health, run as non-root, or stop cleanly on SIGTERM.",
    fix: "Read the step that failed and the container's last log lines in the message.",
    explain: "With --build, check builds the image with BuildKit and proves it with the container proof every rendered service ships (tests/container/prove.rs): runs it as the template's compose file does (0.5 CPU, 128 MiB, read-only, no capabilities, loopback port), reads the uid of its process, waits for its HEALTHCHECK, calls /health, looks for /bin/sh where the base should have none, and sends SIGTERM, expecting exit 0 within 5 s. A missing shared library shows up as a container that never turns healthy, with the loader's message.",
    check: Check::Build(build_and_prove),
};

/// `--build`: the docker matrix's proof, on this project's image.
fn build_and_prove(project: &Project) -> anyhow::Result<Vec<Finding>> {
    use crate::docker;
    let Some(file) = project
        .dockerfiles
        .iter()
        .find(|file| file.path == "Dockerfile")
        .or(project.dockerfiles.first())
    else {
        anyhow::bail!("--build needs a Dockerfile");
    };
    if let Some(problem) = docker::engine_problem() {
        anyhow::bail!("--build needs Docker: {problem}");
    }
    let name = project
        .root
        .canonicalize()?
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_else(|| "service".into());
    let tag = format!(
        "cargo-microservice-check/{}:latest",
        name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-")
    );
    let model = &file.parsed;
    let line = model.final_stage().map_or(1, |stage| stage.line);
    let fail = |step: &str, why: String| RULE.finding(&file.path, line, format!("{step}: {why}"));
    let dockerfile = project.root.join(&file.path);
    if let Err(error) = docker::build_file(&project.root, Some(&dockerfile), &tag) {
        return Ok(vec![fail("build", format!("{error:#}"))]);
    }
    let final_stage = model.final_stage().expect("a built Dockerfile has a stage");
    let port = model
        .exposed_ports()
        .first()
        .map(|(port, _)| *port)
        .unwrap_or(8080);
    let expectations = docker::prove::Expectations {
        image: tag.clone(),
        port,
        admin_port: None,
        probes: vec!["/health".to_owned()],
        round_trip: false,
        postgres: None,
        env: Vec::new(),
        shell: model
            .facts(final_stage)
            .shell
            .filter(|shell| !shell)
            .map(|_| false),
        uid: None,
        // Half of docker stop's 10 s: a clean stop leaves room before the SIGKILL.
        grace: std::time::Duration::from_secs(5),
    };
    let proof = docker::prove::prove(&expectations).map_err(anyhow::Error::msg)?;
    Ok(proof
        .failures()
        .into_iter()
        .map(|failure| {
            let (step, why) = failure.split_once(": ").unwrap_or(("run", &failure));
            fail(step, why.to_owned())
        })
        .collect())
}
