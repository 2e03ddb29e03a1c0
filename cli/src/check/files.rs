//! Reading the files `check` looks at, bounded: regular files only (a named pipe would block,
//! `/dev/zero` never ends), at most `MOST_BYTES` of one file, UTF-8 text only. A file that
//! cannot be read this way is not a stop: it becomes an `Unreadable`, which CM028 reports, and
//! `check` goes on with everything else.

use std::io::Read;
use std::path::Path;

/// The most `check` reads of one file. A Dockerfile, manifest or source file a person wrote
/// is far smaller; a generated Kubernetes bundle of every CRD of an operator is about 4 MiB.
pub const MOST_BYTES: u64 = 16 * 1024 * 1024;

/// The most events a YAML file's aliases may replay: enough for any manifest or compose file
/// that shares settings with anchors, far too few for an alias bomb (nine levels of nine
/// aliases would replay 387 million).
pub const MOST_YAML_ALIAS_EVENTS: usize = 100_000;

/// How check parses YAML: serde-saphyr's own budget, with aliases capped at
/// `MOST_YAML_ALIAS_EVENTS`.
pub fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.alias_limits.max_total_replayed_events = MOST_YAML_ALIAS_EVENTS;
    options
}

/// A file as read: its path, its text and the model parsed from it.
pub struct Source<T> {
    /// Relative to the project root, with `/` separators: what findings name.
    pub path: String,
    pub text: String,
    pub parsed: T,
}

/// A file `check` tried to read and could not, with the reason, in words a finding can carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Relative to the project root, with `/` separators.
    pub path: String,
    pub reason: String,
}

impl Unreadable {
    pub fn new(path: &str, reason: impl Into<String>) -> Unreadable {
        Unreadable {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }
}

/// The text of `name` (relative to `root`), or why it cannot be read: not there, a link to
/// nowhere, not a regular file, larger than `MOST_BYTES`, binary or UTF-16.
pub fn read_text(root: &Path, name: &str) -> Result<String, Unreadable> {
    let path = root.join(name);
    let refuse = |reason: String| Unreadable::new(name, reason);
    // The kind of file is asked before it is opened: opening a named pipe blocks until a
    // writer comes, which may be never.
    let metadata = match std::fs::metadata(&path) {
        Ok(metadata) => metadata,
        Err(_) if path.is_symlink() => {
            let target = std::fs::read_link(&path)
                .map_or_else(|_| "?".to_owned(), |t| t.display().to_string());
            return Err(refuse(format!(
                "it is a symbolic link to {target}, which does not exist"
            )));
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(refuse("it does not exist".to_owned()));
        }
        Err(error) => return Err(refuse(format!("it cannot be read ({error})"))),
    };
    if !metadata.is_file() {
        return Err(refuse(format!(
            "it is {}, not a regular file, and check reads regular files only",
            kind_of(&metadata)
        )));
    }
    if metadata.len() > MOST_BYTES {
        return Err(refuse(format!(
            "it is {} MiB, more than the {} MiB check reads of one file",
            metadata.len() / (1024 * 1024),
            MOST_BYTES / (1024 * 1024)
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&path)
        .and_then(|file| file.take(MOST_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|error| refuse(format!("it cannot be read ({error})")))?;
    if bytes.len() as u64 > MOST_BYTES {
        return Err(refuse(format!(
            "it grew past the {} MiB check reads of one file while it was read",
            MOST_BYTES / (1024 * 1024)
        )));
    }
    text_of(name, bytes)
}

/// The text of `name`, or `None` with why it cannot be read added to `unreadable`.
pub fn read_noting(root: &Path, name: &str, unreadable: &mut Vec<Unreadable>) -> Option<String> {
    read_text(root, name)
        .map_err(|why| unreadable.push(why))
        .ok()
}

/// `bytes` as UTF-8 text, or why they are not.
fn text_of(name: &str, bytes: Vec<u8>) -> Result<String, Unreadable> {
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return Err(Unreadable::new(
            name,
            format!(
                "it is UTF-16 text, and Docker, cargo and kubectl read UTF-8 only: convert it \
                 (iconv -f UTF-16 -t UTF-8 {name} > {name}.utf8 && mv {name}.utf8 {name})"
            ),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        Unreadable::new(
            name,
            format!(
                "it is not UTF-8 text (an invalid byte at offset {}): is it a binary file?",
                error.utf8_error().valid_up_to()
            ),
        )
    })?;
    if let Some(at) = text.find('\0') {
        return Err(Unreadable::new(
            name,
            format!("it holds a NUL byte at offset {at}: it is binary (or UTF-16 without a BOM)"),
        ));
    }
    Ok(text)
}

fn kind_of(metadata: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = metadata.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// `a/./b/../c` as `a/c`, relative to the project, without touching the file system; `None`
/// when it climbs above the project.
pub fn within(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// The line of the first occurrence of `needle`, or 1 when there is none.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .map_or(1, |index| index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_and_a_pipe_are_refused_without_being_opened() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero")).unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let started = std::time::Instant::now();

        let zero = read_text(dir.path(), "zero").unwrap_err();
        let pipe = read_text(dir.path(), "pipe").unwrap_err();

        assert!(zero.reason.contains("a character device"), "{zero:?}");
        assert!(pipe.reason.contains("a named pipe"), "{pipe:?}");
        assert!(
            started.elapsed().as_secs_f64() < 1.0,
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn binary_utf16_and_missing_files_say_why() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("elf"), b"\x7fELF\x02\x01\x01\x00\xff\xfe").unwrap();
        std::fs::write(dir.path().join("wide"), [0xff, 0xfe, b'a', 0]).unwrap();
        std::os::unix::fs::symlink("/nonexistent/x", dir.path().join("dangling")).unwrap();

        let reasons: Vec<String> = ["elf", "wide", "dangling", "absent"]
            .iter()
            .map(|name| read_text(dir.path(), name).unwrap_err().reason)
            .collect();

        assert!(reasons[0].contains("not UTF-8"), "{reasons:?}");
        assert!(reasons[1].contains("UTF-16"), "{reasons:?}");
        assert!(
            reasons[2].contains("symbolic link to /nonexistent/x"),
            "{reasons:?}"
        );
        assert!(reasons[3].contains("does not exist"), "{reasons:?}");
    }
}
