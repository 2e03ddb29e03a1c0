//! The answers a project is rendered from: read from flags, a values file, prompts or defaults,
//! validated once, and written into the project as `.cargo-microservice.toml`.

use crate::errors::UserError;
use crate::variants::{Base, DEFAULT_PORT, DEFAULT_RUST_VERSION, Debian, Variant};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The name of the answers file written into every project the CLI creates.
pub const ANSWERS_FILE: &str = ".cargo-microservice.toml";

/// Values as given, before validation: every field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawValues {
    pub base: Option<String>,
    pub debian: Option<String>,
    pub rust_version: Option<String>,
    pub port: Option<PortValue>,
}

/// A port in a values file may be written as a string (as cargo-generate's examples do) or a number.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum PortValue {
    Text(String),
    Number(i64),
}

impl PortValue {
    fn as_text(&self) -> String {
        match self {
            PortValue::Text(text) => text.clone(),
            PortValue::Number(number) => number.to_string(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValuesFile {
    values: RawValues,
    // An answers file is a values file too; what it adds is informative only.
    #[allow(dead_code)]
    name: Option<String>,
    #[allow(dead_code)]
    tool_version: Option<String>,
}

impl RawValues {
    /// Reads a `--values-file`: a TOML `[values]` table, the format cargo-generate takes.
    pub fn from_file(path: &Path) -> Result<RawValues, UserError> {
        let text = match fs_err::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(UserError::ValuesFileMissing {
                    path: path.to_owned(),
                });
            }
            Err(error) => {
                return Err(UserError::ValuesFileInvalid {
                    path: path.to_owned(),
                    detail: error.to_string(),
                });
            }
        };
        toml::from_str::<ValuesFile>(&text)
            .map(|file| file.values)
            .map_err(|error| UserError::ValuesFileInvalid {
                path: path.to_owned(),
                detail: error.message().to_owned(),
            })
    }

    /// `self`, with every value `over` sets taking precedence.
    pub fn overridden_by(self, over: RawValues) -> RawValues {
        RawValues {
            base: over.base.or(self.base),
            debian: over.debian.or(self.debian),
            rust_version: over.rust_version.or(self.rust_version),
            port: over.port.or(self.port),
        }
    }
}

/// Validated answers: everything the template needs, nothing it would refuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answers {
    pub name: String,
    pub base: Base,
    pub debian: Option<Debian>,
    pub rust_version: String,
    pub port: u16,
}

impl Answers {
    /// Validates `raw`, filling what is missing with the template's defaults.
    pub fn from_raw(name: &str, raw: &RawValues) -> Result<Answers, UserError> {
        validate_name(name)?;
        let base = match &raw.base {
            None => Base::DEFAULT,
            Some(value) => Base::parse(value).ok_or_else(|| UserError::InvalidBase {
                value: value.clone(),
            })?,
        };
        let debian = match (&raw.debian, base.uses_debian()) {
            (Some(value), false) => {
                return Err(UserError::DebianWithAlpine {
                    debian: value.clone(),
                });
            }
            (None, false) => None,
            (None, true) => Some(Debian::DEFAULT),
            (Some(value), true) => {
                Some(
                    Debian::parse(value).ok_or_else(|| UserError::InvalidDebian {
                        value: value.clone(),
                    })?,
                )
            }
        };
        let rust_version = raw
            .rust_version
            .clone()
            .unwrap_or_else(|| DEFAULT_RUST_VERSION.to_owned());
        validate_rust_version(&rust_version)?;
        let port = match &raw.port {
            None => DEFAULT_PORT,
            Some(value) => parse_port(&value.as_text())?,
        };
        Ok(Answers {
            name: name.to_owned(),
            base,
            debian,
            rust_version,
            port,
        })
    }

    pub fn variant(&self) -> Variant {
        Variant {
            base: self.base,
            debian: self.debian,
        }
    }

    /// The answers as cargo-generate `key=value` defines.
    pub fn defines(&self) -> Vec<String> {
        let mut defines = vec![format!("base={}", self.base)];
        if let Some(debian) = self.debian {
            defines.push(format!("debian={debian}"));
        }
        defines.push(format!("rust_version={}", self.rust_version));
        defines.push(format!("port={}", self.port));
        defines
    }

    /// `.cargo-microservice.toml`: a values file (`--values-file` takes it) plus the tool version.
    pub fn to_answers_file(&self) -> String {
        let mut text = format!(
            "# Written by cargo-microservice when it created this project; pass it back with\n\
             # `--values-file {ANSWERS_FILE}` to render the same service again.\n\
             name = {:?}\ntool_version = {:?}\n\n[values]\nbase = {:?}\n",
            self.name,
            env!("CARGO_PKG_VERSION"),
            self.base.as_str()
        );
        if let Some(debian) = self.debian {
            text.push_str(&format!("debian = {:?}\n", debian.as_str()));
        }
        text.push_str(&format!(
            "rust_version = {:?}\nport = \"{}\"\n",
            self.rust_version, self.port
        ));
        text
    }
}

/// The rules cargo and the template's name-check hook apply to a project name.
pub fn validate_name(name: &str) -> Result<(), UserError> {
    const RESERVED: &[&str] = &[
        "as",
        "async",
        "await",
        "break",
        "const",
        "continue",
        "crate",
        "dyn",
        "else",
        "enum",
        "extern",
        "false",
        "fn",
        "for",
        "if",
        "impl",
        "in",
        "let",
        "loop",
        "match",
        "mod",
        "move",
        "mut",
        "pub",
        "ref",
        "return",
        "self",
        "static",
        "struct",
        "super",
        "trait",
        "true",
        "type",
        "unsafe",
        "use",
        "where",
        "while",
        "abstract",
        "become",
        "box",
        "do",
        "final",
        "gen",
        "macro",
        "override",
        "priv",
        "try",
        "typeof",
        "unsized",
        "virtual",
        "yield",
        "alloc",
        "core",
        "proc_macro",
        "std",
        "test",
    ];
    let invalid = |rule| {
        Err(UserError::InvalidName {
            name: name.to_owned(),
            rule,
        })
    };
    let Some(first) = name.chars().next() else {
        return invalid("it is empty");
    };
    if !first.is_ascii_alphabetic() {
        return invalid("it must start with a letter");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return invalid("it may hold only letters, digits, - and _");
    }
    if RESERVED.contains(&name.replace('-', "_").to_lowercase().as_str()) {
        return invalid("it is a Rust keyword or a built-in crate");
    }
    Ok(())
}

/// `1.85` or newer, as `major.minor[.patch]`: the template's regex, in code.
pub fn validate_rust_version(value: &str) -> Result<(), UserError> {
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
    Ok(())
}

pub fn parse_port(value: &str) -> Result<u16, UserError> {
    match value.parse::<u16>() {
        Ok(port) if port > 0 && !value.starts_with('0') => Ok(port),
        _ => Err(UserError::InvalidPort {
            value: value.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_what_is_missing() {
        let answers = Answers::from_raw("orders", &RawValues::default()).unwrap();
        assert_eq!(answers.base, Base::Distroless);
        assert_eq!(answers.debian, Some(Debian::Trixie));
        assert_eq!(answers.rust_version, "1.95");
        assert_eq!(answers.port, 8080);
    }

    #[test]
    fn the_answers_file_is_a_values_file_that_renders_the_same_answers() {
        let answers = Answers::from_raw(
            "orders",
            &RawValues {
                base: Some("alpine".into()),
                port: Some(PortValue::Number(9000)),
                ..RawValues::default()
            },
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ANSWERS_FILE);
        std::fs::write(&path, answers.to_answers_file()).unwrap();

        let reread = Answers::from_raw("orders", &RawValues::from_file(&path).unwrap()).unwrap();

        assert_eq!(reread, answers);
    }

    #[test]
    fn rust_versions_older_than_edition_2024_or_floating_are_refused() {
        for good in ["1.85", "1.95", "1.95.0", "1.100"] {
            assert!(validate_rust_version(good).is_ok(), "{good}");
        }
        for bad in [
            "latest", "1", "1.84", "2.0", "1.95.x", "1.095", "stable", "",
        ] {
            assert!(validate_rust_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ports_outside_1_to_65535_are_refused() {
        for bad in ["0", "70000", "abc", "-1", "08080", ""] {
            assert!(parse_port(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_port("65535").unwrap(), 65535);
    }
}
