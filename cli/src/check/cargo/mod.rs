//! The Cargo model: the package (and workspace members) a Dockerfile builds, as cargo reads
//! them: binaries, rust-version, edition, profiles, and the dependencies the build enables.

mod features;
mod tls;

pub use features::{enabled_dependencies, requested_features};
pub use tls::Tls;

use crate::check::files::{Source, Unreadable, read_text, within};
use crate::check::model::Model;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

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
    /// The source files the package's manifest names as targets (`[[bin]] path =
    /// "version.rs"`), relative to the project root: code outside `src/` that builds the
    /// service. Members' targets are left out: in a workspace of services they are others'.
    pub sources: Vec<String>,
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
                .flat_map(|copy| copy.paths())
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

/// The Cargo model of the package at `base` (relative to `root`, `""` for the root) and its
/// workspace members, or `None` when its Cargo.toml cannot be read. A member that cannot be
/// read (missing, a pipe, invalid, outside the project) is added to `unreadable`, and the model
/// is made of the rest.
pub fn load_cargo(
    root: &Path,
    base: &str,
    requested: &Option<Vec<String>>,
    unreadable: &mut Vec<Unreadable>,
) -> Option<Cargo> {
    let manifest_path = in_dir(base, "Cargo.toml");
    let (manifest, manifest_text) = match read_manifest(root, &manifest_path) {
        Ok(read) => read,
        Err(why) => {
            unreadable.push(why);
            return None;
        }
    };
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
        for dir in workspace_members(root, base, &manifest_path, workspace, unreadable) {
            let member_manifest = in_dir(&dir, "Cargo.toml");
            match read_manifest(root, &member_manifest) {
                Ok((table, text)) => packages.push((dir, table, text)),
                Err(mut why) => {
                    why.reason = format!(
                        "{}; {manifest_path} lists it as a workspace member, and cargo fails to \
                         load the workspace the same way (a sparse checkout, or a build context \
                         without it?)",
                        why.reason
                    );
                    unreadable.push(why);
                }
            }
        }
    }
    for (dir, table, text) in &packages {
        cargo
            .manifests
            .push((in_dir(dir, "Cargo.toml"), text.clone()));
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
        let targets = table
            .get("bin")
            .and_then(|b| b.as_array())
            .into_iter()
            .flatten();
        // The package's own targets only: a member's code is another service's as often as not.
        for target in targets.chain(table.get("lib")).filter(|_| dir == base) {
            if let Some(path) = target.get("path").and_then(|p| p.as_str()) {
                cargo.sources.push(in_dir(dir, path));
            }
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
    Some(cargo)
}

/// A manifest's table and text, or why it cannot be read as one.
fn read_manifest(root: &Path, path: &str) -> Result<(toml::Table, String), Unreadable> {
    let text = read_text(root, path)?;
    match toml::from_str::<toml::Table>(&text) {
        Ok(table) => Ok((table, text)),
        Err(error) => Err(Unreadable::new(
            path,
            format!(
                "it is not a valid manifest: {}",
                error.message().lines().next().unwrap_or_default()
            ),
        )),
    }
}

/// `dir/name`, or `name` in the root.
fn in_dir(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// The member directories, relative to `root`, as cargo expands `workspace.members` of the
/// manifest in `base`: glob patterns, with `exclude` applied to what a pattern matched; a
/// pattern that matches nothing stands for itself (cargo then fails to load it, and so does
/// reading it here); the root package itself left out. A member above the project is not read:
/// it is added to `unreadable`, as is a pattern that is no glob.
fn workspace_members(
    root: &Path,
    base: &str,
    manifest_path: &str,
    workspace: &toml::Table,
    unreadable: &mut Vec<Unreadable>,
) -> Vec<String> {
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
    let excluded: Vec<String> = strings("exclude")
        .iter()
        .filter_map(|path| within(&in_dir(base, path)))
        .collect();
    let prefix = format!("{}/", glob::Pattern::escape(&root.to_string_lossy()));
    let mut members: Vec<String> = Vec::new();
    for member in strings("members") {
        let Some(literal) = within(&in_dir(base, &member)) else {
            unreadable.push(Unreadable::new(
                manifest_path,
                format!(
                    "workspace.members lists {member:?}, which is outside the checked \
                     directory: check reads only the project, and a build from this \
                     directory cannot see it either"
                ),
            ));
            continue;
        };
        let matched: Vec<String> = match glob::glob(&format!("{prefix}{literal}")) {
            Ok(paths) => paths
                .filter_map(|path| path.ok())
                .filter(|path| path.is_dir())
                .filter_map(|path| {
                    let relative = path.strip_prefix(root).ok()?;
                    Some(relative.to_string_lossy().replace('\\', "/"))
                })
                .collect(),
            Err(_) => {
                unreadable.push(Unreadable::new(
                    manifest_path,
                    format!("workspace.members has {member:?}, which is not a valid glob pattern"),
                ));
                continue;
            }
        };
        let paths = if matched.is_empty() {
            vec![literal.clone()]
        } else {
            matched
                .into_iter()
                .filter(|path| {
                    *path == literal
                        || !excluded
                            .iter()
                            .any(|ex| path == ex || path.starts_with(&format!("{ex}/")))
                })
                .collect()
        };
        for path in paths {
            if path != base && !members.contains(&path) {
                members.push(path);
            }
        }
    }
    members
}

#[cfg(test)]
mod tests {
    use crate::check::files::within;

    #[test]
    fn member_paths_are_resolved_within_the_project() {
        assert_eq!(within("crates/./api/../web").as_deref(), Some("crates/web"));
        assert_eq!(within("app/../crates/*").as_deref(), Some("crates/*"));
        assert_eq!(within("../shared"), None);
        assert_eq!(within("app/../../shared"), None);
    }
}
