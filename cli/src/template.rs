//! The template, embedded in the binary so an installed CLI needs no checkout and no network,
//! and its placeholders, read from its own cargo-generate.toml so prompts match it exactly.

use anyhow::{Context, Result};
use include_dir::{Dir, include_dir};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

static TEMPLATE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../template");

/// Writes the embedded template into `dir`.
pub fn extract(dir: &Path) -> Result<()> {
    TEMPLATE
        .extract(dir)
        .with_context(|| format!("while writing the template into {}", dir.display()))
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

/// Every placeholder, conditional ones included, from the embedded cargo-generate.toml.
pub fn placeholders() -> BTreeMap<String, Placeholder> {
    let text = TEMPLATE
        .get_file("cargo-generate.toml")
        .and_then(|file| file.contents_utf8())
        .expect("the template has a cargo-generate.toml");
    let config: Config = toml::from_str(text).expect("the template's cargo-generate.toml parses");
    let mut all = config.placeholders;
    for conditional in config.conditional.into_values() {
        all.extend(conditional.placeholders);
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variants::{Base, DEFAULT_PORT, DEFAULT_RUST_VERSION, Debian};

    #[test]
    fn the_template_declares_the_choices_and_defaults_the_cli_knows() {
        let placeholders = placeholders();
        let base = &placeholders["base"];
        assert_eq!(base.choices, Base::ALL.map(|base| base.as_str().to_owned()));
        assert_eq!(base.default, Base::DEFAULT.as_str());
        let debian = &placeholders["debian"];
        assert_eq!(
            debian.choices,
            Debian::ALL.map(|debian| debian.as_str().to_owned())
        );
        assert_eq!(debian.default, Debian::DEFAULT.as_str());
        assert_eq!(placeholders["rust_version"].default, DEFAULT_RUST_VERSION);
        assert_eq!(placeholders["port"].default, DEFAULT_PORT.to_string());
    }
}
