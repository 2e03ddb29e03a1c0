//! The docker matrix's fixtures: the images every test proves, built once per run by a
//! pipeline in the background (projects rendered under one name so builds share Docker's cache,
//! in the order that reuses it best), and the summary. Base images come from the support crate.

pub use cargo_microservice_support::standin::{
    Origin, base_images, compose_images, ensure_base_image, require_docker, runs_on_scratch,
};
pub use cargo_microservice_support::*;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// Docker work runs one test at a time: the cache is shared, and two cold builds at once on two
/// cores only make both slow.
pub fn docker_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Renders `variant` as a project named `orders` into its own directory. One name for every
/// variant keeps the cargo-chef recipe identical, so variants that share a builder image share
/// the chef and cook layers.
pub fn render(variant: &Variant, root: &Path) -> PathBuf {
    let dir = root.join(variant.id());
    std::fs::create_dir_all(&dir).unwrap();
    run_ok(&mut cargo_generate(
        &dir,
        "orders",
        &values_file_args(variant),
    ));
    dir.join("orders")
}

/// The variants in the order that reuses Docker's cache best: grouped by builder image.
/// `CARGO_MICROSERVICE_VARIANTS=alpine-none,static-trixie-postgres` narrows it (the GitHub matrix runs one
/// variant per job).
pub fn build_order() -> Vec<Variant> {
    let mut variants = Variant::matrix();
    if let Ok(wanted) = std::env::var("CARGO_MICROSERVICE_VARIANTS") {
        let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
        variants.retain(|variant| wanted.contains(&variant.id().as_str()));
        assert!(
            !variants.is_empty(),
            "CARGO_MICROSERVICE_VARIANTS={wanted:?} names no variant"
        );
    }
    // Builder image, static or not, and the database choice make the cargo-chef recipe: one
    // cook per group.
    variants.sort_by_key(|variant| {
        (
            variant.debian.is_none(),
            std::cmp::Reverse(variant.debian.map(Debian::number)),
            variant.base == Base::Static,
            variant.database == Database::Memory,
        )
    });
    variants
}

/// One variant's image, as the pipeline left it.
#[derive(Debug, Clone)]
pub struct Image {
    pub variant: Variant,
    /// The rendered project (named `orders`) the image was built from.
    pub project: PathBuf,
    pub tag: String,
    /// Its base images, each real or a stand-in, in a phrase.
    pub bases: String,
    pub outcome: Built,
}

#[derive(Debug, Clone)]
pub enum Built {
    Yes(Duration),
    /// A base image cannot be had here (alpine without a registry): why.
    NotBuiltHere(String),
    Failed(String),
}

impl Image {
    /// The image's tag, or the test fails saying why there is none.
    pub fn tag(&self) -> &str {
        match &self.outcome {
            Built::Yes(_) => &self.tag,
            Built::NotBuiltHere(why) | Built::Failed(why) => {
                panic!("{}: no image: {why}", self.variant.id())
            }
        }
    }
}

/// Builds every image the suite proves once per run, in the background, as soon as the first
/// docker test starts, and proves each as soon as it is built (`prove_variant`, the matrix)
/// while the next builds: builds are CPU, proofs mostly waiting. Builds for different builder
/// images run side by side (one worker per Debian release, which takes over another's builds
/// once its own are done), which fills the cores a single build leaves idle while it links.
/// The work runs in threads of its own, so tests that wait for it never keep the matrix from
/// running (libtest runs only as many tests as cores).
struct Pipeline {
    state: Mutex<State>,
    changed: Condvar,
    planned: Vec<String>,
}

#[derive(Default)]
struct State {
    images: BTreeMap<String, Image>,
    /// Each variant's row of the matrix and its failures, in build order.
    proofs: Vec<(Row, Vec<String>)>,
}

fn pipeline() -> &'static Pipeline {
    static PIPELINE: OnceLock<Pipeline> = OnceLock::new();
    static STARTED: OnceLock<()> = OnceLock::new();
    let pipeline = PIPELINE.get_or_init(|| Pipeline {
        state: Mutex::new(State::default()),
        changed: Condvar::new(),
        planned: build_order().iter().map(Variant::id).collect(),
    });
    STARTED.get_or_init(|| {
        let root = scratch_dir("images");
        let mut queues = Queues::default();
        for variant in build_order() {
            queues
                .waiting
                .entry(variant.debian.map(Debian::number))
                .or_default()
                .push_back(variant);
        }
        let releases: Vec<Option<u8>> = queues.waiting.keys().copied().collect();
        let queues = Arc::new((Mutex::new(queues), Condvar::new()));
        for release in releases {
            let (root, queues) = (root.clone(), Arc::clone(&queues));
            std::thread::spawn(move || {
                while let Some(variant) = next_build(&queues, release) {
                    let image = build_image(&variant, &root);
                    let (lock, changed) = &*queues;
                    if matches!(image.outcome, Built::Yes(_)) {
                        lock.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .built_once
                            .insert(variant.debian.map(Debian::number));
                    }
                    changed.notify_all();
                    pipeline.update(|state| {
                        state.images.insert(variant.id(), image);
                    });
                }
            });
        }
        std::thread::spawn(move || {
            for variant in build_order() {
                let image = self::image(&variant);
                let _docker = docker_lock();
                let proof = std::panic::catch_unwind(|| crate::prove_variant(&image))
                    .unwrap_or_else(|_| {
                        let row = Row {
                            variant: variant.id(),
                            built: "yes".into(),
                            healthy: "FAILED".into(),
                            probed: "-".into(),
                            non_root: "-".into(),
                            stopped: "-".into(),
                            compose: "-".into(),
                            size: "-".into(),
                            build_time: "-".into(),
                            bases: image.bases.clone(),
                        };
                        (
                            row,
                            vec![format!("{}: the proof panicked (above)", variant.id())],
                        )
                    });
                pipeline.update(|state| state.proofs.push(proof));
            }
        });
    });
    pipeline
}

impl Pipeline {
    fn update(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()));
        self.changed.notify_all();
    }

    /// Waits until `done` says the state is far enough along; returns what `read` takes from it.
    fn wait_for<T>(&self, done: impl Fn(&State) -> bool, read: impl FnOnce(&State) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        while !done(&state) {
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        read(&state)
    }
}

/// The pipeline's builds not yet started, a queue per builder image (a Debian release, or none
/// for alpine's), and the builder images with one image built: their builder stage (cargo-chef
/// and cargo-auditable compiled) is in Docker's cache.
#[derive(Default)]
struct Queues {
    waiting: BTreeMap<Option<u8>, VecDeque<Variant>>,
    built_once: BTreeSet<Option<u8>>,
}

/// The next variant for the worker of `release`: the front of its own queue; once that is
/// empty, the back of the longest other queue whose builder stage is made (taken earlier, the
/// build would wait on that stage or make it twice), waiting for one while a queue still holds
/// builds. The releases' work is not the same size (`tests/cli`'s first minute has built
/// trixie's default images): on a fresh run with one worker per release and no sharing,
/// trixie's finished after 492 s and bookworm's after 919, one core idle for much of the
/// difference while bookworm's last builds linked with one codegen unit; on the next, trixie's
/// finished before bookworm's first image was built, so a worker that took only what was made
/// already ended without taking anything. A worker that built no image of its own (alpine's,
/// where it cannot be built) takes nothing: a third build on two cores only slows the others.
fn next_build(queues: &(Mutex<Queues>, Condvar), release: Option<u8>) -> Option<Variant> {
    let (lock, changed) = queues;
    let mut queues = lock.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        let Queues {
            waiting,
            built_once,
        } = &mut *queues;
        if let Some(variant) = waiting.get_mut(&release).and_then(VecDeque::pop_front) {
            return Some(variant);
        }
        if !built_once.contains(&release) || waiting.values().all(VecDeque::is_empty) {
            return None;
        }
        let taken = waiting
            .iter_mut()
            .filter(|(other, _)| built_once.contains(*other))
            .map(|(_, queue)| queue)
            .max_by_key(|queue| queue.len())
            .and_then(VecDeque::pop_back);
        if taken.is_some() {
            return taken;
        }
        queues = changed.wait(queues).unwrap_or_else(|p| p.into_inner());
    }
}

/// Renders `variant`, makes its base images available and builds it; never panics (a
/// pipeline thread that did would leave every waiting test hanging).
fn build_image(variant: &Variant, root: &Path) -> Image {
    let id = variant.id();
    let tag = format!("cargo-microservice-e2e/{id}:test");
    let project = match std::panic::catch_unwind(|| render(variant, root)) {
        Ok(project) => project,
        Err(_) => {
            return Image {
                variant: *variant,
                project: root.join(&id),
                tag,
                bases: String::new(),
                outcome: Built::Failed("the render failed (its panic is above)".to_owned()),
            };
        }
    };
    let (bases, outcome) = match ensure_bases(&project) {
        Err(why) => (why.clone(), Built::NotBuiltHere(why)),
        Ok(bases) => (
            bases,
            match cargo_microservice::docker::build(&project, &tag) {
                Ok(took) => Built::Yes(took),
                Err(error) => Built::Failed(format!("{error:#}")),
            },
        ),
    };
    Image {
        variant: *variant,
        project,
        tag,
        bases,
        outcome,
    }
}

/// Makes every base image of `project` available, and every image its compose file runs; `Err`
/// says why one cannot be had here. Stand-ins are reported once each.
pub fn ensure_bases(project: &Path) -> Result<String, String> {
    static REPORTED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let dockerfile = std::fs::read_to_string(project.join("Dockerfile")).unwrap();
    let compose = std::fs::read_to_string(project.join("compose.yaml")).unwrap();
    let mut bases = Vec::new();
    for image in base_images(&dockerfile)
        .into_iter()
        .chain(compose_images(&compose))
    {
        bases.push(match ensure_base_image(&image)? {
            Origin::Real => format!("{image} (real)"),
            Origin::StandIn(from) => {
                let mut reported = REPORTED.lock().unwrap_or_else(|p| p.into_inner());
                if !reported.contains(&image) {
                    note(&format!("{image} is a local stand-in, built from {from}"));
                    reported.push(image.clone());
                }
                format!("{image} (stand-in)")
            }
        });
    }
    if runs_on_scratch(&std::fs::read_to_string(project.join("Dockerfile")).unwrap()) {
        bases.push("scratch".to_owned());
    }
    Ok(bases.join(", "))
}

/// Starts the pipeline, if no test has yet: every docker test calls this first.
pub fn start_building() {
    pipeline();
}

/// `variant`'s image, waiting for the pipeline to build it; a variant the pipeline does not
/// build (outside `CARGO_MICROSERVICE_VARIANTS`) is built now.
pub fn image(variant: &Variant) -> Image {
    let pipeline = pipeline();
    let id = variant.id();
    if !pipeline.planned.contains(&id) {
        static EXTRA: Mutex<BTreeMap<String, Image>> = Mutex::new(BTreeMap::new());
        let mut extra = EXTRA.lock().unwrap_or_else(|p| p.into_inner());
        return extra
            .entry(id)
            .or_insert_with(|| {
                build_image(variant, &scratch_dir(&format!("image-{}", variant.id())))
            })
            .clone();
    }
    pipeline.wait_for(
        |state| state.images.contains_key(&id),
        |state| state.images[&id].clone(),
    )
}

/// The matrix's rows and failures, once the pipeline has built and proven every variant.
pub fn matrix_proofs() -> (Vec<Row>, Vec<String>) {
    let pipeline = pipeline();
    pipeline.wait_for(
        |state| state.proofs.len() == pipeline.planned.len(),
        |state| {
            let rows = state.proofs.iter().map(|(row, _)| row.clone()).collect();
            let failures = state
                .proofs
                .iter()
                .flat_map(|(_, failures)| failures.clone())
                .collect();
            (rows, failures)
        },
    )
}

/// Waits until the pipeline has built and proven every image. Tests that measure time or
/// memory under load (`under_load`: attacks, database faults, the Kubernetes conformance run)
/// call this first, so no build and no other container shares the cores with them.
pub fn every_image_built() {
    let started = Instant::now();
    matrix_proofs();
    let waited = started.elapsed();
    if waited > Duration::from_secs(1) {
        note(&format!(
            "waited {:.0} s for the pipeline to build and prove every image",
            waited.as_secs_f64()
        ));
    }
}

/// One line of the summary.
#[derive(Clone)]
pub struct Row {
    pub variant: String,
    pub built: String,
    pub healthy: String,
    pub probed: String,
    pub non_root: String,
    pub stopped: String,
    pub compose: String,
    pub size: String,
    pub build_time: String,
    pub bases: String,
}

pub fn mark(step: &Result<String, String>) -> String {
    match step {
        Ok(_) => "yes".to_owned(),
        Err(_) => "FAILED".to_owned(),
    }
}

pub fn print_summary(rows: &[Row]) {
    let mut table = String::from(
        "\n| variant | built | healthy | probed | non-root | stopped cleanly | compose | size | build time | base images |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for row in rows {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.variant,
            row.built,
            row.healthy,
            row.probed,
            row.non_root,
            row.stopped,
            row.compose,
            row.size,
            row.build_time,
            row.bases
        ));
    }
    note(&table);
}

/// A rendered project brought up with its own compose file; `down` (volumes and the images
/// compose built included) when dropped.
pub struct Composed {
    project: PathBuf,
    name: String,
}

/// The service's port in the compose file, published on 127.0.0.1.
pub const APP_PORT: u16 = 8080;
/// Its admin listener's port (probes), published on 127.0.0.1 too.
pub const ADMIN_PORT: u16 = 8081;

impl Composed {
    /// `docker compose up --wait`. A project with a database gets its `.env` first, as a
    /// person would make it from `.env.example`: a password, and the database's loopback port
    /// moved off 5432 (the host's PostgreSQL, which the template suite uses, holds it).
    pub fn up(project: &Path, name: &str) -> Result<Composed, String> {
        let example = project.join(".env.example");
        if example.exists() {
            let env = std::fs::read_to_string(&example)
                .unwrap()
                .replace(
                    "POSTGRES_PASSWORD=\n",
                    &format!("POSTGRES_PASSWORD=e2e{}\n", std::process::id()),
                )
                .replace(
                    "POSTGRES_PORT=5432\n",
                    &format!("POSTGRES_PORT={}\n", free_port()),
                );
            std::fs::write(project.join(".env"), env).unwrap();
        }
        let composed = Composed {
            project: project.to_owned(),
            name: name.to_owned(),
        };
        composed.compose(&["up", "--detach", "--wait", "--wait-timeout", "180"])?;
        Ok(composed)
    }

    /// `docker compose <args>` for this project; its stdout, or an error with its stderr.
    pub fn compose(&self, args: &[&str]) -> Result<String, String> {
        let out = run(clean_command("docker")
            .current_dir(&self.project)
            .args(["compose", "--project-name", &self.name])
            .args(args));
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            Err(format!(
                "docker compose {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// The container of `service`, running or not.
    pub fn container(&self, service: &str) -> Result<String, String> {
        self.compose(&["ps", "--all", "--quiet", service])
            .and_then(|id| match id.lines().count() {
                1 => Ok(id),
                n => Err(format!("{n} containers for {service}: {id:?}")),
            })
    }

    /// The compose network, for containers started beside the services.
    pub fn network(&self) -> String {
        format!("{}_default", self.name)
    }

    /// Checks that the limits and hardening the compose file declares are what the engine
    /// applied to each service, and that the one-shot `migrate` ended with 0.
    pub fn verify_hardening(&self, variant: &Variant) -> Result<String, String> {
        let template = "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.ReadonlyRootfs}} \
                        {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}} {{json .HostConfig.PortBindings}}";
        let inspect = |service: &str, template: &str| {
            self.container(service).and_then(|id| {
                cargo_microservice::docker::docker_ok(&["inspect", "--format", template, &id])
                    .map_err(|e| format!("{e:#}"))
            })
        };
        let expect = |service: &str, template: &str, expected: String| {
            let applied = inspect(service, template)?;
            if applied == expected {
                Ok(())
            } else {
                Err(format!(
                    "{service}: the engine applied {applied:?}, the compose file asks for {expected:?}"
                ))
            }
        };
        expect(
            "orders",
            template,
            format!(
                "500000000 134217728 true [ALL] [no-new-privileges:true] \
                 {{\"{APP_PORT}/tcp\":[{{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"{APP_PORT}\"}}],\
                 \"{ADMIN_PORT}/tcp\":[{{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"{ADMIN_PORT}\"}}]}}"
            ),
        )?;
        if variant.database == Database::Memory {
            return Ok(
                "healthy; 0.5 CPU, 128 MiB, read-only, no capabilities, loopback port".to_owned(),
            );
        }
        expect(
            "migrate",
            "{{.State.Status}} {{.State.ExitCode}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}}",
            "exited 0 true [ALL]".to_owned(),
        )?;
        let bindings = inspect(
            "postgres",
            "{{range $port, $to := .HostConfig.PortBindings}}{{range $to}}{{.HostIp}} {{end}}{{end}}",
        )?;
        if bindings.trim() != "127.0.0.1" {
            return Err(format!(
                "postgres publishes on {bindings:?}, not 127.0.0.1 only"
            ));
        }
        expect(
            "postgres",
            "{{.Config.User}} {{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}} {{.State.Health.Status}}",
            "postgres 1000000000 536870912 true [ALL] [no-new-privileges:true] healthy".to_owned(),
        )?;
        Ok("healthy; migrate exited 0; service and postgres read-only, no capabilities, limits, loopback ports".to_owned())
    }
}

impl Drop for Composed {
    fn drop(&mut self) {
        if let Err(why) = self.compose(&["down", "--volumes", "--rmi", "local", "--timeout", "10"])
        {
            note(&format!("{}: {why}", self.name));
        }
    }
}

/// A port nothing listens on now, on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap()
}

/// One HTTP/1.1 answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then_some(value.trim())
        })
    }

    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.body).map_err(|_| format!("not JSON: {:?}", self.body))
    }
}

/// `method path` on 127.0.0.1:`port` with a JSON body, within `timeout`.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    body: &[u8],
    timeout: std::time::Duration,
) -> Result<Reply, String> {
    use std::io::{Read, Write};
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream =
        std::net::TcpStream::connect_timeout(&address, timeout).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .map_err(|e| e.to_string())?;
    // The service may answer (413) and close before it has read a large body.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| e.to_string())?;
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no HTTP answer: {raw:?}"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status line: {head:?}"))?;
    Ok(Reply {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    })
}

/// The users API as a client meets it: ready, create (201 + Location), read back, a taken
/// email (409), a page of the list.
pub fn probe_users_api(port: u16) -> Result<String, String> {
    let timeout = std::time::Duration::from_secs(5);
    let call = |method: &str, path: &str, body: &str| {
        request(port, method, path, body.as_bytes(), timeout)
    };
    let ready = call("GET", "/ready", "")?;
    if ready.status != 200 {
        return Err(format!("/ready answered {}: {}", ready.status, ready.body));
    }
    let user = r#"{"name":"Matrix","email":"matrix@example.com"}"#;
    let created = call("POST", "/users", user)?;
    let location = created
        .header("location")
        .filter(|_| created.status == 201)
        .ok_or_else(|| format!("POST /users answered {}: {}", created.status, created.body))?
        .to_owned();
    let read = call("GET", &location, "")?;
    if read.status != 200 || read.body != created.body {
        return Err(format!(
            "GET {location} answered {}: {}",
            read.status, read.body
        ));
    }
    let taken = call("POST", "/users", user)?;
    if taken.status != 409 {
        return Err(format!(
            "a taken email answered {}: {}",
            taken.status, taken.body
        ));
    }
    let page = call("GET", "/users?limit=1", "")?;
    let listed = page.json()?["users"][0].clone();
    if page.status != 200 || listed != read.json()? {
        return Err(format!(
            "GET /users?limit=1 answered {}: {}",
            page.status, page.body
        ));
    }
    Ok(format!(
        "POST 201 at {location}, read back, 409 on a taken email, listed"
    ))
}

/// What a rendered project's own container proof said about an image, check by check.
pub struct ContainerProof {
    /// `(name, Ok(seen) | Err(why))` in the order the proof ran them.
    pub checks: Vec<(String, Result<String, String>)>,
    /// The whole of `cargo test`'s output, for a failure that is no check's.
    pub output: String,
    pub passed: bool,
}

impl ContainerProof {
    /// The named check's outcome; a check the proof never reached (it could not start the
    /// image, or did not compile) is a failure saying so.
    pub fn check(&self, name: &str) -> Result<String, String> {
        self.checks
            .iter()
            .find_map(|(check, outcome)| (check == name).then(|| outcome.clone()))
            .unwrap_or_else(|| Err(format!("the proof ran no check named {name}")))
    }

    /// The names of the checks that failed.
    pub fn failed(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|(_, outcome)| outcome.is_err())
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// Runs the container proof `project` ships (`tests/container/`) on `image`, by the step of
/// its own CI that proves the image it built ("Prove the image" in `.github/workflows/ci.yml`,
/// read from the rendered file), with `CONTAINER_IMAGE` naming `image`; built into the suites'
/// shared target directory.
pub fn container_proof(project: &Path, image: &str) -> ContainerProof {
    // Every rendered project here is named `orders` and builds into one target directory, so
    // their container tests share one binary path, and cargo, seeing an older source than that
    // binary, would run another variant's proof (its uid, its shell). One proof at a time, its
    // sources touched so cargo builds this project's.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    for entry in std::fs::read_dir(project.join("tests/container")).unwrap() {
        let file = std::fs::File::options()
            .append(true)
            .open(entry.unwrap().path())
            .unwrap();
        file.set_modified(std::time::SystemTime::now()).unwrap();
    }
    let (steps, _) = workflows::run_steps(project);
    let step = steps
        .iter()
        .find(|step| step.name == "Prove the image")
        .expect("the rendered CI has a step that proves the image");
    let output = run(&mut workflows::step_command(
        env!("CARGO_TARGET_TMPDIR"),
        project,
        step,
        &[("CONTAINER_IMAGE", image)],
    ));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut checks = Vec::new();
    for line in text.lines() {
        // A single-threaded run prints the report after libtest's `test NAME ... ` on one line.
        let Some((name, outcome)) = line
            .find("check ")
            .and_then(|at| line[at + "check ".len()..].split_once(": "))
        else {
            continue;
        };
        if checks.iter().any(|(seen, _)| seen == name) {
            continue; // the failure message repeats the report
        }
        let outcome = match outcome.split_once(": ") {
            Some(("ok", seen)) => Ok(seen.to_owned()),
            Some(("FAILED", why)) => Err(why.to_owned()),
            _ => continue,
        };
        checks.push((name.to_owned(), outcome));
    }
    ContainerProof {
        checks,
        output: text,
        passed: output.status.success(),
    }
}
