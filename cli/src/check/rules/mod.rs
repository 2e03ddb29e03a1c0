//! The rules: one file each (id, severity, why, fix, `--explain` text and logic together), all
//! registered in `RULES`. A rule reads a model computed once (`Model` for a Dockerfile,
//! `Cargo`, `Compose`), never the raw text.

pub mod cargo;
pub mod compose;
pub mod dockerfile;
pub mod image;
pub mod kubernetes;
pub mod project;
#[cfg(test)]
pub mod testing;

use super::compose::Compose;
pub use super::finding::{Finding, Severity};
use super::kubernetes::{Container, Manifests};
use super::model::{Model, Stage};
use super::project::{DockerIgnore, Project, Source};
use std::collections::BTreeMap;

/// Every rule, in id order: what `--explain`, SARIF's rule list and the checker read.
pub const RULES: &[&Rule] = &[
    &dockerfile::cm001_single_stage::RULE,
    &dockerfile::cm002_no_dependency_cache::RULE,
    &dockerfile::cm003_unpinned_cargo_chef::RULE,
    &dockerfile::cm004_floating_tag::RULE,
    &dockerfile::cm005_libc_mismatch::RULE,
    &dockerfile::cm006_root_user::RULE,
    &dockerfile::cm007_shell_form_entrypoint::RULE,
    &dockerfile::cm008_healthcheck_cannot_run::RULE,
    &dockerfile::cm009_no_healthcheck::RULE,
    &dockerfile::cm010_unknown_binary::RULE,
    &dockerfile::cm011_expose_mismatch::RULE,
    &dockerfile::cm012_no_dockerignore::RULE,
    &dockerfile::cm013_target_in_context::RULE,
    &dockerfile::cm014_secrets_in_context::RULE,
    &dockerfile::cm015_add_for_local_files::RULE,
    &dockerfile::cm016_tls_without_ca::RULE,
    &dockerfile::cm017_openssl_static::RULE,
    &dockerfile::cm018_old_toolchain::RULE,
    &cargo::cm019_release_profile::RULE,
    &compose::cm020_panic_abort_restart::RULE,
    &compose::cm021_compose_limits::RULE,
    &compose::cm022_compose_healthcheck::RULE,
    &compose::cm023_compose_privileges::RULE,
    &compose::cm024_port_on_every_interface::RULE,
    &image::cm025_build_and_run::RULE,
    &project::cm026_ignore_comment::RULE,
    &dockerfile::cm027_exec_form_one_word::RULE,
    &project::cm028_unreadable_file::RULE,
    &kubernetes::cm101_privilege_escalation::RULE,
    &kubernetes::cm102_run_as_non_root::RULE,
    &kubernetes::cm103_run_as_root_uid::RULE,
    &kubernetes::cm104_seccomp_profile::RULE,
    &kubernetes::cm105_capabilities::RULE,
    &kubernetes::cm106_host_access::RULE,
    &kubernetes::cm107_missing_probes::RULE,
    &kubernetes::cm108_probe_port::RULE,
    &kubernetes::cm109_probe_path::RULE,
    &kubernetes::cm110_resources::RULE,
    &kubernetes::cm111_floating_image::RULE,
    &kubernetes::cm112_grace_period::RULE,
    &kubernetes::cm113_read_only_root_writes::RULE,
    &kubernetes::cm114_writable_root_filesystem::RULE,
];

pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub why: &'static str,
    pub fix: &'static str,
    pub explain: &'static str,
    pub check: Check,
}

impl Rule {
    /// A finding of this rule, at its default severity.
    pub fn finding(&self, file: &str, line: usize, message: String) -> Finding {
        Finding {
            rule: self.id.to_owned(),
            severity: self.severity,
            file: file.to_owned(),
            line,
            message,
            why: self.why.to_owned(),
            fix: self.fix.to_owned(),
        }
    }
}

/// What a rule reads. A new kind of file gets its model in `Project` and a variant here.
pub enum Check {
    /// Runs once per Dockerfile.
    Dockerfile(fn(&DockerfileContext, &mut Report)),
    /// Runs once per project that has a Cargo.toml.
    Cargo(fn(&Project, &super::cargo::Cargo, &mut Report)),
    /// Runs once per compose file.
    Compose(fn(&ComposeContext, &mut Report)),
    /// Runs once per YAML file of Kubernetes objects.
    Kubernetes(fn(&KubernetesContext, &mut Report)),
    /// Runs only with `--build`: it needs the image built and running.
    Build(fn(&Project) -> anyhow::Result<Vec<Finding>>),
    /// Runs once per project, on what it is as a whole (the files it could not read).
    Project(fn(&Project, &mut Report)),
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
    /// The crate that brings TLS into the build and the final stage, when there are both.
    pub fn tls(&self) -> Option<(super::cargo::Tls, &Stage)> {
        let tls = self.project.cargo.as_ref()?.tls()?;
        Some((tls, self.model.final_stage()?))
    }

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
        let mut finding = self.rule.finding(self.file, line, message.into());
        finding.severity = severity;
        self.findings.push(finding);
    }

    /// A finding in another file than the one checked (`.dockerignore`, a member's manifest).
    pub fn in_file(&mut self, file: &str, line: usize, message: impl Into<String>) {
        self.findings
            .push(self.rule.finding(file, line, message.into()));
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
            Check::Project(check) => check(project, &mut Report::new(rule, "", &mut findings)),
            Check::Build(_) => {}
        }
    }
    findings.retain(|finding| {
        !ignores
            .iter()
            .any(|ignore| ignore.file == finding.file && ignore.covers(&finding.rule, finding.line))
    });
    findings
}

/// Every rule that needs the image built and running (`--build`), on `project`.
pub fn run_built(project: &Project) -> anyhow::Result<Vec<Finding>> {
    let mut findings = Vec::new();
    for rule in RULES {
        if let Check::Build(prove) = rule.check {
            findings.extend(prove(project)?);
        }
    }
    Ok(findings)
}

/// What every rule file needs.
mod prelude {
    pub(super) use super::{
        Check, ComposeContext, DockerfileContext, KubernetesContext, Report, Rule, Severity::*,
    };
    pub(super) use crate::check::cargo::Cargo;
    pub(super) use crate::check::dockerfile::Form;
    pub(super) use crate::check::finding::Finding;
    pub(super) use crate::check::images;
    pub(super) use crate::check::model::{CopySource, Stage};
    pub(super) use crate::check::project::{Project, line_of};
    pub(super) use crate::vocabulary::Libc;
}
