//! Reading a project the way `check` sees it: Dockerfiles, Cargo.toml (workspace-aware),
//! compose files, .dockerignore and Kubernetes manifests, each into its model. It needs no
//! answers file, so any project can be checked.

pub mod discovery;
pub mod dockerignore;
pub mod source;

pub use super::files::{Source, line_of};
pub use discovery::{BuildContext, build_contexts};
pub use dockerignore::DockerIgnore;

use super::cargo::{self, Cargo};
use super::compose::Compose;
use super::files::{Unreadable, read_noting, within};
use super::ignore::{self, IgnoreComment};
use super::kubernetes::Manifests;
use super::model::Model;
use anyhow::Result;
use discovery::COMPOSE_FILES;
use std::path::{Path, PathBuf};

pub struct Project {
    pub root: PathBuf,
    pub dockerfiles: Vec<Source<Model>>,
    pub cargo: Option<Cargo>,
    pub compose: Vec<Source<Compose>>,
    /// `.dockerignore` and the per-Dockerfile `<Dockerfile>.dockerignore` files.
    pub dockerignores: Vec<DockerIgnore>,
    /// Files that hold secrets and sit in the build context: `.env`, `.env.*`.
    pub env_files: Vec<String>,
    /// Ports the code binds by default, with where it says so.
    pub code_ports: Vec<(u16, String, usize)>,
    /// YAML files anywhere in the project that hold Kubernetes objects (kustomize bases too).
    pub kubernetes: Vec<Source<Manifests>>,
    /// The HTTP paths the code routes (`web::resource("/health")`, `#[get("/ready")]`, with
    /// the prefix of a `web::scope`); empty when none can be read from it.
    pub code_routes: Vec<String>,
    /// The files check tried to read and could not, with why: each is a finding (CM028).
    pub unreadable: Vec<Unreadable>,
}

impl Project {
    /// The project at `root` with these Dockerfiles (paths relative to `root`): its
    /// Cargo.toml, compose files and ignore files, and, with `kubernetes`, the manifests
    /// anywhere below it. A file that cannot be read is kept in `unreadable` and the rest is
    /// read all the same; only a `root` that cannot be listed is an error.
    pub fn load(root: &Path, dockerfiles: Vec<Source<Model>>, kubernetes: bool) -> Result<Project> {
        let mut unreadable = Vec::new();
        // Anything but a directory: a pipe or a device named compose.yaml is reported, not
        // passed over.
        let mut names: Vec<String> = fs_err::read_dir(root)?
            .filter_map(|entry| entry.ok())
            .filter(|entry| !entry.path().is_dir())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        // `<Dockerfile>.dockerignore` sits beside its Dockerfile, which may be deeper.
        for file in &dockerfiles {
            let own = format!("{}.dockerignore", file.path);
            if own.contains('/') && root.join(&own).is_file() {
                names.push(own);
            }
        }
        let mut compose = Vec::new();
        for name in names
            .iter()
            .filter(|name| COMPOSE_FILES.contains(&name.as_str()))
        {
            let Some(text) = read_noting(root, name, &mut unreadable) else {
                continue;
            };
            match Compose::parse(&text) {
                Ok(mut parsed) => {
                    parsed.overrides = name.contains(".override.");
                    compose.push(Source {
                        path: name.clone(),
                        text,
                        parsed,
                    });
                }
                Err(error) => {
                    let reason = format!("{error:#}");
                    let reason = reason.lines().next().unwrap_or_default();
                    unreadable.push(Unreadable::new(name, reason));
                }
            }
        }
        let mut dockerignores = Vec::new();
        for name in names.iter().filter(|name| name.ends_with(".dockerignore")) {
            if let Some(text) = read_noting(root, name, &mut unreadable) {
                dockerignores.push(DockerIgnore::parse(name, text));
            }
        }
        // Templates (`.env.example`) hold no secrets; everything else named `.env*` may.
        let env_files = names
            .iter()
            .filter(|name| *name == ".env" || name.starts_with(".env."))
            .filter(|name| {
                !["example", "sample", "template", "dist", "tmpl", "defaults"]
                    .iter()
                    .any(|suffix| name.ends_with(&format!(".{suffix}")))
            })
            .cloned()
            .collect();
        let cargo = cargo::manifest_dir(root, &dockerfiles).and_then(|base| {
            let requested = cargo::requested_features(&dockerfiles);
            cargo::load_cargo(root, &base, &requested, &mut unreadable)
        });
        let targets = cargo.as_ref().map_or(&[][..], |cargo| &cargo.sources[..]);
        let code = source::code(root, targets, &mut unreadable);
        let code_ports = source::code_ports(&code);
        let mut kubernetes = if kubernetes {
            discovery::kubernetes_manifests(root, &mut unreadable)?
        } else {
            Vec::new()
        };
        mark_patches(&mut kubernetes);
        let code_routes = source::code_routes(&code);
        Ok(Project {
            root: root.to_owned(),
            dockerfiles,
            cargo,
            compose,
            dockerignores,
            env_files,
            code_ports,
            kubernetes,
            code_routes,
            unreadable,
        })
    }

    /// Whether anything was read into a model: the project is checked, not only reported.
    pub fn read_anything(&self) -> bool {
        !self.dockerfiles.is_empty()
            || self.cargo.is_some()
            || !self.compose.is_empty()
            || !self.kubernetes.is_empty()
    }

    /// Every `check:ignore=` comment in the files check reads.
    pub fn ignore_comments(&self) -> Vec<IgnoreComment> {
        let mut found = Vec::new();
        for file in &self.dockerfiles {
            found.extend(ignore::comments(&file.path, &file.text, false));
        }
        for file in self
            .compose
            .iter()
            .map(|f| (&f.path, &f.text))
            .chain(self.kubernetes.iter().map(|f| (&f.path, &f.text)))
        {
            found.extend(ignore::comments(file.0, file.1, true));
        }
        for ignore_file in &self.dockerignores {
            found.extend(ignore::comments(
                &ignore_file.path,
                &ignore_file.text,
                false,
            ));
        }
        if let Some(cargo) = &self.cargo {
            for (path, text) in &cargo.manifests {
                found.extend(ignore::comments(path, text, true));
            }
        }
        found
    }

    /// The ignore file a build with `dockerfile` reads: BuildKit prefers
    /// `<Dockerfile>.dockerignore` beside it to the context's `.dockerignore`.
    pub fn dockerignore_for(&self, dockerfile: &str) -> Option<&DockerIgnore> {
        let own = format!("{dockerfile}.dockerignore");
        self.dockerignores
            .iter()
            .find(|ignore| ignore.path == own)
            .or_else(|| {
                self.dockerignores
                    .iter()
                    .find(|ignore| ignore.path == ".dockerignore")
            })
    }
}

/// Marks the pods of every file a kustomization in the project names as a patch: a patch
/// says what it changes and leaves the rest to its base.
fn mark_patches(manifests: &mut [Source<Manifests>]) {
    let patches: Vec<String> = manifests
        .iter()
        .flat_map(|file| {
            let dir = file.path.rsplit_once('/').map_or("", |(dir, _)| dir);
            file.parsed
                .patch_files
                .iter()
                .filter_map(move |patch| within(&format!("{dir}/{patch}")))
        })
        .collect();
    for file in manifests.iter_mut() {
        if patches.contains(&file.path) {
            for pod in &mut file.parsed.pods {
                pod.patch = true;
            }
        }
    }
}
