//! ARG and ENV values as Docker substitutes them: defaults, quoting, the `${NAME:-default}`
//! operators, and BuildKit's platform ARGs, whose values only the build knows.

use crate::check::dockerfile::words;
use std::collections::HashMap;

/// BuildKit sets these for every build; their values depend on the machine, so they are unknown.
const PLATFORM_ARGS: [&str; 8] = [
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// A variable's value as far as the file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Known(String),
    /// Declared without a default: empty unless the build passes one (`--build-arg`).
    Unset,
    /// Known only to the build: BuildKit's platform ARGs, and values made from them.
    Unknown,
}

/// ARG and ENV values in scope at one point of the file.
#[derive(Debug, Clone, Default)]
pub struct Vars(HashMap<String, Value>);

impl Vars {
    pub(super) fn set(&mut self, name: &str, value: Value) {
        self.0.insert(name.to_owned(), value);
    }

    pub(super) fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .get(name)
            .or_else(|| PLATFORM_ARGS.contains(&name).then_some(&Value::Unknown))
    }

    /// `text` with `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `${NAME:+alt}`
    /// and `${NAME+alt}` substituted as Docker does, a default standing for an ARG declared
    /// without one; `None` when a value it needs is known only to the build.
    pub fn expand(&self, text: &str) -> Option<String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find(['$', '\\']) {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if rest[at..].starts_with('\\') {
                match after.strip_prefix('$') {
                    Some(tail) => {
                        out.push('$');
                        rest = tail;
                    }
                    None => {
                        out.push('\\');
                        rest = after;
                    }
                }
                continue;
            }
            if let Some(inner) = after.strip_prefix('{') {
                let end = inner.find('}')?;
                out.push_str(&self.braced(&inner[..end])?);
                rest = &inner[end + 1..];
                continue;
            }
            let length = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if length == 0 {
                out.push('$');
            } else {
                out.push_str(&self.plain(&after[..length])?);
            }
            rest = &after[length..];
        }
        out.push_str(rest);
        Some(out)
    }

    fn plain(&self, name: &str) -> Option<String> {
        match self.get(name) {
            Some(Value::Known(text)) => Some(text.clone()),
            Some(Value::Unset | Value::Unknown) => None,
            None => Some(String::new()),
        }
    }

    /// The inside of `${...}`.
    fn braced(&self, body: &str) -> Option<String> {
        let length = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        let (name, operation) = body.split_at(length);
        let value = self.get(name);
        let (operator, word) = [":-", ":+", "-", "+"]
            .into_iter()
            .find_map(|operator| Some((operator, operation.strip_prefix(operator)?)))
            .unwrap_or(("", operation));
        let known = |empty_is_unset: bool| match value {
            Some(Value::Known(text)) if !(empty_is_unset && text.is_empty()) => Some(Some(text)),
            Some(Value::Known(_) | Value::Unset) | None => Some(None),
            Some(Value::Unknown) => None,
        };
        match operator {
            ":-" | "-" => match known(operator == ":-")? {
                Some(text) => Some(text.clone()),
                None => self.expand(word),
            },
            ":+" | "+" => match known(operator == ":+")? {
                Some(_) => self.expand(word),
                None => Some(String::new()),
            },
            // `${NAME}`, and `${NAME?message}`, which fails the build when unset.
            _ => self.plain(name),
        }
    }
}

/// `ARG A=1 B "C=two words"`: names with their defaults, quotes removed later by expansion.
pub(super) fn declarations(args: &str) -> Vec<(String, Option<String>)> {
    words(args)
        .into_iter()
        .map(|word| match word.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (word, None),
        })
        .collect()
}

/// `ENV A=1 B="x y"` or the legacy `ENV NAME value with spaces`.
pub(super) fn env_pairs(args: &str) -> Vec<(String, String)> {
    let first = args.split_whitespace().next().unwrap_or_default();
    if !first.contains('=') {
        let value = args.trim_start()[first.len()..].trim();
        return vec![(first.to_owned(), value.to_owned())];
    }
    words(args)
        .into_iter()
        .filter_map(|word| {
            let (name, value) = word.split_once('=')?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expansion_follows_dockers_operators() {
        let mut vars = Vars::default();
        vars.set("SET", Value::Known("v".into()));
        vars.set("EMPTY", Value::Known(String::new()));
        vars.set("LATER", Value::Unset);
        for (text, expected) in [
            ("${SET:-d}", Some("v")),
            ("${EMPTY:-d}", Some("d")),
            ("${EMPTY-d}", Some("")),
            ("${NONE-d}", Some("d")),
            ("${SET:+alt}", Some("alt")),
            ("${NONE:+alt}", Some("")),
            ("$SET/$NONE", Some("v/")),
            ("\\$SET", Some("$SET")),
            ("${LATER:-d}", Some("d")),
            ("${TARGETARCH:-amd64}", None),
            ("$LATER", None),
            ("${TARGETARCH}", None),
            ("${unclosed", None),
        ] {
            assert_eq!(vars.expand(text).as_deref(), expected, "{text}");
        }
    }
}
