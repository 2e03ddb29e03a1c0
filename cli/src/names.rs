//! The project name: what cargo and the template accept, and the names the project carries
//! (folder, package, crate, binary, image). The template's `name-check.rhai` keeps the same
//! rules for `cargo generate` users; a test holds its reserved list to [`RESERVED`].

use crate::errors::UserError;
use crate::template;
use heck::{ToKebabCase, ToSnakeCase};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// crates.io's limit; longer names also make unwieldy folders, binaries and image tags.
pub const MAX_LEN: usize = 64;

/// Names cargo or rustc refuse or misread after the kebab/snake conversion, each with why.
pub const RESERVED: &[(&str, &[&str])] = &[
    (
        "a Rust keyword",
        &[
            "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
            "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod",
            "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait",
            "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do",
            "final", "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual",
            "yield",
        ],
    ),
    (
        "a crate of Rust's standard library",
        &["alloc", "core", "proc_macro", "std", "test"],
    ),
    (
        "a directory cargo builds into",
        &["build", "deps", "examples", "incremental"],
    ),
    (
        "a reserved file name on Windows",
        &[
            "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7",
            "com8", "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
        ],
    ),
];

/// Every crate in the service's dependency graphs, in snake case, as the template's Cargo.lock
/// names them (one lock for every variant, so a name stays valid when an answer changes). A
/// package cannot depend on a crate of its own name: cargo rejects it, and the shipped lock no
/// longer matches. The template's `name-check.rhai` carries the same list for `cargo generate`
/// users (`tests/template/update-lockfile` writes it; a test holds the two together).
pub fn dependency_names() -> &'static BTreeSet<String> {
    static NAMES: OnceLock<BTreeSet<String>> = OnceLock::new();
    NAMES.get_or_init(|| lock_names(template::cargo_lock()))
}

/// The packages a Cargo.lock names, but the project itself (`{{project-name}}` in the template).
fn lock_names(lock: &str) -> BTreeSet<String> {
    lock.lines()
        .filter_map(|line| line.strip_prefix("name = \""))
        .map(|name| name.trim_end_matches('"'))
        .filter(|name| !name.contains("{{"))
        .map(|name| name.replace('-', "_"))
        .collect()
}

/// The names a project carries, all derived from the name typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectNames {
    pub typed: String,
    /// The folder, the package and the binary: cargo-generate's kebab case.
    pub package: String,
    /// The crate as code names it: `use orders_api::...`.
    pub crate_name: String,
}

impl ProjectNames {
    /// The names, or the rule `typed` breaks and how to fix it.
    pub fn new(typed: &str) -> Result<ProjectNames, UserError> {
        let invalid = |rule: String| UserError::InvalidName {
            name: typed.to_owned(),
            rule,
        };
        let Some(first) = typed.chars().next() else {
            return Err(invalid("it is empty".into()));
        };
        if !first.is_ascii_alphabetic() {
            return Err(invalid("it must start with a letter".into()));
        }
        if let Some(bad) = typed
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' ')))
        {
            return Err(invalid(format!(
                "it may hold only ASCII letters, digits, -, _ and spaces, not {bad:?}"
            )));
        }
        let package = typed.to_kebab_case();
        let crate_name = package.to_snake_case();
        if package.len() > MAX_LEN {
            return Err(invalid(format!(
                "it is {} characters long; crates.io takes at most {MAX_LEN}",
                package.len()
            )));
        }
        if let Some((why, _)) = RESERVED
            .iter()
            .find(|(_, names)| names.contains(&crate_name.as_str()))
        {
            let as_converted = if crate_name == typed {
                String::new()
            } else {
                format!(" (as {crate_name:?})")
            };
            return Err(invalid(format!("it is {why}{as_converted}")));
        }
        if dependency_names().contains(&crate_name) {
            return Err(invalid(format!(
                "it is the name of a crate the service depends on ({crate_name}), and cargo cannot build a package that depends on a crate of its own name; add a word, e.g. {package}-service"
            )));
        }
        Ok(ProjectNames {
            typed: typed.to_owned(),
            package,
            crate_name,
        })
    }

    /// What cargo-generate and docker will call the project, when that is not what was typed.
    pub fn differ_from_typed(&self) -> bool {
        self.package != self.typed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cargo_refuses_are_refused_with_the_reason() {
        for (name, reason) in [
            ("build", "a directory cargo builds into"),
            ("deps", "a directory cargo builds into"),
            ("examples", "a directory cargo builds into"),
            ("incremental", "a directory cargo builds into"),
            ("fn", "a Rust keyword"),
            ("Async-", "a Rust keyword (as \"async\")"),
            ("Self", "a Rust keyword (as \"self\")"),
            ("proc-macro", "standard library (as \"proc_macro\")"),
            ("test", "standard library"),
            ("nul", "Windows"),
            ("9lives", "start with a letter"),
            ("my.service", "not '.'"),
            ("", "empty"),
        ] {
            let error = ProjectNames::new(name).expect_err(name).to_string();
            assert!(error.contains(reason), "{name}: {error}");
        }
        let long = "a".repeat(MAX_LEN + 1);
        assert!(
            ProjectNames::new(&long)
                .unwrap_err()
                .to_string()
                .contains("at most 64")
        );
        assert!(ProjectNames::new(&"a".repeat(MAX_LEN)).is_ok());
    }

    #[test]
    fn the_names_a_project_carries_follow_cargo_generates_conversion() {
        let names = ProjectNames::new("Orders API").unwrap();
        assert_eq!(names.package, "orders-api");
        assert_eq!(names.crate_name, "orders_api");
        assert!(names.differ_from_typed());
        assert!(!ProjectNames::new("orders").unwrap().differ_from_typed());
    }

    #[test]
    fn a_crate_of_the_dependency_graph_is_refused_by_either_spelling() {
        for name in [
            "serde",
            "tokio",
            "actix-web",
            "actix_web",
            "sqlx",
            "log",
            "http",
            "url",
        ] {
            let error = ProjectNames::new(name).expect_err(name).to_string();
            assert!(
                error.contains("a crate the service depends on"),
                "{name}: {error}"
            );
        }
        assert!(ProjectNames::new("serde-service").is_ok());
        assert!(dependency_names().len() > 100, "{:?}", dependency_names());
        assert!(!dependency_names().iter().any(|name| name.contains('{')));
    }

    /// The hook's list is the lock's, every variant's, so `cargo generate` refuses the same.
    #[test]
    fn the_templates_name_hook_refuses_every_crate_of_the_lock() {
        let hook = include_str!("../../template/name-check.rhai");
        let list = hook
            .split_once("let dependencies = [")
            .and_then(|(_, rest)| rest.split_once("];"))
            .expect("name-check.rhai has a `let dependencies = [...];` list")
            .0;
        let in_hook: BTreeSet<String> = list
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        assert_eq!(
            &in_hook,
            dependency_names(),
            "run tests/template/update-lockfile to write the hook's list again"
        );
    }

    /// `cargo generate` users meet the template's hook, not this module: both refuse the same.
    #[test]
    fn the_templates_name_hook_reserves_exactly_these_names() {
        let hook = include_str!("../../template/name-check.rhai");
        let list = hook
            .split_once("let reserved = [")
            .and_then(|(_, rest)| rest.split_once("];"))
            .expect("name-check.rhai has a `let reserved = [...];` list")
            .0;
        let mut in_hook: Vec<&str> = list.split('"').skip(1).step_by(2).collect();
        let mut here: Vec<&str> = RESERVED
            .iter()
            .flat_map(|(_, names)| names.iter().copied())
            .collect();
        in_hook.sort_unstable();
        here.sort_unstable();
        assert_eq!(in_hook, here);
        assert!(
            hook.contains(&format!("> {MAX_LEN}")),
            "the hook must cap the length at {MAX_LEN}"
        );
    }
}
