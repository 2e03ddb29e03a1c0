//! A kubelet stand-in for one pod: no cluster can be had here, so the built image is run the way
//! the rendered Deployment says (its securityContext, limits and ConfigMap environment), probed
//! with the Deployment's own probes at their periods and thresholds, and stopped the way a
//! rolling update stops a pod (preStop pause, SIGTERM, SIGKILL when the grace period ends) while
//! bounded load runs. Every number comes from the manifests, none from this file.
//!
//! One deviation, and why: the pod's network namespace is stood in for by the host's, bound to
//! 127.0.0.1 (`HOST`), so that traffic stays on loopback and no port proxy sits in the path.

use cargo_microservice::docker::{docker, docker_ok};
use cargo_microservice_support::kubernetes::{
    self as manifests, Container, Manifests, PodSpec, Probe, Secrets, SecurityContext,
};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const POD: &str = "spec.template.spec";
const CONTAINER: &str = "spec.template.spec.containers[0]";
/// Load: this many clients, each sending one request at a time and at most one per
/// `LOAD_PACE`, at most `LOAD_MAX_REQUESTS` in all: steady traffic, not a saturation test.
const LOAD_CLIENTS: usize = 4;
const LOAD_PACE: Duration = Duration::from_millis(2);
const LOAD_MAX_REQUESTS: u32 = 100_000;
/// How long the load runs before the pod is deleted.
const LOAD_BEFORE_DELETE: Duration = Duration::from_secs(1);
/// The kubelet gives a container at least this long after SIGTERM, even past the grace period.
const MINIMUM_GRACE_AFTER_SIGTERM: Duration = Duration::from_secs(2);
/// The kubelet waits for an init container without limit; the run gives up after this.
const INIT_CONTAINER_TIMEOUT: Duration = Duration::from_secs(60);

/// What the run found: `failures` each name the manifest field at fault; `log` is what happened.
#[derive(Debug, Default)]
pub struct Verdict {
    pub failures: Vec<String>,
    pub log: Vec<String>,
}

impl Verdict {
    fn fail(&mut self, failure: String) {
        self.log.push(format!("FAILED: {failure}"));
        self.failures.push(failure);
    }

    fn say(&mut self, line: String) {
        self.log.push(line);
    }
}

/// Runs `image` as the Deployment's container (after its init containers, from the same
/// image) with `secrets` standing for the cluster's Secrets, and plays its life: admission,
/// init containers, start, probes, load, rolling-update termination.
pub fn run_pod(image: &str, manifests: &Manifests, secrets: &Secrets) -> Verdict {
    let mut verdict = Verdict::default();
    let deployment = manifests.deployment();
    let pod = deployment.spec.template.spec;
    let container = pod.containers[0].clone();
    let security = container.security_context.over(&pod.security_context);
    let environment = match manifests.environment_with(&container, Some(secrets)) {
        Ok(environment) => environment,
        Err(why) => {
            verdict.fail(format!(
                "{CONTAINER}.env: {why}; the kubelet does not start the container (CreateContainerConfigError)"
            ));
            return verdict;
        }
    };

    // What the kubelet checks before it starts anything, and where the manifest and the image
    // disagree about who the process is.
    let image_user =
        docker_ok(&["image", "inspect", "--format", "{{.Config.User}}", image]).unwrap_or_default();
    let image_uid: Option<i64> = image_user
        .split(':')
        .next()
        .and_then(|uid| uid.parse().ok());
    let uid_field = field_of(
        &container,
        &pod,
        |context| context.run_as_user.is_some(),
        "runAsUser",
    );
    let uid = security.run_as_user.or(image_uid);
    if security.run_as_non_root == Some(true) && uid.unwrap_or(0) == 0 {
        verdict.fail(format!(
            "{uid_field} is {}: with runAsNonRoot the kubelet refuses to start a container that would run as root (CreateContainerConfigError)",
            uid.map_or("unset (the image runs as root)".to_owned(), |uid| uid.to_string())
        ));
        return verdict;
    }
    if let (Some(uid), Some(image_uid)) = (security.run_as_user, image_uid)
        && uid != image_uid
    {
        verdict.fail(format!(
            "{uid_field} is {uid}, but the image runs as uid {image_uid} (its USER {image_user}): the files it was built to own are not the process's"
        ));
    }
    let drain = Duration::from_secs(
        environment
            .get("SHUTDOWN_TIMEOUT")
            .and_then(|secs| secs.parse().ok())
            .unwrap_or(5),
    );
    let pause = Duration::from_secs(container.pre_stop_sleep_seconds());
    let grace = Duration::from_secs(pod.grace_period_seconds());
    if grace <= pause + drain {
        verdict.fail(format!(
            "{POD}.terminationGracePeriodSeconds is {}: not more than the preStop pause ({} s) plus the drain (SHUTDOWN_TIMEOUT {} s), so a drain that takes its time is killed",
            grace.as_secs(),
            pause.as_secs(),
            drain.as_secs()
        ));
    }

    for port in &container.ports {
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port.container_port)).is_err() {
            verdict.fail(format!(
                "port {} ({CONTAINER}.ports) is in use on this host's loopback, where the run binds it: free it and run again",
                port.container_port
            ));
            return verdict;
        }
    }
    for (index, init) in pod.init_containers.iter().enumerate() {
        let field = format!("{POD}.initContainers[{index}] ({})", init.name);
        if init.image != container.image {
            verdict.fail(format!(
                "{field} runs {}, not the built image {}",
                init.image, container.image
            ));
            return verdict;
        }
        let outcome = manifests
            .environment_with(init, Some(secrets))
            .and_then(|environment| {
                let security = init.security_context.over(&pod.security_context);
                run_to_completion(image, init, &security, &environment)
            });
        match outcome {
            Ok(line) => verdict.say(format!("{field}: {line}")),
            Err(why) => {
                verdict.fail(format!("{field}: {why}; the pod never starts"));
                return verdict;
            }
        }
    }
    let started = match start(image, &container, &security, &environment) {
        Ok(id) => id,
        Err(why) => {
            verdict.fail(format!("the container did not start: {why}"));
            return verdict;
        }
    };
    let running = Running { id: started };
    verdict.say(format!(
        "started {image} with {}",
        running.applied().unwrap_or_else(|why| why)
    ));

    // Startup, then liveness and readiness, as the kubelet runs them.
    let Some(startup) = container.startup_probe.clone() else {
        verdict.fail(format!("{CONTAINER}.startupProbe is missing"));
        return verdict;
    };
    let probe_started = Instant::now();
    match run_startup(&container, &startup, &running) {
        Ok(passes) => verdict.say(format!(
            "startupProbe passed after {:.1} s ({passes} calls)",
            probe_started.elapsed().as_secs_f64()
        )),
        Err(why) => {
            verdict.fail(why);
            return verdict;
        }
    }
    let probing = Arc::new(AtomicBool::new(true));
    let probers: Vec<_> = [
        ("livenessProbe", container.liveness_probe.clone()),
        ("readinessProbe", container.readiness_probe.clone()),
    ]
    .into_iter()
    .map(|(name, probe)| {
        let probe = probe.unwrap_or_else(|| panic!("{CONTAINER}.{name} is missing"));
        Prober::spawn(name, probe, &container, Arc::clone(&probing))
    })
    .collect();
    let ready = probers[1].wait_ready(
        Duration::from_secs(
            probers[1].probe.period_seconds
                * u64::from(
                    probers[1].probe.success_threshold + probers[1].probe.failure_threshold,
                ),
        ) + Duration::from_secs(probers[1].probe.timeout_seconds),
    );
    match ready {
        Ok(took) => verdict.say(format!(
            "readinessProbe passed {:.1} s after startup",
            took.as_secs_f64()
        )),
        Err(why) => {
            probing.store(false, Ordering::Relaxed);
            verdict.fail(why);
            return verdict;
        }
    }

    // A rolling update: load keeps coming through the preStop pause (endpoints are still
    // dropping the pod), stops when SIGTERM is sent, and every request sent before it must
    // get its 2xx. One slow client sends its body across the drain, as slow clients do.
    // The service's port: the one named http, else the first.
    let port = container
        .ports
        .iter()
        .find(|port| port.name.as_deref() == Some("http"))
        .or(container.ports.first())
        .map(|port| port.container_port)
        .expect("the container declares its port");
    // Load reads a user created first, so it answers 200 whatever store the service has.
    let path = match create_user(port) {
        Ok(id) => format!("/users/{id}"),
        Err(why) => {
            verdict.fail(format!("POST /users, before the load, failed: {why}"));
            return verdict;
        }
    };
    let load = Load::start(port, path);
    thread::sleep(LOAD_BEFORE_DELETE);
    let deleted = Instant::now();
    let sent_before_delete = load.sent();
    let prestop = pause.min(grace);
    verdict.say(format!(
        "pod deleted under load: preStop sleep {} s",
        prestop.as_secs()
    ));
    thread::sleep(prestop.saturating_sub(Duration::from_millis(200)));
    let slow = SlowClient::start(port);
    thread::sleep(Duration::from_millis(200));
    load.stop_sending();
    let sent_during_pause = load.sent() - sent_before_delete;
    probing.store(false, Ordering::Relaxed);
    let sigterm_at = deleted.elapsed();
    let _ = docker_ok(&["kill", "--signal", "TERM", &running.id]);
    // Late in the drain, but inside the time the service gives a client to send its body
    // (REQUEST_TIMEOUT; 5 s unless the manifest sets it).
    let request_timeout = Duration::from_secs(
        environment
            .get("REQUEST_TIMEOUT")
            .and_then(|secs| secs.parse().ok())
            .unwrap_or(5),
    );
    let slow_delay = drain
        .min(request_timeout)
        .saturating_sub(Duration::from_secs(1));
    let slow = slow.map(|slow| thread::spawn(move || slow.finish_after(slow_delay)));
    let kill_at = grace.max(sigterm_at + MINIMUM_GRACE_AFTER_SIGTERM);
    let exit = running.wait_or_kill(deleted, kill_at);
    let answered = load.finish();
    let slow = slow.map(|slow| slow.join().unwrap());
    let probes: Vec<_> = probers.into_iter().map(Prober::finish).collect();

    verdict.say(format!(
        "SIGTERM {:.1} s after deletion; {} requests sent ({sent_during_pause} during the preStop pause), {} answered 2xx",
        sigterm_at.as_secs_f64(),
        answered.sent,
        answered.succeeded
    ));
    if sent_during_pause == 0 {
        verdict.fail("no request was sent during the preStop pause".to_owned());
    }
    for failure in probes.into_iter().flatten() {
        verdict.fail(failure);
    }
    match exit {
        Exit::Code(0, took) => verdict.say(format!(
            "exit 0 {:.1} s after deletion, inside the {} s grace period",
            took.as_secs_f64(),
            grace.as_secs()
        )),
        Exit::Code(code, took) => verdict.fail(format!(
            "the service exited {code} {:.1} s after deletion, not 0: {}",
            took.as_secs_f64(),
            running.logs_tail()
        )),
        Exit::Killed(at) => verdict.fail(format!(
            "the kubelet would SIGKILL the container {:.1} s after deletion, before it exited: {POD}.terminationGracePeriodSeconds ({}) is shorter than the preStop pause ({} s) plus the drain",
            at.as_secs_f64(),
            grace.as_secs(),
            pause.as_secs()
        )),
    }
    if answered.sent == 0 {
        verdict.fail("the load sent no request".to_owned());
    }
    for failure in answered.failures.iter().take(5) {
        verdict.fail(format!(
            "a request sent before SIGTERM did not get its 2xx: {failure}"
        ));
    }
    match slow {
        Some(Ok(status)) if (200..300).contains(&status) => verdict.say(format!(
            "the slow client, done {} s into the drain, got {status}",
            slow_delay.as_secs()
        )),
        Some(Ok(status)) => verdict.fail(format!(
            "the slow client's request, sent before SIGTERM, got {status}"
        )),
        Some(Err(why)) => verdict.fail(format!(
            "the slow client's request, sent before SIGTERM, was lost: {why}"
        )),
        None => verdict.fail("the slow client could not connect before SIGTERM".to_owned()),
    }
    verdict
}

/// Where a securityContext field was set: the container's own, else the pod's.
fn field_of(
    container: &Container,
    pod: &PodSpec,
    set: impl Fn(&SecurityContext) -> bool,
    name: &str,
) -> String {
    if set(&container.security_context) || !set(&pod.security_context) {
        format!("{CONTAINER}.securityContext.{name}")
    } else {
        format!("{POD}.securityContext.{name}")
    }
}

/// `docker run --detach` with what the manifest asks of the runtime; the container's id.
pub fn start(
    image: &str,
    container: &Container,
    security: &SecurityContext,
    environment: &std::collections::BTreeMap<String, String>,
) -> Result<String, String> {
    let mut args: Vec<String> = ["run", "--detach", "--network", "host", "--no-healthcheck"]
        .map(String::from)
        .to_vec();
    if let Some(uid) = security.run_as_user {
        let gid = security.run_as_group.unwrap_or(uid);
        args.extend(["--user".into(), format!("{uid}:{gid}")]);
    }
    if security.read_only_root_filesystem == Some(true) {
        args.push("--read-only".into());
    }
    if security.allow_privilege_escalation == Some(false) {
        args.extend(["--security-opt".into(), "no-new-privileges:true".into()]);
    }
    // RuntimeDefault is the engine's default seccomp profile; only Unconfined changes it.
    if security
        .seccomp_profile
        .as_ref()
        .is_some_and(|profile| profile.kind == "Unconfined")
    {
        args.extend(["--security-opt".into(), "seccomp=unconfined".into()]);
    }
    let capabilities = security.capabilities.clone().unwrap_or_default();
    for dropped in capabilities.drop {
        args.extend(["--cap-drop".into(), dropped]);
    }
    for added in capabilities.add {
        args.extend(["--cap-add".into(), added]);
    }
    if let Some(cpu) = container.resources.limits.get("cpu") {
        let millicores = manifests::cpu_millicores(cpu).ok_or(format!("cpu limit {cpu:?}"))?;
        args.extend(["--cpus".into(), format!("{}", millicores as f64 / 1000.0)]);
    }
    if let Some(memory) = container.resources.limits.get("memory") {
        let bytes = manifests::memory_bytes(memory).ok_or(format!("memory limit {memory:?}"))?;
        args.extend(["--memory".into(), format!("{bytes}b")]);
    }
    for (name, value) in environment {
        args.extend(["--env".into(), format!("{name}={value}")]);
    }
    // The stand-in for the pod's own network namespace: loopback only.
    args.extend(["--env".into(), "HOST=127.0.0.1".into(), image.into()]);
    args.extend(container.args.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    docker_ok(&args).map_err(|error| format!("{error:#}"))
}

/// Runs an init container: it must exit 0.
pub fn run_to_completion(
    image: &str,
    container: &Container,
    security: &SecurityContext,
    environment: &std::collections::BTreeMap<String, String>,
) -> Result<String, String> {
    let running = Running {
        id: start(image, container, security, environment)?,
    };
    match running.wait_exit(INIT_CONTAINER_TIMEOUT) {
        Some((0, took)) => Ok(format!("exit 0 in {:.1} s", took.as_secs_f64())),
        Some((code, _)) => Err(format!("exited {code}: {}", running.logs_tail())),
        None => Err(format!(
            "still running after {} s: {}",
            INIT_CONTAINER_TIMEOUT.as_secs(),
            running.logs_tail()
        )),
    }
}

pub struct Running {
    pub id: String,
}

enum Exit {
    Code(i64, Duration),
    Killed(Duration),
}

impl Running {
    /// What the runtime applied, read back from the kernel: uid, capabilities, no_new_privs,
    /// seccomp mode, and the engine's limits.
    fn applied(&self) -> Result<String, String> {
        let pid = docker_ok(&["inspect", "--format", "{{.State.Pid}}", &self.id])
            .map_err(|error| format!("{error:#}"))?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .map_err(|error| format!("/proc/{pid}/status: {error}"))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .map(|value| value.split_whitespace().next().unwrap_or("").to_owned())
                .unwrap_or_default()
        };
        let limits = docker_ok(&[
            "inspect",
            "--format",
            "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.ReadonlyRootfs}}",
            &self.id,
        ])
        .map_err(|error| format!("{error:#}"))?;
        Ok(format!(
            "uid {}, CapEff {}, NoNewPrivs {}, Seccomp {} (2 = filter), NanoCpus/Memory/ReadonlyRootfs {limits}",
            field("Uid"),
            field("CapEff"),
            field("NoNewPrivs"),
            field("Seccomp")
        ))
    }

    /// The exit code and how long the container ran, or `None` if it runs past `timeout`.
    pub fn wait_exit(&self, timeout: Duration) -> Option<(i64, Duration)> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            let state = docker_ok(&[
                "inspect",
                "--format",
                "{{.State.Running}} {{.State.ExitCode}}",
                &self.id,
            ])
            .unwrap_or_default();
            if let Some(code) = state.strip_prefix("false ") {
                return Some((code.parse().unwrap_or(-1), started.elapsed()));
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Waits for the exit; at `kill_at` after `deleted` sends SIGKILL, as the kubelet does.
    fn wait_or_kill(&self, deleted: Instant, kill_at: Duration) -> Exit {
        loop {
            let state = docker_ok(&[
                "inspect",
                "--format",
                "{{.State.Running}} {{.State.ExitCode}}",
                &self.id,
            ])
            .unwrap_or_default();
            if let Some(code) = state.strip_prefix("false ") {
                return Exit::Code(code.parse().unwrap_or(-1), deleted.elapsed());
            }
            if deleted.elapsed() >= kill_at {
                let _ = docker_ok(&["kill", "--signal", "KILL", &self.id]);
                return Exit::Killed(deleted.elapsed());
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn logs_tail(&self) -> String {
        docker(&["logs", "--tail", "5", &self.id])
            .output()
            .map(|out| String::from_utf8_lossy(&out.stderr).trim().to_owned())
            .unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = docker(&["rm", "--force", &self.id]).output();
    }
}

/// One HTTP probe as the kubelet makes it: a GET with the probe's timeout; 200-399 passes.
fn probe_once(port: u16, path: &str, timeout: Duration) -> Result<u16, String> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream =
        TcpStream::connect_timeout(&address, timeout).map_err(|error| error.to_string())?;
    stream.set_read_timeout(Some(timeout)).ok();
    stream.set_write_timeout(Some(timeout)).ok();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: kube-probe/1.37\r\nConnection: close\r\n\r\n"
    )
    .map_err(|error| error.to_string())?;
    let status = read_status(&mut stream)?;
    if (200..400).contains(&status) {
        Ok(status)
    } else {
        Err(format!("HTTP {status}"))
    }
}

fn read_status(stream: &mut TcpStream) -> Result<u16, String> {
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|error| error.to_string())?;
    let raw = String::from_utf8_lossy(&raw);
    raw.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no HTTP answer ({} bytes)", raw.len()))
}

/// The probe's target: its path and its port as a number, or why there is none.
fn target(container: &Container, name: &str, probe: &Probe) -> Result<(String, u16), String> {
    let get = probe
        .http_get
        .as_ref()
        .ok_or(format!("{CONTAINER}.{name} has no httpGet"))?;
    let port = container.resolve_port(&get.port).ok_or(format!(
        "{CONTAINER}.{name}.httpGet.port {} names no port of the container",
        get.port
    ))?;
    Ok((get.path.clone(), port))
}

/// Runs the startup probe until it passes or fails `failureThreshold` times in a row.
fn run_startup(container: &Container, probe: &Probe, running: &Running) -> Result<u32, String> {
    let (path, port) = target(container, "startupProbe", probe)?;
    thread::sleep(Duration::from_secs(probe.initial_delay_seconds));
    let mut failures = 0;
    let mut calls = 0;
    loop {
        let tick = Instant::now();
        calls += 1;
        match probe_once(port, &path, Duration::from_secs(probe.timeout_seconds)) {
            Ok(_) => return Ok(calls),
            Err(why) => {
                failures += 1;
                if failures >= probe.failure_threshold {
                    return Err(format!(
                        "{CONTAINER}.startupProbe (GET {path} on port {port}, httpGet.port {}) failed {failures} times in a row, every {} s: {why}; the kubelet kills the container. Logs: {}",
                        probe.http_get.as_ref().unwrap().port,
                        probe.period_seconds,
                        running.logs_tail()
                    ));
                }
            }
        }
        thread::sleep(Duration::from_secs(probe.period_seconds).saturating_sub(tick.elapsed()));
    }
}

/// A liveness or readiness probe running on its own thread at its period.
struct Prober {
    probe: Probe,
    ready_at: Arc<Mutex<Option<Instant>>>,
    last_error: Arc<Mutex<String>>,
    started: Instant,
    thread: thread::JoinHandle<Option<String>>,
}

impl Prober {
    fn spawn(
        name: &'static str,
        probe: Probe,
        container: &Container,
        running: Arc<AtomicBool>,
    ) -> Prober {
        let ready_at = Arc::new(Mutex::new(None));
        let last_error = Arc::new(Mutex::new(String::from("not probed yet")));
        let target = target(container, name, &probe);
        let (ready, last) = (Arc::clone(&ready_at), Arc::clone(&last_error));
        let settings = probe.clone();
        let thread = thread::spawn(move || {
            let (path, port) = match target {
                Ok(target) => target,
                Err(why) => {
                    *last.lock().unwrap() = why.clone();
                    return Some(why);
                }
            };
            let (mut failures, mut successes) = (0, 0);
            thread::sleep(Duration::from_secs(settings.initial_delay_seconds));
            while running.load(Ordering::Relaxed) {
                let tick = Instant::now();
                match probe_once(port, &path, Duration::from_secs(settings.timeout_seconds)) {
                    Ok(_) => {
                        failures = 0;
                        successes += 1;
                        if successes >= settings.success_threshold {
                            ready.lock().unwrap().get_or_insert_with(Instant::now);
                        }
                    }
                    Err(why) => {
                        successes = 0;
                        failures += 1;
                        *last.lock().unwrap() = why.clone();
                        if failures >= settings.failure_threshold {
                            return Some(format!(
                                "{CONTAINER}.{name} (GET {path} on port {port}) failed {failures} times in a row while the pod served: {why}"
                            ));
                        }
                    }
                }
                // Sleep the period in short steps, so the end of the run is not held up.
                while tick.elapsed() < Duration::from_secs(settings.period_seconds)
                    && running.load(Ordering::Relaxed)
                {
                    thread::sleep(Duration::from_millis(20));
                }
            }
            None
        });
        Prober {
            probe,
            ready_at,
            last_error,
            started: Instant::now(),
            thread,
        }
    }

    /// Waits for `successThreshold` passes in a row; fails naming the probe after `within`.
    fn wait_ready(&self, within: Duration) -> Result<Duration, String> {
        loop {
            if let Some(at) = *self.ready_at.lock().unwrap() {
                return Ok(at - self.started);
            }
            if self.started.elapsed() > within || self.thread.is_finished() {
                let path = self.probe.http_get.as_ref().map_or("?", |get| &get.path);
                return Err(format!(
                    "{CONTAINER}.readinessProbe (GET {path}) never passed in {:.0} s: {}; the pod never receives traffic",
                    within.as_secs_f64(),
                    self.last_error.lock().unwrap()
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn finish(self) -> Option<String> {
        self.thread.join().unwrap()
    }
}

/// Creates a user and returns its id, read from the JSON the service answers with.
fn create_user(port: u16) -> Result<u64, String> {
    let body = r#"{"name":"Load Test","email":"load@example.com"}"#;
    let mut stream =
        TcpStream::connect((Ipv4Addr::LOCALHOST, port)).map_err(|error| error.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(
        stream,
        "POST /users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|error| error.to_string())?;
    let mut raw = String::new();
    stream
        .read_to_string(&mut raw)
        .map_err(|error| error.to_string())?;
    raw.split_once("\"id\":")
        .and_then(|(_, rest)| {
            rest.trim_start()
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        })
        .ok_or_else(|| format!("no user id in the answer: {raw:?}"))
}

/// Bounded load on `GET path`: a fresh connection per request, until told to stop.
struct Load {
    sending: Arc<AtomicBool>,
    budget: Arc<AtomicU32>,
    threads: Vec<thread::JoinHandle<(u32, u32, Vec<String>)>>,
}

struct Answered {
    sent: u32,
    succeeded: u32,
    failures: Vec<String>,
}

impl Load {
    fn start(port: u16, path: String) -> Load {
        let sending = Arc::new(AtomicBool::new(true));
        let budget = Arc::new(AtomicU32::new(LOAD_MAX_REQUESTS));
        let threads = (0..LOAD_CLIENTS)
            .map(|_| {
                let (sending, budget) = (Arc::clone(&sending), Arc::clone(&budget));
                let path = path.clone();
                thread::spawn(move || {
                    let (mut sent, mut succeeded, mut failures) = (0, 0, Vec::new());
                    while sending.load(Ordering::Relaxed)
                        && budget
                            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                                left.checked_sub(1)
                            })
                            .is_ok()
                    {
                        let tick = Instant::now();
                        sent += 1;
                        match probe_once(port, &path, Duration::from_secs(10)) {
                            Ok(status) if (200..300).contains(&status) => succeeded += 1,
                            Ok(status) => failures.push(format!("HTTP {status}")),
                            Err(why) => failures.push(why),
                        }
                        thread::sleep(LOAD_PACE.saturating_sub(tick.elapsed()));
                    }
                    (sent, succeeded, failures)
                })
            })
            .collect();
        Load {
            sending,
            budget,
            threads,
        }
    }

    /// Requests sent so far.
    fn sent(&self) -> u32 {
        LOAD_MAX_REQUESTS - self.budget.load(Ordering::Relaxed)
    }

    fn stop_sending(&self) {
        self.sending.store(false, Ordering::Relaxed);
    }

    fn finish(self) -> Answered {
        self.stop_sending();
        let mut answered = Answered {
            sent: 0,
            succeeded: 0,
            failures: Vec::new(),
        };
        for thread in self.threads {
            let (sent, succeeded, failures) = thread.join().unwrap();
            answered.sent += sent;
            answered.succeeded += succeeded;
            answered.failures.extend(failures);
        }
        answered
    }
}

/// A client that sends its request's head and half its body before SIGTERM and the rest later.
struct SlowClient {
    stream: TcpStream,
}

const SLOW_BODY: &str = r#"{"name":"Slow Client","email":"slow@example.com"}"#;

impl SlowClient {
    fn start(port: u16) -> Option<SlowClient> {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
        let (first, _) = SLOW_BODY.split_at(SLOW_BODY.len() / 2);
        write!(
            stream,
            "POST /users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
            SLOW_BODY.len()
        )
        .ok()?;
        Some(SlowClient { stream })
    }

    /// Sends the rest after `delay` and reads the status.
    fn finish_after(mut self, delay: Duration) -> Result<u16, String> {
        thread::sleep(delay);
        let (_, rest) = SLOW_BODY.split_at(SLOW_BODY.len() / 2);
        self.stream
            .write_all(rest.as_bytes())
            .map_err(|error| error.to_string())?;
        self.stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok();
        read_status(&mut self.stream)
    }
}
