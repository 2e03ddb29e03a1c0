//! Every command that prints, to a pipe its reader closed and to a full device, and every
//! subcommand held to the README's exit-status table.

use crate::helpers::*;
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn check_corpus(case: &str) -> String {
    arg(&Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/check/corpus")
        .join(case))
}

/// Each command that prints, with the status it ends with when it succeeds.
fn output_commands(destination: &Path) -> Vec<(Vec<String>, i32)> {
    let example = arg(&repo_root().join("examples/orders"));
    let destination = arg(destination);
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["variants"], 0),
        (vec!["variants", "--json"], 0),
        (vec!["completions", "bash"], 0),
        (vec!["completions", "zsh"], 0),
        (vec!["check", &example], 0),
        (vec!["check", &example, "--format", "sarif"], 0),
        (vec!["check", "--explain", "CM005"], 0),
        (vec!["--help"], 0),
        (vec!["--version"], 0),
        (vec!["new", "--help"], 0),
        (
            vec!["new", "orders", "--dry-run", "--destination", &destination],
            0,
        ),
    ];
    let mut cases: Vec<(Vec<String>, i32)> = cases
        .into_iter()
        .map(|(args, status)| (args.into_iter().map(String::from).collect(), status))
        .collect();
    cases.push((
        vec![
            "check".into(),
            check_corpus("seed-article"),
            "--deny".into(),
            "warning".into(),
        ],
        1,
    ));
    cases
}

/// A scratch destination with a file of the user's, and a file beside it.
fn watched(name: &str) -> (PathBuf, PathBuf) {
    let root = scratch_dir(name);
    std::fs::write(root.join("beside.txt"), "outside the destination\n").unwrap();
    let destination = root.join("services");
    std::fs::create_dir(&destination).unwrap();
    std::fs::write(destination.join("keep.txt"), "the user's\n").unwrap();
    (root, destination)
}

#[test]
fn a_closed_pipe_ends_every_command_quietly_with_its_usual_status() {
    let (root, destination) = watched("closed-pipe");
    let before = fingerprint(&root);
    for (args, status) in output_commands(&destination) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // The reader is gone before the command starts: its first write meets EPIPE.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);

        let output = run(cli(&args).stdout(writer));

        assert_eq!(
            output.status.code(),
            Some(status),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(
            stderr(&output),
            "",
            "{args:?} complained about the closed pipe"
        );
        assert_unchanged(&root, &before, &format!("{args:?} into a closed pipe"));
    }
}

#[test]
fn a_full_device_is_an_error_with_a_message_for_every_command() {
    let (root, destination) = watched("dev-full");
    let before = fingerprint(&root);
    for (args, _) in output_commands(&destination) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();

        let output = run(cli(&args).stdout(full));

        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).starts_with("error: ")
                && stderr(&output).contains("No space left on device"),
            "{args:?}: {}",
            stderr(&output)
        );
        if args.contains(&"--dry-run") {
            assert!(
                stderr(&output).contains("nothing was written")
                    && !stderr(&output).contains("was created"),
                "{args:?}: {}",
                stderr(&output)
            );
        }
        assert_unchanged(&root, &before, &format!("{args:?} into /dev/full"));
    }
}

/// A message on stderr that cannot be shown (stderr closed, or full) changes nothing: the
/// status is still the one the README gives, never a panic's 101.
#[test]
fn an_unwritable_stderr_leaves_every_status_as_it_was() {
    let (root, destination) = watched("stderr");
    let dest = arg(&destination);
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["new", "9lives", "--destination", &dest], 2),
        (vec!["check", "/nonexistent/project"], 2),
        (vec!["variants", "--yaml"], 2),
        (
            vec![
                "new",
                "orders",
                "--dry-run",
                "--verbose",
                "--destination",
                &dest,
            ],
            0,
        ),
    ];
    let before = fingerprint(&root);
    for (args, status) in cases {
        for closed_pipe in [true, false] {
            let stderr = if closed_pipe {
                let (reader, writer) = std::io::pipe().unwrap();
                drop(reader);
                Stdio::from(writer)
            } else {
                Stdio::from(
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open("/dev/full")
                        .unwrap(),
                )
            };

            let output = cli(&args)
                .stdout(Stdio::null())
                .stderr(stderr)
                .output()
                .unwrap();

            assert_eq!(
                output.status.code(),
                Some(status),
                "{args:?}, stderr {}",
                if closed_pipe { "closed" } else { "full" }
            );
        }
    }
    assert_unchanged(&root, &before, "an unwritable stderr");
}

/// The project is complete before its summary is printed: a summary that cannot be printed
/// does not undo it, and the message says it is there.
#[test]
fn new_whose_summary_cannot_be_printed_still_leaves_a_whole_project() {
    for (case, closed_pipe) in [("closed pipe", true), ("/dev/full", false)] {
        let (root, destination) = watched("new-output");
        let stdout = if closed_pipe {
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            Stdio::from(writer)
        } else {
            Stdio::from(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            )
        };

        let output = run(cli(&[
            "new",
            "orders",
            "--vcs",
            "none",
            "--destination",
            &arg(&destination),
        ])
        .stdout(stdout));

        let expected = if closed_pipe { 0 } else { 2 };
        assert_eq!(
            output.status.code(),
            Some(expected),
            "{case}: {}",
            stderr(&output)
        );
        if !closed_pipe {
            assert!(
                stderr(&output)
                    .contains("orders was created, but its summary could not be printed"),
                "{}",
                stderr(&output)
            );
        }
        assert!(destination.join("orders/compose.yaml").is_file(), "{case}");
        assert_eq!(
            leftovers(&root, "cargo-microservice-"),
            Vec::<String>::new()
        );
    }
}

/// README, "Exit status": 0 done or clean, 1 check findings, 2 anything that stopped the work.
#[test]
fn every_subcommand_exits_with_the_status_the_readme_gives() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    for row in [
        "| 0 | done; `check`: no finding at or above `--deny`; `upgrade`: upgraded, or nothing to do | all |",
        "| 1 | `check` found something at or above `--deny`; `upgrade` wrote conflicts to resolve, or (`--check`) the project is behind | `check`, `upgrade` |",
        "| 130, 143 | `new` or `upgrade` stopped by SIGINT or SIGTERM; nothing written | `new`, `upgrade` |",
    ] {
        assert!(
            readme.contains(row),
            "README's exit-status table lacks {row}"
        );
    }
    let (_root, destination) = watched("exit-status");
    let file = destination.join("keep.txt");
    let example = arg(&repo_root().join("examples/orders"));
    let dest = arg(&destination);
    let seed = check_corpus("seed-article");
    let made = arg(&destination.join("orders"));
    let behind = crate::upgrade::fixture("exit-status-behind");
    let behind = arg(&behind);
    let cases: Vec<(&str, Vec<&str>, i32)> = vec![
        (
            "new: done",
            vec!["new", "orders", "--vcs", "none", "--destination", &dest],
            0,
        ),
        (
            "new: dry run",
            vec!["new", "other", "--dry-run", "--destination", &dest],
            0,
        ),
        (
            "new: a bad value",
            vec!["new", "orders", "--port", "0", "--destination", &dest],
            2,
        ),
        ("new: a bad flag", vec!["new", "orders", "--bogus"], 2),
        (
            "new: not empty",
            vec!["new", "orders", "--destination", &dest],
            2,
        ),
        (
            "new: a file as destination",
            vec!["new", "x", "--destination", file.to_str().unwrap()],
            2,
        ),
        (
            "new: cannot create",
            vec!["new", "x", "--destination", "/proc/cargo-microservice"],
            2,
        ),
        ("upgrade: nothing to do", vec!["upgrade", &made], 0),
        ("upgrade: behind", vec!["upgrade", "--check", &behind], 1),
        (
            "upgrade: a bad answer",
            vec!["upgrade", &made, "--set", "port=0"],
            2,
        ),
        ("upgrade: not a project", vec!["upgrade", &dest], 2),
        ("adopt: recorded already", vec!["adopt", &made], 2),
        ("check: clean", vec!["check", &example], 0),
        (
            "check: findings",
            vec!["check", &seed, "--deny", "warning"],
            1,
        ),
        ("check: findings below --deny", vec!["check", &seed], 0),
        (
            "check: no such project",
            vec!["check", "/nonexistent/project"],
            2,
        ),
        (
            "check: no such rule",
            vec!["check", "--explain", "CM999"],
            2,
        ),
        ("check: a bad flag", vec!["check", "--format", "xml"], 2),
        ("variants", vec!["variants"], 0),
        ("variants: a bad flag", vec!["variants", "--yaml"], 2),
        ("completions", vec!["completions", "fish"], 0),
        ("completions: no such shell", vec!["completions", "cmd"], 2),
        // clap's own: the help, on stderr.
        ("no subcommand", vec![], 2),
        ("help", vec!["help"], 0),
    ];
    for (case, args, status) in cases {
        let output = run(&mut cli(&args));

        assert_eq!(
            output.status.code(),
            Some(status),
            "{case}: {}",
            stderr(&output)
        );
        if status == 2 && !args.is_empty() {
            assert!(
                stderr(&output).starts_with("error: "),
                "{case}: an error must say so: {}",
                stderr(&output)
            );
        }
    }
}
