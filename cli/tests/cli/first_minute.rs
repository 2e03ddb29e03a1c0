//! The product's first minute: the next steps `new` prints, read from its own stdout and run in
//! order, as printed, in a clean environment (`env -i` with PATH and HOME, and the cargo build
//! directory and profile the other suites share, so the dependencies compile once), on a
//! machine whose 127.0.0.1:5432 is already taken. Each must succeed; `cargo run` serves until
//! it is stopped as a person stops it (Ctrl-C); the curl line gets its 200; a user round trip
//! works on what the steps started. Needs Docker (the compose steps): it fails in CI without
//! it, and is skipped, loudly, elsewhere.

use crate::helpers::*;
use cargo_microservice_support::standin::{
    base_images, compose_images, ensure_base_image, require_docker,
};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A command of the steps, run by `sh` as a person's shell would, with nothing of this
/// process's environment but PATH, HOME and where and how cargo builds (the suites' shared
/// directory and profile, so the dependencies compile once per run).
fn step(line: &str, dir: &Path) -> Command {
    let mut command = Command::new("sh");
    command
        .args(["-c", line])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::var_os("HOME").unwrap_or_default())
        .stdin(Stdio::null());
    builds_shared(&mut command, env!("CARGO_TARGET_TMPDIR"));
    command
}

/// `method path` on 127.0.0.1:`port`; the status and the body.
fn http(port: u16, method: &str, path: &str, body: &str) -> Result<(u16, String), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).map_err(|e| e.to_string())?;
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or(format!("no answer: {raw:?}"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or(format!("no status: {head:?}"))?;
    Ok((status, body.to_owned()))
}

/// POST a user, read it back by its Location: the API works end to end.
fn user_round_trip(port: u16, email: &str) {
    let (status, created) = http(
        port,
        "POST",
        "/users",
        &format!(r#"{{"name":"First Minute","email":"{email}"}}"#),
    )
    .unwrap();
    assert_eq!(status, 201, "POST /users: {created}");
    let id = serde_json::from_str::<serde_json::Value>(&created).unwrap()["id"].clone();
    let (status, read) = http(port, "GET", &format!("/users/{id}"), "").unwrap();
    assert_eq!((status, read), (200, created));
}

/// Waits until `GET path` on the port answers 200, or the process ends, or `within` passes.
fn wait_for_200(port: u16, path: &str, child: &mut Child, within: Duration) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if let Ok((200, _)) = http(port, "GET", path, "") {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("it ended with {status} before it served"));
        }
        if started.elapsed() > within {
            return Err(format!("no 200 from {path} within {within:?}"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn said(output: &Output) -> String {
    format!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs every printed step in order; returns what the curl line printed.
fn run_steps(steps: &[String], project: &Path) -> String {
    assert_eq!(
        steps[0],
        format!("cd {}", project.display()),
        "the steps begin in the project"
    );
    let mut curled = None;
    for line in &steps[1..] {
        let command = line.split('#').next().unwrap().trim();
        if command == "cargo run" {
            // A server: it runs until a person presses Ctrl-C, which signals the command's
            // process group and not the shell that started it: `exec` leaves no shell between.
            let mut server = step(&format!("exec {line}"), project)
                .process_group(0)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // Ready, not just alive: with a database, /ready answers 200 once the pool has a
            // connection: what a client, or a load balancer, waits for before sending work.
            let served = wait_for_200(8080, "/ready", &mut server, Duration::from_secs(600));
            if served.is_ok() {
                user_round_trip(8080, "cargo-run@example.com");
            }
            let _ = Command::new("kill")
                .args(["-INT", "--", &format!("-{}", server.id())])
                .status();
            let output = server.wait_with_output().unwrap();
            served.unwrap_or_else(|why| panic!("`{line}`: {why}\n{}", said(&output)));
            assert!(
                output.status.success(),
                "`{line}` after Ctrl-C: {}",
                said(&output)
            );
            continue;
        }
        let output = step(line, project).output().unwrap();
        assert!(
            output.status.success(),
            "`{line}` failed: {}",
            said(&output)
        );
        if command.starts_with("curl ") {
            curled = Some(String::from_utf8_lossy(&output.stdout).into_owned());
        }
    }
    curled.expect("the steps end with a curl")
}

/// Brings down what the compose steps started, volumes and all, however the test ends.
struct ComposeDown(PathBuf);

impl Drop for ComposeDown {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["compose", "down", "--volumes", "--timeout", "10"])
            .current_dir(&self.0)
            .output();
    }
}

#[test]
fn the_steps_new_prints_work_as_printed_with_postgres_and_without() {
    if !require_docker() {
        return;
    }
    // 5432 taken, as on a machine with a PostgreSQL of its own (CI's holds it already).
    let _holding_5432 = TcpListener::bind("127.0.0.1:5432").ok();
    for database in ["postgres", "none"] {
        let root = scratch_dir(&format!("first-minute-{database}"));
        let output = run_ok(&mut cli(&[
            "new",
            "orders",
            "--yes",
            "--database",
            database,
            "--destination",
            &arg(&root),
        ]));
        let project = root.join("orders");
        // The base images, real or stand-ins, as the docker suite makes them (no registry here).
        let dockerfile = std::fs::read_to_string(project.join("Dockerfile")).unwrap();
        let compose = std::fs::read_to_string(project.join("compose.yaml")).unwrap();
        for image in base_images(&dockerfile)
            .into_iter()
            .chain(compose_images(&compose))
        {
            ensure_base_image(&image).unwrap_or_else(|why| panic!("{image}: {why}"));
        }
        let _down = ComposeDown(project.clone());
        let printed = stdout(&output);
        let steps: Vec<String> = printed
            .split_once("Next steps (README.md, \"Run it\"):\n")
            .unwrap_or_else(|| panic!("no next steps: {printed}"))
            .1
            .lines()
            .map(|line| line.trim().to_owned())
            .filter(|line| !line.is_empty())
            .collect();
        let started = Instant::now();
        let _building = orders_builds();

        let curled = run_steps(&steps, &project);

        assert!(
            curled.contains("\"status\":\"healthy\""),
            "{database}: curl printed {curled:?}"
        );
        assert_eq!(http(8080, "GET", "/health", "").unwrap().0, 200);
        user_round_trip(8080, &format!("{database}@example.com"));
        note(&format!(
            "{database}: the {} printed steps ran as printed in {:.0} s",
            steps.len() - 1,
            started.elapsed().as_secs_f64()
        ));
    }
}
