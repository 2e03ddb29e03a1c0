//! `upgrade` and `adopt` on the committed fixture: the default variant as the CLI of 46bc281
//! (template 0.1.0) made it, edited the way a team would (`tests/upgrade/make-fixture`). Each
//! of the ways other template updaters go wrong (Copier, cruft) has its test, and so does every
//! kind of bad input, with the project hashed before and after.

use crate::helpers::*;
use cargo_microservice_support::postgres::require_server;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURE: &str = "tests/upgrade/fixtures/orders-0.1.0";
const FIRST_COMMIT: &str = "46bc2813b48105bed3ee6ea210b918dab953dae1";

/// The fixture copied into a scratch directory of its own.
pub fn fixture(name: &str) -> PathBuf {
    let root = scratch_dir(name);
    let project = root.join("orders");
    copy_tree(&repo_root().join(FIXTURE), &project);
    project
}

fn copy_tree(from: &Path, to: &Path) {
    for (path, bytes) in read_tree(from) {
        let target = to.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
}

fn upgrade(project: &Path, flags: &[&str]) -> std::process::Output {
    let mut command = cli(&["upgrade"]);
    command.arg(project).args(flags);
    run(&mut command)
}

fn git(project: &Path, args: &[&str]) -> std::process::Output {
    run_ok(
        clean_command("git")
            .current_dir(project)
            .args(["-c", "user.name=team", "-c", "user.email=team@example.com"])
            .args(args),
    )
}

/// The files the template's move of its platform into `src/platform/` (0.4.0) rewrites where
/// the fixture's team edited them: the two conflicts the fixture's upgrade meets.
const RESTRUCTURED: [&str; 2] = ["src/lib.rs", "src/routes.rs"];

/// Each conflict of `text` settled on the template's side (between `=======` and `>>>>>>>`).
fn theirs_side(text: &str) -> String {
    let mut out = String::new();
    let mut side = "common";
    for line in text.split_inclusive('\n') {
        side = match (side, line) {
            (_, l) if l.starts_with("<<<<<<< ") => "yours",
            (_, l) if l.starts_with("||||||| ") => "base",
            ("base" | "yours", "=======\n") => "theirs",
            (_, l) if l.starts_with(">>>>>>> ") => "common",
            (side, line) => {
                if side == "common" || side == "theirs" {
                    out.push_str(line);
                }
                side
            }
        };
    }
    out
}

/// Resolves the two conflicts as the fixture's team would: the template's new `src/lib.rs` and
/// `src/routes.rs`, with its `greetings` module and route added back the new way.
fn resolve_the_platform_move(project: &Path) {
    let lib = theirs_side(&read(project, "src/lib.rs")).replacen(
        "pub mod platform;\n",
        "pub mod greetings;\npub mod platform;\n",
        1,
    );
    let routes = theirs_side(&read(project, "src/routes.rs"))
        .replacen(
            "use actix_web::web;\n",
            "use crate::platform::http::method_not_allowed;\nuse actix_web::web;\n",
            1,
        )
        .replacen(
            "    crate::users::routes(cfg);\n",
            "    crate::users::routes(cfg);\n    cfg.service(\n        web::resource(\"/greetings/{name}\")\n            .route(web::get().to(crate::greetings::greet))\n            .default_service(web::to(|| method_not_allowed(\"GET\"))),\n    );\n",
            1,
        );
    std::fs::write(project.join("src/lib.rs"), lib).unwrap();
    std::fs::write(project.join("src/routes.rs"), routes).unwrap();
}

/// The conflicts an upgrade's summary lists.
fn conflicts(output: &std::process::Output) -> Vec<String> {
    stdout(output)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("conflict  "))
        .map(|rest| rest.split(' ').next().unwrap().to_owned())
        .collect()
}

/// Upgrades the fixture as its team does: the two conflicts of the platform's move, resolved,
/// and `upgrade` run again to finish.
fn upgrade_resolving_the_platform_move(project: &Path) -> std::process::Output {
    let first = upgrade(project, &[]);
    assert_eq!(
        first.status.code(),
        Some(1),
        "{}{}",
        stdout(&first),
        stderr(&first)
    );
    assert_eq!(conflicts(&first), RESTRUCTURED, "{}", stdout(&first));
    resolve_the_platform_move(project);
    let second = upgrade(project, &[]);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}{}",
        stdout(&second),
        stderr(&second)
    );
    first
}

/// The project as a team keeps it: a repository with everything committed.
fn committed(project: &Path) {
    git(project, &["init", "--quiet"]);
    git(project, &["add", "--all"]);
    git(project, &["commit", "--quiet", "-m", "as the team has it"]);
}

fn read(project: &Path, path: &str) -> String {
    std::fs::read_to_string(project.join(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The three trees the upgrade works from, rebuilt here independently of the CLI: the fixture's
/// answers rendered by the `cargo generate` binary from `git archive` of template 0.1.0's
/// commit (the base), and from today's template (theirs).
struct Renders {
    base: std::collections::BTreeMap<String, Vec<u8>>,
    theirs: std::collections::BTreeMap<String, Vec<u8>>,
}

fn renders() -> Option<Renders> {
    if !require_tool("cargo-generate", "--version") {
        return None;
    }
    let old = scratch_dir("template-0.1.0");
    let archive = run_ok(clean_command("git").arg("-C").arg(repo_root()).args([
        "archive",
        "--format=tar",
        FIRST_COMMIT,
    ]));
    let mut untar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(&old)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(untar.stdin.as_mut().unwrap(), &archive.stdout).unwrap();
    assert!(untar.wait().unwrap().success());
    let render = |template: &Path, label: &str| {
        let destination = scratch_dir(label);
        let mut command = clean_command("cargo");
        command
            .arg("generate")
            .arg("--path")
            .arg(template)
            .args([
                "--silent",
                "--vcs",
                "none",
                "--name",
                "orders",
                "--destination",
            ])
            .arg(&destination);
        run_ok(&mut command);
        read_tree(&destination.join("orders"))
    };
    Some(Renders {
        base: render(&old, "render-base"),
        theirs: render(&repo_root(), "render-theirs"),
    })
}

#[test]
fn the_fixture_upgrades_keeping_every_team_edit_and_taking_every_template_change() {
    let Some(renders) = renders() else { return };
    let project = fixture("upgrade-fixture");
    let ours = read_tree(&project);

    let output = upgrade(&project, &[]);

    // Only the two files the team edited and the template rewrote conflict.
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert_eq!(conflicts(&output), RESTRUCTURED, "{}", stdout(&output));
    let after = read_tree(&project);
    for path in RESTRUCTURED {
        assert!(read(&project, path).contains("<<<<<<< yours\n"), "{path}");
    }
    resolve_the_platform_move(&project);
    let finished = upgrade(&project, &[]);
    assert_eq!(
        finished.status.code(),
        Some(0),
        "{}{}",
        stdout(&finished),
        stderr(&finished)
    );
    // The team's edits.
    assert!(read(&project, "src/greetings.rs").contains("pub async fn greet"));
    assert!(read(&project, "src/routes.rs").contains("/greetings/{name}"));
    assert!(read(&project, "src/lib.rs").contains("pub mod greetings;"));
    assert!(read(&project, "Cargo.toml").contains("bytes = \"1\""));
    assert!(read(&project, "compose.yaml").contains("\"127.0.0.1:18080:8080\""));
    assert!(read(&project, "compose.yaml").contains("GREETING: Welcome"));
    assert!(read(&project, "README.md").contains("## Greetings"));
    assert!(read(&project, "tests/api/main.rs").contains("fn a_greeting_names_whoever_asks"));
    assert!(
        !project.join(".trivyignore").exists(),
        "a deleted file came back"
    );
    // The template's changes: every file the team left alone is the new template's, at its
    // new path where the template moved it.
    let renames = renames_since_0_1_0();
    for (path, theirs) in &renders.theirs {
        let old = renames
            .iter()
            .find(|(_, new)| new == path)
            .map_or(path.as_str(), |(old, _)| old.as_str());
        if path == "Cargo.lock" || !ours.contains_key(old) {
            continue;
        }
        if renders.base.get(old) == ours.get(old) {
            assert!(
                after.get(path) == Some(theirs),
                "{path} is not the template's new version"
            );
        }
    }
    for (old, new) in &renames {
        if renders.theirs.contains_key(new) && ours.contains_key(old) {
            assert!(
                !after.contains_key(old),
                "{old} was left behind by its move to {new}"
            );
        }
    }
    // And where both changed a file, the result is git merge-file's.
    let scratch = scratch_dir("merge-file");
    for (path, theirs) in &renders.theirs {
        let (Some(base), Some(mine)) = (renders.base.get(path), ours.get(path)) else {
            continue;
        };
        if base == mine || base == theirs || mine == theirs || path == "Cargo.lock" {
            continue;
        }
        for (name, bytes) in [("ours", mine), ("base", base), ("theirs", theirs)] {
            std::fs::write(scratch.join(name), bytes).unwrap();
        }
        let merged = run(clean_command("git")
            .current_dir(&scratch)
            .args([
                "merge-file",
                "-p",
                "--diff3",
                "-L",
                "yours",
                "-L",
                "template 0.1.0",
            ])
            .args(["-L", &format!("template {}", current_version())])
            .args(["ours", "base", "theirs"]));
        assert!(
            after.get(path) == Some(&merged.stdout),
            "{path} differs from git merge-file's"
        );
    }
    let record = read(&project, ".cargo-microservice.toml");
    assert!(
        record.contains(&format!("template_version = \"{}\"", current_version())),
        "{record}"
    );
    assert!(
        stdout(&output).contains("taken as made by template 0.1.0"),
        "{}",
        stdout(&output)
    );
}

/// Every path the template moved since 0.1.0, as `versions.toml` records them (old, new).
fn renames_since_0_1_0() -> Vec<(String, String)> {
    read(&repo_root(), "cli/template-versions/versions.toml")
        .lines()
        .filter_map(|line| {
            let (old, new) = line.split_once(" = ")?;
            old.starts_with('"').then(|| {
                (
                    old.trim_matches('"').to_owned(),
                    new.trim_matches('"').to_owned(),
                )
            })
        })
        .collect()
}

fn current_version() -> String {
    let versions = read(&repo_root(), "cli/template-versions/versions.toml");
    versions
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("version = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_owned()
}

#[test]
fn a_second_upgrade_writes_nothing() {
    let project = fixture("upgrade-twice");
    upgrade_resolving_the_platform_move(&project);
    let before = fingerprint(&project);

    let second = upgrade(&project, &[]);
    let check = upgrade(&project, &["--check"]);

    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        stdout(&second).contains("is up to date with template"),
        "{}",
        stdout(&second)
    );
    assert_eq!(check.status.code(), Some(0));
    assert_unchanged(&project, &before, "second upgrade");
}

/// Copier and OCA/maintainer-tools#645: a conflict must not exit 0. Here the team and the
/// template changed the same line: markers in that file alone, everything else applied, exit 1,
/// the recorded version kept; resolved and run again, exit 0.
#[test]
fn an_overlapping_edit_is_a_conflict_with_markers_exit_1_and_a_rerun_finishes() {
    let Some(renders) = renders() else { return };
    let project = fixture("upgrade-conflict");
    // A line the template changed, changed differently by the team.
    let (path, line) = renders
        .theirs
        .iter()
        .filter(|(path, _)| path.ends_with(".rs") && !RESTRUCTURED.contains(&path.as_str()))
        .find_map(|(path, theirs)| {
            let base = String::from_utf8(renders.base.get(path)?.clone()).ok()?;
            let theirs = String::from_utf8(theirs.clone()).ok()?;
            let changed = base.lines().find(|line| {
                !line.trim().is_empty() && !theirs.lines().any(|other| other == *line)
            })?;
            Some((path.clone(), changed.to_owned()))
        })
        .expect("the template changed a line of some Rust file since 0.1.0");
    let text = read(&project, &path).replacen(&line, &format!("{line} // the team's"), 1);
    std::fs::write(project.join(&path), text).unwrap();
    committed(&project);

    let output = upgrade(&project, &[]);

    assert_eq!(
        output.status.code(),
        Some(1),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let conflicted = read(&project, &path);
    assert!(conflicted.contains("<<<<<<< yours\n"), "{conflicted}");
    assert!(
        conflicted.contains("||||||| template 0.1.0\n"),
        "{conflicted}"
    );
    assert!(
        stdout(&output).contains(&format!("conflict  {path}")),
        "{}",
        stdout(&output)
    );
    assert!(read(&project, "src/greetings.rs").contains("greet"));
    let record = read(&project, ".cargo-microservice.toml");
    assert!(
        record.contains("tool_version = \"0.1.0\"") && record.contains("[upgrade]"),
        "{record}"
    );
    assert!(leftovers(&project, ".rej").is_empty() && leftovers(&project, ".orig").is_empty());

    // Resolved as the team sees fit: their line, no markers.
    let resolved: String = conflicted
        .split_inclusive('\n')
        .scan(0, |state, line| {
            let keep = match line {
                l if l.starts_with("<<<<<<< ") => {
                    *state = 1;
                    false
                }
                l if l.starts_with("||||||| ") || l == "=======\n" => {
                    *state = 2;
                    false
                }
                l if l.starts_with(">>>>>>> ") => {
                    *state = 0;
                    false
                }
                _ => *state != 2,
            };
            Some(if keep { line } else { "" })
        })
        .collect();
    std::fs::write(project.join(&path), &resolved).unwrap();
    resolve_the_platform_move(&project);
    let rerun = upgrade(&project, &[]);

    assert_eq!(
        rerun.status.code(),
        Some(0),
        "{}{}",
        stdout(&rerun),
        stderr(&rerun)
    );
    assert_eq!(read(&project, &path), resolved);
    let record = read(&project, ".cargo-microservice.toml");
    assert!(!record.contains("[upgrade]"), "{record}");
    assert!(record.contains(&format!("template_version = \"{}\"", current_version())));
}

/// Copier #1721, #1735: a file the team deleted must stay deleted, though the template changed
/// it.
#[test]
fn a_file_the_team_deleted_stays_deleted_even_when_the_template_changed_it() {
    let Some(renders) = renders() else { return };
    let project = fixture("upgrade-deleted");
    let changed = renders
        .theirs
        .iter()
        .find(|(path, theirs)| {
            *path != "Cargo.lock"
                && !RESTRUCTURED.contains(&path.as_str())
                && renders.base.get(*path).is_some_and(|base| base != *theirs)
        })
        .map(|(path, _)| path.clone())
        .expect("the template changed some file since 0.1.0");
    std::fs::remove_file(project.join(&changed)).unwrap();

    let output = upgrade_resolving_the_platform_move(&project);

    assert!(!project.join(&changed).exists(), "{changed} came back");
    assert!(
        stdout(&output).contains(&format!(
            "deleted   {changed} (you deleted it: it stays deleted)"
        )),
        "{}",
        stdout(&output)
    );
}

/// `--set database=none` drops the store code; where the team changed it, that is a conflict
/// (listed, exit 1, the file kept), never a silent deletion; and a file the new answer adds where
/// the team already has one of that name is a conflict, never an overwrite.
#[test]
fn an_answer_that_drops_or_adds_a_file_the_team_touched_is_a_conflict() {
    let project = fixture("upgrade-drops-store");
    upgrade_resolving_the_platform_move(&project);
    let store_tests = format!(
        "{}// the team's test of a query\n",
        read(&project, "tests/api/postgres.rs")
    );
    std::fs::write(project.join("tests/api/postgres.rs"), &store_tests).unwrap();
    std::fs::write(
        project.join("tests/api/in_memory.rs"),
        "// the team's own cache tests\n",
    )
    .unwrap();

    let output = upgrade(&project, &["--set", "database=none"]);

    assert_eq!(
        output.status.code(),
        Some(1),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let plan = stdout(&output);
    assert!(
        plan.contains(
            "conflict  tests/api/postgres.rs (the template no longer has it, and you changed it"
        ),
        "{plan}"
    );
    assert!(plan.contains("conflict  tests/api/in_memory.rs"), "{plan}");
    assert_eq!(read(&project, "tests/api/postgres.rs"), store_tests);
    assert!(
        read(&project, "tests/api/in_memory.rs")
            .contains("<<<<<<< yours\n// the team's own cache tests")
    );
    assert!(
        !project.join("src/platform/migrate.rs").exists(),
        "an untouched dropped file stays"
    );
}

/// A file the template moved (0.4.0: `src/logging.rs` into `src/platform/`) carries the team's
/// edit to its new path, and the old path is gone.
#[test]
fn a_team_edit_inside_a_moved_file_follows_it_to_its_new_path() {
    let project = fixture("upgrade-moved");
    let edited = read(&project, "src/logging.rs").replacen(
        "const CLIENT_ERRORS_PER_WINDOW: u32 = 20;",
        "const CLIENT_ERRORS_PER_WINDOW: u32 = 50;",
        1,
    );
    assert!(edited.contains("= 50;"));
    std::fs::write(project.join("src/logging.rs"), edited).unwrap();

    let output = upgrade_resolving_the_platform_move(&project);

    assert!(
        stdout(&output).contains("moved     src/logging.rs -> src/platform/logging.rs"),
        "{}",
        stdout(&output)
    );
    let moved = read(&project, "src/platform/logging.rs");
    assert!(
        moved.contains("const CLIENT_ERRORS_PER_WINDOW: u32 = 50;"),
        "{moved}"
    );
    assert!(
        moved.starts_with("//! Platform: the template maintains this file"),
        "{moved}"
    );
    assert!(!project.join("src/logging.rs").exists());
}

/// Copier #2386: no `.rej`, `.orig` or backup file is left beside the merged ones, after a
/// clean upgrade or a conflicted one.
#[test]
fn no_rej_orig_or_backup_file_is_ever_left() {
    let project = fixture("upgrade-leftovers");
    let left = |when: &str| {
        for pattern in [".rej", ".orig", ".cargo-microservice-", ".bak"] {
            assert!(
                leftovers(&project, pattern).is_empty(),
                "{when}: {pattern}: {:?}",
                leftovers(&project, pattern)
            );
        }
    };

    let conflicted = upgrade(&project, &[]);
    left("with conflicts");
    resolve_the_platform_move(&project);
    let finished = upgrade(&project, &[]);

    assert_eq!(conflicted.status.code(), Some(1), "{}", stderr(&conflicted));
    assert_eq!(finished.status.code(), Some(0), "{}", stderr(&finished));
    left("finished");
}

/// cruft #44, #47, #206, #287: the old render must be rebuilt (here offline, from the CLI's
/// own archive: no checkout, no network, a fresh HOME), and a record it does not match is
/// refused rather than merged against the wrong base.
#[test]
fn the_old_render_is_rebuilt_offline_and_a_record_that_does_not_match_is_refused() {
    let project = fixture("upgrade-offline");
    upgrade_resolving_the_platform_move(&project);
    // Now a project with hashes recorded: a tampered one must not merge against a wrong base.
    let record = read(&project, ".cargo-microservice.toml");
    let (line, _) = record
        .lines()
        .map(|line| (line, ()))
        .find(|(line, _)| line.starts_with("\"src/routes.rs\" = "))
        .expect("the record hashes src/routes.rs");
    let tampered = record.replace(line, "\"src/routes.rs\" = \"sha256:00\"");
    std::fs::write(project.join(".cargo-microservice.toml"), tampered).unwrap();
    let mut with_set = cli(&["upgrade", "--set", "port=9000"]);
    with_set.arg(&project).env("CARGO_NET_OFFLINE", "true");
    let before = fingerprint(&project);

    let output = run(&mut with_set);

    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("src/routes.rs differs"),
        "{}",
        stderr(&output)
    );
    assert_unchanged(&project, &before, "tampered record");
}

#[test]
fn dry_run_prints_the_plan_and_a_diff_and_check_says_behind_writing_nothing() {
    let project = fixture("upgrade-dry-run");
    let before = fingerprint(&project);

    let dry = upgrade(&project, &["--dry-run", "--diff"]);
    let check = upgrade(&project, &["--check"]);

    // As the upgrade itself would: 1, for the two conflicts of the platform's move.
    assert_eq!(dry.status.code(), Some(1), "{}", stderr(&dry));
    let plan = stdout(&dry);
    assert!(plan.contains("Would upgrade"), "{plan}");
    assert!(plan.contains("Nothing was written (--dry-run)."), "{plan}");
    assert!(plan.contains("--- a/"), "{plan}");
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    assert!(stdout(&check).contains("is behind"), "{}", stdout(&check));
    assert_unchanged(&project, &before, "dry run and check");
}

#[test]
fn bad_input_is_refused_with_exit_2_and_the_project_byte_identical() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "unknown key",
            &["--set", "colour=blue"],
            "colour is not an answer",
        ),
        (
            "invalid value",
            &["--set", "port=0"],
            "invalid --set \"port=0\"",
        ),
        ("not key=value", &["--set", "database"], "KEY=VALUE"),
        (
            "contradiction",
            &["--set", "base=alpine", "--set", "debian=trixie"],
            "debian=trixie applies only",
        ),
    ];
    for (case, flags, message) in cases {
        let project = fixture(&format!("upgrade-bad-{}", case.replace(' ', "-")));
        let before = fingerprint(&project);

        let output = upgrade(&project, flags);

        assert_eq!(output.status.code(), Some(2), "{case}: {}", stdout(&output));
        assert!(
            stderr(&output).contains(message),
            "{case}: {}",
            stderr(&output)
        );
        assert_unchanged(&project, &before, case);
    }
}

#[test]
fn a_directory_that_is_not_a_generated_project_says_what_is_missing() {
    let empty = scratch_dir("upgrade-not-a-project");
    let rendered = fixture("upgrade-cargo-generate");
    std::fs::remove_file(rendered.join(".cargo-microservice.toml")).unwrap();
    let before = fingerprint(&rendered);

    let nothing = upgrade(&empty, &[]);
    let not_recorded = upgrade(&rendered, &[]);

    assert_eq!(nothing.status.code(), Some(2));
    assert!(
        stderr(&nothing).contains("no .cargo-microservice.toml and no Cargo.toml"),
        "{}",
        stderr(&nothing)
    );
    assert_eq!(not_recorded.status.code(), Some(2));
    assert!(
        stderr(&not_recorded).contains(&format!("cargo microservice adopt {}", rendered.display())),
        "{}",
        stderr(&not_recorded)
    );
    assert_unchanged(&rendered, &before, "no record");
}

/// A project `cargo generate` made (no record) is adopted: the version and answers whose render
/// it matches best are recorded, and nothing else is written; then it upgrades.
#[test]
fn adopt_records_what_a_cargo_generate_project_was_made_from_and_then_it_upgrades() {
    let project = fixture("upgrade-adopt");
    std::fs::remove_file(project.join(".cargo-microservice.toml")).unwrap();
    let before = fingerprint(&project);

    let mut adopt = cli(&["adopt"]);
    let adopted = run(adopt.arg(&project));

    assert_eq!(adopted.status.code(), Some(0), "{}", stderr(&adopted));
    assert!(
        stdout(&adopted).contains("template 0.1.0"),
        "{}",
        stdout(&adopted)
    );
    assert!(
        stdout(&adopted).contains("base=distroless"),
        "{}",
        stdout(&adopted)
    );
    let mut after = fingerprint(&project);
    after.remove(".cargo-microservice.toml");
    assert_eq!(after, before, "adopt wrote something besides its record");
    upgrade_resolving_the_platform_move(&project);
    assert!(read(&project, "src/greetings.rs").contains("greet"));
}

#[test]
fn a_dirty_work_tree_is_refused_unless_allowed() {
    let project = fixture("upgrade-dirty");
    committed(&project);
    std::fs::write(project.join("NOTES.md"), "not committed\n").unwrap();
    let before = fingerprint(&project);

    let refused = upgrade(&project, &[]);

    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("NOTES.md"),
        "{}",
        stderr(&refused)
    );
    assert!(
        stderr(&refused).contains("--allow-dirty"),
        "{}",
        stderr(&refused)
    );
    assert_unchanged(&project, &before, "dirty tree");
    let allowed = upgrade(&project, &["--allow-dirty"]);
    // It ran: only the two conflicts of the platform's move stop it.
    assert_eq!(allowed.status.code(), Some(1), "{}", stderr(&allowed));
    assert_eq!(conflicts(&allowed), RESTRUCTURED);
}

#[test]
fn a_symlink_in_the_project_is_never_followed() {
    let project = fixture("upgrade-symlink");
    let outside = project.parent().unwrap().join("outside.rs");
    std::fs::write(&outside, "// the team's file outside the project\n").unwrap();
    std::fs::remove_file(project.join("src/routes.rs")).unwrap();
    std::os::unix::fs::symlink(&outside, project.join("src/routes.rs")).unwrap();
    let before = fingerprint(project.parent().unwrap());

    let output = upgrade(&project, &[]);

    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("is a symbolic link"),
        "{}",
        stderr(&output)
    );
    assert_unchanged(project.parent().unwrap(), &before, "symlink");
}

#[test]
fn a_full_disk_part_way_leaves_the_project_as_it_was() {
    let Some(disk) = Mount::tmpfs("upgrade-full-disk", "2m") else {
        return;
    };
    let project = disk.dir.join("orders");
    copy_tree(&repo_root().join(FIXTURE), &project);
    // Fill the disk but for a few pages: the project fits, the upgrade's files do not.
    let stat = rustix::fs::statvfs(&disk.dir).unwrap();
    let free = stat.f_bavail * stat.f_frsize;
    std::fs::write(
        disk.dir.join("filler"),
        vec![0u8; (free - 16 * 1024) as usize],
    )
    .unwrap();
    let before = fingerprint(&disk.dir);

    let output = upgrade(&project, &[]);

    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("No space left on device"),
        "{}",
        stderr(&output)
    );
    assert_unchanged(&disk.dir, &before, "full disk");
}

/// The slow tier: the upgraded fixture and every answer changed after it, built, linted,
/// tested (on PostgreSQL) and checked, as their team would.
fn cargo_in(project: &Path, args: &[&str]) -> Command {
    cargo_in_rendered(env!("CARGO_TARGET_TMPDIR"), project, args)
}

fn upgraded_fixture(name: &str) -> PathBuf {
    let project = fixture(name);
    upgrade_resolving_the_platform_move(&project);
    project
}

/// `new orders --yes` with `flags`, today's template.
fn fresh(name: &str, flags: &[&str]) -> PathBuf {
    let root = scratch_dir(name);
    let mut args = vec!["--yes"];
    args.extend(flags);
    run_ok(&mut new_in(&root, "orders", &args));
    root.join("orders")
}

fn passes_fmt_clippy_tests_and_check(project: &Path, label: &str) {
    let started = std::time::Instant::now();
    let _building = orders_builds();
    run_ok(&mut cargo_in(project, &["fmt", "--check"]));
    run_ok(&mut cargo_in(
        project,
        &[
            "clippy",
            "--locked",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    ));
    let tests = run_ok(&mut cargo_in(project, &["test", "--locked"]));
    assert!(
        stdout(&tests).contains("test a_greeting_names_whoever_asks ... ok"),
        "{label}: the team's test did not run: {}",
        stdout(&tests)
    );
    run_ok(&mut cli(&["check", "--deny", "info", &arg(project)]));
    note(&format!(
        "{label}: fmt, clippy, tests and check --deny info passed in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
}

#[test]
fn the_teams_project_from_template_0_1_0_upgrades_and_passes_fmt_clippy_its_tests_and_check() {
    if require_server().is_none() {
        return;
    }
    let project = upgraded_fixture("upgrade-builds");

    passes_fmt_clippy_tests_and_check(&project, "the fixture upgraded");
}

/// The lines removed from and added to each file on the way from `reference` to `project`,
/// and whether each side has the file: the diff without the context lines a different base
/// brings. The record is the CLI's own, and differs by the answers.
type Edits = BTreeMap<String, (bool, bool, Vec<String>, Vec<String>)>;

fn edits(reference: &Path, project: &Path) -> Edits {
    let reference = read_tree(reference);
    let project = read_tree(project);
    let mut edits = Edits::new();
    for path in reference.keys().chain(project.keys()) {
        // The record is the CLI's own, `.env` the project's secret (`new` writes one afresh).
        if path == ".cargo-microservice.toml"
            || path == ".env"
            || reference.get(path) == project.get(path)
        {
            continue;
        }
        let text = |tree: &BTreeMap<String, Vec<u8>>| {
            String::from_utf8_lossy(tree.get(path).map_or(&[][..], Vec::as_slice)).into_owned()
        };
        let (old, new) = (text(&reference), text(&project));
        let (mut removed, mut added) = (Vec::new(), Vec::new());
        for change in similar::TextDiff::from_lines(&old, &new).iter_all_changes() {
            match change.tag() {
                similar::ChangeTag::Delete => removed.push(change.to_string()),
                similar::ChangeTag::Insert => added.push(change.to_string()),
                similar::ChangeTag::Equal => {}
            }
        }
        edits.insert(
            path.clone(),
            (
                reference.contains_key(path),
                project.contains_key(path),
                removed,
                added,
            ),
        );
    }
    edits
}

/// For each changed answer, `new` with the new answers differs from the upgraded project
/// exactly as `new` with the old answers differs from the project before: by the team's edits,
/// nothing else. Each builds and passes its tests (bases and releases change nothing cargo
/// reads: their Rust tree is the upgraded fixture's, proven by the test above, and asserted so).
#[test]
fn a_changed_answer_changes_what_new_would_and_keeps_the_teams_edits() {
    if require_server().is_none() {
        return;
    }
    let project = upgraded_fixture("set-before");
    let team = edits(&fresh("set-new-before", &[]), &project);
    assert!(team.contains_key("src/greetings.rs"), "{:?}", team.keys());
    let rust = |dir: &Path| {
        let mut tree = read_tree(dir);
        // The container proof's expectations follow the base and release (uid, shell, the
        // PostgreSQL image): not the service's code.
        tree.retain(|path, _| {
            (path.starts_with("src/") || path.starts_with("tests/") || path.starts_with("Cargo."))
                && path != "tests/container/main.rs"
        });
        tree
    };

    for (set, flags) in [
        ("base=static", ["--base", "static"]),
        ("database=none", ["--database", "none"]),
        ("debian=bookworm", ["--debian", "bookworm"]),
    ] {
        let label = set.replace('=', "-");
        let changed = upgraded_fixture(&format!("set-{label}"));
        let output = upgrade(&changed, &["--set", set]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{set}: {}{}",
            stdout(&output),
            stderr(&output)
        );

        let after = edits(&fresh(&format!("set-new-{label}"), &flags), &changed);

        assert_eq!(
            after, team,
            "{set}: the upgraded project differs from `new` with the new answers by more (or less) than the team's edits"
        );
        if set == "database=none" {
            passes_fmt_clippy_tests_and_check(&changed, &format!("--set {set}"));
        } else {
            assert!(
                rust(&changed) == rust(&project),
                "{set}: the Rust tree changed"
            );
            run_ok(&mut cli(&["check", "--deny", "info", &arg(&changed)]));
        }
    }
}
