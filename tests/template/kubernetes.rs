//! Every variant's `deploy/kubernetes/` kustomize base: what it holds, that it agrees with the
//! Dockerfile and compose file, and what the real validators say about it.

use crate::helpers::*;
use cargo_microservice_support::kubernetes::{self as manifests, BASE_DIR, Manifests};
use std::path::{Path, PathBuf};
use std::process::Output;

/// The Kubernetes minors the manifests must validate for; kubernetes-validate 1.37 bundles them.
const MINORS: std::ops::RangeInclusive<u32> = 31..=37;

/// The files `kustomization.yaml` lists, read from it rather than assumed.
fn resource_files(project: &Path) -> Vec<PathBuf> {
    let base = project.join(BASE_DIR);
    let kustomization: serde_json::Value =
        serde_saphyr::from_str(&std::fs::read_to_string(base.join("kustomization.yaml")).unwrap())
            .unwrap();
    kustomization["resources"]
        .as_array()
        .expect("kustomization.yaml lists its resources")
        .iter()
        .map(|resource| base.join(resource.as_str().unwrap()))
        .collect()
}

/// `kubernetes-validate --strict` for every minor at once. It exits 0 on a kind it has no schema
/// for (a typo'd `Deploymnet`, a `Kustomization`) and only warns, so a warning fails too.
fn kubernetes_validate(files: &[PathBuf]) -> Result<(), String> {
    let mut command = clean_command("kubernetes-validate");
    command.args(["--strict", "--quiet"]);
    for minor in MINORS {
        command.args(["-k", &format!("1.{minor}.0")]);
    }
    let output = run(command.args(files));
    let said = format!("{}{}", stdout(&output), stderr(&output));
    if output.status.success() && !said.contains("WARN") && !said.contains("ERROR") {
        Ok(())
    } else {
        Err(said)
    }
}

/// `trivy config` with its embedded checks (no download), run from `project` so that the
/// project's `.trivyignore` applies. Returns every failed check as `(id, severity, message)`
/// and the number of files it scanned.
fn trivy_config(project: &Path, target: &Path) -> (Vec<(String, String, String)>, usize) {
    let output = run_ok(
        clean_command("trivy")
            .current_dir(project)
            .args([
                "config",
                "--skip-check-update",
                "--quiet",
                "--format",
                "json",
            ])
            .arg(target),
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = report["Results"].as_array().cloned().unwrap_or_default();
    let failures = results
        .iter()
        .flat_map(|result| {
            result["Misconfigurations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|finding| finding["Status"] == "FAIL")
        .map(|finding| {
            (
                finding["ID"].as_str().unwrap_or("?").to_owned(),
                finding["Severity"].as_str().unwrap_or("?").to_owned(),
                finding["Message"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    (failures, results.len())
}

fn at_least_medium(failures: &[(String, String, String)]) -> Vec<String> {
    failures
        .iter()
        .filter(|(_, severity, _)| severity != "LOW" && severity != "UNKNOWN")
        .map(|(id, severity, message)| format!("{id} ({severity}): {message}"))
        .collect()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The overlay the rendered README tells users to write, taken from the README itself so the
/// two cannot drift, written into `deploy/production/`.
fn write_readme_overlay(project: &Path) -> PathBuf {
    let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
    let opening = "cat > deploy/production/kustomization.yaml <<'YAML'\n";
    let start = readme.find(opening).expect("the README writes an overlay") + opening.len();
    let overlay = &readme[start..start + readme[start..].find("\nYAML\n").unwrap() + 1];
    let dir = project.join("deploy/production");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("kustomization.yaml"), overlay).unwrap();
    dir
}

fn tools_here() -> bool {
    require_tool("kubectl", "help") && require_tool("kubernetes-validate", "--version")
}

#[test]
fn every_variant_renders_a_kustomize_base_with_the_values_its_dockerfile_and_compose_use() {
    let Some(rendered) = rendered() else { return };
    if !require_tool("kubectl", "help") {
        return;
    }

    for project in rendered {
        let id = project.variant.id();
        let manifests = Manifests::kustomize(&project.dir.join(BASE_DIR));
        let mut kinds = manifests.kinds();
        kinds.sort();
        assert_eq!(
            kinds,
            [
                "ConfigMap",
                "Deployment",
                "HorizontalPodAutoscaler",
                "NetworkPolicy",
                "PodDisruptionBudget",
                "Service",
                "ServiceAccount"
            ],
            "{id}"
        );
        let dockerfile = std::fs::read_to_string(project.dir.join("Dockerfile")).unwrap();
        let compose: serde_json::Value = serde_saphyr::from_str(
            &std::fs::read_to_string(project.dir.join("compose.yaml")).unwrap(),
        )
        .unwrap();
        let service = &compose["services"][project.variant.project_name()];
        let deployment = manifests.deployment();
        let pod = &deployment.spec.template.spec;
        let container = &pod.containers[0];
        let security = container.security_context.over(&pod.security_context);

        assert_eq!(
            deployment.spec.replicas, None,
            "{id}: the HPA owns replicas"
        );
        // The image's USER, as the Dockerfile sets it.
        let user = dockerfile
            .lines()
            .find_map(|line| line.strip_prefix("USER "))
            .unwrap();
        let uid = i64::from(project.variant.base.runtime_uid());
        assert_eq!(format!("{uid}:{uid}"), user, "{id}");
        assert_eq!(security.run_as_user, Some(uid), "{id}: runAsUser");
        assert_eq!(security.run_as_group, Some(uid), "{id}: runAsGroup");
        assert_eq!(security.run_as_non_root, Some(true), "{id}");
        assert_eq!(security.allow_privilege_escalation, Some(false), "{id}");
        assert_eq!(security.read_only_root_filesystem, Some(true), "{id}");
        assert_eq!(
            security
                .seccomp_profile
                .map(|profile| profile.kind)
                .as_deref(),
            Some("RuntimeDefault"),
            "{id}"
        );
        assert_eq!(
            security.capabilities.unwrap_or_default().drop,
            ["ALL"],
            "{id}"
        );
        assert_eq!(pod.automount_service_account_token, Some(false), "{id}");
        // The ports the Dockerfile exposes and compose publishes: the service's, then the
        // admin listener's, which the probes call.
        let exposed: Vec<u16> = dockerfile
            .lines()
            .find_map(|line| line.strip_prefix("EXPOSE "))
            .unwrap()
            .split_whitespace()
            .map(|port| port.parse().unwrap())
            .collect();
        let declared: Vec<u16> = container
            .ports
            .iter()
            .map(|port| port.container_port)
            .collect();
        assert_eq!(declared, exposed, "{id}");
        let admin = exposed[1];
        // compose's limits, the same quantities in Kubernetes' units.
        let limits = &service["deploy"]["resources"]["limits"];
        let compose_cpu = manifests::cpu_millicores(limits["cpus"].as_str().unwrap());
        let compose_memory = limits["memory"]
            .as_str()
            .unwrap()
            .strip_suffix('M')
            .and_then(|mib| mib.parse::<u64>().ok())
            .map(|mib| mib << 20);
        for quantities in [&container.resources.limits, &container.resources.requests] {
            assert_eq!(
                quantities
                    .get("cpu")
                    .and_then(|q| manifests::cpu_millicores(q)),
                compose_cpu,
                "{id}: cpu"
            );
            assert_eq!(
                quantities
                    .get("memory")
                    .and_then(|q| manifests::memory_bytes(q)),
                compose_memory,
                "{id}: memory"
            );
        }
        // Probes: the routes the service serves, on the port it listens on, with compose's
        // healthcheck timing.
        let healthcheck = &service["healthcheck"];
        let seconds = |field: &str| -> u64 {
            healthcheck[field]
                .as_str()
                .unwrap()
                .trim_end_matches('s')
                .parse()
                .unwrap()
        };
        for (name, probe, path) in [
            ("startupProbe", &container.startup_probe, "/health"),
            ("livenessProbe", &container.liveness_probe, "/health"),
            ("readinessProbe", &container.readiness_probe, "/ready"),
        ] {
            let probe = probe.as_ref().unwrap_or_else(|| panic!("{id}: no {name}"));
            let get = probe.http_get.as_ref().unwrap();
            assert_eq!(get.path, path, "{id}: {name}");
            assert_eq!(
                container.resolve_port(&get.port),
                Some(admin),
                "{id}: {name}"
            );
            assert_eq!(probe.timeout_seconds, seconds("timeout"), "{id}: {name}");
        }
        let liveness = container.liveness_probe.as_ref().unwrap();
        assert_eq!(liveness.period_seconds, seconds("interval"), "{id}");
        assert_eq!(
            u64::from(liveness.failure_threshold),
            healthcheck["retries"].as_u64().unwrap(),
            "{id}"
        );
        // Termination: the pause, then the drain, inside the grace period.
        let environment = manifests.environment(container);
        let drain: u64 = environment["SHUTDOWN_TIMEOUT"].parse().unwrap();
        let pause = container.pre_stop_sleep_seconds();
        assert!(pause > 0, "{id}: no preStop sleep");
        assert!(
            pod.grace_period_seconds() > pause + drain,
            "{id}: terminationGracePeriodSeconds {} does not cover the {pause} s pause and the {drain} s drain",
            pod.grace_period_seconds()
        );
        // Pinned to the crate's version, never `latest`.
        let manifest = std::fs::read_to_string(project.dir.join("Cargo.toml")).unwrap();
        let version = manifest
            .lines()
            .find_map(|line| line.strip_prefix("version = "))
            .unwrap()
            .trim_matches('"');
        assert_eq!(
            container.image,
            format!("{}:{version}", project.variant.project_name()),
            "{id}"
        );
        // The autoscaler and the disruption budget.
        let hpa = manifests.one("HorizontalPodAutoscaler");
        assert_eq!(hpa["apiVersion"], "autoscaling/v2", "{id}");
        assert_eq!(hpa["spec"]["minReplicas"], 2, "{id}");
        assert_eq!(
            manifests.one("PodDisruptionBudget")["spec"]["maxUnavailable"],
            1,
            "{id}"
        );
        assert_eq!(
            manifests.one("ServiceAccount")["automountServiceAccountToken"],
            false,
            "{id}"
        );
        let policy = &manifests.one("NetworkPolicy")["spec"];
        let ingress_ports: Vec<u16> = policy["ingress"][0]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|port| port["port"].as_u64().unwrap() as u16)
            .collect();
        assert_eq!(ingress_ports, exposed, "{id}");
        let egress_ports: Vec<u64> = policy["egress"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|rule| rule["ports"].as_array().unwrap())
            .map(|port| port["port"].as_u64().unwrap())
            .collect();
        // The database: DATABASE_URL from a Secret, never a value in a manifest, and the
        // schema migrated by the same image before the service starts.
        let secret_url = |container: &manifests::Container| {
            container
                .env
                .iter()
                .find(|variable| variable.name == "DATABASE_URL")
                .map(|variable| {
                    assert_eq!(variable.value, None, "{id}: a database URL in a manifest");
                    let reference = variable
                        .value_from
                        .as_ref()
                        .and_then(|source| source.secret_key_ref.as_ref())
                        .unwrap_or_else(|| panic!("{id}: DATABASE_URL not from a Secret"));
                    (reference.name.clone(), reference.key.clone())
                })
        };
        match project.variant.database {
            Database::Postgres => {
                let secret = Some((
                    format!("{}-database", project.variant.project_name()),
                    "url".to_owned(),
                ));
                assert_eq!(secret_url(container), secret, "{id}");
                let [migrate] = pod.init_containers.as_slice() else {
                    panic!(
                        "{id}: one init container, migrate: {:?}",
                        pod.init_containers
                    );
                };
                assert_eq!(migrate.image, container.image, "{id}");
                assert_eq!(migrate.args, ["migrate"], "{id}");
                assert_eq!(secret_url(migrate), secret, "{id}");
                assert_eq!(migrate.resources.limits, container.resources.limits, "{id}");
                let migrate_security = migrate.security_context.over(&pod.security_context);
                assert_eq!(
                    migrate_security.read_only_root_filesystem,
                    Some(true),
                    "{id}"
                );
                assert_eq!(
                    migrate_security.allow_privilege_escalation,
                    Some(false),
                    "{id}"
                );
                assert_eq!(egress_ports, [53, 53, 5432], "{id}: DNS and PostgreSQL out");
            }
            Database::Memory => {
                assert_eq!(secret_url(container), None, "{id}");
                assert!(pod.init_containers.is_empty(), "{id}");
                assert_eq!(egress_ports, [53, 53], "{id}: DNS out, nothing else");
            }
        }

        insta::assert_snapshot!(format!("{id}.kubernetes.yaml"), manifests.text);
    }
}

#[test]
fn kubernetes_validate_passes_every_file_and_the_kustomize_output_for_1_31_to_1_37() {
    let Some(rendered) = rendered() else { return };
    if !tools_here() {
        return;
    }
    let scratch = scratch_dir("kustomized");

    for project in rendered {
        let id = project.variant.id();
        let built = scratch.join(format!("{id}.yaml"));
        std::fs::write(
            &built,
            Manifests::kustomize(&project.dir.join(BASE_DIR)).text,
        )
        .unwrap();
        let mut files = resource_files(&project.dir);
        files.push(built);

        if let Err(said) = kubernetes_validate(&files) {
            panic!(
                "{id}: kubernetes-validate --strict for 1.{}-1.{}:\n{said}",
                MINORS.start(),
                MINORS.end()
            );
        }
    }
}

#[test]
fn trivy_config_finds_nothing_at_medium_or_above_in_the_base_or_the_readme_overlay() {
    let Some(rendered) = rendered() else { return };
    if !tools_here() || !require_tool("trivy", "--version") {
        return;
    }
    let scratch = scratch_dir("trivy");

    for project in rendered {
        let id = project.variant.id();
        let base = project.dir.join(BASE_DIR);
        let (failures, scanned) = trivy_config(&project.dir, &base);
        assert_eq!(
            scanned,
            resource_files(&project.dir).len(),
            "{id}: trivy skipped a file"
        );
        assert!(
            at_least_medium(&failures).is_empty(),
            "{id}: trivy config on {BASE_DIR}:\n{}",
            at_least_medium(&failures).join("\n")
        );
        for (finding, severity, message) in &failures {
            note(&format!(
                "{id}: trivy {finding} ({severity}, below MEDIUM): {message}"
            ));
        }

        // As users deploy it: the README's overlay, with a real registry name.
        let overlay = write_readme_overlay(&project.dir);
        let built = scratch.join(&id).join("production.yaml");
        std::fs::create_dir_all(built.parent().unwrap()).unwrap();
        let manifests = Manifests::kustomize(&overlay);
        std::fs::remove_dir_all(&overlay).unwrap();
        std::fs::write(&built, &manifests.text).unwrap();
        assert!(
            manifests.text.contains("image: registry.example.com/"),
            "{id}"
        );
        kubernetes_validate(std::slice::from_ref(&built))
            .unwrap_or_else(|said| panic!("{id}: the README's overlay: {said}"));
        let (failures, _) = trivy_config(&project.dir, &built);
        assert!(
            at_least_medium(&failures).is_empty(),
            "{id}: trivy config on the README's overlay, with .trivyignore:\n{}",
            at_least_medium(&failures).join("\n")
        );
    }
}

/// The validators are only worth their silence if they speak up: a typo'd kind (which
/// kubernetes-validate merely warns about), an unknown field, and a pod that trivy flags.
#[test]
fn the_validators_fail_a_typo_kind_an_unknown_field_and_a_writable_root_filesystem() {
    let Some(rendered) = rendered() else { return };
    if !tools_here() || !require_tool("trivy", "--version") {
        return;
    }
    let project = &rendered[0];
    let deployment =
        std::fs::read_to_string(project.dir.join(BASE_DIR).join("deployment.yaml")).unwrap();
    let scratch = scratch_dir("broken-manifests");
    let broken = |name: &str, from: &str, to: &str| {
        assert!(
            deployment.contains(from),
            "the fixture's edit matches nothing"
        );
        let path = scratch.join(name).join("deployment.yaml");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, deployment.replacen(from, to, 1)).unwrap();
        path
    };

    let typo = kubernetes_validate(&[broken("typo", "kind: Deployment", "kind: Deploymnet")]);
    let unknown = kubernetes_validate(&[broken(
        "unknown-field",
        "      maxSurge: 1\n",
        "      maxSurge: 1\n      maxSurgee: 2\n",
    )]);
    let writable = broken(
        "writable",
        "readOnlyRootFilesystem: true",
        "readOnlyRootFilesystem: false",
    );
    let (failures, _) = trivy_config(&project.dir, writable.parent().unwrap());

    assert!(typo.unwrap_err().contains("Deploymnet"));
    assert!(unknown.unwrap_err().contains("maxSurgee"));
    let flagged = at_least_medium(&failures);
    assert!(
        flagged
            .iter()
            .any(|finding| finding.contains("readOnlyRootFilesystem")
                || finding.contains("read-only")
                || finding.contains("root file system")),
        "trivy did not flag a writable root filesystem: {failures:?}"
    );
}
