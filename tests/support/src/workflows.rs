//! The rendered services' GitHub workflows as the suites read them: every `run:` step with the
//! environment its workflow and job give it, and the steps that cannot run on this machine, each
//! with its reason. The template suite runs the cargo steps on every Rust tree; the docker suite
//! runs the image proof step on every image.

use crate::in_rendered;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One `run:` step of a rendered workflow, with the environment its workflow and job set.
pub struct RunStep {
    pub at: String,
    pub name: String,
    pub run: String,
    pub env: BTreeMap<String, String>,
}

/// What a step needs that this machine has not, for each step the suites do not run.
pub const NOT_RUN_HERE: [(&str, &str); 2] = [
    (
        "Install Rust",
        "downloads a toolchain from Rust's servers, which this machine cannot reach; the \
         suites build with the same toolchain (RUST_VERSION, checked against rustc here)",
    ),
    (
        "Advisories",
        "fetches the RustSec advisory database from GitHub, which this machine cannot reach",
    ),
];

pub fn workflow_files(project: &Path) -> Vec<PathBuf> {
    let dir = project.join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

fn parse(file: &Path) -> Value {
    serde_saphyr::from_str(&std::fs::read_to_string(file).unwrap())
        .unwrap_or_else(|error| panic!("{}: {error}", file.display()))
}

fn strings(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(key, value)| {
                    let text = match value {
                        Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    (key.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every step of every job of the project's workflows: the `run:` steps the suites run, and
/// the rest (actions, and the steps [`NOT_RUN_HERE`] names), each as "file job: step: why".
pub fn run_steps(project: &Path) -> (Vec<RunStep>, Vec<String>) {
    let (mut run, mut not_run) = (Vec::new(), Vec::new());
    for file in workflow_files(project) {
        let workflow = parse(&file);
        let file_name = file.file_name().unwrap().to_string_lossy().into_owned();
        let workflow_env = strings(&workflow["env"]);
        for (job_id, job) in workflow["jobs"].as_object().unwrap() {
            let mut env = workflow_env.clone();
            env.extend(strings(&job["env"]));
            for step in job["steps"].as_array().unwrap() {
                let name = step["name"]
                    .as_str()
                    .or(step["uses"].as_str())
                    .unwrap()
                    .to_owned();
                let at = format!("{file_name} {job_id}: {name}");
                match (step["run"].as_str(), step["uses"].as_str()) {
                    (_, Some(action)) => not_run.push(format!(
                        "{at}: the action {} runs on GitHub's runners only",
                        action.split('@').next().unwrap()
                    )),
                    (Some(script), None) => {
                        match NOT_RUN_HERE.iter().find(|(step, _)| *step == name) {
                            Some((_, why)) => not_run.push(format!("{at}: {why}")),
                            None => {
                                let mut env = env.clone();
                                env.extend(strings(&step["env"]));
                                run.push(RunStep {
                                    at,
                                    name,
                                    run: script.to_owned(),
                                    env,
                                });
                            }
                        }
                    }
                    (None, None) => panic!("{at}: a step with neither run nor uses"),
                }
            }
        }
    }
    (run, not_run)
}

/// One `run:` step as GitHub's runner runs it (`bash -e`), in `project`, with its environment
/// over the suites' (the shared target directory; `DATABASE_URL` stays the suites' server,
/// where the workflow names its service container), and `extra` on top.
pub fn step_command(
    target_tmpdir: &str,
    project: &Path,
    step: &RunStep,
    extra: &[(&str, &str)],
) -> Command {
    let mut command = in_rendered(target_tmpdir, project, "bash");
    command.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &step.run]);
    for (key, value) in &step.env {
        if key != "DATABASE_URL" {
            command.env(key, value);
        }
    }
    command.envs(extra.iter().copied());
    command
}
