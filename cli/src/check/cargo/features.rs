//! Feature resolution as cargo does it: which dependencies a build enables, with which
//! features, from the packages' `[features]` and the Dockerfile's `--features`.

use super::Dependency;
use crate::check::files::Source;
use crate::check::model::Model;
use std::collections::{BTreeMap, BTreeSet};

/// The features the Dockerfiles' cargo commands ask for (`--features a,b`, `-F a`,
/// `--all-features`): `None` for all of them.
pub fn requested_features(dockerfiles: &[Source<Model>]) -> Option<Vec<String>> {
    let mut requested = Vec::new();
    for command in dockerfiles
        .iter()
        .flat_map(|file| &file.parsed.cargo_commands)
    {
        if command.has("--all-features") {
            return None;
        }
        for list in command
            .values("--features")
            .into_iter()
            .chain(command.values("-F"))
        {
            requested.extend(
                list.split([',', ' '])
                    .filter(|feature| !feature.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    Some(requested)
}

/// One package's `[features]` and `[dependencies]`, read for feature resolution.
struct PackageFeatures {
    name: String,
    features: BTreeMap<String, Vec<String>>,
    /// By the key the manifest uses: (dependency, optional, whether it is a path dependency).
    dependencies: BTreeMap<String, (String, Dependency, bool, bool)>,
}

/// The dependencies a build enables, as cargo resolves features: every package's default
/// features and those the Dockerfile asks for (`None`: all), followed through `[features]`
/// (`dep:x`, `x/feature`, `x?/feature`, another feature, a member's `member/feature`). An
/// optional dependency counts only when a feature enables it; one declared by several packages
/// counts once, with the features of all (cargo unifies them).
pub fn enabled_dependencies(
    packages: &[(String, toml::Table, String)],
    workspace_dependencies: Option<&toml::Table>,
    requested: &Option<Vec<String>>,
) -> BTreeMap<String, Dependency> {
    let read: Vec<PackageFeatures> = packages
        .iter()
        .filter_map(|(dir, table, text)| {
            let package = table.get("package")?.as_table()?;
            let manifest = if dir.is_empty() {
                "Cargo.toml".to_owned()
            } else {
                format!("{dir}/Cargo.toml")
            };
            let features = table
                .get("features")
                .and_then(|f| f.as_table())
                .map(|features| {
                    features
                        .iter()
                        .map(|(name, enables)| {
                            let enables = enables
                                .as_array()
                                .map(|list| {
                                    list.iter()
                                        .filter_map(|e| e.as_str().map(str::to_owned))
                                        .collect()
                                })
                                .unwrap_or_default();
                            (name.clone(), enables)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let dependencies = table
                .get("dependencies")
                .and_then(|d| d.as_table())
                .map(|dependencies| {
                    dependencies
                        .iter()
                        .map(|(key, spec)| {
                            let (name, mut dependency) =
                                dependency(key, spec, workspace_dependencies);
                            dependency.manifest = manifest.clone();
                            dependency.line = dependency_line(text, key);
                            let setting = |setting: &str| {
                                spec.as_table().and_then(|t| t.get(setting)).is_some()
                            };
                            let optional = spec
                                .as_table()
                                .and_then(|t| t.get("optional"))
                                .and_then(|o| o.as_bool())
                                == Some(true);
                            (key.clone(), (name, dependency, optional, setting("path")))
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(PackageFeatures {
                name: package.get("name")?.as_str()?.to_owned(),
                features,
                dependencies,
            })
        })
        .collect();
    let package_index = |name: &str| read.iter().position(|package| package.name == name);
    // (package, feature) pairs still to follow; every package's defaults to begin with.
    let mut pending: Vec<(usize, String)> = Vec::new();
    let mut enabled_features: BTreeSet<(usize, String)> = BTreeSet::new();
    let mut enabled_optional: BTreeSet<(usize, String)> = BTreeSet::new();
    let mut extra_features: BTreeMap<(usize, String), Vec<String>> = BTreeMap::new();
    for (index, package) in read.iter().enumerate() {
        pending.push((index, "default".to_owned()));
        match requested {
            None => pending.extend(package.features.keys().map(|f| (index, f.clone()))),
            Some(requested) => {
                for feature in requested {
                    match feature.split_once('/') {
                        Some((owner, feature)) if owner == package.name => {
                            pending.push((index, feature.to_owned()))
                        }
                        Some(_) => {}
                        None => pending.push((index, feature.clone())),
                    }
                }
            }
        }
        // A member depended on with features turns those on in the member.
        for (name, dependency, _, path) in package.dependencies.values() {
            if let (true, Some(member)) = (*path, package_index(name)) {
                pending.extend(dependency.features.iter().map(|f| (member, f.clone())));
            }
        }
    }
    while let Some((index, feature)) = pending.pop() {
        if !enabled_features.insert((index, feature.clone())) {
            continue;
        }
        let package = &read[index];
        let Some(enables) = package.features.get(&feature) else {
            // An optional dependency's implicit feature of the same name.
            if package.dependencies.contains_key(&feature) {
                enabled_optional.insert((index, feature));
            }
            continue;
        };
        for entry in enables {
            if let Some(key) = entry.strip_prefix("dep:") {
                enabled_optional.insert((index, key.to_owned()));
            } else if let Some((key, dependency_feature)) = entry.split_once('/') {
                let (key, weak) = match key.strip_suffix('?') {
                    Some(key) => (key, true),
                    None => (key, false),
                };
                if !weak {
                    enabled_optional.insert((index, key.to_owned()));
                }
                extra_features
                    .entry((index, key.to_owned()))
                    .or_default()
                    .push(dependency_feature.to_owned());
                if let Some((name, _, _, true)) = package.dependencies.get(key)
                    && let Some(member) = package_index(name)
                {
                    pending.push((member, dependency_feature.to_owned()));
                }
            } else {
                pending.push((index, entry.clone()));
            }
        }
    }
    let mut enabled: BTreeMap<String, Dependency> = BTreeMap::new();
    for (index, package) in read.iter().enumerate() {
        for (key, (name, dependency, optional, _)) in &package.dependencies {
            if *optional && !enabled_optional.contains(&(index, key.clone())) {
                continue;
            }
            let mut dependency = dependency.clone();
            if let Some(extra) = extra_features.get(&(index, key.clone())) {
                dependency.features.extend(extra.iter().cloned());
            }
            match enabled.get_mut(name) {
                Some(earlier) => {
                    earlier.default_features |= dependency.default_features;
                    earlier.features.extend(dependency.features);
                    earlier.version = earlier.version.take().or(dependency.version);
                }
                None => {
                    enabled.insert(name.clone(), dependency);
                }
            }
        }
    }
    enabled
}

/// A dependency as cargo resolves its declaration: `foo.workspace = true` takes the
/// workspace's entry and adds its own features; `package = "..."` renames.
fn dependency(
    key: &str,
    spec: &toml::Value,
    workspace_dependencies: Option<&toml::Table>,
) -> (String, Dependency) {
    let own = spec.as_table();
    let inherits = own
        .and_then(|t| t.get("workspace"))
        .and_then(|w| w.as_bool())
        == Some(true);
    let base = inherits
        .then(|| workspace_dependencies?.get(key)?.as_table())
        .flatten();
    let features = |table: Option<&toml::Table>| -> Vec<String> {
        table
            .and_then(|t| t.get("features"))
            .and_then(|f| f.as_array())
            .map(|features| {
                features
                    .iter()
                    .filter_map(|f| f.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let setting = |name: &str| {
        [own, base]
            .into_iter()
            .flatten()
            .find_map(|table| table.get(name))
    };
    let default_features = match base {
        // cargo takes default features from the workspace's entry when a member inherits.
        Some(base) => base
            .get("default-features")
            .or(base.get("default_features")),
        None => setting("default-features").or(setting("default_features")),
    }
    .and_then(|v| v.as_bool())
    .unwrap_or(true);
    let mut all_features = features(base);
    all_features.extend(features(own));
    let name = setting("package")
        .and_then(|p| p.as_str())
        .unwrap_or(key)
        .to_owned();
    let version = match spec {
        toml::Value::String(version) => Some(version.clone()),
        _ => setting("version")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
    };
    (
        name,
        Dependency {
            default_features,
            features: all_features,
            version,
            ..Dependency::default()
        },
    )
}

/// The line declaring a dependency: `name = ...`, `name.workspace = true`, `[dependencies.name]`.
fn dependency_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            let declares = line.strip_prefix(key).is_some_and(|rest| {
                rest.trim_start().starts_with(['=', '.'])
                    || rest.starts_with(char::is_whitespace) && rest.trim_start().starts_with('=')
            });
            declares || line.trim_end() == format!("[dependencies.{key}]")
        })
        .map_or(1, |index| index + 1)
}
