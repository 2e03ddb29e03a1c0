//! The docker matrix's fixtures: projects rendered under one name so builds share Docker's
//! cache, the build order, and the summary. Base images come from the support crate.

pub use cargo_microservice_support::standin::{
    Origin, base_images, ensure_base_image, require_docker, runs_on_scratch,
};
pub use cargo_microservice_support::*;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

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
/// `CARGO_MICROSERVICE_VARIANTS=alpine,static-trixie` narrows it (the GitHub matrix runs one
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
    variants.sort_by_key(|variant| {
        (
            variant.debian.is_none(),
            std::cmp::Reverse(variant.debian.map(Debian::number)),
            variant.base == Base::Static,
        )
    });
    variants
}

/// One line of the summary.
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

/// `docker compose up --wait` on the rendered compose file, then checks that the limits and
/// hardening it declares are what the engine applied, then `down`.
pub fn compose_up_and_verify(project: &Path, name: &str) -> Result<String, String> {
    let compose = |args: &[&str]| {
        let out = run(clean_command("docker")
            .current_dir(project)
            .args(["compose", "--project-name", name])
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
    };
    let result = compose(&["up", "--detach", "--wait", "--wait-timeout", "90"])
        .and_then(|_| compose(&["ps", "--quiet"]))
        .and_then(|id| {
            let template = "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.ReadonlyRootfs}} \
                            {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}} {{json .HostConfig.PortBindings}}";
            cargo_microservice::docker::docker_ok(&["inspect", "--format", template, &id]).map_err(|e| format!("{e:#}"))
        })
        .and_then(|applied| {
            let expected = "500000000 134217728 true [ALL] [no-new-privileges:true] \
                            {\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8080\"}],\
                            \"8081/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8081\"}]}";
            if applied == expected {
                Ok("healthy; 0.5 CPU, 128 MiB, read-only, no capabilities, loopback port".to_owned())
            } else {
                Err(format!("the engine applied {applied:?}, the compose file asks for {expected:?}"))
            }
        });
    let down = compose(&["down", "--volumes", "--rmi", "local", "--timeout", "10"]);
    result.and_then(|verdict| down.map(|_| verdict))
}
