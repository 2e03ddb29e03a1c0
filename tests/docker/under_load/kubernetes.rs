//! The default variant's Kubernetes manifests proven against its built image (see
//! `conformance.rs`), and manifests that drift from the image caught, each by the field at fault.

use super::conformance::{Verdict, run_pod};
use crate::helpers::*;
use cargo_microservice_support::kubernetes::{BASE_DIR, Manifests, Secrets};
use cargo_microservice_support::postgres::{fresh_database, psql, require_server};
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
            // The default variant, database included: the Deployment reads DATABASE_URL from a
            // Secret and migrates in an init container, which the run plays too.
            let variant = Variant::default();
            every_image_built();
            let image = image(&variant);
            let tag = image.tag().to_owned();
            let project = image.project;
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

/// What the README tells users to create for a Deployment that reads `DATABASE_URL` from a
/// Secret: here, a fresh database on the suites' PostgreSQL. No Secret, no database.
fn secrets_for(manifests: &Manifests, fixture: &str) -> Option<Secrets> {
    let deployment = manifests.deployment();
    let reference = deployment
        .spec
        .template
        .spec
        .containers
        .iter()
        .flat_map(|container| &container.env)
        .find_map(|variable| variable.value_from.as_ref()?.secret_key_ref.clone());
    let Some(reference) = reference else {
        return Some(Secrets::new());
    };
    let url = fresh_database(
        &require_server()?,
        &format!("k8s_conformance_{}", fixture.replace('-', "_")),
    );
    Some(Secrets::from([(
        reference.name,
        [(reference.key, url)].into(),
    )]))
}

fn conform(fixture: &str, edit: impl Fn(String) -> String) -> Option<Verdict> {
    let (project, image) = default_variant()?;
    let _docker = docker_lock();
    let manifests = manifests_with(project, fixture, edit);
    let secrets = secrets_for(&manifests, fixture)?;
    let verdict = run_pod(image, &manifests, &secrets);
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
        // The startup probe, the first on the admin port, on one nothing listens on; and it
        // gives up after 3 tries instead of the rendered 35, which the failure waits out (the
        // kubelet's verdict is the same, 32 s sooner).
        let (before, probes) = deployment
            .split_once("          startupProbe:\n")
            .expect("the deployment has a startup probe");
        let (startup, rest) = probes
            .split_once("          livenessProbe:\n")
            .expect("the liveness probe follows the startup probe");
        let startup: String = startup
            .replacen(
                "              port: admin\n",
                "              port: 9090\n",
                1,
            )
            .lines()
            .map(|line| match line.split_once("failureThreshold: ") {
                Some((indent, _)) => format!("{indent}failureThreshold: 3\n"),
                None => format!("{line}\n"),
            })
            .collect();
        assert!(startup.contains("port: 9090") && startup.contains("failureThreshold: 3"));
        format!("{before}          startupProbe:\n{startup}          livenessProbe:\n{rest}")
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

/// Pods of a rolling update run their `migrate` init containers at once. The migrator takes
/// PostgreSQL's advisory lock, so one migrates while the other waits. Shown by holding the
/// migrations table locked from here: the first migrator then sits inside the advisory lock,
/// and pg_locks shows the second one waiting for it.
#[test]
fn two_migrate_init_containers_at_once_take_turns_on_the_advisory_lock() {
    use super::conformance::{Running, run_to_completion, start};
    let Some((project, image)) = default_variant() else {
        return;
    };
    let manifests = Manifests::kustomize(&project.join(BASE_DIR));
    let pod = manifests.deployment().spec.template.spec;
    let Some(migrate) = pod.init_containers.first().cloned() else {
        note("SKIPPED: this variant has no migrate init container (database = none)");
        return;
    };
    let Some(admin_url) = require_server() else {
        return;
    };
    let _docker = docker_lock();
    let database = "k8s_two_migrators";
    let url = fresh_database(&admin_url, database);
    let reference = migrate.env[0]
        .value_from
        .clone()
        .and_then(|source| source.secret_key_ref)
        .expect("migrate reads DATABASE_URL from a Secret");
    let secrets = Secrets::from([(reference.name, [(reference.key, url.clone())].into())]);
    let environment = manifests
        .environment_with(&migrate, Some(&secrets))
        .unwrap();
    let security = migrate.security_context.over(&pod.security_context);
    // The first run creates the schema and the migrations table, which the rest is about.
    run_to_completion(image, &migrate, &security, &environment).unwrap();
    let applied = psql(&url, "SELECT count(*) FROM _sqlx_migrations");

    let mut holder = clean_command("psql")
        .args(["--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1"])
        .arg(&url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut session = holder.stdin.take().unwrap();
    use std::io::Write;
    writeln!(
        session,
        "BEGIN; LOCK TABLE _sqlx_migrations IN ACCESS EXCLUSIVE MODE;"
    )
    .unwrap();
    let migrators: Vec<Running> = (0..2)
        .map(|_| Running {
            id: start(image, &migrate, &security, &environment).unwrap(),
        })
        .collect();
    let advisory = format!(
        "SELECT string_agg(granted::text, ',' ORDER BY granted DESC) FROM pg_locks \
         WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = '{database}')"
    );
    let started = std::time::Instant::now();
    let mut seen = psql(&url, &advisory);
    while seen != "true,false" && started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(100));
        seen = psql(&url, &advisory);
    }
    writeln!(session, "COMMIT;").unwrap();
    drop(session);
    holder.wait().unwrap();
    let exits: Vec<_> = migrators
        .iter()
        .map(|migrator| migrator.wait_exit(std::time::Duration::from_secs(60)))
        .collect();
    let logs: Vec<String> = migrators.iter().map(Running::logs_tail).collect();

    assert_eq!(
        seen, "true,false",
        "pg_locks did not show one migrator holding the advisory lock and one waiting: {logs:?}"
    );
    note(&format!(
        "two migrators: one held PostgreSQL's advisory lock while the other waited (pg_locks granted: {seen}); both then exited {exits:?}"
    ));
    for exit in &exits {
        assert!(matches!(exit, Some((0, _))), "{exits:?}: {logs:?}");
    }
    assert_eq!(
        psql(&url, "SELECT count(*) FROM _sqlx_migrations"),
        applied,
        "each migration is applied once"
    );
}
