//! Finding the files of a project: Dockerfiles up to three directories down and the build
//! context each is built from, compose files by name, and YAML files of Kubernetes objects.

use crate::check::files::{Source, Unreadable, read_noting};
use crate::check::kubernetes::{Manifests, Parsed};
use crate::check::model::Model;
use anyhow::Result;
use std::path::Path;

pub const COMPOSE_FILES: [&str; 8] = [
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
pub fn files_below(
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
/// is built from, and those that could not be read (a link to nowhere, binary, no FROM). A
/// Dockerfile in a subdirectory is built from the checked directory (`docker build -f
/// docker/Dockerfile .`, the usual way) unless what it copies is found in its own directory
/// and not at the top (`COPY rootfs /` beside docker/rootfs/), or nothing says and its
/// directory is a Cargo project of its own. The checked directory comes first, even with no
/// Dockerfile. Only a checked directory that cannot be listed is an error.
pub fn build_contexts(root: &Path) -> Result<(Vec<BuildContext>, Vec<Unreadable>)> {
    let searched = |path: &Path, name: &str| {
        // A cargo-generate template's files are rendered before anything builds them.
        !name.starts_with('.')
            && !NOT_SEARCHED.contains(&name)
            && !path.join("cargo-generate.toml").is_file()
    };
    let mut contexts = vec![BuildContext {
        dir: String::new(),
        dockerfiles: Vec::new(),
    }];
    let mut unreadable = Vec::new();
    for relative in files_below(root, DOCKERFILE_DEPTH, searched)? {
        let name = relative.rsplit('/').next().unwrap_or(&relative);
        if !is_dockerfile(name) {
            continue;
        }
        let Some(text) = read_noting(root, &relative, &mut unreadable) else {
            continue;
        };
        let parsed = Model::parse(&text);
        if parsed.stages.is_empty() {
            unreadable.push(Unreadable::new(
                &relative,
                "it has no FROM instruction, so it is not a Dockerfile Docker can build: start \
                 it with `FROM <image>`, or rename it if it is something else",
            ));
            continue;
        }
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
    Ok((contexts, unreadable))
}

/// Whether a Dockerfile in `dir` is built from the top directory rather than its own: what
/// its COPY and ADD instructions take from the context is found there more often.
fn builds_from_the_top(root: &Path, dir: &str, model: &Model) -> bool {
    let sources: Vec<String> = model
        .context_copies
        .iter()
        .flat_map(|copy| copy.paths())
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

/// Every `.yaml`/`.yml` file under `root` (not in `target/`, `node_modules/`, `.git/` or another
/// hidden directory, at most five levels down) that holds a Kubernetes object, and those that
/// look like one but cannot be read or parsed. YAML of other kinds is left alone.
pub fn kubernetes_manifests(
    root: &Path,
    unreadable: &mut Vec<Unreadable>,
) -> Result<Vec<Source<Manifests>>> {
    let searched =
        |_: &Path, name: &str| !name.starts_with('.') && name != "target" && name != "node_modules";
    let mut found = Vec::new();
    for relative in files_below(root, 5, searched)? {
        let name = relative.rsplit('/').next().unwrap_or(&relative);
        let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        if !yaml || COMPOSE_FILES.contains(&name) {
            continue;
        }
        let Some(text) = read_noting(root, &relative, unreadable) else {
            continue;
        };
        match Manifests::parse(&text) {
            Parsed::Manifests(parsed) => found.push(Source {
                path: relative,
                text,
                parsed,
            }),
            Parsed::NotKubernetes => {}
            Parsed::Broken(reason) => unreadable.push(Unreadable::new(&relative, reason)),
        }
    }
    Ok(found)
}
