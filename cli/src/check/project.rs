//! Reading a project the way `check` sees it: Dockerfiles, Cargo.toml (workspace-aware),
//! compose files and .dockerignore. It needs no answers file, so any project can be checked.

use super::compose::Compose;
use super::ignore::{self, IgnoreComment};
use super::kubernetes::Manifests;
use super::model::Model;
use anyhow::{Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub struct Source<T> {
    /// Relative to the project root, with `/` separators: what findings name.
    pub path: String,
    pub text: String,
    pub parsed: T,
}

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
    /// The HTTP paths the code routes (`web::resource("/health")`, `#[get("/ready")]`); empty
    /// when none can be read from it.
    pub code_routes: Vec<String>,
}

/// An ignore file for the build context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerIgnore {
    pub path: String,
    pub patterns: Vec<String>,
    pub text: String,
}

const COMPOSE_FILES: [&str; 8] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// Directories no Dockerfile of the service's own lives in: build output, dependencies, and
/// test fixtures (images of the databases a test suite talks to, say).
const NOT_SEARCHED: [&str; 7] = [
    "target",
    "node_modules",
    "vendor",
    "tests",
    "test",
    "testdata",
    "fixtures",
];

/// How deep below the checked directory Dockerfiles are looked for (`docker/`,
/// `deploy/build/`, `crates/gateway/docker/`).
const DOCKERFILE_DEPTH: usize = 3;

/// The files below `root` (anything not a directory), relative to it with `/` separators,
/// sorted: at most `depth` directories down, into those `descend` allows (given the path and
/// the name). Links to directories are not followed, so the walk stays in the project; a
/// subdirectory that cannot be listed (a database's bind mount, owned by its uid with mode
/// 700) is passed over, and only `root` itself must be readable.
fn files_below(
    root: &Path,
    depth: usize,
    descend: impl Fn(&Path, &str) -> bool,
) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![(String::new(), 0)];
    while let Some((dir, level)) = pending.pop() {
        let entries = match fs_err::read_dir(root.join(&dir)) {
            Ok(entries) => entries,
            Err(_) if !dir.is_empty() => continue,
            Err(error) => return Err(error.into()),
        };
        for entry in entries.filter_map(|entry| entry.ok()) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let relative = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            let path = entry.path();
            let linked = entry.file_type().is_ok_and(|kind| kind.is_symlink());
            if path.is_dir() {
                if level < depth && !linked && descend(&path, &name) {
                    pending.push((relative, level + 1));
                }
            } else {
                found.push(relative);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// A build context and the Dockerfiles built from it.
pub struct BuildContext {
    /// Relative to the checked directory, `/` separated; `""` for the directory itself.
    pub dir: String,
    /// Paths relative to `dir`.
    pub dockerfiles: Vec<Source<Model>>,
}

/// Every Dockerfile in `root` and its subdirectories (up to three levels, not hidden ones,
/// those in `NOT_SEARCHED` or cargo-generate templates), grouped by the build context each
/// is built from. A Dockerfile
/// in a subdirectory is built from the checked directory (`docker build -f docker/Dockerfile
/// .`, the usual way) unless what it copies is found in its own directory and not at the top
/// (`COPY rootfs /` beside docker/rootfs/), or nothing says and its directory is a Cargo
/// project of its own. The checked directory comes first, even with no Dockerfile.
pub fn build_contexts(root: &Path) -> Result<Vec<BuildContext>> {
    let searched = |path: &Path, name: &str| {
        // A cargo-generate template's files are rendered before anything builds them.
        !name.starts_with('.')
            && !NOT_SEARCHED.contains(&name)
            && !path.join("cargo-generate.toml").is_file()
    };
    let mut found = Vec::new();
    for relative in files_below(root, DOCKERFILE_DEPTH, searched)? {
        let name = relative.rsplit('/').next().unwrap_or(&relative);
        if !is_dockerfile(name) {
            continue;
        }
        let path = root.join(&relative);
        anyhow::ensure!(
            path.is_file(),
            "{relative} is a symbolic link to {}, which does not exist: point it at the \
             Dockerfile or remove it",
            fs_err::read_link(&path).map_or_else(|_| "?".into(), |t| t.display().to_string())
        );
        found.push(relative);
    }
    let mut contexts = vec![BuildContext {
        dir: String::new(),
        dockerfiles: Vec::new(),
    }];
    for relative in found {
        let text = read_text(root, &relative)?;
        let parsed = Model::parse(&text);
        anyhow::ensure!(
            !parsed.stages.is_empty(),
            "{relative} has no FROM instruction, so it is not a Dockerfile Docker can build: \
             start it with `FROM <image>`, or rename it if it is something else"
        );
        let (dir, name) = relative.rsplit_once('/').unwrap_or(("", &relative));
        let context = if dir.is_empty() || builds_from_the_top(root, dir, &parsed) {
            String::new()
        } else {
            dir.to_owned()
        };
        let path = if context.is_empty() {
            relative.clone()
        } else {
            name.to_owned()
        };
        let source = Source { path, text, parsed };
        match contexts.iter_mut().find(|c| c.dir == context) {
            Some(existing) => existing.dockerfiles.push(source),
            None => contexts.push(BuildContext {
                dir: context,
                dockerfiles: vec![source],
            }),
        }
    }
    Ok(contexts)
}

/// Whether a Dockerfile in `dir` is built from the top directory rather than its own: what
/// its COPY and ADD instructions take from the context is found there more often.
fn builds_from_the_top(root: &Path, dir: &str, model: &Model) -> bool {
    let sources: Vec<String> = model
        .context_copies
        .iter()
        .flat_map(|copy| &copy.sources)
        .map(|source| {
            source
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_owned()
        })
        .filter(|source| {
            !source.is_empty()
                && source != "."
                && !source.contains(['$', '*', '?', '['])
                && !source.contains("://")
        })
        .collect();
    let found_in = |base: &Path| sources.iter().filter(|s| base.join(s).exists()).count();
    let (top, own) = (found_in(root), found_in(&root.join(dir)));
    top > own || (top == own && !root.join(dir).join("Cargo.toml").is_file())
}

impl Project {
    /// The project at `root` with these Dockerfiles (paths relative to `root`): its
    /// Cargo.toml, compose files and ignore files, and, with `kubernetes`, the manifests
    /// anywhere below it.
    pub fn load(root: &Path, dockerfiles: Vec<Source<Model>>, kubernetes: bool) -> Result<Project> {
        let mut names: Vec<String> = fs_err::read_dir(root)?
            .filter_map(|entry| entry.ok())
            .filter(|entry| entry.path().is_file())
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
            let text = read_text(root, name)?;
            let mut parsed =
                Compose::parse(&text).with_context(|| format!("while reading {name}"))?;
            parsed.overrides = name.contains(".override.");
            compose.push(Source {
                path: name.clone(),
                text,
                parsed,
            });
        }
        let mut dockerignores = Vec::new();
        for name in names.iter().filter(|name| name.ends_with(".dockerignore")) {
            let text = read_text(root, name)?;
            dockerignores.push(DockerIgnore {
                path: name.clone(),
                patterns: text
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty() && !line.starts_with('#'))
                    .map(str::to_owned)
                    .collect(),
                text,
            });
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
        let cargo = match manifest_dir(root, &dockerfiles) {
            Some(base) => Some(load_cargo(root, &base, &requested_features(&dockerfiles))?),
            None => None,
        };
        let code = code(root);
        let code_ports = code_ports(&code);
        let kubernetes = if kubernetes {
            kubernetes_manifests(root)?
        } else {
            Vec::new()
        };
        let code_routes = code_routes(&code);
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
        })
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

impl DockerIgnore {
    /// Whether it excludes `name` (a top-level name such as `target` or `.env`), or everything
    /// inside it (`target/*`). Patterns are cleaned as Docker cleans them (`./target`,
    /// `/target/`), and the last matching one decides (`!` re-includes).
    pub fn ignores(&self, name: &str) -> bool {
        let mut ignored = false;
        for pattern in &self.patterns {
            let (negated, pattern) = match pattern.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, pattern.as_str()),
            };
            let segments: Vec<&str> = pattern
                .split('/')
                .filter(|segment| !segment.is_empty() && *segment != ".")
                .skip_while(|segment| *segment == "**")
                .collect();
            let matches = match segments.split_first() {
                Some((first, rest)) => {
                    glob_match(first, name) && rest.iter().all(|s| *s == "*" || *s == "**")
                }
                None => false,
            };
            if matches {
                ignored = !negated;
            }
        }
        ignored
    }
}

/// A file's text, refused with the reason when it is not UTF-8 text (binary, UTF-16).
fn read_text(root: &Path, name: &str) -> Result<String> {
    let bytes = fs_err::read(root.join(name))?;
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        anyhow::bail!(
            "{name} is UTF-16 text, and Docker reads UTF-8 only: convert it \
             (iconv -f UTF-16 -t UTF-8 {name} > {name}.utf8 && mv {name}.utf8 {name})"
        );
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        anyhow::anyhow!(
            "{name} is not UTF-8 text (an invalid byte at offset {}): is it a binary file? \
             check reads Dockerfiles, Cargo.toml and compose files as UTF-8",
            error.utf8_error().valid_up_to()
        )
    })?;
    if let Some(at) = text.find('\0') {
        anyhow::bail!(
            "{name} holds a NUL byte at offset {at}: it is binary (or UTF-16 without a BOM), \
             not a text file check can read"
        );
    }
    Ok(text)
}

fn is_dockerfile(name: &str) -> bool {
    // Templates (`Dockerfile.j2`) are not what Docker builds, what they render to is; nor
    // are notes about a Dockerfile, or an editor's and a merge's leftovers.
    const NOT_DOCKERFILES: [&str; 17] = [
        ".dockerignore",
        ".j2",
        ".jinja",
        ".jinja2",
        ".tmpl",
        ".tpl",
        ".template",
        ".hbs",
        ".liquid",
        ".md",
        ".rst",
        ".txt",
        ".bak",
        ".orig",
        ".rej",
        ".patch",
        ".swp",
    ];
    if NOT_DOCKERFILES.iter().any(|suffix| name.ends_with(suffix)) {
        return false;
    }
    name == "Dockerfile"
        || name == "Containerfile"
        || name.starts_with("Dockerfile.")
        || name.ends_with(".Dockerfile")
}

/// `*` and `?` within one path segment: what .dockerignore patterns need for top-level names.
fn glob_match(pattern: &str, text: &str) -> bool {
    fn matches(pattern: &[u8], text: &[u8]) -> bool {
        match (pattern.first(), text.first()) {
            (None, None) => true,
            (Some(b'*'), _) => {
                matches(&pattern[1..], text) || (!text.is_empty() && matches(pattern, &text[1..]))
            }
            (Some(b'?'), Some(_)) => matches(&pattern[1..], &text[1..]),
            (Some(p), Some(t)) if p == t => matches(&pattern[1..], &text[1..]),
            _ => false,
        }
    }
    matches(pattern.as_bytes(), text.as_bytes())
}

pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .map_or(1, |index| index + 1)
}

/// The directory (relative to the root, `""` for the root) whose Cargo.toml the image is
/// built from: the root's, else the one directory a Dockerfile copies or the context holds
/// that has one (`COPY app /app` with app/Cargo.toml).
fn manifest_dir(root: &Path, dockerfiles: &[Source<Model>]) -> Option<String> {
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

fn load_cargo(root: &Path, base: &str, requested: &Option<Vec<String>>) -> Result<Cargo> {
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

/// Every `.yaml`/`.yml` file under `root` (not in `target/`, `node_modules/`, `.git/` or another
/// hidden directory, at most five levels down) that holds a Kubernetes object.
fn kubernetes_manifests(root: &Path) -> Result<Vec<Source<Manifests>>> {
    let searched =
        |_: &Path, name: &str| !name.starts_with('.') && name != "target" && name != "node_modules";
    let mut found = Vec::new();
    for relative in files_below(root, 5, searched)? {
        let name = relative.rsplit('/').next().unwrap_or(&relative);
        let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        if !yaml || COMPOSE_FILES.contains(&name) || !root.join(&relative).is_file() {
            continue;
        }
        let text = read_text(root, &relative)?;
        if let Some(parsed) =
            Manifests::parse(&text).with_context(|| format!("while reading {relative}"))?
        {
            found.push(Source {
                path: relative,
                text,
                parsed,
            });
        }
    }
    Ok(found)
}

/// The service's Rust sources under `src/`, read once for the ports and routes they name:
/// (path relative to the project, text). Files that cannot be read are left out.
fn code(root: &Path) -> Vec<(String, String)> {
    files_below(&root.join("src"), usize::MAX, |_, _| true)
        .unwrap_or_default()
        .into_iter()
        .filter(|relative| relative.ends_with(".rs"))
        .filter_map(|relative| {
            let text = fs_err::read_to_string(root.join("src").join(&relative)).ok()?;
            Some((format!("src/{relative}"), text))
        })
        .collect()
}

/// The paths the service's code routes, read from `src/`: actix-web's `resource("/p")`,
/// `route("/p", ...)`, `#[get("/p")]` and the like, axum's `.route("/p", ...)`.
fn code_routes(code: &[(String, String)]) -> Vec<String> {
    let mut routes = Vec::new();
    for (_, text) in code {
        for opening in ["resource(\"", "route(\"", "get(\"", "head(\""] {
            for (at, _) in text.match_indices(opening) {
                let rest = &text[at + opening.len()..];
                if let Some(end) = rest.find('"')
                    && rest.starts_with('/')
                {
                    routes.push(rest[..end].to_owned());
                }
            }
        }
    }
    routes.sort();
    routes.dedup();
    routes
}

/// Ports the code binds by default: `"0.0.0.0:8080"`, `("0.0.0.0", 8080)`, `PORT: u16 = 8080`.
fn code_ports(code: &[(String, String)]) -> Vec<(u16, String, usize)> {
    let mut ports: Vec<(bool, u16, String, usize)> = Vec::new();
    for (relative, text) in code {
        // Test helpers (`testing.rs`, `test_utils.rs`) bind and call what they like.
        let name = relative.rsplit('/').next().unwrap_or(relative);
        if name.contains("test") {
            continue;
        }
        // Test modules bind what they like; the service's default is in the code above them.
        let lines: Vec<&str> = text
            .lines()
            .take_while(|line| !line.contains("#[cfg(test)]"))
            .collect();
        for (index, line) in lines.iter().enumerate() {
            if let Some(port) = declared_port(&lines[index..]) {
                ports.push((false, port, relative.clone(), index + 1));
            } else if let Some(port) = port_in(line) {
                ports.push((true, port, relative.clone(), index + 1));
            }
        }
    }
    // A declared default (`PORT: u16 = 8080`) says more than a literal in a bind call.
    ports.sort();
    ports
        .into_iter()
        .map(|(_, port, path, line)| (port, path, line))
        .collect()
}

/// A port the code declares as its default, at the first of `lines`: `PORT: u16 = 8080`, a
/// clap argument `#[arg(default_value = "8080", env = "PORT")]`, or
/// `env::var("PORT").unwrap_or_else(|_| "8000".to_string())` over a few lines.
fn declared_port(lines: &[&str]) -> Option<u16> {
    let line = lines.first()?;
    let upper = line.to_ascii_uppercase();
    if upper.contains("PORT: U16 =") {
        return port_in(line);
    }
    let quoted_number = |text: &str| -> Option<u16> {
        text.split('"')
            .skip(1)
            .step_by(2)
            .find_map(|quoted| quoted.parse::<u16>().ok().filter(|port| *port > 0))
    };
    if upper.contains("DEFAULT_VALUE") && upper.contains("PORT") {
        let after = &line[upper.find("DEFAULT_VALUE")?..];
        return quoted_number(after);
    }
    if upper.contains("VAR(\"") && upper.contains("PORT\")") {
        return lines.iter().take(4).find_map(|line| {
            let at = line.find("unwrap_or")?;
            quoted_number(&line[at..])
        });
    }
    None
}

fn port_in(line: &str) -> Option<u16> {
    let number_after = |text: &str| -> Option<u16> {
        let digits: String = text
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok().filter(|port| *port > 0)
    };
    for host in ["0.0.0.0", "127.0.0.1", "[::]", "localhost"] {
        if let Some(at) = line.find(&format!("\"{host}:")) {
            return number_after(&line[at + host.len() + 2..]);
        }
        if let Some(at) = line.find(&format!("\"{host}\",")) {
            return number_after(&line[at + host.len() + 3..]);
        }
    }
    let upper = line.to_ascii_uppercase();
    if upper.contains("PORT: U16 =") {
        return number_after(line.split('=').nth(1)?);
    }
    None
}

/// The crate that brings TLS into a build.
pub struct Tls {
    pub crate_name: String,
    pub openssl: bool,
    /// Trust roots compiled in (webpki-roots): no CA bundle needed in the image.
    pub embeds_roots: bool,
}

impl Cargo {
    /// The crate that brings TLS in, and whether it links OpenSSL.
    pub fn tls(&self) -> Option<Tls> {
        let deps = &self.dependencies;
        let has_feature = |test: &dyn Fn(&str) -> bool| {
            deps.values()
                .any(|dep| dep.features.iter().any(|feature| test(feature)))
        };
        // reqwest up to 0.12 calls rustls with webpki roots `rustls-tls` (0.13 renamed it).
        let embeds_roots = deps.contains_key("webpki-roots")
            || has_feature(&|feature| feature.contains("webpki-roots"))
            || deps
                .get("reqwest")
                .is_some_and(|reqwest| reqwest.features.iter().any(|f| f == "rustls-tls"));
        // OpenSSL built from source into the binary: one `vendored` unifies for every user.
        let vendored = ["openssl", "openssl-sys", "native-tls", "tokio-native-tls"]
            .iter()
            .filter_map(|name| deps.get(*name))
            .any(|dep| dep.features.iter().any(|f| f == "vendored"))
            || has_feature(&|feature| {
                feature.ends_with("native-tls-vendored")
                    || feature.ends_with("vendored-openssl")
                    || feature.ends_with("openssl-vendored")
                    || feature.ends_with("openssl/vendored")
                    || feature.ends_with("native-tls/vendored")
            });
        for name in [
            "openssl",
            "openssl-sys",
            "native-tls",
            "tokio-native-tls",
            "hyper-tls",
        ] {
            if deps.contains_key(name) {
                return Some(Tls {
                    crate_name: name.to_owned(),
                    openssl: !vendored,
                    embeds_roots,
                });
            }
        }
        if let Some(reqwest) = deps.get("reqwest") {
            // reqwest's default TLS was native-tls up to 0.12 and is rustls from 0.13.
            let rustls_by_default = reqwest
                .major_minor()
                .is_some_and(|version| version >= (0, 13));
            let native = reqwest.default_features && !rustls_by_default
                || reqwest.features.iter().any(|f| f.contains("native-tls"));
            let rustls = reqwest.default_features && rustls_by_default
                || reqwest.features.iter().any(|f| f.contains("rustls"));
            if native || rustls {
                return Some(Tls {
                    crate_name: "reqwest".into(),
                    openssl: native && !vendored,
                    embeds_roots,
                });
            }
        }
        // rustls and tokio-rustls alone serve TLS as often as they call out: no evidence of a
        // client that verifies against the system store.
        for name in [
            "ureq",
            "hyper-rustls",
            "rustls-native-certs",
            "awc",
            "isahc",
            "surf",
        ] {
            if deps.contains_key(name) {
                return Some(Tls {
                    crate_name: name.to_owned(),
                    openssl: false,
                    embeds_roots,
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_read_from_the_usual_bind_forms() {
        assert_eq!(port_in(r#"    .bind(("0.0.0.0", 8080))?"#), Some(8080));
        assert_eq!(port_in(r#"let addr = "127.0.0.1:3000";"#), Some(3000));
        assert_eq!(port_in("pub const DEFAULT_PORT: u16 = 9090;"), Some(9090));
        assert_eq!(port_in("let x = 5;"), None);
        assert_eq!(
            declared_port(&[
                r#"    #[arg(long, short = 'p', default_value = "8080", env = "SERVER_PORT")]"#
            ]),
            Some(8080)
        );
        assert_eq!(
            declared_port(&[
                r#"    let port: u32 = env::var("PORT")"#,
                r#"        .unwrap_or_else(|_| "8000".to_string())"#,
            ]),
            Some(8000)
        );
    }

    #[test]
    fn dockerignore_patterns_are_cleaned_as_docker_cleans_them() {
        let ignore = |patterns: &[&str]| DockerIgnore {
            path: ".dockerignore".into(),
            patterns: patterns.iter().map(|p| p.to_string()).collect(),
            ..DockerIgnore::default()
        };
        for excludes in [
            &["./target"][..],
            &["target/*"],
            &["/target/"],
            &["**/target"],
            &["*"],
        ] {
            assert!(ignore(excludes).ignores("target"), "{excludes:?}");
        }
        assert!(!ignore(&["*", "!target/"]).ignores("target"));
        assert!(!ignore(&["target/debug"]).ignores("target"));
    }

    #[test]
    fn dockerignore_patterns_match_top_level_names() {
        for pattern in ["target", "target/", "/target", "**/target", "targ*"] {
            assert!(
                glob_match(
                    pattern
                        .trim_start_matches("**/")
                        .trim_start_matches('/')
                        .trim_end_matches('/'),
                    "target"
                ),
                "{pattern}"
            );
        }
        assert!(glob_match(".env*", ".env.local"));
        assert!(!glob_match("*.md", "target"));
    }
}
