//! `new` never hurts a user's files: every refusal and every failure part-way leaves the
//! destination, and everything outside it, byte-identical, with the documented exit status.

use crate::helpers::*;
use std::os::unix::fs::symlink;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `new orders --force` into `root`, with `extra` flags.
fn force_into(root: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["new", "orders", "--force", "--vcs", "none"];
    args.extend_from_slice(extra);
    let root = arg(root);
    args.extend(["--destination", &root]);
    run(&mut cli(&args))
}

#[test]
fn force_never_writes_through_a_symlink_inside_the_project() {
    let root = scratch_dir("symlink-file");
    std::fs::write(
        root.join("outside.txt"),
        "the user's file outside the project\n",
    )
    .unwrap();
    let project = users_project(&root);
    std::fs::remove_file(project.join("Cargo.toml")).unwrap();
    symlink("../outside.txt", project.join("Cargo.toml")).unwrap();
    let before = fingerprint(&root);

    for extra in [&[][..], &["--dry-run"][..]] {
        let output = force_into(&root, extra);

        assert_eq!(
            output.status.code(),
            Some(2),
            "{extra:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output)
                .contains("orders/Cargo.toml is a symbolic link: new never writes through one"),
            "{extra:?}: {}",
            stderr(&output)
        );
        assert_unchanged(&root, &before, &format!("symlinked file {extra:?}"));
    }
}

#[test]
fn force_never_follows_a_symlinked_directory_out_of_the_project() {
    let root = scratch_dir("symlink-dir");
    std::fs::create_dir(root.join("elsewhere")).unwrap();
    std::fs::write(root.join("elsewhere/main.rs"), "someone else's code\n").unwrap();
    let project = users_project(&root);
    std::fs::remove_dir_all(project.join("src")).unwrap();
    symlink("../elsewhere", project.join("src")).unwrap();
    let before = fingerprint(&root);

    let output = force_into(&root, &[]);

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("orders/src is a symbolic link"),
        "{}",
        stderr(&output)
    );
    assert_unchanged(&root, &before, "symlinked directory");
}

#[test]
fn a_project_directory_that_is_a_symlink_is_refused() {
    let root = scratch_dir("symlink-project");
    std::fs::create_dir(root.join("real")).unwrap();
    symlink("real", root.join("orders")).unwrap();
    let before = fingerprint(&root);

    let output = force_into(&root, &[]);

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("orders is a symbolic link"),
        "{}",
        stderr(&output)
    );
    assert_unchanged(&root, &before, "symlinked project directory");
}

/// The user's own layout may route --destination through a link; only links inside the
/// project are refused.
#[test]
fn a_destination_reached_through_a_symlink_is_fine() {
    let root = scratch_dir("symlink-destination");
    std::fs::create_dir(root.join("real")).unwrap();
    symlink("real", root.join("link")).unwrap();

    let output = run_ok(&mut cli(&[
        "new",
        "orders",
        "--vcs",
        "none",
        "--destination",
        &arg(&root.join("link")),
    ]));

    assert!(
        root.join("real/orders/Cargo.toml").is_file(),
        "{}",
        stdout(&output)
    );
}

#[test]
fn paths_blocked_by_a_directory_or_a_file_are_refused_and_all_listed() {
    let root = scratch_dir("blocked");
    let project = users_project(&root);
    std::fs::create_dir(project.join("Dockerfile")).unwrap();
    std::fs::write(project.join("Dockerfile/keep"), "mine\n").unwrap();
    std::fs::write(
        project.join("tests"),
        "a file where the template has a directory\n",
    )
    .unwrap();
    let before = fingerprint(&root);

    for extra in [&[][..], &["--dry-run"][..]] {
        let output = force_into(&root, extra);

        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{extra:?}: {message}");
        assert!(
            message.contains("orders/Dockerfile is a directory where the template writes a file")
                && message.contains("orders/tests is a file where the template needs a directory")
                && message.contains("nothing was written"),
            "{extra:?}: {message}"
        );
        assert_unchanged(&root, &before, &format!("blocked paths {extra:?}"));
    }
}

/// `--force` replaces the user's files, not a named pipe or a socket that happens to sit
/// where the template writes one.
#[test]
fn a_named_pipe_or_a_socket_where_a_file_goes_is_refused() {
    let root = scratch_dir("special-files");
    let project = users_project(&root);
    std::fs::remove_file(project.join("Cargo.toml")).unwrap();
    run_ok(Command::new("mkfifo").arg(project.join("Cargo.toml")));
    let _socket = std::os::unix::net::UnixListener::bind(project.join("Dockerfile")).unwrap();
    let before = fingerprint(&root);

    for extra in [&[][..], &["--dry-run"][..]] {
        let output = force_into(&root, extra);

        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{extra:?}: {message}");
        assert!(
            message.contains("orders/Cargo.toml is a named pipe where the template writes a file")
                && message
                    .contains("orders/Dockerfile is a socket where the template writes a file"),
            "{extra:?}: {message}"
        );
        assert_unchanged(&root, &before, &format!("special files {extra:?}"));
    }
}

/// Above the project, a --destination that cannot become a directory is refused up front,
/// by the dry run too, with the path that stops it.
#[test]
fn a_destination_through_a_dangling_link_or_under_a_file_is_refused_naming_it() {
    let root = scratch_dir("destination-blocked");
    symlink("missing-dir", root.join("dangling")).unwrap();
    std::fs::write(root.join("a-file"), "mine\n").unwrap();
    let before = fingerprint(&root);

    for (destination, expected) in [
        (
            root.join("dangling"),
            "dangling is a symbolic link to missing-dir, which does not exist: create that directory, or pass another --destination",
        ),
        (
            root.join("dangling/services"),
            "dangling is a symbolic link to missing-dir, which does not exist",
        ),
        (
            root.join("a-file/services"),
            "a-file is a file: pass a directory with --destination",
        ),
    ] {
        for extra in [&[][..], &["--dry-run"][..]] {
            let output = run(&mut new_in(&destination, "orders", extra));

            let message = stderr(&output);
            assert_eq!(output.status.code(), Some(2), "{extra:?}: {message}");
            assert!(message.contains(expected), "{extra:?}: {message}");
            assert_unchanged(
                &root,
                &before,
                &format!("{} {extra:?}", destination.display()),
            );
        }
    }
}

#[test]
fn a_full_disk_part_way_leaves_every_file_of_the_users_as_it_was() {
    // 96 KiB: the user's files fit, the template's ~30 files (4 KiB pages each) do not.
    let Some(disk) = Mount::tmpfs("full-disk", "96k") else {
        return;
    };
    users_project(&disk.dir);
    std::fs::write(disk.dir.join("outside.txt"), "beside the project\n").unwrap();
    let before = fingerprint(&disk.dir);

    let output = force_into(&disk.dir, &[]);

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("No space left on device"),
        "{}",
        stderr(&output)
    );
    assert_unchanged(&disk.dir, &before, "full disk");
}

/// A file-size limit (RLIMIT_FSIZE) stops the render itself: still nothing is written.
#[test]
fn a_file_size_limit_stops_new_with_nothing_written() {
    let root = scratch_dir("fsize");
    users_project(&root);
    let before = fingerprint(&root);
    let mut command = clean_command("prlimit");
    command
        .args(["--fsize=4096", "--"])
        .arg(env!("CARGO_BIN_EXE_cargo-microservice"))
        .args(["new", "orders", "--force", "--vcs", "none", "--destination"])
        .arg(&root)
        .stdin(Stdio::null());

    let output = run(&mut command);

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("File too large"),
        "{}",
        stderr(&output)
    );
    assert_unchanged(&root, &before, "file-size limit");
}

#[test]
fn a_project_on_a_read_only_filesystem_is_refused_before_writing() {
    let Some(disk) = Mount::tmpfs("read-only", "1m") else {
        return;
    };
    users_project(&disk.dir);
    disk.remount_read_only();
    let before = fingerprint(&disk.dir);

    for extra in [&[][..], &["--dry-run"][..]] {
        let output = force_into(&disk.dir, extra);

        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("cannot be written (Read-only file system)"),
            "{}",
            stderr(&output)
        );
        assert_unchanged(&disk.dir, &before, "read-only");
    }
}

/// rustfmt that waits before formatting, so a signal lands while the engine renders; it
/// leaves `rustfmt-started` in `bin` when it begins. Since template 0.2.0 only earlier versions
/// run rustfmt: `upgrade` renders one of those (0.1.0) as its base.
pub fn slow_rustfmt(bin: &Path) {
    let real = String::from_utf8(run_ok(Command::new("rustup").args(["which", "rustfmt"])).stdout)
        .unwrap();
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" != --version ]; then touch {0}/rustfmt-started; sleep 2; fi\nexec {1} \"$@\"\n",
        bin.display(),
        real.trim()
    );
    std::fs::write(bin.join("rustfmt"), script).unwrap();
    run_ok(Command::new("chmod").arg("+x").arg(bin.join("rustfmt")));
}

/// Sent to the CLI alone (`kill`), and to its whole process group as Ctrl-C on a terminal sends
/// it, which stops the engine's rustfmt too: either way the signal is what the CLI reports, and
/// the project (here one `upgrade` renders template 0.1.0 for) is as it was.
#[test]
fn a_signal_during_the_render_leaves_no_staging_directory_and_nothing_written() {
    for (signal, status, to) in [
        ("INT", 130, "process"),
        ("TERM", 143, "process"),
        ("INT", 130, "group"),
        ("TERM", 143, "group"),
    ] {
        let case = format!("SIG{signal} to the {to}");
        let project = crate::upgrade::fixture(&format!("signal-{signal}-{to}"));
        let bin = scratch_dir(&format!("signal-{signal}-{to}-bin"));
        let temp = scratch_dir(&format!("signal-{signal}-{to}-tmp"));
        slow_rustfmt(&bin);
        let before = fingerprint(&project);
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
        let child = cli(&["upgrade", &arg(&project)])
            .env("PATH", path)
            .env("TMPDIR", &temp)
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let target = if to == "group" {
            format!("-{}", child.id())
        } else {
            child.id().to_string()
        };
        let started = Instant::now();
        while !bin.join("rustfmt-started").exists() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the render never began"
            );
            std::thread::sleep(Duration::from_millis(20));
        }

        run_ok(
            Command::new("kill")
                .arg(format!("-{signal}"))
                .arg("--")
                .arg(&target),
        );
        let output = child.wait_with_output().unwrap();

        assert_eq!(
            output.status.code(),
            Some(status),
            "{case}: {}",
            stderr(&output)
        );
        assert_eq!(
            stderr(&output),
            format!(
                "interrupted by SIG{signal}: nothing was written, and what was staged is removed\n"
            ),
            "{case}"
        );
        assert_unchanged(&project, &before, &case);
        assert!(
            std::fs::read_dir(&temp).unwrap().next().is_none(),
            "{case} left a staging directory in {}: {:?}",
            temp.display(),
            leftovers(&temp, "")
        );
    }
}

/// Signals at every moment of a run: each run either finishes the project or leaves the
/// user's files exactly as they were, with no temporaries or backups anywhere.
#[test]
fn a_signal_at_any_moment_leaves_the_users_files_whole() {
    let mut interrupted = 0;
    for delay_ms in (0..240).step_by(20) {
        let root = scratch_dir("signal-any");
        let temp = scratch_dir("signal-any-tmp");
        users_project(&root);
        let before = fingerprint(&root);
        let child = cli(&[
            "new",
            "orders",
            "--force",
            "--vcs",
            "none",
            "--destination",
            &arg(&root),
        ])
        .env("TMPDIR", &temp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .output();
        let output = child.wait_with_output().unwrap();

        match output.status.code() {
            Some(0) => assert!(root.join("orders/compose.yaml").is_file()),
            Some(143) => {
                interrupted += 1;
                assert_unchanged(&root, &before, &format!("SIGTERM after {delay_ms} ms"));
            }
            // Killed before the handler was in place (still reading values): nothing written.
            None => assert_unchanged(&root, &before, &format!("killed after {delay_ms} ms")),
            other => panic!("exit {other:?} after {delay_ms} ms: {}", stderr(&output)),
        }
        assert_eq!(
            leftovers(&root, ".cargo-microservice-"),
            Vec::<String>::new()
        );
        assert_eq!(
            leftovers(&temp, "cargo-microservice-"),
            Vec::<String>::new()
        );
    }
    assert!(interrupted > 0, "no signal landed while new was working");
}

#[test]
fn cargo_reserved_names_are_refused_with_exit_2_before_the_engine_runs() {
    let long = "a".repeat(65);
    for name in [
        "build",
        "deps",
        "examples",
        "incremental",
        "test",
        "std",
        "fn",
        "Async-",
        "Self",
        "con",
        &long,
    ] {
        let root = scratch_dir("reserved");
        std::fs::write(root.join("keep.txt"), "untouched\n").unwrap();
        let before = fingerprint(&root);

        let output = run(&mut cli(&["new", name, "--destination", &arg(&root)]));

        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {message}");
        assert!(
            message.starts_with(&format!("error: invalid project name {name:?}: it ")),
            "{name}: {message}"
        );
        for engine_trace in ["rhai", "Runtime error", "/tmp", "cargo-generate"] {
            assert!(!message.contains(engine_trace), "{name}: {message}");
        }
        assert_unchanged(&root, &before, name);
    }
}

/// The template is stored formatted: `new` needs no rustfmt and renders the same bytes
/// without it. Only an upgrade from template 0.1.0, which rustfmt formatted, needs it, and
/// says so.
#[test]
fn new_needs_no_rustfmt_and_an_upgrade_from_0_1_0_names_the_fix_when_it_is_missing() {
    let with = scratch_dir("rustfmt-with");
    let without = scratch_dir("rustfmt-without");
    let bin = scratch_dir("no-rustfmt-bin");
    // git only: no rustfmt, no cargo.
    symlink(
        String::from_utf8(run_ok(Command::new("sh").args(["-c", "command -v git"])).stdout)
            .unwrap()
            .trim(),
        bin.join("git"),
    )
    .unwrap();
    let project = crate::upgrade::fixture("no-rustfmt-upgrade");
    let before = fingerprint(&project);

    let formatted = run(&mut new_in(&with, "orders", &["--yes"]));
    let unformatted = run(new_in(&without, "orders", &["--yes"]).env("PATH", &bin));
    let upgrade = run(cli(&["upgrade", &arg(&project)]).env("PATH", &bin));

    assert_eq!(formatted.status.code(), Some(0), "{}", stderr(&formatted));
    assert_eq!(
        unformatted.status.code(),
        Some(0),
        "{}",
        stderr(&unformatted)
    );
    assert!(
        without_secrets(read_tree(&with.join("orders")))
            == without_secrets(read_tree(&without.join("orders"))),
        "rustfmt changed the render"
    );
    assert_eq!(upgrade.status.code(), Some(2), "{}", stderr(&upgrade));
    assert!(
        stderr(&upgrade).contains("rustfmt is not installed")
            && stderr(&upgrade).contains("rustup component add rustfmt"),
        "{}",
        stderr(&upgrade)
    );
    assert_unchanged(&project, &before, "no rustfmt");
}
