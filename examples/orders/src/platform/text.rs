//! Platform: the template maintains this file, and `cargo microservice upgrade` updates it.
//!
//! What text a client may store: one rule for every field that is kept and shown again, so
//! both stores answer the same request the same way (PostgreSQL refuses NUL in `text`; process
//! memory would keep it) and the OpenAPI document states the same rule as the code.

/// Characters no stored text may hold: the C0 controls (NUL among them), DEL and the C1
/// controls, the line and paragraph separators, and the bidirectional overrides and isolates,
/// which make text display in another order than it is stored.
pub const REFUSED: [(char, char); 5] = [
    ('\u{0}', '\u{1f}'),
    ('\u{7f}', '\u{9f}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202a}', '\u{202e}'),
    ('\u{2066}', '\u{2069}'),
];

/// White space that is not refused: what a name may not consist of only, and an email may not
/// hold at all (with the refused controls, this is `char::is_whitespace`).
pub const SPACES: [(char, char); 7] = [
    (' ', ' '),
    ('\u{a0}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
];

fn within(ranges: &[(char, char)], c: char) -> bool {
    ranges.iter().any(|&(low, high)| (low..=high).contains(&c))
}

/// Is `c` white space a client may send (a name must hold more than these)?
pub fn is_space(c: char) -> bool {
    within(&SPACES, c)
}

/// The first character of `text` no stored text may hold.
pub fn refused(text: &str) -> Option<char> {
    text.chars().find(|&c| within(&REFUSED, c))
}

/// Says why `text` cannot be stored, if it cannot, naming the first refused character.
pub fn check(text: &str) -> Result<(), String> {
    match refused(text) {
        None => Ok(()),
        Some(c) => Err(format!(
            "must not contain control, line-separator or bidirectional-override characters (found U+{:04X})",
            u32::from(c)
        )),
    }
}

/// A regular-expression character class (for JSON Schema's `pattern`) of `ranges`, written with
/// `\uXXXX` escapes, which ECMA-262 and Python's `re` both read.
fn class(ranges: &[(char, char)]) -> String {
    ranges
        .iter()
        .map(|&(low, high)| {
            if low == high {
                format!("\\u{:04x}", u32::from(low))
            } else {
                format!("\\u{:04x}-\\u{:04x}", u32::from(low), u32::from(high))
            }
        })
        .collect()
}

/// JSON Schema's `pattern` for text that holds no refused character and, with `not_blank`,
/// at least one that is not white space; the OpenAPI document states the rule with it.
pub fn pattern(not_blank: bool) -> String {
    let refused = class(&REFUSED);
    if not_blank {
        let spaces = class(&SPACES);
        format!("^[^{refused}]*[^{refused}{spaces}][^{refused}]*$")
    } else {
        format!("^[^{refused}]*$")
    }
}

/// JSON Schema's `pattern` for an email: a part without `@` or white space, `@`, and a part
/// without white space, none of it refused.
pub fn email_pattern() -> String {
    let not = format!("{}{}", class(&REFUSED), class(&SPACES));
    format!("^[^{not}@]+@[^{not}]+$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refused_class_is_refused_and_named() {
        for c in [
            '\u{0}', '\u{1}', '\t', '\n', '\u{1f}', '\u{7f}', '\u{85}', '\u{9f}', '\u{2028}',
            '\u{2029}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}',
        ] {
            let text = format!("Ada{c}Lovelace");
            assert_eq!(refused(&text), Some(c), "{c:?}");
            assert!(
                check(&text)
                    .unwrap_err()
                    .contains(&format!("U+{:04X}", u32::from(c)))
            );
        }
        assert_eq!(check("Ada Lovelace, é, 日本, 🦀"), Ok(()));
    }

    #[test]
    fn spaces_and_refused_controls_are_exactly_what_rust_calls_white_space() {
        for c in (0..=0x10_ffff).filter_map(char::from_u32) {
            let counted = is_space(c) || (c.is_whitespace() && within(&REFUSED, c));
            assert_eq!(c.is_whitespace(), counted, "{c:?}");
        }
    }

    #[test]
    fn the_patterns_are_written_with_escapes_only() {
        for pattern in [pattern(true), pattern(false), email_pattern()] {
            assert!(pattern.is_ascii(), "{pattern}");
            assert!(pattern.starts_with('^') && pattern.ends_with('$'));
        }
    }
}
