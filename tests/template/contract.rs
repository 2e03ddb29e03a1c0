//! The service's contract, held by tools nobody here wrote: the rendered `openapi.json` passes
//! `openapi-spec-validator` and covers the README's API table; schemathesis runs every phase
//! with every check against each store's service, seeded and bounded, and finds nothing; every
//! class of refused text gets the same `422` from both stores, with no ERROR line; and with the
//! NUL defence taken out on purpose, the same seeded run finds the `500`.

use super::observability::{Client, Service, seeded_database};
use crate::helpers::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// schemathesis's seed: the same cases every run, so a failure reproduces.
const SEED: &str = "20261206";
/// Cases per operation and phase: with `--workers 1`, about 60 to 90 s per store on a CI machine.
const MAX_EXAMPLES: &str = "600";
/// Above any case budget, so the in-memory store's 507 (past MAX_USERS) stays out of reach.
const MAX_USERS: &str = "1000000";

/// A rendered Rust tree of each store, the default base's first.
fn tree_of(database: Database) -> Option<&'static RustTree> {
    rust_trees()?.iter().find(|tree| tree.database == database)
}

/// The operations a document declares: `METHOD path` to its statuses.
fn operations(document: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut operations = BTreeMap::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().unwrap() {
            let statuses = operation["responses"]
                .as_object()
                .map(|responses| responses.keys().cloned().collect())
                .unwrap_or_default();
            operations.insert(format!("{} {path}", method.to_uppercase()), statuses);
        }
    }
    operations
}

/// The README's API table: `METHOD path` to the statuses its row names.
fn api_table(readme: &str) -> BTreeMap<String, BTreeSet<String>> {
    let section = readme_section(readme, "API");
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let route = cells[0].trim_start_matches("| ");
        // `GET`/`HEAD /health` or `POST /users` or `GET /users?limit=&after=`.
        let methods: Vec<&str> = route
            .split('`')
            .filter(|part| {
                let word = part.split(' ').next().unwrap_or_default();
                !word.is_empty() && word.chars().all(|c| c.is_ascii_uppercase())
            })
            .map(|part| part.split(' ').next().unwrap())
            .collect();
        let path = route
            .split(' ')
            .find(|part| part.starts_with('/'))
            .expect("a path in the route")
            .trim_end_matches('`');
        let path = path.split('?').next().unwrap();
        let statuses: BTreeSet<String> = cells[1]
            .split('`')
            .skip(1)
            .step_by(2)
            .filter_map(|code| {
                code.get(..3)
                    .filter(|digits| digits.chars().all(|c| c.is_ascii_digit()))
            })
            .map(str::to_owned)
            .collect();
        for method in methods {
            rows.insert(format!("{method} {path}"), statuses.clone());
        }
    }
    rows
}

#[test]
fn the_document_is_valid_openapi_and_the_readmes_api_table_is_in_it() {
    let Some(trees) = rust_trees() else { return };
    if !require_tool("openapi-spec-validator", "--version") {
        return;
    }
    for database in [Database::Postgres, Database::Memory] {
        let tree = trees.iter().find(|tree| tree.database == database).unwrap();
        let file = tree.dir.join("openapi.json");
        let validated = run_ok(Command::new("openapi-spec-validator").arg(&file));
        let document: Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        let documented = operations(&document);
        let readme = std::fs::read_to_string(tree.dir.join("README.md")).unwrap();
        let table = api_table(&readme);
        assert!(table.len() >= 9, "{database}: the table has only {table:?}");
        for (operation, statuses) in &table {
            let Some(answers) = documented.get(operation) else {
                panic!(
                    "{database}: the README's {operation} is not in openapi.json: {documented:?}"
                )
            };
            for status in statuses {
                assert!(
                    answers.contains(status),
                    "{database}: the README says {operation} answers {status}; openapi.json does not ({answers:?})"
                );
            }
        }
        for operation in documented.keys() {
            assert!(
                table.contains_key(operation),
                "{database}: {operation} is in openapi.json but not in the README's API table"
            );
        }
        note(&format!(
            "{database}: openapi.json valid ({}), {} operations, each a row of the README's API table",
            String::from_utf8_lossy(&validated.stdout).trim(),
            documented.len()
        ));
    }
}

/// The service of `tree` running with what it needs: a migrated database of its own, or room
/// for more users than any run sends.
fn start(binary: &Path, database: Database, test: &str) -> Option<Service> {
    let url;
    let mut environment = vec![("LOG_FORMAT", "json"), ("MAX_USERS", MAX_USERS)];
    if database == Database::Postgres {
        url = seeded_database(binary, test, 50)?;
        environment.push(("DATABASE_URL", url.as_str()));
    }
    Some(Service::start(binary, &environment))
}

/// The ERROR lines of a JSON log.
fn error_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|line| line.contains(r#""level":"ERROR""#))
        .collect()
}

/// What one schemathesis run reported.
struct Fuzzed {
    passed: bool,
    output: String,
    /// Test cases per operation (`POST /users`), from its event log.
    cases: BTreeMap<String, u64>,
    seconds: f64,
}

fn schemathesis(port: u16, scratch: &Path, extra: &[&str]) -> Fuzzed {
    let events = scratch.join("events.ndjson");
    let started = Instant::now();
    let output = run(Command::new("st")
        .args(["run", &format!("http://127.0.0.1:{port}/openapi.json")])
        .args([
            "--checks",
            "all",
            "--seed",
            SEED,
            "--max-examples",
            MAX_EXAMPLES,
        ])
        // One worker: CPython 3.11's parser overflows its stack with several (schemathesis
        // compiles generated code per worker).
        .args(["--workers", "1", "--request-timeout", "10", "--no-color"])
        .args(["--report", "ndjson", "--report-ndjson-path"])
        .arg(&events)
        .args(extra)
        .env("NO_COLOR", "1")
        .current_dir(scratch));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let cases = cases_per_operation(&std::fs::read_to_string(&events).unwrap_or_default());
    Fuzzed {
        passed: output.status.success(),
        output: text,
        cases,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Test cases per operation in schemathesis's event log, all phases together: each finished
/// scenario names the operation it tested (or "Stateful tests") and records its cases.
fn cases_per_operation(events: &str) -> BTreeMap<String, u64> {
    let mut cases = BTreeMap::new();
    for event in events.lines() {
        let Ok(event) = serde_json::from_str::<Value>(event) else {
            continue;
        };
        let recorder = &event["ScenarioFinished"]["recorder"];
        let (Some(label), Some(recorded)) =
            (recorder["label"].as_str(), recorder["cases"].as_object())
        else {
            continue;
        };
        *cases.entry(label.to_owned()).or_default() += recorded.len() as u64;
    }
    cases
}

#[test]
fn schemathesis_finds_nothing_against_either_store() {
    if !require_tool("st", "--version") {
        return;
    }
    for database in [Database::Postgres, Database::Memory] {
        let Some(tree) = tree_of(database) else {
            return;
        };
        let binary = tree_binary(tree, &[]);
        let Some(service) = start(&binary, database, &format!("contract_{database}")) else {
            return;
        };
        let scratch = scratch_dir(&format!("schemathesis-{database}"));

        let fuzzed = schemathesis(service.port, &scratch, &[]);

        let (_, log) = service.stop();
        assert!(
            fuzzed.passed,
            "{database}: schemathesis failed:\n{}",
            fuzzed.output
        );
        let total: u64 = fuzzed.cases.values().sum();
        assert!(
            total > 0,
            "{database}: no cases counted:\n{}",
            fuzzed.output
        );
        let errors = error_lines(&log);
        assert!(
            errors.is_empty(),
            "{database}: ERROR lines:\n{}",
            errors.join("\n")
        );
        let table: Vec<String> = fuzzed
            .cases
            .iter()
            .map(|(operation, cases)| format!("  {cases:>6}  {operation}"))
            .collect();
        note(&format!(
            "{database}: schemathesis {} (seed {SEED}, --checks all, every phase): {total} cases, 0 failures, no ERROR line, in {:.0} s\n{}",
            st_version(),
            fuzzed.seconds,
            table.join("\n")
        ));
    }
}

fn st_version() -> String {
    let output = run(Command::new("st").arg("--version"));
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Each class of refused text, as a JSON string escape.
const REFUSED_CLASSES: [(&str, &str); 11] = [
    ("NUL", r"\u0000"),
    ("a C0 control", r"\u0007"),
    ("a tab", r"\t"),
    ("DEL", r"\u007f"),
    ("a C1 control", r"\u009b"),
    ("the line separator", r"\u2028"),
    ("the paragraph separator", r"\u2029"),
    ("a bidi override", r"\u202e"),
    ("a bidi isolate", r"\u2067"),
    ("a lone high surrogate", r"\ud83e"),
    ("a lone low surrogate", r"\udd80"),
];

#[test]
fn every_refused_class_gets_the_same_422_from_both_stores_and_no_error_line() {
    let (Some(postgres), Some(memory)) = (tree_of(Database::Postgres), tree_of(Database::Memory))
    else {
        return;
    };
    let binaries = [
        (Database::Postgres, tree_binary(postgres, &[])),
        (Database::Memory, tree_binary(memory, &[])),
    ];
    let too_long = "x".repeat(201);
    let mut bodies: Vec<(String, &str, String)> = Vec::new();
    for (class, escape) in REFUSED_CLASSES {
        bodies.push((
            format!("{class} in the name"),
            "name",
            format!(r#"{{"name":"Ada{escape}","email":"ada@example.com"}}"#),
        ));
        bodies.push((
            format!("{class} in the email"),
            "email",
            format!(r#"{{"name":"Ada","email":"ada{escape}@example.com"}}"#),
        ));
    }
    bodies.push((
        "an over-long name".to_owned(),
        "name",
        format!(r#"{{"name":"{too_long}","email":"ada@example.com"}}"#),
    ));
    let mut answers: BTreeMap<String, Vec<(Database, String)>> = BTreeMap::new();
    for (database, binary) in &binaries {
        let Some(service) = start(binary, *database, "refused_classes") else {
            return;
        };
        let mut client = Client::connect(service.port);
        for (case, field, body) in &bodies {
            let reply = client.send(
                "POST",
                "/users",
                &[("Content-Type", "application/json")],
                body,
            );
            assert_eq!(reply.status, 422, "{database}: {case}: {}", reply.body);
            let mut answer: Value = serde_json::from_str(&reply.body).unwrap();
            assert_eq!(answer["field"], *field, "{database}: {case}: {answer}");
            answer.as_object_mut().unwrap().remove("request_id");
            answers
                .entry(case.clone())
                .or_default()
                .push((*database, answer.to_string()));
        }
        let listed = client.send("GET", "/users?limit=100", &[], "");
        let (_, log) = service.stop();
        let errors = error_lines(&log);
        assert!(
            errors.is_empty(),
            "{database}: ERROR lines:\n{}",
            errors.join("\n")
        );
        let stored = serde_json::from_str::<Value>(&listed.body).unwrap()["users"]
            .as_array()
            .unwrap()
            .len();
        // The postgres service's database holds the 50 users it was seeded with, no more.
        let seeded = if *database == Database::Postgres {
            50
        } else {
            0
        };
        assert_eq!(stored, seeded, "{database}: a refused user was stored");
    }
    for (case, answered) in &answers {
        assert_eq!(answered.len(), 2, "{case}");
        assert_eq!(
            answered[0].1, answered[1].1,
            "{case}: the stores answer differently"
        );
    }
    note(&format!(
        "{} refused cases: the same 422 naming the field from postgres and in-memory, nothing stored, no ERROR line",
        answers.len()
    ));
}

/// A copy of the postgres tree without the NUL defence: `text.rs` lets NUL through and the
/// database's data exceptions are no longer sorted out of the errors, as before issue #25.
fn mutant(tree: &RustTree) -> RustTree {
    let root = scratch_dir("contract-mutant");
    let dir = root.join("svc");
    run_ok(Command::new("cp").arg("-a").arg(&tree.dir).arg(&dir));
    let replace = |file: &str, from: &str, to: &str| {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    replace(
        "src/platform/text.rs",
        r"('\u{0}', '\u{1f}')",
        r"('\u{1}', '\u{1f}')",
    );
    replace(
        "src/platform/database.rs",
        r#"code if code.starts_with("22") || code.starts_with("23") =>"#,
        r#"code if code.starts_with("23") =>"#,
    );
    // Its own feature: cargo keys a path package's artifacts by name, version and features,
    // so the mutant must not share the original's.
    replace(
        "Cargo.toml",
        "[features]\n",
        "[features]\nwithout-the-nul-defence = []\n",
    );
    RustTree {
        dir,
        database: Database::Postgres,
        variants: vec!["mutant".to_owned()],
    }
}

#[test]
fn without_the_nul_defence_the_same_seeded_run_finds_the_500() {
    if !require_tool("st", "--version") {
        return;
    }
    let Some(tree) = tree_of(Database::Postgres) else {
        return;
    };
    let mutant = mutant(tree);
    let binary: PathBuf = tree_binary(&mutant, &["without-the-nul-defence"]);
    let Some(service) = start(&binary, Database::Postgres, "contract_mutant") else {
        return;
    };
    let scratch = scratch_dir("schemathesis-mutant");

    let fuzzed = schemathesis(service.port, &scratch, &["--max-failures", "1"]);

    let (_, log) = service.stop();
    assert!(
        !fuzzed.passed,
        "schemathesis found nothing:\n{}",
        fuzzed.output
    );
    assert!(
        fuzzed.output.contains("500"),
        "the failure is not the 500:\n{}",
        fuzzed.output
    );
    assert!(
        log.contains("22021"),
        "the service did not log PostgreSQL's 22021:\n{log}"
    );
    note(&format!(
        "mutant without the NUL defence: schemathesis (seed {SEED}) found the 500 (SQLSTATE 22021) in {:.0} s",
        fuzzed.seconds
    ));
}
