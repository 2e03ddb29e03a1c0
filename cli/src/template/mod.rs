//! The template, embedded in the binary so an installed CLI needs no checkout and no network,
//! and its placeholders, read from its own cargo-generate.toml so prompts match it exactly.

use include_dir::{Dir, include_dir};
use serde::Deserialize;
use std::collections::BTreeMap;

pub mod versions;

static TEMPLATE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../template");

/// The template's Cargo.lock, as embedded (liquid conditions and all).
pub fn cargo_lock() -> &'static str {
    TEMPLATE
        .get_file("Cargo.lock")
        .and_then(|file| file.contents_utf8())
        .expect("the template has a Cargo.lock")
}

/// One placeholder as the template declares it.
#[derive(Debug, Clone, Deserialize)]
pub struct Placeholder {
    pub prompt: String,
    pub default: String,
    #[serde(default)]
    pub choices: Vec<String>,
}

#[derive(Deserialize)]
struct Config {
    placeholders: BTreeMap<String, Placeholder>,
    #[serde(default)]
    conditional: BTreeMap<String, Conditional>,
}

#[derive(Deserialize)]
struct Conditional {
    #[serde(default)]
    placeholders: BTreeMap<String, Placeholder>,
}

/// Every placeholder, conditional ones included, from the embedded cargo-generate.toml, in the
/// order the file declares them (the order cargo-generate asks in).
pub fn placeholders() -> Vec<(String, Placeholder)> {
    let text = TEMPLATE
        .get_file("cargo-generate.toml")
        .and_then(|file| file.contents_utf8())
        .expect("the template has a cargo-generate.toml");
    let config: Config = toml::from_str(text).expect("the template's cargo-generate.toml parses");
    let mut all: Vec<(String, Placeholder)> = config.placeholders.into_iter().collect();
    for conditional in config.conditional.into_values() {
        all.extend(conditional.placeholders);
    }
    let declared_at = |key: &str| text.find(&format!("placeholders.{key}]"));
    all.sort_by_key(|(key, _)| declared_at(key));
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::Values;
    use crate::variants::{
        Base, DEFAULT_PORT, DEFAULT_RUST_VERSION, Database, Debian, choice_name,
    };
    use clap::ValueEnum;

    #[test]
    fn the_template_declares_the_choices_and_defaults_the_cli_knows() {
        let placeholders: BTreeMap<String, Placeholder> = placeholders().into_iter().collect();
        let names = |choices: &[String]| choices.to_vec();
        let base = &placeholders["base"];
        assert_eq!(
            names(&base.choices),
            Base::value_variants()
                .iter()
                .map(choice_name)
                .collect::<Vec<_>>()
        );
        assert_eq!(base.default, choice_name(&Base::default()));
        let debian = &placeholders["debian"];
        assert_eq!(
            names(&debian.choices),
            Debian::value_variants()
                .iter()
                .map(choice_name)
                .collect::<Vec<_>>()
        );
        assert_eq!(debian.default, choice_name(&Debian::default()));
        assert_eq!(placeholders["rust_version"].default, DEFAULT_RUST_VERSION);
        assert_eq!(placeholders["port"].default, DEFAULT_PORT.to_string());
        let database = &placeholders["database"];
        assert_eq!(
            names(&database.choices),
            Database::value_variants()
                .iter()
                .map(choice_name)
                .collect::<Vec<_>>()
        );
        assert_eq!(database.default, choice_name(&Database::default()));
    }

    #[test]
    fn every_placeholder_is_a_value_the_cli_takes_in_the_templates_order() {
        let keys: Vec<String> = placeholders().into_iter().map(|(key, _)| key).collect();
        assert_eq!(keys, ["base", "debian", "rust_version", "port", "database"]);
        for (key, placeholder) in placeholders() {
            let mut values = Values::default();
            values
                .set(&key, &placeholder.default)
                .unwrap_or_else(|why| panic!("{key}'s default: {why}"));
            assert!(values.has(&key), "{key} is not a field of Values");
        }
    }
}
