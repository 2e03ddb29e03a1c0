//! What `new` met in the hands of a new user and must survive: a name that is a dependency's,
//! two runs into one folder, `--force` over a team's edits, a git hook's environment, a values
//! file that never ends, a broken `$TMPDIR`, a second Ctrl-C, a working directory that is gone.
//! Each test hashes the destination and a file outside it before and after.

use crate::helpers::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The destination with a file of the user's beside where the project goes.
fn destination(name: &str) -> std::path::PathBuf {
    let root = scratch_dir(name);
    std::fs::write(root.join("beside.txt"), "the user's file\n").unwrap();
    root
}

#[test]
fn a_name_of_a_crate_the_service_depends_on_is_refused_before_anything_is_written() {
    for name in [
        "serde",
        "tokio",
        "actix-web",
        "sqlx",
        "log",
        "prometheus",
        "http",
        "url",
        "time",
        "bytes",
        "regex",
    ] {
        let root = destination("dependency-name");
        let before = fingerprint(&root);

        let output = run(&mut new_in(&root, name, &["--yes"]));

        assert_eq!(output.status.code(), Some(2), "{name}: {}", stdout(&output));
        assert!(
            stderr(&output).contains("a crate the service depends on"),
            "{name}: {}",
            stderr(&output)
        );
        assert_unchanged(&root, &before, name);
    }
}

/// Two `new svc` at once into one folder, different variants: one wins, the other exits 2
/// having written nothing, and the project is one variant's, whole.
#[test]
fn two_runs_into_one_folder_never_mix_one_wins_and_the_other_writes_nothing() {
    for round in 0..4 {
        let root = destination(&format!("two-at-once-{round}"));
        let spawn = |base: &str| {
            new_in(&root, "svc", &["--yes", "--base", base])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };

        let (first, second) = (spawn("distroless"), spawn("static"));
        let outputs = [
            first.wait_with_output().unwrap(),
            second.wait_with_output().unwrap(),
        ];

        let codes: Vec<Option<i32>> = outputs.iter().map(|output| output.status.code()).collect();
        assert!(
            codes == [Some(0), Some(2)] || codes == [Some(2), Some(0)],
            "round {round}: {codes:?}: {}{}",
            stderr(&outputs[0]),
            stderr(&outputs[1])
        );
        let winner = if codes[0] == Some(0) {
            "distroless"
        } else {
            "static"
        };
        let alone = destination(&format!("alone-{round}"));
        run_ok(&mut new_in(&alone, "svc", &["--yes", "--base", winner]));
        let mut mine = without_secrets(read_tree(&root.join("svc")));
        let mut reference = without_secrets(read_tree(&alone.join("svc")));
        mine.remove(".cargo-microservice.toml");
        reference.remove(".cargo-microservice.toml");
        assert!(
            mine == reference,
            "round {round}: the project mixes two variants"
        );
        assert_eq!(
            std::fs::read_to_string(root.join("beside.txt")).unwrap(),
            "the user's file\n"
        );
        assert!(leftovers(&root, ".cargo-microservice-").is_empty());
    }
}

/// `--force` over a project the team edited: every file whose content changes is named (an
/// identical one is not "replaced"), modes stay (an executable stays executable), and the
/// summary points to `upgrade`, which would have kept the edits.
#[test]
fn force_names_each_file_it_changes_keeps_modes_and_points_to_upgrade() {
    let root = destination("force-edited");
    run_ok(&mut new_in(&root, "orders", &["--yes"]));
    let project = root.join("orders");
    std::fs::write(project.join("src/routes.rs"), "// the team's routes\n").unwrap();
    std::fs::write(project.join("README.md"), "# the team's README\n").unwrap();
    std::fs::set_permissions(
        project.join("build.rs"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let secrets = std::fs::read(project.join(".env")).unwrap();

    let output = run(&mut new_in(&root, "orders", &["--yes", "--force"]));

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary = stdout(&output);
    assert!(
        summary.contains("2 replaced: README.md, src/routes.rs"),
        "{summary}"
    );
    assert!(
        stderr(&output).contains("cargo microservice upgrade"),
        "{}",
        stderr(&output)
    );
    let mode = std::fs::metadata(project.join("build.rs"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o755, "build.rs lost its mode");
    assert_eq!(
        std::fs::read(project.join(".env")).unwrap(),
        secrets,
        ".env was rewritten"
    );
}

/// Inside a git hook, `GIT_DIR` points at the hook's repository: `git init` must still act on
/// the new project alone.
#[test]
fn git_init_ignores_git_dir_in_the_environment_and_acts_on_the_project_only() {
    let root = destination("git-dir");
    let other = scratch_dir("git-dir-other");
    run_ok(clean_command("git").args(["init", "--quiet"]).arg(&other));
    let other_before = fingerprint(&other);

    let output = run(
        cli(&["new", "orders", "--yes", "--destination", &arg(&root)])
            .env("GIT_DIR", other.join(".git"))
            .env("GIT_WORK_TREE", &other),
    );

    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(root.join("orders/.git").is_dir(), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("Git: a new git repository"),
        "{}",
        stdout(&output)
    );
    assert_unchanged(&other, &other_before, "the repository GIT_DIR named");
}

#[test]
fn a_values_file_that_is_not_a_regular_file_is_refused_at_once() {
    let root = destination("values-dev-zero");
    let before = fingerprint(&root);
    let started = Instant::now();

    let output = run(&mut new_in(
        &root,
        "orders",
        &["--yes", "--values-file", "/dev/zero"],
    ));

    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("is not a regular file"),
        "{}",
        stderr(&output)
    );
    assert_unchanged(&root, &before, "/dev/zero");
    let huge = scratch_dir("values-huge").join("values.toml");
    std::fs::write(&huge, format!("[values]\n{}", "# padding\n".repeat(10_000))).unwrap();
    let output = run(&mut new_in(
        &root,
        "orders",
        &["--yes", "--values-file", &arg(&huge)],
    ));
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("KiB"), "{}", stderr(&output));
    assert_unchanged(&root, &before, "a huge values file");
}

/// A missing, read-only or full `$TMPDIR`: the message names TMPDIR and the fix, not a staging
/// path that no longer exists.
#[test]
fn a_tmpdir_that_cannot_hold_the_staging_directory_is_named_with_the_fix() {
    let Some(read_only) = Mount::tmpfs("tmpdir-mount-read-only", "4m") else {
        return;
    };
    read_only.remount_read_only();
    let Some(full) = Mount::tmpfs("tmpdir-mount-full", "256k") else {
        return;
    };
    for (case, tmpdir) in [
        ("missing", Path::new("/nonexistent/tmp").to_owned()),
        ("read-only", read_only.dir.clone()),
        ("full", full.dir.clone()),
    ] {
        let root = destination(&format!("tmpdir-{case}"));
        let before = fingerprint(&root);

        let output = run(new_in(&root, "orders", &["--yes"]).env("TMPDIR", &tmpdir));

        assert_eq!(output.status.code(), Some(2), "{case}: {}", stdout(&output));
        let said = stderr(&output);
        assert!(
            said.contains(&format!("TMPDIR ({})", tmpdir.display())),
            "{case}: {said}"
        );
        assert!(
            said.contains("set TMPDIR to a writable directory"),
            "{case}: {said}"
        );
        assert!(
            !said.contains(&format!("{}/", tmpdir.display())),
            "{case} names a staging path: {said}"
        );
        assert_unchanged(&root, &before, case);
    }
}

#[test]
fn a_working_directory_that_is_gone_is_named_as_such() {
    let root = destination("cwd-gone");
    let gone = scratch_dir("cwd-gone-here");
    let before = fingerprint(&root);
    // A shell that stands in a directory, removes it, then runs new.
    let script = format!(
        "cd {} && rmdir {} && exec {} new orders --yes --destination {}",
        gone.display(),
        gone.display(),
        env!("CARGO_BIN_EXE_cargo-microservice"),
        root.display()
    );

    let output = run(clean_command("sh").args(["-c", &script]));

    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains("the current directory no longer exists"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("rustfmt"), "{}", stderr(&output));
    assert_unchanged(&root, &before, "working directory gone");
}

/// Ctrl-C twice while the command renders (here `upgrade`, whose base render of template 0.1.0
/// runs rustfmt, made slow): the second ends it at once, and removes the staging directory
/// first. `new` and `upgrade` share the handler.
#[test]
fn a_second_signal_ends_the_run_and_still_removes_the_staging_directory() {
    let project = crate::upgrade::fixture("second-signal");
    let bin = scratch_dir("second-signal-bin");
    let temp = scratch_dir("second-signal-tmp");
    crate::safety::slow_rustfmt(&bin);
    let before = fingerprint(&project);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let child = cli(&["upgrade", &arg(&project)])
        .env("PATH", path)
        .env("TMPDIR", &temp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !bin.join("rustfmt-started").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the render never began"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    for _ in 0..2 {
        run_ok(Command::new("kill").args(["-INT", &child.id().to_string()]));
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();

    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    assert!(
        std::fs::read_dir(&temp).unwrap().next().is_none(),
        "a staging directory was left in {}: {:?}",
        temp.display(),
        leftovers(&temp, "")
    );
    assert_unchanged(&project, &before, "two signals");
}
