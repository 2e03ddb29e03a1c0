//! Reading the files `check` looks at: a file's text, refused with the reason when it is not
//! text, and the one struct every model is kept in with its path and text.

use anyhow::Result;
use std::path::Path;

/// A file as read: its path, its text and the model parsed from it.
pub struct Source<T> {
    /// Relative to the project root, with `/` separators: what findings name.
    pub path: String,
    pub text: String,
    pub parsed: T,
}

/// A file's text, refused with the reason when it is not UTF-8 text (binary, UTF-16).
pub fn read_text(root: &Path, name: &str) -> Result<String> {
    let bytes = fs_err::read(root.join(name))?;
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        anyhow::bail!(
            "{name} is UTF-16 text, and Docker reads UTF-8 only: convert it \
             (iconv -f UTF-16 -t UTF-8 {name} > {name}.utf8 && mv {name}.utf8 {name})"
        );
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        anyhow::anyhow!(
            "{name} is not UTF-8 text (an invalid byte at offset {}): is it a binary file? \
             check reads Dockerfiles, Cargo.toml and compose files as UTF-8",
            error.utf8_error().valid_up_to()
        )
    })?;
    if let Some(at) = text.find('\0') {
        anyhow::bail!(
            "{name} holds a NUL byte at offset {at}: it is binary (or UTF-16 without a BOM), \
             not a text file check can read"
        );
    }
    Ok(text)
}

/// The line of the first occurrence of `needle`, or 1 when there is none.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .map_or(1, |index| index + 1)
}
