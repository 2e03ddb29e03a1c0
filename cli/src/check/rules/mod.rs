//! The rules: one file each (id, severity, why, fix, `--explain` text and logic together), all
//! registered in `RULES`. A rule reads a model computed once (`Model` for a Dockerfile,
//! `Cargo`, `Compose`), never the raw text.

mod cm001_single_stage;
mod cm002_no_dependency_cache;
mod cm003_unpinned_cargo_chef;
mod cm004_floating_tag;
mod cm005_libc_mismatch;
mod cm006_root_user;
mod cm007_shell_form_entrypoint;
mod cm008_healthcheck_cannot_run;
mod cm009_no_healthcheck;
mod cm010_unknown_binary;
mod cm011_expose_mismatch;
mod cm012_no_dockerignore;
mod cm013_target_in_context;
mod cm014_secrets_in_context;
mod cm015_add_for_local_files;
mod cm016_tls_without_ca;
mod cm017_openssl_static;
mod cm018_old_toolchain;
mod cm019_release_profile;
mod cm020_panic_abort_restart;
mod cm021_compose_limits;
mod cm022_compose_healthcheck;
mod cm023_compose_privileges;
mod cm024_port_on_every_interface;
mod cm025_build_and_run;
mod cm026_ignore_comment;
mod cm027_exec_form_one_word;
mod cm101_privilege_escalation;
mod cm102_run_as_non_root;
mod cm103_run_as_root_uid;
mod cm104_seccomp_profile;
mod cm105_capabilities;
mod cm106_host_access;
mod cm107_missing_probes;
mod cm108_probe_port;
mod cm109_probe_path;
mod cm110_resources;
mod cm111_floating_image;
mod cm112_grace_period;
mod cm113_read_only_root_writes;

use super::Finding;
use super::compose::Compose;
use super::kubernetes::{Container, Manifests};
use super::model::Model;
use super::project::{DockerIgnore, Project, Source};
use serde::Serialize;
use std::collections::BTreeMap;

/// Every rule, in id order: what `--explain`, SARIF's rule list and the checker read.
pub const RULES: &[&Rule] = &[
    &cm001_single_stage::RULE,
    &cm002_no_dependency_cache::RULE,
    &cm003_unpinned_cargo_chef::RULE,
    &cm004_floating_tag::RULE,
    &cm005_libc_mismatch::RULE,
    &cm006_root_user::RULE,
    &cm007_shell_form_entrypoint::RULE,
    &cm008_healthcheck_cannot_run::RULE,
    &cm009_no_healthcheck::RULE,
    &cm010_unknown_binary::RULE,
    &cm011_expose_mismatch::RULE,
    &cm012_no_dockerignore::RULE,
    &cm013_target_in_context::RULE,
    &cm014_secrets_in_context::RULE,
    &cm015_add_for_local_files::RULE,
    &cm016_tls_without_ca::RULE,
    &cm017_openssl_static::RULE,
    &cm018_old_toolchain::RULE,
    &cm019_release_profile::RULE,
    &cm020_panic_abort_restart::RULE,
    &cm021_compose_limits::RULE,
    &cm022_compose_healthcheck::RULE,
    &cm023_compose_privileges::RULE,
    &cm024_port_on_every_interface::RULE,
    &cm025_build_and_run::RULE,
    &cm026_ignore_comment::RULE,
    &cm027_exec_form_one_word::RULE,
    &cm101_privilege_escalation::RULE,
    &cm102_run_as_non_root::RULE,
    &cm103_run_as_root_uid::RULE,
    &cm104_seccomp_profile::RULE,
    &cm105_capabilities::RULE,
    &cm106_host_access::RULE,
    &cm107_missing_probes::RULE,
    &cm108_probe_port::RULE,
    &cm109_probe_path::RULE,
    &cm110_resources::RULE,
    &cm111_floating_image::RULE,
    &cm112_grace_period::RULE,
    &cm113_read_only_root_writes::RULE,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
    pub explain: &'static str,
    pub check: Check,
}

/// What a rule reads. A new kind of file gets its model in `Project` and a variant here.
pub enum Check {
    /// Runs once per Dockerfile.
    Dockerfile(fn(&DockerfileContext, &mut Report)),
    /// Runs once per project that has a Cargo.toml.
    Cargo(fn(&Project, &super::project::Cargo, &mut Report)),
    /// Runs once per compose file.
    Compose(fn(&ComposeContext, &mut Report)),
    /// Runs once per YAML file of Kubernetes objects.
    Kubernetes(fn(&KubernetesContext, &mut Report)),
    /// Runs only with `--build`: it needs the image built and running.
    Build,
    /// Runs once per `check:ignore=` comment, in any file.
    Ignore(fn(&super::ignore::IgnoreComment, &mut Report)),
}

/// One Dockerfile and the project around it.
pub struct DockerfileContext<'a> {
    pub project: &'a Project,
    pub path: &'a str,
    pub model: &'a Model,
}

impl DockerfileContext<'_> {
    /// The ignore file a build of this Dockerfile reads, if any.
    pub fn dockerignore(&self) -> Option<&DockerIgnore> {
        self.project.dockerignore_for(self.path)
    }
}

/// One compose file and the project around it.
pub struct ComposeContext<'a> {
    pub project: &'a Project,
    pub path: &'a str,
    pub compose: &'a Compose,
}

/// One file of Kubernetes objects and the project around it.
pub struct KubernetesContext<'a> {
    pub project: &'a Project,
    pub path: &'a str,
    pub manifests: &'a Manifests,
}

impl KubernetesContext<'_> {
    /// The image a container runs, after the `images:` of any kustomization in the project.
    pub fn image<'b>(&self, written: &'b str) -> std::borrow::Cow<'b, str> {
        let (name, _) = crate::check::images::split(written);
        self.project
            .kubernetes
            .iter()
            .find_map(|file| file.parsed.image_overrides.get(name))
            .map_or(std::borrow::Cow::Borrowed(written), |pinned| {
                std::borrow::Cow::Owned(format!("{name}{pinned}"))
            })
    }

    /// The environment the kubelet gives `container`: its ConfigMaps' data found anywhere in
    /// the project, then its own `env` on top.
    pub fn environment(&self, container: &Container) -> BTreeMap<String, String> {
        let mut environment = BTreeMap::new();
        for name in &container.env_config_maps {
            for file in &self.project.kubernetes {
                for config_map in &file.parsed.config_maps {
                    if &config_map.name == name {
                        environment.extend(config_map.data.clone());
                    }
                }
            }
        }
        environment.extend(container.env.clone());
        environment
    }
}

/// Where one rule's findings go, at the rule's own severity unless it says otherwise.
pub struct Report<'a> {
    rule: &'static Rule,
    file: &'a str,
    findings: &'a mut Vec<Finding>,
}

impl<'a> Report<'a> {
    pub fn new(rule: &'static Rule, file: &'a str, findings: &'a mut Vec<Finding>) -> Self {
        Report {
            rule,
            file,
            findings,
        }
    }

    pub fn at(&mut self, line: usize, message: impl Into<String>) {
        let file = self.file.to_owned();
        self.in_file(&file, line, message);
    }

    pub fn at_severity(&mut self, severity: Severity, line: usize, message: impl Into<String>) {
        let mut finding = Finding::of(self.rule, self.file, line, message.into());
        finding.severity = severity;
        self.findings.push(finding);
    }

    /// A finding in another file than the one checked (`.dockerignore`, a member's manifest).
    pub fn in_file(&mut self, file: &str, line: usize, message: impl Into<String>) {
        self.findings
            .push(Finding::of(self.rule, file, line, message.into()));
    }
}

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|rule| rule.id.eq_ignore_ascii_case(id))
}

/// Every rule that reads files, on every file of `project`, less what its `check:ignore=`
/// comments silence.
pub fn run_all(project: &Project) -> Vec<Finding> {
    let ignores = project.ignore_comments();
    let mut findings = Vec::new();
    for rule in RULES.iter().copied() {
        match rule.check {
            Check::Dockerfile(check) => {
                for Source { path, parsed, .. } in &project.dockerfiles {
                    let context = DockerfileContext {
                        project,
                        path,
                        model: parsed,
                    };
                    check(&context, &mut Report::new(rule, path, &mut findings));
                }
            }
            Check::Cargo(check) => {
                if let Some(cargo) = &project.cargo {
                    check(
                        project,
                        cargo,
                        &mut Report::new(rule, &cargo.manifest, &mut findings),
                    );
                }
            }
            Check::Compose(check) => {
                for Source { path, parsed, .. } in &project.compose {
                    let context = ComposeContext {
                        project,
                        path,
                        compose: parsed,
                    };
                    check(&context, &mut Report::new(rule, path, &mut findings));
                }
            }
            Check::Kubernetes(check) => {
                for Source { path, parsed, .. } in &project.kubernetes {
                    let context = KubernetesContext {
                        project,
                        path,
                        manifests: parsed,
                    };
                    check(&context, &mut Report::new(rule, path, &mut findings));
                }
            }
            Check::Ignore(check) => {
                for comment in &ignores {
                    check(
                        comment,
                        &mut Report::new(rule, &comment.file, &mut findings),
                    );
                }
            }
            Check::Build => {}
        }
    }
    findings.retain(|finding| {
        !ignores
            .iter()
            .any(|ignore| ignore.file == finding.file && ignore.covers(&finding.rule, finding.line))
    });
    findings
}

/// What every rule file needs.
mod prelude {
    pub(super) use super::{
        Check, ComposeContext, DockerfileContext, KubernetesContext, Report, Rule, Severity::*,
    };
    pub(super) use crate::check::Finding;
    pub(super) use crate::check::dockerfile::Form;
    pub(super) use crate::check::images;
    pub(super) use crate::check::model::{CopySource, Stage};
    pub(super) use crate::check::project::{Cargo, Project, line_of};
    pub(super) use crate::vocabulary::Libc;
}

pub use cm025_build_and_run::build_and_prove;

/// Runs one rule on small projects written in its tests: the rule files' firing cases and
/// near-misses.
#[cfg(test)]
pub mod testing {
    use super::*;
    use crate::check::project::{Cargo, Dependency};

    /// A Deployment that meets every Kubernetes rule: the near-miss the rules' tests edit.
    pub const DEPLOYMENT: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: app
data:
  SHUTDOWN_TIMEOUT: "5"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      terminationGracePeriodSeconds: 15
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: app
          image: app:1.0.0
          ports:
            - name: http
              containerPort: 8080
          envFrom:
            - configMapRef:
                name: app
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          resources:
            requests: {cpu: 500m, memory: 128Mi}
            limits: {cpu: 500m, memory: 128Mi}
          livenessProbe:
            httpGet: {path: /health, port: http}
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
          lifecycle:
            preStop:
              sleep:
                seconds: 5
"#;

    /// A project with this Dockerfile and, unless the test says otherwise, a Cargo.toml that
    /// builds `app`, a compose file with nothing in it, and the code listening on 8080.
    pub struct Fixture {
        pub project: Project,
    }

    impl Fixture {
        pub fn dockerfile(text: &str) -> Fixture {
            let mut cargo = Cargo {
                manifest: "Cargo.toml".into(),
                ..Cargo::default()
            };
            cargo.bins.insert("app".to_owned());
            Fixture {
                project: Project {
                    root: std::path::PathBuf::new(),
                    dockerfiles: vec![Source {
                        path: "Dockerfile".into(),
                        text: text.to_owned(),
                        parsed: Model::parse(text),
                    }],
                    cargo: Some(cargo),
                    compose: Vec::new(),
                    dockerignores: vec![DockerIgnore {
                        path: ".dockerignore".into(),
                        patterns: vec!["target".into(), ".env".into()],
                        ..DockerIgnore::default()
                    }],
                    env_files: Vec::new(),
                    code_ports: vec![(8080, "src/main.rs".into(), 1)],
                    kubernetes: Vec::new(),
                    code_routes: vec!["/health".into(), "/ready".into()],
                },
            }
        }

        pub fn compose(text: &str) -> Fixture {
            let mut fixture = Fixture::dockerfile("");
            fixture.project.dockerfiles.clear();
            fixture.project.compose.push(Source {
                path: "compose.yaml".into(),
                text: text.to_owned(),
                parsed: Compose::parse(text).expect("valid compose YAML"),
            });
            fixture
        }

        /// A project with this one Kubernetes manifest (`deploy/app.yaml`), a Dockerfile that
        /// runs as uid 65532 and exposes 8080, and code that routes /health and /ready.
        pub fn kubernetes(text: &str) -> Fixture {
            let mut fixture = Fixture::dockerfile(
                "FROM rust:1.95-trixie AS builder\nRUN cargo build --release\nFROM gcr.io/distroless/cc-debian13:nonroot\nCOPY --from=builder /target/release/app /app\nUSER 65532:65532\nEXPOSE 8080\nENTRYPOINT [\"/app\"]\n",
            );
            fixture.project.kubernetes.push(Source {
                path: "deploy/app.yaml".into(),
                text: text.to_owned(),
                parsed: Manifests::parse(text)
                    .expect("valid Kubernetes YAML")
                    .expect("Kubernetes objects"),
            });
            fixture
        }

        pub fn with_cargo(mut self, edit: impl FnOnce(&mut Cargo)) -> Fixture {
            edit(self.project.cargo.get_or_insert_with(Cargo::default));
            self
        }

        /// The dependencies these manifests enable (`(path, text)`, the root's first), with
        /// the features the fixture's Dockerfile builds with.
        pub fn with_manifests(self, manifests: &[(&str, &str)]) -> Fixture {
            let packages: Vec<(String, toml::Table, String)> = manifests
                .iter()
                .map(|(path, text)| {
                    let dir = path.trim_end_matches("Cargo.toml").trim_end_matches('/');
                    let table = toml::from_str(text).expect("a valid manifest");
                    (dir.to_owned(), table, (*text).to_owned())
                })
                .collect();
            let workspace_dependencies = packages[0]
                .1
                .get("workspace")
                .and_then(|w| w.get("dependencies"))
                .and_then(|d| d.as_table())
                .cloned();
            let requested = crate::check::project::requested_features(&self.project.dockerfiles);
            let dependencies = crate::check::project::enabled_dependencies(
                &packages,
                workspace_dependencies.as_ref(),
                &requested,
            );
            self.with_cargo(|cargo| cargo.dependencies = dependencies)
        }

        pub fn with_dependency(self, name: &str, dependency: Dependency) -> Fixture {
            self.with_cargo(|cargo| {
                cargo.dependencies.insert(name.to_owned(), dependency);
            })
        }

        /// `.dockerignore` with these patterns, or none at all.
        pub fn with_dockerignore(mut self, patterns: Option<&[&str]>) -> Fixture {
            self.project.dockerignores = patterns
                .map(|patterns| DockerIgnore {
                    path: ".dockerignore".into(),
                    patterns: patterns.iter().map(|p| p.to_string()).collect(),
                    ..DockerIgnore::default()
                })
                .into_iter()
                .collect();
            self
        }

        pub fn with_project(mut self, edit: impl FnOnce(&mut Project)) -> Fixture {
            edit(&mut self.project);
            self
        }

        /// `file:line` of each finding of `rule` alone.
        pub fn findings(&self, rule: &'static Rule) -> Vec<String> {
            self.run(rule)
                .iter()
                .map(|finding| format!("{}:{}", finding.file, finding.line))
                .collect()
        }

        pub fn run(&self, rule: &'static Rule) -> Vec<Finding> {
            let mut findings: Vec<Finding> = run_all(&self.project)
                .into_iter()
                .filter(|finding| finding.rule == rule.id)
                .collect();
            findings.dedup();
            findings
        }
    }
}
