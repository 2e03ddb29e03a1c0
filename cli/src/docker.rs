//! Docker for the CLI and the suites: build an image with BuildKit, run a container under the
//! compose file's limits, read its health, uid and memory, stop it. The proof itself (run an
//! image as compose does and check it by name) is [`prove`]: the file every rendered service
//! ships as `tests/container/prove.rs`, compiled in here from the template, so `check --build`,
//! the docker matrix and each service's own CI prove images with one source.

use anyhow::{Context, Result, anyhow, bail, ensure};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "../../template/tests/container/prove.rs"]
pub mod prove;

pub use prove::AS_COMPOSE_RUNS_IT;

/// `docker <args>` with BuildKit on and no colour.
pub fn docker(args: &[&str]) -> Command {
    let mut command = Command::new("docker");
    command
        .args(args)
        .env("DOCKER_BUILDKIT", "1")
        .env("BUILDKIT_PROGRESS", "plain")
        .env("NO_COLOR", "1");
    command
}

fn output(command: &mut Command) -> Result<Output> {
    command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("while running {command:?}"))
}

/// Runs a docker command and returns its trimmed stdout, or an error carrying its stderr.
pub fn docker_ok(args: &[&str]) -> Result<String> {
    let out = output(&mut docker(args))?;
    ensure!(
        out.status.success(),
        "docker {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Whether an engine answers, and BuildKit builds are available (the buildx plugin).
pub fn engine_problem() -> Option<String> {
    match docker_ok(&["info", "--format", "{{.ServerVersion}}"]) {
        Err(error) => Some(format!("no Docker engine answers ({error:#})")),
        Ok(_) => docker_ok(&["buildx", "version"]).err().map(|error| {
            format!("BuildKit is not available: the docker buildx plugin is missing ({error:#})")
        }),
    }
}

/// Builds `context` (its Dockerfile) with BuildKit as `tag`; returns how long it took.
pub fn build(context: &Path, tag: &str) -> Result<Duration> {
    build_file(context, None, tag)
}

/// `build` with a Dockerfile other than the context's `Dockerfile` (`-f docker/Dockerfile`).
pub fn build_file(context: &Path, dockerfile: Option<&Path>, tag: &str) -> Result<Duration> {
    let started = Instant::now();
    let context_arg = context.to_string_lossy();
    let mut args = vec!["build", "--tag", tag];
    let file_arg = dockerfile.map(|file| file.to_string_lossy());
    if let Some(file) = &file_arg {
        args.extend(["--file", file]);
    }
    args.push(&context_arg);
    let out = output(&mut docker(&args))?;
    if !out.status.success() {
        let log = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        bail!(
            "docker build of {} failed:\n{}",
            context.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    Ok(started.elapsed())
}

pub fn image_size(reference: &str) -> Result<u64> {
    docker_ok(&["image", "inspect", "--format", "{{.Size}}", reference])?
        .parse()
        .context("while reading the image size")
}

/// A running container, removed when dropped.
pub struct Container {
    pub id: String,
}

impl Container {
    /// Starts `image` detached, as the template's compose file runs it, with the port published
    /// on a free loopback port. `health_interval` shortens the image's own HEALTHCHECK interval
    /// (the command stays the image's).
    pub fn start(image: &str, container_port: u16, health_interval: Duration) -> Result<Container> {
        let publish = format!("127.0.0.1:0:{container_port}");
        let interval = format!("{}ms", health_interval.as_millis());
        let args: Vec<&str> = ["run", "--detach"]
            .into_iter()
            .chain(AS_COMPOSE_RUNS_IT)
            .chain(["--publish", &publish, "--health-interval", &interval])
            .chain([image])
            .collect();
        let id = docker_ok(&args)?;
        Ok(Container { id })
    }

    fn inspect(&self, template: &str) -> Result<String> {
        docker_ok(&["inspect", "--format", template, &self.id])
    }

    pub fn host_port(&self, container_port: u16) -> Result<u16> {
        let mapping = docker_ok(&["port", &self.id, &format!("{container_port}/tcp")])?;
        mapping
            .lines()
            .find_map(|line| line.strip_prefix("127.0.0.1:"))
            .and_then(|port| port.parse().ok())
            .ok_or_else(|| {
                anyhow!("port {container_port} is not published on 127.0.0.1: {mapping:?}")
            })
    }

    /// The value of one field of the container's main process's /proc status, as the kernel
    /// sees it from the host.
    fn process_status(&self, field: &str) -> Result<String> {
        let pid = self.inspect("{{.State.Pid}}")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).with_context(|| {
            format!("while reading the status of the container's process {pid}")
        })?;
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .map(|value| value.trim().to_owned())
            .ok_or_else(|| anyhow!("no {field} line in /proc/{pid}/status"))
    }

    /// The resident memory of the container's main process in bytes: now (VmRSS) and the
    /// most it has held since it started (VmHWM).
    pub fn resident_memory(&self) -> Result<(u64, u64)> {
        let kib = |field: &str| -> Result<u64> {
            let value = self.process_status(field)?;
            value
                .strip_suffix(" kB")
                .and_then(|n| n.trim().parse::<u64>().ok())
                .map(|n| n * 1024)
                .ok_or_else(|| anyhow!("cannot read {field}: {value}"))
        };
        Ok((kib("VmRSS")?, kib("VmHWM")?))
    }

    /// The last `lines` lines of the container's log, stdout then stderr; empty when it cannot
    /// be read (for error messages).
    pub fn logs_tail(&self, lines: usize) -> String {
        self.read_logs(&["--tail", &lines.to_string()])
            .unwrap_or_default()
    }

    /// The container's whole log, stdout then stderr.
    pub fn logs(&self) -> Result<String> {
        self.read_logs(&[])
    }

    fn read_logs(&self, options: &[&str]) -> Result<String> {
        let args: Vec<&str> = ["logs"]
            .into_iter()
            .chain(options.iter().copied())
            .chain([self.id.as_str()])
            .collect();
        let out = output(&mut docker(&args))?;
        ensure!(
            out.status.success(),
            "docker logs {} failed: {}",
            self.id,
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "--force", "--volumes", &self.id]).output();
    }
}

/// `GET path` on loopback; returns the status code and body (the proof's own client).
pub fn http_get(port: u16, path: &str) -> Result<(u16, String)> {
    let answer = prove::request(port, "GET", path, "").map_err(anyhow::Error::msg)?;
    Ok((answer.status, answer.body))
}
