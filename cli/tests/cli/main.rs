//! The `cargo-microservice` binary as people and scripts run it.

mod completions;
mod first_minute;
mod helpers;
mod new_hazards;
mod output;
mod safety;
mod upgrade;

use helpers::*;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

/// `cargo microservice new` flags for a variant.
fn variant_flags(variant: &Variant) -> Vec<String> {
    let mut flags = vec!["--base".to_owned(), variant.base.to_string()];
    if let Some(debian) = variant.debian {
        flags.extend(["--debian".to_owned(), debian.to_string()]);
    }
    flags.extend(["--database".to_owned(), variant.database.to_string()]);
    flags
}

#[test]
fn new_renders_the_same_tree_as_the_cargo_generate_binary_for_every_variant() {
    if !require_tool("cargo-generate", "--version") {
        return;
    }
    for variant in Variant::matrix() {
        let ours = scratch_dir(&format!("parity-cli-{}", variant.id()));
        let theirs = scratch_dir(&format!("parity-cg-{}", variant.id()));
        let destination = ours.display().to_string();
        let mut args = vec![
            "new",
            "orders",
            "--yes",
            "--vcs",
            "none",
            "--destination",
            &destination,
        ];
        let flags = variant_flags(&variant);
        args.extend(flags.iter().map(String::as_str));

        run_ok(&mut cli(&args));
        run_ok(&mut cargo_generate(
            &theirs,
            "orders",
            &values_file_args(&variant),
        ));

        let mut created = read_tree(&ours.join("orders"));
        let answers = created
            .remove(".cargo-microservice.toml")
            .expect("the answers file");
        // A per-project secret, written by `new` alone (`postgres` only): never the same twice.
        let secrets = created.remove(".env");
        assert_eq!(
            secrets.is_some(),
            variant.database == Database::Postgres,
            "{}: .env",
            variant.id()
        );
        assert!(
            String::from_utf8(answers)
                .unwrap()
                .contains(&format!("base = \"{}\"", variant.base))
        );
        assert!(
            created == read_tree(&theirs.join("orders")),
            "{}: cargo microservice new and cargo generate differ",
            variant.id()
        );
    }
}

#[test]
fn the_answers_file_renders_the_same_project_again() {
    let first = scratch_dir("answers-first");
    let second = scratch_dir("answers-second");
    let first_arg = first.display().to_string();
    run_ok(&mut cli(&[
        "new",
        "orders",
        "--yes",
        "--base",
        "static",
        "--port",
        "9000",
        "--vcs",
        "none",
        "--destination",
        &first_arg,
    ]));
    let answers = first
        .join("orders/.cargo-microservice.toml")
        .display()
        .to_string();

    let second_arg = second.display().to_string();
    run_ok(&mut cli(&[
        "new",
        "orders",
        "--values-file",
        &answers,
        "--vcs",
        "none",
        "--destination",
        &second_arg,
    ]));

    assert!(
        without_secrets(read_tree(&first.join("orders")))
            == without_secrets(read_tree(&second.join("orders")))
    );
}

/// Each bad input: its message, its exit code, and the destination exactly as it was.
#[test]
fn bad_input_is_refused_with_the_fix_and_leaves_the_destination_untouched() {
    let values_dir = scratch_dir("values");
    let malformed = values_dir.join("malformed.toml");
    std::fs::write(&malformed, "[values\nbase = ").unwrap();
    let unknown_key = values_dir.join("unknown.toml");
    std::fs::write(&unknown_key, "[values]\nbse = \"static\"\n").unwrap();
    let missing = values_dir.join("missing.toml");
    let (malformed, unknown_key, missing) = (
        malformed.display().to_string(),
        unknown_key.display().to_string(),
        missing.display().to_string(),
    );

    let cases: Vec<(&str, Vec<&str>, i32, &str)> = vec![
        (
            "invalid name",
            vec!["new", "9lives"],
            2,
            "invalid project name \"9lives\": it must start with a letter",
        ),
        ("keyword name", vec!["new", "fn"], 2, "it is a Rust keyword"),
        (
            "port 0",
            vec!["new", "orders", "--port", "0"],
            2,
            "invalid port \"0\": use a whole number from 1 to 65535",
        ),
        (
            "port 70000",
            vec!["new", "orders", "--port", "70000"],
            2,
            "invalid port \"70000\": use a whole number from 1 to 65535",
        ),
        (
            "port abc",
            vec!["new", "orders", "--port", "abc"],
            2,
            "invalid port \"abc\"",
        ),
        (
            "base foo",
            vec!["new", "orders", "--base", "foo"],
            2,
            "possible values: distroless, debian-slim, alpine, static",
        ),
        (
            "rust latest",
            vec!["new", "orders", "--rust-version", "latest"],
            2,
            "invalid rust_version \"latest\": pin a toolchain as major.minor[.patch], 1.85 or newer",
        ),
        (
            "debian with alpine",
            vec!["new", "orders", "--base", "alpine", "--debian", "bookworm"],
            2,
            "debian=bookworm applies only to the glibc bases",
        ),
        (
            "missing values file",
            vec!["new", "orders", "--values-file", &missing],
            2,
            "does not exist: pass the path of a TOML file with a [values] table",
        ),
        (
            "malformed values file",
            vec!["new", "orders", "--values-file", &malformed],
            2,
            "is not valid",
        ),
        (
            "unknown key",
            vec!["new", "orders", "--values-file", &unknown_key],
            2,
            "unknown field `bse`, expected one of `base`, `debian`, `rust_version`, `port`",
        ),
    ];
    for (case, args, code, message) in cases {
        let destination = scratch_dir("refused");
        std::fs::write(destination.join("keep.txt"), "untouched").unwrap();
        let before = read_tree(&destination);
        let mut args = args;
        let destination_arg = destination.display().to_string();
        args.extend(["--destination", &destination_arg]);

        let output = run(&mut cli(&args));

        assert_eq!(
            output.status.code(),
            Some(code),
            "{case}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(message),
            "{case}: {}",
            stderr(&output)
        );
        assert!(
            read_tree(&destination) == before,
            "{case}: the destination changed"
        );
    }
}

#[test]
fn a_destination_that_is_a_file_or_not_empty_is_refused_without_force() {
    let root = scratch_dir("occupied");
    let file = root.join("a-file");
    std::fs::write(&file, "x").unwrap();
    std::fs::create_dir(root.join("orders")).unwrap();
    std::fs::write(root.join("orders/main.rs"), "mine").unwrap();
    std::fs::write(root.join("billing"), "a file named as the project").unwrap();
    let before = read_tree(&root);

    let into_file = run(&mut cli(&[
        "new",
        "orders",
        "--destination",
        &file.display().to_string(),
    ]));
    let not_empty = run(&mut cli(&[
        "new",
        "orders",
        "--destination",
        &root.display().to_string(),
    ]));

    assert_eq!(into_file.status.code(), Some(2));
    assert!(
        stderr(&into_file).contains("is a file: pass a directory with --destination"),
        "{}",
        stderr(&into_file)
    );
    let project_is_a_file = run(&mut new_in(&root, "billing", &["--force"]));

    assert_eq!(not_empty.status.code(), Some(2));
    assert!(stderr(&not_empty).contains(
        "already exists and is not empty: pick another name or --destination, or pass --force"
    ));
    assert_eq!(project_is_a_file.status.code(), Some(2));
    assert!(
        stderr(&project_is_a_file).contains(
            "billing is a file, where the project's directory goes: pick another name or --destination"
        ),
        "{}",
        stderr(&project_is_a_file)
    );
    assert!(read_tree(&root) == before, "a refused new changed files");
}

#[test]
fn force_writes_into_a_non_empty_project_and_keeps_other_files() {
    let root = scratch_dir("forced");
    std::fs::create_dir(root.join("orders")).unwrap();
    std::fs::write(root.join("orders/NOTES.md"), "mine").unwrap();

    run_ok(&mut cli(&[
        "new",
        "orders",
        "--force",
        "--destination",
        &root.display().to_string(),
    ]));

    assert_eq!(
        std::fs::read_to_string(root.join("orders/NOTES.md")).unwrap(),
        "mine"
    );
    assert!(root.join("orders/Dockerfile").is_file());
}

#[test]
fn an_unwritable_destination_fails_with_exit_2_and_names_the_path() {
    // /proc refuses new directories even to root, whom file modes do not stop.
    let output = run(&mut cli(&[
        "new",
        "orders",
        "--destination",
        "/proc/cargo-microservice-test",
    ]));

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("/proc/cargo-microservice-test"),
        "{}",
        stderr(&output)
    );
    assert!(!Path::new("/proc/cargo-microservice-test").exists());
}

#[test]
fn dry_run_lists_the_files_and_writes_nothing() {
    let root = scratch_dir("dry-run");

    let output = run_ok(&mut cli(&[
        "new",
        "orders",
        "--dry-run",
        "--destination",
        &root.display().to_string(),
    ]));

    let listing = stdout(&output);
    let listed = listing
        .lines()
        .filter(|line| line.starts_with("  "))
        .count();
    assert!(
        listing.starts_with(&format!("Would write {listed} files into ")),
        "{listing}"
    );
    for file in [
        "  Dockerfile\n",
        "  src/main.rs\n",
        "  .cargo-microservice.toml\n",
    ] {
        assert!(listing.contains(file), "{listing}");
    }
    assert!(read_tree(&root).is_empty(), "a dry run wrote files");
}

/// The steps `new` prints are the service README's "Run it", read from it: one source, so the
/// two cannot disagree. (The docker suite runs them, as printed.)
#[test]
fn new_ends_with_the_next_steps_of_the_readmes_run_it() {
    for database in ["postgres", "none"] {
        let root = scratch_dir(&format!("next-steps-{database}"));

        let output = run_ok(&mut cli(&[
            "new",
            "orders",
            "--database",
            database,
            "--destination",
            &root.display().to_string(),
        ]));

        let text = stdout(&output);
        let printed: Vec<&str> = text
            .split_once("Next steps (README.md, \"Run it\"):\n")
            .unwrap_or_else(|| panic!("{text}"))
            .1
            .lines()
            .map(str::trim)
            .collect();
        let readme = std::fs::read_to_string(root.join("orders/README.md")).unwrap();
        let run_it: Vec<&str> = readme
            .split_once("\n## Run it\n")
            .and_then(|(_, section)| section.split_once("```sh\n"))
            .and_then(|(_, block)| block.split_once("```"))
            .unwrap()
            .0
            .lines()
            .collect();
        assert_eq!(printed[0], format!("cd {}", root.join("orders").display()));
        assert_eq!(&printed[1..], run_it.as_slice(), "{database}");
        for step in [
            "cargo run",
            "cargo test",
            "docker compose up --build --wait",
            "curl -s localhost:8080/health",
        ] {
            assert!(
                printed.iter().any(|line| line.starts_with(step)),
                "{database}: {text}"
            );
        }
    }
}

/// The prompts, answered through a pseudo-terminal as a person would: arrow keys and enter.
#[test]
fn prompts_on_a_terminal_render_the_chosen_variant() {
    if !require_tool("script", "--version") {
        return;
    }
    let root = scratch_dir("prompted");
    let command = format!(
        "{} new orders --destination {}",
        env!("CARGO_BIN_EXE_cargo-microservice"),
        root.display()
    );
    let mut child = clean_command("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut keys = child.stdin.take().unwrap();
    let pause = || std::thread::sleep(std::time::Duration::from_millis(700));
    pause();
    keys.write_all(b"\x1b[B\x1b[B\r").unwrap(); // base: down twice, from distroless to alpine
    pause();
    keys.write_all(b"\r").unwrap(); // rust_version: the default
    pause();
    keys.write_all(b"9090\r").unwrap(); // port
    pause();
    keys.write_all(b"\x1b[B\r").unwrap(); // database: down once, from postgres to none
    pause();
    drop(keys);

    let output = child.wait_with_output().unwrap();

    assert!(output.status.success(), "{}", stdout(&output));
    let screen = stdout(&output);
    assert!(
        screen.contains("Runtime base image"),
        "the template's prompt was not shown: {screen}"
    );
    let answers = std::fs::read_to_string(root.join("orders/.cargo-microservice.toml")).unwrap();
    assert!(
        answers.contains("base = \"alpine\"")
            && answers.contains("port = \"9090\"")
            && answers.contains("database = \"none\""),
        "{answers}"
    );
    assert!(
        !answers.contains("debian"),
        "alpine must not be asked for a Debian release: {answers}"
    );
    let dockerfile = std::fs::read_to_string(root.join("orders/Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("FROM alpine:3.23 AS runtime") && dockerfile.contains("EXPOSE 9090")
    );
}

#[test]
fn help_for_every_subcommand_is_pinned() {
    for (name, args) in [
        ("help", vec!["--help"]),
        ("new-help", vec!["new", "--help"]),
        ("upgrade-help", vec!["upgrade", "--help"]),
        ("adopt-help", vec!["adopt", "--help"]),
        ("check-help", vec!["check", "--help"]),
        ("variants-help", vec!["variants", "--help"]),
        ("completions-help", vec!["completions", "--help"]),
    ] {
        let output = run_ok(&mut cli(&args));
        insta::assert_snapshot!(name, stdout(&output));
    }
}

#[test]
fn variants_json_is_pinned_and_matches_the_matrix() {
    let output = run_ok(&mut cli(&["variants", "--json"]));

    let rows: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_str().unwrap())
        .collect();
    let matrix: Vec<String> = Variant::matrix().iter().map(Variant::id).collect();
    assert_eq!(ids, matrix);
    assert_eq!(
        rows.as_array()
            .unwrap()
            .iter()
            .filter(|row| row["default"] == true)
            .count(),
        1
    );
    insta::assert_json_snapshot!("variants", rows);
}

#[test]
fn it_works_as_a_cargo_subcommand_and_reports_its_version() {
    let as_subcommand = run_ok(&mut cli(&["microservice", "--version"]));
    let completions = run_ok(&mut cli(&["completions", "bash"]));

    assert_eq!(
        stdout(&as_subcommand).trim(),
        format!("cargo-microservice {}", env!("CARGO_PKG_VERSION"))
    );
    assert!(stdout(&completions).contains("cargo-microservice"));
}

/// As `cargo new`: a repository with no commit, none inside an existing one, none when asked.
#[test]
fn new_initialises_git_as_cargo_new_does() {
    let root = scratch_dir("git");
    let git = |dir: &Path, args: &[&str]| run(clean_command("git").current_dir(dir).args(args));

    let created = run_ok(&mut cli(&["new", "orders", "--destination", &arg(&root)]));
    let skipped = run_ok(&mut new_in(&root, "plain", &[]));
    assert!(!root.join("plain/.git").exists() && !stdout(&skipped).contains("Git:"));
    run_ok(
        clean_command("git")
            .args(["init", "--quiet"])
            .arg(root.join("plain")),
    );
    let nested = run_ok(&mut cli(&[
        "new",
        "inner",
        "--destination",
        &arg(&root.join("plain")),
    ]));

    let project = root.join("orders");
    assert!(project.join(".git").is_dir(), "{}", stdout(&created));
    assert!(stdout(&created).contains("Git: a new git repository; the first commit is yours."));
    assert!(
        !git(&project, &["rev-parse", "--verify", "HEAD"])
            .status
            .success(),
        "new made a commit"
    );
    assert_eq!(
        stdout(&git(&project, &["status", "--porcelain", "--ignored"]))
            .lines()
            .filter(|line| line.starts_with("!!"))
            .collect::<Vec<_>>(),
        ["!! .env"],
        "nothing rendered is ignored by its own .gitignore, but the secrets new writes"
    );
    assert!(
        !root.join("plain/inner/.git").exists(),
        "a repository inside a repository"
    );
    assert!(
        stdout(&nested).contains("Git: inside the git repository at"),
        "{}",
        stdout(&nested)
    );
}

#[test]
fn new_warns_when_a_cargo_workspace_would_swallow_the_project() {
    let root = scratch_dir("workspace");
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"listed\", \"crates/svc-*\", \"services\"]\nexclude = [\"vendor\"]\n",
    )
    .unwrap();

    let unlisted = run_ok(&mut new_in(&root, "orders", &[]));
    let listed = run_ok(&mut new_in(&root, "listed", &[]));
    let dry_run = run_ok(&mut new_in(&root, "other", &["--dry-run"]));
    let by_glob = run_ok(&mut new_in(&root.join("crates"), "svc-a", &["--dry-run"]));
    let excluded = run_ok(&mut new_in(&root.join("vendor/forks"), "x", &["--dry-run"]));
    // cargo takes a member's directory, not what is under it: it refuses services/billing.
    let under_a_member = run_ok(&mut new_in(
        &root.join("services"),
        "billing",
        &["--dry-run"],
    ));

    assert!(
        stderr(&unlisted).contains("warning: ")
            && stderr(&unlisted).contains("is inside the Cargo workspace of")
            && stderr(&unlisted).contains("add \"orders\" to that workspace's members or exclude"),
        "{}",
        stderr(&unlisted)
    );
    assert_eq!(stderr(&listed), "", "a listed member needs no warning");
    assert_eq!(stderr(&by_glob), "", "crates/svc-* lists crates/svc-a");
    assert_eq!(
        stderr(&excluded),
        "",
        "exclude takes in everything under it"
    );
    assert!(
        stderr(&under_a_member).contains("add \"services/billing\" to that workspace's members"),
        "{}",
        stderr(&under_a_member)
    );
    assert!(
        stderr(&dry_run).contains("add \"other\" to that workspace's members"),
        "a dry run warns too: {}",
        stderr(&dry_run)
    );
}

/// One summary on stdout; the engine's own log ("Destination: <staging dir>", "Done!") only
/// with --verbose.
#[test]
fn new_prints_one_summary_and_the_engines_log_only_when_verbose() {
    let root = scratch_dir("quiet");

    let quiet = run_ok(&mut new_in(&root, "orders", &[]));
    let dry = run_ok(&mut cli(&[
        "new",
        "other",
        "--dry-run",
        "--destination",
        &arg(&root),
    ]));
    let verbose = run_ok(&mut new_in(&root, "loud", &["--verbose"]));

    assert_eq!(stderr(&quiet), "");
    assert_eq!(stderr(&dry), "");
    for output in [&quiet, &dry] {
        assert!(
            !stdout(output).contains("Done!") && !stdout(output).contains("Destination"),
            "{}",
            stdout(output)
        );
    }
    assert!(stderr(&verbose).contains("Done!"), "{}", stderr(&verbose));
}

#[test]
fn new_reports_the_names_the_project_carries_when_they_differ_from_what_was_typed() {
    let root = scratch_dir("names");

    let output = run_ok(&mut new_in(&root, "Orders API", &[]));

    assert!(root.join("orders-api/Cargo.toml").is_file());
    assert!(
        stdout(&output).contains("Named from \"Orders API\": orders-api for the folder, package, binary and image; orders_api in code."),
        "{}",
        stdout(&output)
    );
    let plain = run_ok(&mut new_in(&root, "orders", &[]));
    assert!(!stdout(&plain).contains("Named from"));
}
