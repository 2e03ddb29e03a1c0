//! The CI every service brings (`.github/`), and this repository's own workflow: actionlint and
//! zizmor find nothing, every action is pinned to the commit `.github/actions.toml` records for
//! it, Dependabot's file passes its schema, and the `run:` steps run here (see
//! [`run_steps`]: the slow tier runs them on every Rust tree).

use crate::helpers::*;
pub use cargo_microservice_support::workflows::{NOT_RUN_HERE, RunStep, run_steps, workflow_files};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// One `run:` step (see the support crate's) in `project`, with the suites' environment.
fn step_command(project: &Path, step: &RunStep, extra: &[(&str, &str)]) -> std::process::Command {
    cargo_microservice_support::workflows::step_command(
        env!("CARGO_TARGET_TMPDIR"),
        project,
        step,
        extra,
    )
}

/// Runs one `run:` step (see [`step_command`]); it must succeed.
pub fn run_step(project: &Path, step: &RunStep, extra: &[(&str, &str)]) -> std::process::Output {
    let output = run(&mut step_command(project, step, extra));
    assert!(
        output.status.success(),
        "{}: `{}` failed\n{}{}",
        step.at,
        step.run,
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    output
}

#[test]
fn every_workflow_passes_actionlint_and_zizmor_and_dependabots_file_its_schema() {
    let Some(rendered) = rendered() else { return };
    if !require_tool("actionlint", "--version")
        | !require_tool("zizmor", "--version")
        | !require_tool("check-jsonschema", "--version")
    {
        return;
    }
    let ours = repo_root();
    let mut checked = vec![(ours.clone(), "this repository".to_owned())];
    checked.extend(
        rendered
            .iter()
            .map(|project| (project.dir.clone(), project.variant.id())),
    );
    for (project, at) in &checked {
        for file in workflow_files(project) {
            let lint = run(clean_command("actionlint")
                .arg("-no-color")
                .arg(&file)
                .current_dir(project));
            assert!(
                lint.status.success(),
                "{at}: actionlint {}:\n{}{}",
                file.display(),
                String::from_utf8_lossy(&lint.stdout),
                stderr(&lint)
            );
        }
        // Offline: the audits that ask GitHub (known-vulnerable or impostor commits) cannot
        // run here; the pins themselves are held to .github/actions.toml below. The auditor
        // persona: every finding counts, at any severity and confidence.
        let zizmor = |extra: &[&str]| {
            let mut command = clean_command("zizmor");
            command
                .args(["--offline", "--no-progress", "--persona", "auditor"])
                .args(extra)
                .arg(".github")
                .current_dir(project);
            let output = run(&mut command);
            let report = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                stderr(&output)
            );
            (output, report)
        };
        let (audit, report) = zizmor(&[]);
        assert!(
            audit.status.success() && report.contains("No findings to report"),
            "{at}: zizmor:\n{report}"
        );
        // What .github/zizmor.yml accepts is exactly what it names: without it, each of its
        // rules finds something, and nothing else is found.
        let accepted: BTreeSet<String> =
            std::fs::read_to_string(project.join(".github/zizmor.yml"))
                .map(|text| {
                    let config: Value = serde_saphyr::from_str(&text).unwrap();
                    config["rules"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
        let (unconfigured, report) = zizmor(&["--no-config", "--format", "json"]);
        let findings: Vec<Value> = serde_json::from_slice(&unconfigured.stdout)
            .unwrap_or_else(|error| panic!("{at}: zizmor's JSON: {error}\n{report}"));
        let found: BTreeSet<String> = findings
            .iter()
            .map(|finding| finding["ident"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            found, accepted,
            "{at}: the findings without .github/zizmor.yml are the rules it accepts"
        );
        let dependabot = project.join(".github/dependabot.yml");
        if dependabot.exists() || project != &ours {
            run_ok(
                clean_command("check-jsonschema")
                    .args(["--builtin-schema", "vendor.dependabot"])
                    .arg(&dependabot),
            );
        }
        note(&format!(
            "{at}: {} workflow(s) pass actionlint and zizmor",
            workflow_files(project).len()
        ));
    }
}

/// `uses: owner/name@<commit> # <version>`, and that commit is the one `.github/actions.toml`
/// records for that version; every recorded action is used somewhere.
#[test]
fn every_action_is_pinned_to_the_commit_recorded_for_its_version() {
    let Some(rendered) = rendered() else { return };
    let record: toml::Table = std::fs::read_to_string(repo_root().join(".github/actions.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let record = record["actions"].as_table().unwrap();
    let mut projects = vec![repo_root()];
    projects.extend(rendered.iter().map(|project| project.dir.clone()));
    let mut used = BTreeSet::new();
    for project in projects {
        for file in workflow_files(&project) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (number, line) in text.lines().enumerate() {
                let Some((_, uses)) = line.split_once("uses: ") else {
                    continue;
                };
                let at = format!("{}:{}", file.display(), number + 1);
                let (reference, version) = uses
                    .split_once(" # ")
                    .unwrap_or_else(|| panic!("{at}: no `# <version>` after the commit"));
                let (action, commit) = reference
                    .split_once('@')
                    .unwrap_or_else(|| panic!("{at}: {reference} names no commit"));
                let pinned = record.get(action).unwrap_or_else(|| {
                    panic!("{at}: {action} is not in .github/actions.toml: record it first")
                });
                assert_eq!(
                    (commit, version),
                    (
                        pinned["commit"].as_str().unwrap(),
                        pinned["version"].as_str().unwrap()
                    ),
                    "{at}: {action} is not pinned as .github/actions.toml records it"
                );
                used.insert(action.to_owned());
            }
        }
    }
    let recorded: BTreeSet<String> = record.keys().cloned().collect();
    assert_eq!(
        recorded, used,
        ".github/actions.toml records exactly the actions in use"
    );
}

/// The steps that need GitHub itself are listed, each with its reason; the rest run in the
/// slow tier. Here: the toolchain the workflow installs is the one the suites build with, and
/// the image name step gives a registry path in lowercase.
#[test]
fn the_workflows_steps_that_cannot_run_here_are_listed_and_the_others_run() {
    let Some(rendered) = rendered() else { return };
    let default = rendered
        .iter()
        .find(|project| project.variant.is_default())
        .unwrap();
    let (steps, not_run) = run_steps(&default.dir);
    let names: BTreeSet<&str> = steps.iter().map(|step| step.name.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "Clippy",
            "Dependency policy",
            "Format",
            "Image name",
            "Prove the image",
            "Test"
        ]),
        "the run: steps the suites run: the cargo steps in the slow tier, the image name here, \
         the proof in the docker matrix (on every variant's image)"
    );
    for line in &not_run {
        note(&format!("not run here: {line}"));
    }
    for (step, _) in NOT_RUN_HERE {
        assert!(
            not_run
                .iter()
                .any(|line| line.contains(&format!(": {step}: "))),
            "{step} is not a step of any workflow any more: drop it from NOT_RUN_HERE"
        );
    }

    let rustc = run_ok(clean_command("rustc").arg("--version"));
    let rustc = String::from_utf8_lossy(&rustc.stdout);
    let toolchain = &steps[0].env["RUST_VERSION"];
    assert!(
        rustc.starts_with(&format!("rustc {toolchain}.")),
        "the workflow's RUST_VERSION {toolchain} is not this machine's {rustc}"
    );

    let image_name = steps.iter().find(|step| step.name == "Image name").unwrap();
    let outputs = scratch_dir("workflow-outputs").join("GITHUB_OUTPUT");
    run_step(
        &default.dir,
        image_name,
        &[
            ("GITHUB_REPOSITORY", "Team-A/Orders"),
            ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
        ],
    );
    assert_eq!(
        std::fs::read_to_string(&outputs).unwrap(),
        "image=ghcr.io/team-a/orders\n"
    );
}

/// The dependency policy can fail: the default variant's project with one allowed license
/// taken out of deny.toml fails the workflow's step, naming a crate under that license.
#[test]
fn the_dependency_policy_step_fails_on_a_license_deny_toml_does_not_allow() {
    let Some(rendered) = rendered() else { return };
    if !require_tool("cargo-deny", "--version") {
        return;
    }
    let default = rendered
        .iter()
        .find(|project| project.variant.is_default())
        .unwrap();
    let (steps, _) = run_steps(&default.dir);
    let policy = steps
        .iter()
        .find(|step| step.name == "Dependency policy")
        .unwrap();
    run_step(&default.dir, policy, &[]);

    let copy = scratch_dir("deny-without-unicode").join("project");
    for (path, bytes) in read_tree(&default.dir) {
        let to = copy.join(&path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, bytes).unwrap();
    }
    let deny = std::fs::read_to_string(copy.join("deny.toml")).unwrap();
    let without = deny.replace("    \"Unicode-3.0\",\n", "");
    assert_ne!(
        without, deny,
        "deny.toml allows Unicode-3.0 on a line of its own"
    );
    std::fs::write(copy.join("deny.toml"), without).unwrap();
    let refused = run(&mut step_command(&copy, policy, &[]));
    let report = stderr(&refused);
    assert!(
        !refused.status.success()
            && report.contains("Unicode-3.0")
            && report.contains("unicode-ident"),
        "{}: a license deny.toml does not allow passed:\n{report}",
        policy.at
    );
}
