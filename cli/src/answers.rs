//! The values a project is rendered from: given as flags, in a values file, at the prompts or
//! left to the defaults; checked once into [`Answers`], and written into the project as
//! `.cargo-microservice.toml`.
//!
//! Adding a choice to the template is one field in [`Values`] and [`Answers`], its enum in
//! `variants` (clap `ValueEnum` + serde) and its placeholder in `template/cargo-generate.toml`:
//! flags, values files, prompts, defines and the answers file all follow from those.

use crate::errors::UserError;
use crate::variants::{
    Base, DEFAULT_PORT, DEFAULT_RUST_VERSION, Database, Debian, POSTGRES_MIN_RUST_MINOR, Variant,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Read as _;
use std::path::Path;
use std::str::FromStr;

/// The template's values as given, before defaults: a flag each, and the `[values]` table of a
/// values file (the format cargo-generate's `--values-file` takes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Values {
    /// The runtime base image.
    #[arg(long, value_enum)]
    pub base: Option<Base>,
    /// The Debian release builder and runtime share (not for alpine).
    #[arg(long, value_enum)]
    pub debian: Option<Debian>,
    /// The builder's Rust toolchain, pinned as major.minor[.patch] (1.85 or newer).
    #[arg(long, value_name = "VERSION")]
    pub rust_version: Option<RustVersion>,
    /// The port the service listens on (1-65535).
    #[arg(long)]
    pub port: Option<Port>,
    /// Where the users resource lives: postgres (PostgreSQL, sqlx, migrations) or none
    /// (process memory, lost at restart).
    #[arg(long, value_enum)]
    pub database: Option<Database>,
}

impl Values {
    /// Reads a `--values-file`: a TOML `[values]` table. An answers file is one too.
    pub fn from_file(path: &Path) -> Result<Values, UserError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ValuesFile {
            values: Values,
            // What a project's record (`.cargo-microservice.toml`) adds besides its values.
            #[serde(rename = "name")]
            _name: Option<String>,
            #[serde(rename = "tool_version")]
            _tool_version: Option<String>,
            #[serde(rename = "template_version")]
            _template_version: Option<String>,
            #[serde(rename = "template_digest")]
            _template_digest: Option<String>,
            #[serde(rename = "files")]
            _files: Option<toml::Table>,
            #[serde(rename = "upgrade")]
            _upgrade: Option<toml::Table>,
        }
        let text = read_values_file(path)?;
        toml::from_str::<ValuesFile>(&text)
            .map(|file| file.values)
            .map_err(|error| UserError::ValuesFileInvalid {
                path: path.to_owned(),
                detail: located(&text, &error),
            })
    }

    /// `self`, with every value `over` sets taking precedence.
    pub fn overridden_by(self, over: Values) -> Values {
        Values {
            base: over.base.or(self.base),
            debian: over.debian.or(self.debian),
            rust_version: over.rust_version.or(self.rust_version),
            port: over.port.or(self.port),
            database: over.database.or(self.database),
        }
    }

    /// Whether the template asks for `key` given the values chosen so far (its
    /// `[conditional]` tables, in code).
    pub fn asks_for(&self, key: &str) -> bool {
        key != "debian" || self.base.unwrap_or_default().uses_debian()
    }

    /// Whether `key` has a value already.
    pub fn has(&self, key: &str) -> bool {
        let table = toml::Table::try_from(self).expect("values serialise");
        table.contains_key(key)
    }

    /// Sets one value from its text, as a prompt or the template would spell it.
    pub fn set(&mut self, key: &str, text: &str) -> Result<(), String> {
        let mut table = toml::Table::new();
        table.insert(key.to_owned(), toml::Value::String(text.to_owned()));
        let value: Values = table
            .try_into()
            .map_err(|error: toml::de::Error| error.message().to_owned())?;
        *self = std::mem::take(self).overridden_by(value);
        Ok(())
    }
}

/// Far more than any values file; more is not one (`/dev/zero` would never end).
const MAX_VALUES_FILE_BYTES: u64 = 64 * 1024;

/// A values file's text: a regular file (a pipe or a device is refused before it is opened for
/// reading), of a sane size.
fn read_values_file(path: &Path) -> Result<String, UserError> {
    let invalid = |detail: String| UserError::ValuesFileInvalid {
        path: path.to_owned(),
        detail,
    };
    let meta = std::fs::metadata(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => UserError::ValuesFileMissing {
            path: path.to_owned(),
        },
        _ => invalid(error.to_string()),
    })?;
    if !meta.is_file() {
        return Err(UserError::ValuesFileNotRegular {
            path: path.to_owned(),
        });
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| {
            std::io::Read::read_to_string(&mut file.take(MAX_VALUES_FILE_BYTES + 1), &mut text)
        })
        .map_err(|error| invalid(error.to_string()))?;
    if text.len() as u64 > MAX_VALUES_FILE_BYTES {
        return Err(invalid(format!(
            "it is over {} KiB, far more than a [values] table",
            MAX_VALUES_FILE_BYTES / 1024
        )));
    }
    Ok(text)
}

/// A TOML error on one line, with the line: `line 2 (port = true): invalid type: ...`.
fn located(text: &str, error: &toml::de::Error) -> String {
    let Some(span) = error.span() else {
        return error.message().to_owned();
    };
    let start = text[..span.start]
        .rfind('\n')
        .map_or(0, |newline| newline + 1);
    let end = text[span.start..]
        .find('\n')
        .map_or(text.len(), |newline| span.start + newline);
    let number = text[..span.start].matches('\n').count() + 1;
    format!(
        "line {number} ({}): {}",
        text[start..end].trim(),
        error.message()
    )
}

/// Validated answers: everything the template needs, nothing it would refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answers {
    pub base: Base,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debian: Option<Debian>,
    pub rust_version: RustVersion,
    pub port: Port,
    pub database: Database,
}

impl Answers {
    /// Fills what `values` leaves out with the template's defaults, and refuses contradictions.
    pub fn from_values(values: &Values) -> Result<Answers, UserError> {
        let base = values.base.unwrap_or_default();
        let debian = match (values.debian, base.uses_debian()) {
            (Some(debian), false) => return Err(UserError::DebianWithAlpine { debian }),
            (None, false) => None,
            (debian, true) => Some(debian.unwrap_or_default()),
        };
        let rust_version = values.rust_version.clone().unwrap_or_default();
        let database = values.database.unwrap_or_default();
        if database == Database::Postgres && rust_version.minor() < POSTGRES_MIN_RUST_MINOR {
            return Err(UserError::RustTooOldForPostgres {
                rust_version: rust_version.to_string(),
            });
        }
        Ok(Answers {
            base,
            debian,
            rust_version,
            port: values.port.unwrap_or_default(),
            database,
        })
    }

    pub fn variant(&self) -> Variant {
        Variant {
            base: self.base,
            debian: self.debian,
            database: self.database,
        }
    }

    /// The answers as cargo-generate `key=value` defines.
    pub fn defines(&self) -> Vec<String> {
        toml::Table::try_from(self)
            .expect("answers serialise")
            .into_iter()
            .map(|(key, value)| match value {
                toml::Value::String(text) => format!("{key}={text}"),
                other => format!("{key}={other}"),
            })
            .collect()
    }

    /// The answers as a values file states them, every value given.
    pub fn to_values(&self) -> Values {
        Values {
            base: Some(self.base),
            debian: self.debian,
            rust_version: Some(self.rust_version.clone()),
            port: Some(self.port),
            database: Some(self.database),
        }
    }
}

/// A builder toolchain pinned as `major.minor[.patch]`, 1.85 or newer: the template's regex, in
/// code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RustVersion(String);

impl Default for RustVersion {
    fn default() -> RustVersion {
        RustVersion(DEFAULT_RUST_VERSION.to_owned())
    }
}

impl FromStr for RustVersion {
    type Err = UserError;

    fn from_str(value: &str) -> Result<RustVersion, UserError> {
        let invalid = || UserError::InvalidRustVersion {
            value: value.to_owned(),
        };
        let parts: Vec<&str> = value.split('.').collect();
        let is_number = |part: &&str| {
            !part.is_empty()
                && part.chars().all(|c| c.is_ascii_digit())
                && (part.len() == 1 || !part.starts_with('0'))
        };
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(is_number) || parts[0] != "1" {
            return Err(invalid());
        }
        let minor: u32 = parts[1].parse().map_err(|_| invalid())?;
        if !(85..=999).contains(&minor) {
            return Err(invalid());
        }
        Ok(RustVersion(value.to_owned()))
    }
}

impl RustVersion {
    /// The minor version: `94` for 1.94.1.
    pub fn minor(&self) -> u32 {
        self.0
            .split('.')
            .nth(1)
            .and_then(|minor| minor.parse().ok())
            .expect("a RustVersion is checked to have a minor version")
    }
}

impl TryFrom<String> for RustVersion {
    type Error = UserError;

    fn try_from(value: String) -> Result<RustVersion, UserError> {
        value.parse()
    }
}

impl From<RustVersion> for String {
    fn from(version: RustVersion) -> String {
        version.0
    }
}

impl fmt::Display for RustVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The port the service listens on, 1 to 65535. Written as a string in values files, as
/// cargo-generate's are; a number is read too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Port(u16);

impl Port {
    pub fn get(self) -> u16 {
        self.0
    }
}

impl Default for Port {
    fn default() -> Port {
        Port(DEFAULT_PORT)
    }
}

impl FromStr for Port {
    type Err = UserError;

    fn from_str(value: &str) -> Result<Port, UserError> {
        match value.parse::<u16>() {
            Ok(port) if port > 0 && !value.starts_with('0') => Ok(Port(port)),
            _ => Err(UserError::InvalidPort {
                value: value.to_owned(),
            }),
        }
    }
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Port, D::Error> {
        struct PortVisitor;

        impl serde::de::Visitor<'_> for PortVisitor {
            type Value = Port;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port from 1 to 65535, as \"8080\" or 8080")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Port, E> {
                text.parse().map_err(E::custom)
            }

            fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<Port, E> {
                self.visit_str(&number.to_string())
            }

            fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<Port, E> {
                self.visit_str(&number.to_string())
            }
        }

        deserializer.deserialize_any(PortVisitor)
    }
}

impl From<Port> for String {
    fn from(port: Port) -> String {
        port.0.to_string()
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_what_is_missing() {
        let answers = Answers::from_values(&Values::default()).unwrap();
        assert_eq!(answers.base, Base::Distroless);
        assert_eq!(answers.debian, Some(Debian::Trixie));
        assert_eq!(answers.rust_version.to_string(), "1.95");
        assert_eq!(answers.port.get(), 8080);
        let mut defines = answers.defines();
        defines.sort();
        assert_eq!(
            defines,
            [
                "base=distroless",
                "database=postgres",
                "debian=trixie",
                "port=8080",
                "rust_version=1.95"
            ]
        );
    }

    #[test]
    fn postgres_needs_sqlxs_toolchain_and_none_does_not() {
        let values = |database| Values {
            rust_version: Some("1.93".parse().unwrap()),
            database,
            ..Values::default()
        };
        for database in [None, Some(Database::Postgres)] {
            let error = Answers::from_values(&values(database)).unwrap_err();
            assert!(error.to_string().contains("1.94"), "{error}");
        }
        let answers = Answers::from_values(&values(Some(Database::Memory))).unwrap();
        assert_eq!(answers.rust_version.minor(), 93);
    }

    #[test]
    fn the_answers_as_values_render_the_same_answers() {
        let values = Values {
            base: Some(Base::Alpine),
            port: Some("9000".parse().unwrap()),
            ..Values::default()
        };
        let answers = Answers::from_values(&values).unwrap();

        let again = Answers::from_values(&answers.to_values()).unwrap();

        assert_eq!(again, answers);
    }

    #[test]
    fn a_values_file_port_may_be_a_number_or_a_string() {
        for text in ["[values]\nport = 9000\n", "[values]\nport = \"9000\"\n"] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("values.toml");
            std::fs::write(&path, text).unwrap();
            assert_eq!(Values::from_file(&path).unwrap().port, Some(Port(9000)));
        }
    }

    /// Each message names the line and what would fit, never a type of ours.
    #[test]
    fn a_values_file_of_the_wrong_type_names_the_line_and_what_fits() {
        for (text, expected) in [
            (
                "[values]\nport = true\n",
                "line 2 (port = true): invalid type: boolean `true`, expected a port from 1 to 65535, as \"8080\" or 8080",
            ),
            (
                "[values]\nport = 80.5\n",
                "line 2 (port = 80.5): invalid type",
            ),
            (
                "[values]\nbase = \"static\"\nport = 0\n",
                "line 3 (port = 0): invalid port \"0\": use a whole number from 1 to 65535",
            ),
            (
                "[values]\nrust_version = 1.95\n",
                "line 2 (rust_version = 1.95): invalid type: floating point `1.95`, expected a string",
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("values.toml");
            std::fs::write(&path, text).unwrap();

            let message = Values::from_file(&path).unwrap_err().to_string();

            assert!(message.contains(expected), "{text:?}: {message}");
            assert!(!message.contains("Port"), "{text:?}: {message}");
        }
    }

    #[test]
    fn a_prompted_value_is_checked_as_a_flag_would_be() {
        let mut values = Values::default();
        values.set("base", "static").unwrap();
        values.set("port", "9090").unwrap();
        assert_eq!(values.base, Some(Base::Static));
        assert!(values.has("port") && !values.has("rust_version"));
        assert!(
            values
                .set("port", "70000")
                .unwrap_err()
                .contains("invalid port")
        );
        assert_eq!(values.port, Some(Port(9090)));
    }

    #[test]
    fn rust_versions_older_than_edition_2024_or_floating_are_refused() {
        for good in ["1.85", "1.95", "1.95.0", "1.100"] {
            assert!(good.parse::<RustVersion>().is_ok(), "{good}");
        }
        for bad in [
            "latest", "1", "1.84", "2.0", "1.95.x", "1.095", "stable", "",
        ] {
            assert!(bad.parse::<RustVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ports_outside_1_to_65535_are_refused() {
        for bad in ["0", "70000", "abc", "-1", "08080", ""] {
            assert!(bad.parse::<Port>().is_err(), "{bad}");
        }
        assert_eq!("65535".parse::<Port>().unwrap().get(), 65535);
    }
}
