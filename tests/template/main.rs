//! The template, rendered by the real `cargo generate` for every variant: what it writes, what
//! it refuses, and that each rendered project formats, lints, tests and lints as an image.

mod contract;
mod helpers;
mod kubernetes;
mod observability;
mod workflows;

use cargo_microservice::check::model::Model;
use helpers::*;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn every_variant_renders_from_its_values_file_without_a_prompt() {
    let Some(rendered) = rendered() else { return };

    for project in rendered {
        for file in [
            "Cargo.toml",
            "Cargo.lock",
            "src/main.rs",
            "src/lib.rs",
            "tests/api/main.rs",
            "Dockerfile",
            ".dockerignore",
            "compose.yaml",
            "README.md",
        ] {
            assert!(
                project.dir.join(file).is_file(),
                "{}: {file} was not rendered",
                project.variant.id()
            );
        }
        // Files for the template's own machinery stay behind.
        for file in ["cargo-generate.toml", "pre-script.rhai", "name-check.rhai"] {
            assert!(
                !project.dir.join(file).exists(),
                "{file} leaked into the project"
            );
        }
    }
}

#[test]
fn defines_alone_render_the_same_tree_as_the_values_file() {
    let Some(rendered) = rendered() else { return };
    let root = scratch_dir("rendered-with-defines");

    for project in rendered {
        let name = project.variant.project_name();
        run_ok(&mut cargo_generate(
            &root,
            &name,
            &define_args(&project.variant),
        ));

        assert!(
            read_tree(&root.join(&name)) == read_tree(&project.dir),
            "{}: -d and --values-file render different trees",
            project.variant.id()
        );
    }
}

#[test]
fn no_rendered_file_holds_template_syntax_or_blank_line_scars() {
    let Some(rendered) = rendered() else { return };

    for project in rendered {
        for (path, text) in text_files(&project.dir) {
            let at = format!("{}: {path}", project.variant.id());
            // A workflow's `${{ expression }}` is GitHub's, escaped in the template on purpose.
            let outside_expressions = if path.starts_with(".github/workflows/") {
                text.split("${{")
                    .enumerate()
                    .map(|(index, part)| match index {
                        0 => part,
                        _ => part.split_once("}}").map_or(part, |(_, rest)| rest),
                    })
                    .collect()
            } else {
                text.clone()
            };
            for syntax in ["{{", "}}", "{%", "%}"] {
                assert!(
                    !outside_expressions.contains(syntax),
                    "{at} contains {syntax:?}"
                );
            }
            assert!(!text.starts_with('\n'), "{at} starts with a blank line");
            assert!(
                text.ends_with('\n') && !text.ends_with("\n\n"),
                "{at} must end with one newline"
            );
            assert!(
                !text.contains("\n\n\n"),
                "{at} has two blank lines in a row"
            );
            for (number, line) in text.lines().enumerate() {
                assert_eq!(
                    line,
                    line.trim_end(),
                    "{at}:{} has trailing white space",
                    number + 1
                );
            }
        }
    }
}

/// The template is stored formatted (`fmt = false`: the render runs no rustfmt), so every
/// variant must come out as rustfmt would leave it, whatever the length of the name: the
/// shortest and the longest `new` takes.
#[test]
fn every_variant_renders_formatted_without_rustfmt_for_a_short_and_the_longest_name() {
    if !require_tool("cargo-generate", "--version") || !require_tool("rustfmt", "--version") {
        return;
    }
    let root = scratch_dir("formatted");
    let longest = format!("s{}", "x".repeat(63));

    for name in ["s", longest.as_str()] {
        for variant in Variant::matrix() {
            let dir = root.join(format!("{}-{}", name.len(), variant.id()));
            std::fs::create_dir_all(&dir).unwrap();
            run_ok(&mut cargo_generate(&dir, name, &values_file_args(&variant)));

            // rustfmt follows the `mod` lines: every Rust file of the project is checked.
            let output = run(clean_command("rustfmt")
                .current_dir(dir.join(name))
                .args(["--check", "--edition", "2024"])
                .args(["src/main.rs", "src/lib.rs", "tests/api/main.rs"]));

            assert!(
                output.status.success(),
                "{} under a {}-character name is not formatted:\n{}",
                variant.id(),
                name.len(),
                String::from_utf8_lossy(&output.stdout)
            );
        }
    }
}

/// cargo-generate renders an undefined variable as an empty string, silently, so every name a
/// template file reads must be defined for every variant: a placeholder that is never
/// conditional, a built-in, or a value the pre hook sets.
#[test]
fn template_files_read_only_variables_defined_for_every_variant() {
    let template = repo_root().join("template");
    let config = std::fs::read_to_string(template.join("cargo-generate.toml")).unwrap();
    let pre_script = std::fs::read_to_string(template.join("pre-script.rhai")).unwrap();
    let mut defined: BTreeSet<String> = ["project-name", "crate_name"].map(String::from).into();
    defined.extend(
        config
            .lines()
            .filter_map(|line| line.strip_prefix("[placeholders."))
            .map(|rest| rest.trim_end_matches(']').to_owned()),
    );
    defined.extend(
        pre_script
            .split("variable::set(\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned()),
    );

    let mut read = BTreeSet::new();
    for (path, text) in text_files(&template) {
        if path.ends_with(".rhai") || path == "cargo-generate.toml" {
            continue;
        }
        // What a `{% raw %}` block holds is copied as it is (a workflow's `${{ github.sha }}`).
        let text: String = text
            .split("{% raw %}")
            .enumerate()
            .map(|(index, part)| match index {
                0 => part,
                _ => part.split_once("{% endraw %}").map_or("", |(_, rest)| rest),
            })
            .collect();
        for expression in text.split("{{").skip(1).chain(text.split("{%").skip(1)) {
            let expression = expression.split(['}', '%']).next().unwrap();
            // Quoted literals ("alpine") are values, not variables.
            let unquoted: String = expression
                .split('"')
                .step_by(2)
                .collect::<Vec<_>>()
                .join(" ");
            for word in unquoted.split([' ', '|', '=', '!']) {
                if !word.is_empty() {
                    read.insert((path.clone(), word.to_owned()));
                }
            }
        }
    }
    let keywords = [
        "if", "elsif", "else", "endif", "or", "and", "raw", "endraw", "-",
    ];
    for (path, word) in read {
        let is_literal = keywords.contains(&word.as_str())
            || [
                "alpine",
                "static",
                "slim",
                "debian",
                "distroless",
                "name",
                "project",
            ]
            .contains(&word.as_str());
        assert!(
            is_literal || defined.contains(&word),
            "{path} reads `{word}`, which is not defined for every variant (defined: {defined:?})"
        );
    }
}

#[test]
fn every_dockerfile_pins_its_images_and_runs_a_non_root_exec_form_entrypoint() {
    let Some(rendered) = rendered() else { return };

    for project in rendered {
        let id = project.variant.id();
        let dockerfile = std::fs::read_to_string(project.dir.join("Dockerfile")).unwrap();
        let name = project.variant.project_name();
        // Read with check's own model: the crate has one Dockerfile parser.
        let model = Model::parse(&dockerfile);
        for stage in &model.stages {
            assert!(
                stage.name.is_some(),
                "{id}: FROM {} names no stage",
                stage.base_raw
            );
        }
        for image in model.external_images() {
            let (name, tag) = image
                .rsplit_once(':')
                .unwrap_or_else(|| panic!("{id}: {image} has no tag"));
            // `latest` and a bare major (`rust:1`) move under you; a release does not
            // (rust:1.95-trixie, debian:trixie-slim, alpine:3.23, cc-debian13:nonroot).
            assert!(
                tag != "latest" && !tag.chars().all(|c| c.is_ascii_digit()),
                "{id}: {name}:{tag} floats"
            );
        }
        assert!(
            dockerfile.contains("cargo install cargo-chef --locked --version 0."),
            "{id}: cargo-chef unpinned"
        );
        let user = model.last_in_final("USER").unwrap().args.as_str();
        let uid: u32 = user.split(':').next().unwrap().parse().unwrap();
        assert_eq!(
            uid,
            project.variant.base.runtime_uid(),
            "{id} runs as uid {uid}"
        );
        assert!(
            dockerfile.contains("EXPOSE 8080 8081\n"),
            "{id}: EXPOSE does not match the port"
        );
        assert!(
            dockerfile.contains(&format!("ENTRYPOINT [\"/usr/local/bin/{name}\"]\n")),
            "{id}: ENTRYPOINT"
        );
        assert!(
            dockerfile.contains(&format!("CMD [\"/usr/local/bin/{name}\", \"healthcheck\"]")),
            "{id}: HEALTHCHECK does not call the binary"
        );
        // The pre hook and the CLI's variant table must agree on every image.
        let variant = project.variant;
        let builder = format!("FROM {} AS chef\n", variant.builder_image("1.95"));
        assert!(dockerfile.contains(&builder), "{id}: no {builder}");
        let runtime = model.final_stage().unwrap();
        assert_eq!(
            (runtime.image(), runtime.name.as_deref()),
            (variant.runtime_image().as_str(), Some("runtime")),
            "{id}"
        );
        // And on the database's image, which the compose file runs.
        let compose = std::fs::read_to_string(project.dir.join("compose.yaml")).unwrap();
        let images: Vec<&str> = compose
            .lines()
            .filter_map(|line| line.trim().strip_prefix("image: "))
            .collect();
        assert_eq!(
            images,
            variant.postgres_image().as_slice(),
            "{id}: the compose file's images"
        );
    }
}

#[test]
fn the_dockerfile_and_compose_file_are_pinned_by_snapshots() {
    let Some(rendered) = rendered() else { return };

    for project in rendered {
        let id = project.variant.id();
        for file in ["Dockerfile", "compose.yaml"] {
            let text = std::fs::read_to_string(project.dir.join(file)).unwrap();
            insta::assert_snapshot!(format!("{id}.{file}"), text);
        }
    }
}

#[test]
fn hadolint_finds_nothing_at_warning_level_and_every_ignore_gives_its_reason() {
    let Some(rendered) = rendered() else { return };
    if !require_tool("hadolint", "--version") {
        return;
    }

    for project in rendered {
        let dockerfile = project.dir.join("Dockerfile");
        run_ok(
            clean_command("hadolint")
                .args(["--no-color", "--failure-threshold", "warning"])
                .arg(&dockerfile),
        );
        let text = std::fs::read_to_string(&dockerfile).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            if line.starts_with("# hadolint ignore=") {
                let reason = index.checked_sub(1).map(|i| lines[i]).unwrap_or("");
                assert!(
                    reason.starts_with("# ") && !reason.contains("hadolint"),
                    "{}: Dockerfile:{} ignores a rule with no reason on the line above",
                    project.variant.id(),
                    index + 1
                );
            }
        }
    }
}

#[test]
fn every_compose_file_validates_against_the_compose_spec_and_keeps_its_limits() {
    let Some(rendered) = rendered() else { return };
    if !require_tool("check-jsonschema", "--version") {
        return;
    }

    for project in rendered {
        let compose = project.dir.join("compose.yaml");
        run_ok(
            clean_command("check-jsonschema")
                .args(["--builtin-schema", "vendor.compose-spec"])
                .arg(&compose),
        );
        let text = std::fs::read_to_string(&compose).unwrap();
        for required in [
            "\"127.0.0.1:8080:8080\"",
            "cpus: \"0.5\"",
            "memory: 128M",
            "read_only: true",
            "- ALL",
            "no-new-privileges:true",
            "healthcheck",
            "restart: unless-stopped",
        ] {
            assert!(
                text.contains(required),
                "{}: compose.yaml lacks {required}",
                project.variant.id()
            );
        }
        let database = [
            "\"127.0.0.1:${POSTGRES_PORT:-5432}:5432\"",
            "${POSTGRES_PASSWORD:?",
            "postgres-data:/var/lib/postgresql/data",
            "user: postgres",
            "pg_isready",
            "command: [\"migrate\"]",
            "restart: \"no\"",
            "condition: service_completed_successfully",
            "condition: service_healthy",
        ];
        for required in database {
            assert_eq!(
                text.contains(required),
                project.variant.database == Database::Postgres,
                "{}: compose.yaml and {required}",
                project.variant.id()
            );
        }
    }
}

#[test]
fn bad_values_are_refused_naming_the_value_and_writing_no_file() {
    if !require_tool("cargo-generate", "--version") {
        return;
    }
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "orders",
            &["-d", "port=0"],
            "\"0\" is not a valid value for port",
        ),
        (
            "orders",
            &["-d", "port=70000"],
            "\"70000\" is not a valid value for port",
        ),
        (
            "orders",
            &["-d", "port=abc"],
            "\"abc\" is not a valid value for port",
        ),
        (
            "orders",
            &["-d", "base=foo"],
            "\"foo\" is not a valid value for base",
        ),
        (
            "orders",
            &["-d", "rust_version=latest"],
            "\"latest\" is not a valid value for rust_version",
        ),
        (
            "orders",
            &["-d", "rust_version=1.80"],
            "\"1.80\" is not a valid value for rust_version",
        ),
        (
            "orders",
            &["-d", "debian=sid"],
            "\"sid\" is not a valid value for debian",
        ),
        (
            "orders",
            &["-d", "database=sqlite"],
            "\"sqlite\" is not a valid value for database",
        ),
        (
            "orders",
            &["-d", "rust_version=1.93"],
            "rust_version=1.93 is older than 1.94, which sqlx 0.9 (the driver of database=postgres) needs",
        ),
        (
            "orders",
            &["-d", "base=alpine", "-d", "debian=bookworm"],
            "debian=bookworm applies only to the glibc bases (distroless, debian-slim, static)",
        ),
        (
            "9lives",
            &[],
            "project name \"9lives\" must start with a letter",
        ),
        (
            "my.service",
            &[],
            "project name \"my.service\" contains '.'",
        ),
        (
            "fn",
            &[],
            "project name \"fn\" is reserved (a Rust keyword,",
        ),
        (
            "build",
            &[],
            "project name \"build\" is reserved (a Rust keyword, a standard crate, a directory cargo builds into",
        ),
    ];

    for (name, args, message) in cases {
        let destination = scratch_dir("refused");
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();

        let output = run(&mut cargo_generate(&destination, name, &args));

        assert!(!output.status.success(), "{name} {args:?} was accepted");
        assert!(
            stderr(&output).contains(message),
            "{name} {args:?}: {}",
            stderr(&output)
        );
        assert!(
            read_tree(&destination).is_empty(),
            "{name} {args:?} wrote files: {:?}",
            read_tree(&destination).keys()
        );
    }
}

/// The seed article's service overwrote RUST_LOG, hard-coded its version, forgot serde_json and
/// did not compile on edition 2024. The build tier proves the last two; these prove the rest.
#[test]
fn the_seed_articles_bugs_do_not_recur_in_the_source() {
    let Some(rendered) = rendered() else { return };

    for project in rendered {
        let id = project.variant.id();
        let manifest = std::fs::read_to_string(project.dir.join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains("edition = \"2024\""),
            "{id}: not edition 2024"
        );
        assert!(
            manifest.contains("\nserde_json = "),
            "{id}: serde_json missing"
        );
        for (path, text) in text_files(&project.dir.join("src")) {
            assert!(
                !text.contains("env::set_var("),
                "{id}: src/{path} sets an environment variable"
            );
            assert!(
                !text.contains("\"1.0.0\"") && !text.contains("\"0.1.0\""),
                "{id}: src/{path} hard-codes a version"
            );
        }
    }
}

/// The slow tier: every rendered project as its users will first meet it, and as its own CI
/// checks it: the `run:` steps of its workflows, read from the rendered files, run here. Bases differ in their Dockerfile, compose file,
/// manifests and README, not in what cargo reads, so each distinct Rust tree is built and
/// tested once, for every variant that renders it.
#[test]
fn every_rendered_project_passes_fmt_clippy_and_its_own_tests() {
    let Some(groups) = rust_trees() else { return };
    if require_server().is_none() || !require_tool("cargo-deny", "--version") {
        return;
    }

    for group in groups {
        let started = Instant::now();
        let _building = build_lock();
        let (steps, _) = workflows::run_steps(&group.dir);
        let mut ran = Vec::new();
        let mut tests = None;
        // The image name step runs in `workflows`, the image proof in the docker matrix.
        for step in steps
            .iter()
            .filter(|step| !["Image name", "Prove the image"].contains(&step.name.as_str()))
        {
            let output = workflows::run_step(&group.dir, step, &[]);
            if step.name == "Test" {
                tests = Some(output);
            }
            ran.push(step.name.as_str());
        }
        ran.sort_unstable();
        assert_eq!(ran, ["Clippy", "Dependency policy", "Format", "Test"]);
        let tests = tests.unwrap();
        let summary = String::from_utf8_lossy(&tests.stdout);
        let store_test = match group.database {
            Database::Postgres => {
                "test postgres::while_the_database_is_away_requests_get_a_json_503_within_the_acquire_timeout ... ok"
            }
            Database::Memory => {
                "test in_memory::posting_past_max_users_is_a_json_507_and_reading_still_works ... ok"
            }
        };
        for expected in [
            "test a_created_user_is_answered_with_its_location_and_read_back_as_sent ... ok",
            store_test,
        ] {
            assert!(summary.contains(expected), "{summary}");
        }
        note(&format!(
            "{}: the workflows' fmt, clippy, test and cargo deny steps passed in {:.1} s (one Rust tree)",
            group.variants.join(", "),
            started.elapsed().as_secs_f64()
        ));
    }
}

/// The service README's "Add a resource", followed as written: each step read from the rendered
/// file ("Create `path`:", "In `path`, below the line `...`, add:", "Run:"), applied in order to
/// a fresh project of each store, which then passes fmt, clippy and its tests, the new
/// resource's among them.
#[test]
fn the_readmes_add_a_resource_steps_give_a_resource_that_passes_fmt_clippy_and_its_tests() {
    let Some(_) = rendered() else { return };
    if require_server().is_none() {
        return;
    }
    for database in [Database::Postgres, Database::Memory] {
        let variant = Variant {
            base: Base::Distroless,
            debian: Some(Debian::Trixie),
            database,
        };
        let root = scratch_dir(&format!("add-a-resource-{database}"));
        run_ok(&mut cargo_generate(
            &root,
            "add-a-resource",
            &values_file_args(&variant),
        ));
        let project = root.join("add-a-resource");
        let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
        let started = Instant::now();

        let steps = follow_add_a_resource(&readme, &project);

        assert!(steps >= 6, "{database}: only {steps} steps were followed");
        run_ok(&mut cargo_in(&project, &["fmt", "--check"]));
        run_ok(&mut cargo_in(
            &project,
            &[
                "clippy",
                "--locked",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ));
        let tests = run_ok(&mut cargo_in(&project, &["test", "--locked"]));
        let summary = String::from_utf8_lossy(&tests.stdout);
        for test in [
            "test notes::a_created_note_is_read_back_at_its_location ... ok",
            "test notes::a_note_that_is_not_there_is_a_json_404 ... ok",
            "test the_committed_openapi_json_is_what_the_code_generates ... ok",
        ] {
            assert!(summary.contains(test), "{database}: {summary}");
        }
        let document = std::fs::read_to_string(project.join("openapi.json")).unwrap();
        for documented in [r#""/notes""#, r#""/notes/{id}""#, r#""NewNote""#] {
            assert!(
                document.contains(documented),
                "{database}: openapi.json lacks {documented}"
            );
        }
        note(&format!(
            "{database}: the README's {steps} steps to add a resource, then fmt, clippy and tests, in {:.1} s",
            started.elapsed().as_secs_f64()
        ));
    }
}

/// Applies every step of the README's "## Add a resource" to `project`; returns how many.
fn follow_add_a_resource(readme: &str, project: &std::path::Path) -> usize {
    let section = readme_section(readme, "Add a resource");
    let mut prose = String::new();
    let mut lines = section.lines();
    let mut applied = 0;
    while let Some(line) = lines.next() {
        if !line.starts_with("```") {
            prose.push_str(line.trim());
            prose.push(' ');
            continue;
        }
        let block: Vec<&str> = lines
            .by_ref()
            .take_while(|line| !line.starts_with("```"))
            .collect();
        // The instruction is the last sentence before the block.
        let instruction = prose
            .rsplit(". ")
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let quoted: Vec<&str> = instruction.split('`').skip(1).step_by(2).collect();
        if instruction.starts_with("Run:") {
            for command in &block {
                let mut shell = in_rendered(env!("CARGO_TARGET_TMPDIR"), project, "sh");
                run_ok(shell.args(["-c", command]));
            }
        } else if instruction.contains("below the line") {
            let (path, anchor) = (quoted[0], quoted[1]);
            let file = project.join(path);
            let text = std::fs::read_to_string(&file).unwrap();
            let mut out = Vec::new();
            let mut found = false;
            for line in text.lines() {
                out.push(line.to_owned());
                if !found && line.trim() == anchor {
                    out.extend(block.iter().map(|line| line.to_string()));
                    found = true;
                }
            }
            assert!(found, "{path} has no line `{anchor}`");
            std::fs::write(&file, out.join("\n") + "\n").unwrap();
        } else if let Some(path) = quoted
            .first()
            .filter(|_| instruction.starts_with("Create `"))
        {
            let file = project.join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, block.join("\n") + "\n").unwrap();
        } else {
            panic!("a code block after a sentence that is no step: {instruction:?}");
        }
        applied += 1;
        prose.clear();
    }
    applied
}

#[test]
fn the_service_honours_rust_log_and_stops_cleanly_on_sigterm() {
    let Some(binary) = first_variant_binary() else {
        return;
    };

    let run_with = |rust_log: Option<&str>| {
        let mut command = clean_command(&binary);
        command
            .env("PORT", "0")
            .env("ADMIN_PORT", "0")
            .env("HOST", "127.0.0.1")
            .env("DATABASE_URL", UNREACHABLE_DATABASE)
            .stderr(Stdio::piped());
        if let Some(filter) = rust_log {
            command.env("RUST_LOG", filter);
        }
        let child = command.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        let stopped = Instant::now();
        run_ok(Command::new("kill").args(["-TERM", &child.id().to_string()]));
        let output = child.wait_with_output().unwrap();
        (output, stopped.elapsed())
    };

    let (quiet, _) = run_with(Some("warn"));
    let (default, stop_time) = run_with(None);

    assert!(quiet.status.success(), "{quiet:?}");
    assert!(
        !stderr(&quiet).contains("listening on"),
        "RUST_LOG=warn was overridden: {}",
        stderr(&quiet)
    );
    assert!(
        default.status.success(),
        "SIGTERM did not exit 0: {default:?}"
    );
    assert!(
        stderr(&default).contains("listening on"),
        "{}",
        stderr(&default)
    );
    assert!(
        stop_time < Duration::from_secs(5),
        "an idle stop took {stop_time:?}"
    );
}

#[test]
fn a_request_in_flight_at_sigterm_is_answered_with_connection_close_before_the_exit() {
    let Some(binary) = first_variant_binary() else {
        return;
    };
    let mut child = spawn_on_free_ports(&binary, &[]);
    let (port, log) = port_from_log(child.stderr.take().unwrap());

    // Half a request: the connection is open and the request is not complete at SIGTERM.
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    run_ok(Command::new("kill").args(["-TERM", &child.id().to_string()]));
    std::thread::sleep(Duration::from_millis(300));
    let waited = child.try_wait().unwrap().is_none();
    client.write_all(b"\r\n").unwrap();
    // The service closes the connection after this answer: read_to_string ends.
    let mut response = String::new();
    client.read_to_string(&mut response).unwrap();
    let status = child.wait().unwrap();
    let log = log.join().unwrap();

    assert!(
        waited,
        "the service exited with a request in flight:\n{log}"
    );
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "the request in flight was not answered: {response:?}\n{log}"
    );
    assert!(
        response.to_ascii_lowercase().contains("connection: close"),
        "a response during the drain must say Connection: close: {response:?}"
    );
    assert!(status.success(), "exit {status:?} after the drain:\n{log}");
    assert!(log.contains("SIGTERM received"), "{log}");
}

#[test]
fn an_idle_keep_alive_connection_does_not_hold_up_the_stop() {
    let Some(binary) = first_variant_binary() else {
        return;
    };
    let mut child = spawn_on_free_ports(&binary, &[("KEEP_ALIVE_TIMEOUT", "30")]);
    let (port, log) = port_from_log(child.stderr.take().unwrap());
    let mut pooled = TcpStream::connect(("127.0.0.1", port)).unwrap();
    pooled
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut answer = [0; 12];
    pooled.read_exact(&mut answer).unwrap();

    let stopped = Instant::now();
    run_ok(Command::new("kill").args(["-TERM", &child.id().to_string()]));
    let status = child.wait().unwrap();
    let took = stopped.elapsed();
    let log = log.join().unwrap();

    assert!(status.success(), "exit {status:?}:\n{log}");
    assert!(
        took < Duration::from_secs(1),
        "one idle keep-alive connection held the stop for {took:?}:\n{log}"
    );
}

/// Must-show 2 of the bounds issue: every setting out of its range, and WORKERS past actix's
/// 512 (which used to panic inside actix with exit 139), stops the service with exit 1 and a
/// message naming the variable.
#[test]
fn every_out_of_range_setting_exits_1_naming_the_variable() {
    let Some(binary) = first_variant_binary() else {
        return;
    };
    let cases = [
        ("WORKERS", "513"),
        ("WORKERS", "0"),
        ("MAX_CONNECTIONS", "0"),
        ("MAX_CONNECTIONS", "65537"),
        ("BACKLOG", "0"),
        ("BACKLOG", "65536"),
        ("REQUEST_TIMEOUT", "0"),
        ("REQUEST_TIMEOUT", "61"),
        ("KEEP_ALIVE_TIMEOUT", "301"),
        ("KEEP_ALIVE_TIMEOUT", "-1"),
        ("MAX_UNSENT_BYTES", "1023"),
        ("MAX_UNSENT_BYTES", "16777217"),
        ("MAX_BODY_BYTES", "0"),
        ("MAX_BODY_BYTES", "16777217"),
        ("SHUTDOWN_TIMEOUT", "10"),
        ("PORT", "65536"),
        ("ADMIN_PORT", "65536"),
        ("HOST", "localhost"),
    ];
    let mut problems = Vec::new();

    for (variable, value) in cases {
        let output = clean_command(&binary)
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("ADMIN_PORT", "0")
            .env(variable, value)
            .output()
            .unwrap();
        let said = stderr(&output);
        if output.status.code() != Some(1) || !said.contains(&format!("invalid {variable}=")) {
            problems.push(format!(
                "{variable}={value}: exit {:?}, said {said:?}",
                output.status.code()
            ));
        }
    }
    // The admin port defaults to one above the main port's default: meeting it is named too.
    let output = clean_command(&binary)
        .env("HOST", "127.0.0.1")
        .env("PORT", "9400")
        .env("ADMIN_PORT", "9400")
        .output()
        .unwrap();
    if output.status.code() != Some(1) || !stderr(&output).contains("invalid ADMIN_PORT=") {
        problems.push(format!("ADMIN_PORT=PORT: {output:?}"));
    }

    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_quote_in_the_request_target_is_escaped_in_the_access_log() {
    let Some(binary) = first_variant_binary() else {
        return;
    };
    let mut child = spawn_on_free_ports(&binary, &[]);
    let (port, log) = port_from_log(child.stderr.take().unwrap());
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    client
        .write_all(b"GET /users/1\"x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    client.read_to_string(&mut response).unwrap();
    // The access log is written in batches, at most 100 ms apart.
    std::thread::sleep(Duration::from_millis(300));
    run_ok(Command::new("kill").args(["-TERM", &child.id().to_string()]));
    child.wait().unwrap();
    let log = log.join().unwrap();

    let line = log
        .lines()
        .find(|line| line.contains("/users/1"))
        .unwrap_or_else(|| panic!("no access-log line for the request ({response:?}):\n{log}"));
    let parsed: serde_json::Value = serde_json::from_str(line)
        .unwrap_or_else(|error| panic!("the quote broke the line ({error}): {line}"));
    assert_eq!(parsed["path"], "/users/1\"x", "{line}");
}

/// Starts the service binary on free ports of 127.0.0.1, with `env` on top.
fn spawn_on_free_ports(binary: &std::path::Path, env: &[(&str, &str)]) -> std::process::Child {
    clean_command(binary)
        .env("PORT", "0")
        .env("ADMIN_PORT", "0")
        .env("HOST", "127.0.0.1")
        .env("DATABASE_URL", UNREACHABLE_DATABASE)
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The first variant keeps its users in PostgreSQL; it starts without reaching it.
const UNREACHABLE_DATABASE: &str = "postgres://orders:unused@127.0.0.1:1/orders";

/// Builds the first variant's Rust tree (the default variant's, which the slow tier builds too)
/// and returns its debug binary.
fn first_variant_binary() -> Option<std::path::PathBuf> {
    Some(tree_binary(&rust_trees()?[0], &[]))
}

/// Reads the service's log until it says where it listens; the rest of the log is collected
/// by a thread (so the service never blocks on a full pipe) and returned when it exits.
fn port_from_log(stderr: std::process::ChildStderr) -> (u16, std::thread::JoinHandle<String>) {
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = String::new();
    let port = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("the service exited before listening:\n{seen}"))
            .unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(port) = line
            .split_once("listening on 127.0.0.1:")
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .and_then(|port| port.parse().ok())
        {
            break port;
        }
    };
    let rest = std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            seen.push_str(&line);
            seen.push('\n');
        }
        seen
    });
    (port, rest)
}

#[test]
fn the_rendered_example_is_in_sync_with_the_template() {
    if !require_tool("cargo-generate", "--version") {
        return;
    }
    let root = scratch_dir("example");
    let values = Variant {
        base: Base::Distroless,
        debian: Some(Debian::Trixie),
        database: Database::Postgres,
    };

    run_ok(&mut cargo_generate(
        &root,
        "orders",
        &values_file_args(&values),
    ));

    let example = repo_root().join("examples/orders");
    let mut committed = read_tree(&example);
    committed.retain(|path, _| !path.starts_with("target/"));
    assert!(
        read_tree(&root.join("orders")) == committed,
        "examples/orders differs from a fresh render; refresh it with:\n  \
         rm -rf examples/orders && cargo generate --path . --name orders --silent \
         --values-file examples/distroless.toml --vcs none --destination {0} && mv {0}/orders examples/",
        std::env::temp_dir().display()
    );
}
