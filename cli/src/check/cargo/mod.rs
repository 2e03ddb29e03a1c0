//! The Cargo model: the package (and workspace members) a Dockerfile builds, as cargo reads
//! them: binaries, rust-version, edition, profiles, and the dependencies the build enables.

mod features;
mod tls;

pub use features::{enabled_dependencies, requested_features};
pub use tls::Tls;

use crate::check::files::{Source, read_text};
use crate::check::model::Model;
use anyhow::{Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A dependency as the build enables it: enough to tell which TLS stack it pulls in.
#[derive(Debug, Clone, Default)]
pub struct Dependency {
    pub default_features: bool,
    /// Its own features and those the packages' enabled features turn on (`awc/rustls`).
    pub features: Vec<String>,
    /// The version requirement as written (`0.12.8`, `^0.13`), when there is one.
    pub version: Option<String>,
    pub manifest: String,
    pub line: usize,
}

impl Dependency {
    /// The (major, minor) of its version requirement: `^0.12.8` is (0, 12).
    pub fn major_minor(&self) -> Option<(u32, u32)> {
        let requirement = self.version.as_deref()?;
        let version = requirement.trim_start_matches(|c: char| !c.is_ascii_digit());
        let mut numbers = version.split(['.', ',', ' ']);
        let major = numbers.next()?.parse().ok()?;
        let minor = numbers.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        Some((major, minor))
    }
}

#[derive(Default)]
pub struct Cargo {
    /// The manifest findings about the package point at.
    pub manifest: String,
    pub manifest_text: String,
    pub bins: BTreeSet<String>,
    pub rust_version: Option<String>,
    pub edition: Option<String>,
    pub release_profile: Option<toml::Table>,
    /// Every `[profile.*]` table, by name.
    pub profiles: toml::Table,
    pub dependencies: BTreeMap<String, Dependency>,
    /// Every manifest read (the root's and the members'), by path, with its text.
    pub manifests: Vec<(String, String)>,
}

/// The directory (relative to the root, `""` for the root) whose Cargo.toml the image is
/// built from: the root's, else the one directory a Dockerfile copies or the context holds
/// that has one (`COPY app /app` with app/Cargo.toml).
pub fn manifest_dir(root: &Path, dockerfiles: &[Source<Model>]) -> Option<String> {
    if root.join("Cargo.toml").is_file() {
        return Some(String::new());
    }
    let has_manifest = |dir: &str| !dir.is_empty() && root.join(dir).join("Cargo.toml").is_file();
    let mut copied: Vec<String> = dockerfiles
        .iter()
        .flat_map(|file| {
            let model = &file.parsed;
            model
                .context_copies
                .iter()
                .filter(|copy| model.instruction(copy.instruction).keyword == "COPY")
                .flat_map(|copy| &copy.sources)
        })
        .map(|source| {
            source
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_owned()
        })
        .filter(|dir| has_manifest(dir))
        .collect();
    copied.dedup();
    if copied.len() == 1 {
        return copied.pop();
    }
    let children: Vec<String> = fs_err::read_dir(root)
        .ok()?
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|dir| has_manifest(dir) && dir != "target")
        .collect();
    (children.len() == 1).then(|| children[0].clone())
}

pub fn load_cargo(root: &Path, base: &str, requested: &Option<Vec<String>>) -> Result<Cargo> {
    let in_base = |path: &str| {
        if base.is_empty() {
            path.to_owned()
        } else {
            format!("{base}/{path}")
        }
    };
    let manifest_path = in_base("Cargo.toml");
    let manifest_text = read_text(root, &manifest_path)?;
    let manifest: toml::Table =
        toml::from_str(&manifest_text).with_context(|| format!("while reading {manifest_path}"))?;
    let mut cargo = Cargo {
        manifest: manifest_path.clone(),
        manifest_text: manifest_text.clone(),
        ..Cargo::default()
    };
    cargo.profiles = manifest
        .get("profile")
        .and_then(|profile| profile.as_table())
        .cloned()
        .unwrap_or_default();
    cargo.release_profile = cargo
        .profiles
        .get("release")
        .and_then(|release| release.as_table())
        .cloned();
    let workspace = manifest.get("workspace").and_then(|w| w.as_table());
    let workspace_package = workspace
        .and_then(|w| w.get("package"))
        .and_then(|p| p.as_table());
    let workspace_dependencies = workspace
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table());
    let mut packages = vec![(base.to_owned(), manifest.clone(), manifest_text.clone())];
    if let Some(workspace) = workspace {
        for dir in workspace_members(&root.join(base), workspace)? {
            let relative = dir
                .strip_prefix(root)
                .unwrap_or(&dir)
                .to_string_lossy()
                .replace('\\', "/");
            let member_manifest = format!("{relative}/Cargo.toml");
            let text = read_text(root, &member_manifest).with_context(|| {
                format!(
                    "while reading workspace member {relative}: workspace.members in \
                     Cargo.toml lists it, and cargo fails to load it the same way"
                )
            })?;
            let table = toml::from_str::<toml::Table>(&text).with_context(|| {
                format!("while reading {member_manifest}, a workspace member: it is not a valid manifest")
            })?;
            packages.push((relative, table, text));
        }
    }
    for (dir, table, text) in &packages {
        let manifest_path = if dir.is_empty() {
            "Cargo.toml".to_owned()
        } else {
            format!("{dir}/Cargo.toml")
        };
        cargo.manifests.push((manifest_path.clone(), text.clone()));
        let Some(package) = table.get("package").and_then(|p| p.as_table()) else {
            continue;
        };
        let inherited = |key: &str| -> Option<String> {
            match package.get(key)? {
                toml::Value::String(value) => Some(value.clone()),
                toml::Value::Table(t)
                    if t.get("workspace").and_then(|w| w.as_bool()) == Some(true) =>
                {
                    workspace_package?.get(key)?.as_str().map(str::to_owned)
                }
                _ => None,
            }
        };
        if cargo.rust_version.is_none() {
            cargo.rust_version = inherited("rust-version");
        }
        if cargo.edition.is_none() {
            cargo.edition = inherited("edition");
        }
        let package_dir = root.join(dir);
        let name = package
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or_default();
        if package_dir.join("src/main.rs").is_file() {
            cargo.bins.insert(name.to_owned());
        }
        if let Some(bins) = table.get("bin").and_then(|b| b.as_array()) {
            for bin in bins {
                if let Some(bin_name) = bin.get("name").and_then(|n| n.as_str()) {
                    cargo.bins.insert(bin_name.to_owned());
                }
            }
        }
        if let Ok(entries) = fs_err::read_dir(package_dir.join("src/bin")) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|ext| ext == "rs") {
                    cargo
                        .bins
                        .insert(path.file_stem().unwrap().to_string_lossy().into_owned());
                } else if path.join("main.rs").is_file() {
                    cargo
                        .bins
                        .insert(entry.file_name().to_string_lossy().into_owned());
                }
            }
        }
    }
    cargo.dependencies = enabled_dependencies(&packages, workspace_dependencies, requested);
    Ok(cargo)
}

/// The member directories as cargo expands `workspace.members` (glob patterns, with `exclude`
/// applied to what a pattern matched), the root package itself left out.
fn workspace_members(root: &Path, workspace: &toml::Table) -> Result<Vec<PathBuf>> {
    let strings = |key: &str| -> Vec<String> {
        workspace
            .get(key)
            .and_then(|m| m.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let excluded: Vec<PathBuf> = strings("exclude")
        .iter()
        .map(|path| normalise(&root.join(path)))
        .collect();
    let mut members: Vec<PathBuf> = Vec::new();
    for member in strings("members") {
        let literal = normalise(&root.join(&member));
        let pattern = literal.to_string_lossy().into_owned();
        let matched: Vec<PathBuf> = glob::glob(&pattern)
            .with_context(|| format!("workspace.members has {member:?}, not a valid glob pattern"))?
            .filter_map(|path| path.ok())
            .collect();
        // As cargo does: a pattern that matches nothing stands for the path itself, and of
        // what it matches only directories count.
        let paths = if matched.is_empty() {
            vec![literal.clone()]
        } else {
            matched
                .into_iter()
                .filter(|path| path.is_dir())
                .filter(|path| *path == literal || !excluded.iter().any(|ex| path.starts_with(ex)))
                .collect()
        };
        for path in paths {
            if path != normalise(root) && !members.contains(&path) {
                members.push(path);
            }
        }
    }
    Ok(members)
}

/// `a/./b/../c` as `a/c`, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
