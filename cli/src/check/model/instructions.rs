//! What one instruction brings into the model: the sources of a COPY or ADD, where a
//! `COPY --from` takes its files, and the cargo commands a RUN runs.

use crate::check::dockerfile::{Form, words};

/// Where a `COPY --from` takes its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopySource {
    Stage(usize),
    /// An image by reference (`COPY --from=lukemathwalker/cargo-chef:... /x /y`).
    Image(String),
    /// `--from` names something the file cannot resolve (an unknown ARG).
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFrom {
    /// Index into `Dockerfile::instructions`.
    pub instruction: usize,
    pub line: usize,
    pub source: CopySource,
    /// The source paths, ARGs expanded where known.
    pub paths: Vec<String>,
}

/// A COPY or ADD from the build context (no `--from`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextCopy {
    /// Index into `Dockerfile::instructions`.
    pub instruction: usize,
    pub line: usize,
    pub stage: usize,
    /// The sources as written in either form, ARGs expanded where known, without the
    /// destination and without heredocs (`COPY <<EOF`).
    pub sources: Vec<String>,
}

impl ContextCopy {
    /// The sources as paths of the context: `./app/` as `app`.
    pub fn paths(&self) -> impl Iterator<Item = String> + '_ {
        self.sources.iter().map(|source| {
            source
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_owned()
        })
    }

    /// Whether it sends the root of the context (`COPY . .`, `ADD ./ /app`).
    pub fn whole_context(&self) -> bool {
        self.sources
            .iter()
            .any(|source| matches!(source.as_str(), "." | "./"))
    }
}

/// One `cargo` command a RUN runs (`cargo build --release --bin api`), split as a shell
/// would split it, ARGs and ENVs expanded where the file gives them a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CargoCommand {
    /// Index into `Dockerfile::instructions`.
    pub instruction: usize,
    pub line: usize,
    pub stage: usize,
    /// The word after `cargo` (and a `+toolchain`): `build`, `install`, `chef`, ...
    pub subcommand: String,
    /// The words after the subcommand.
    pub args: Vec<String>,
}

impl CargoCommand {
    /// The values a flag is given, as `--bin api` or `--bin=api`.
    pub fn values(&self, flag: &str) -> Vec<&str> {
        let prefix = format!("{flag}=");
        self.args
            .iter()
            .enumerate()
            .filter_map(|(at, word)| match word.strip_prefix(&prefix) {
                Some(value) => Some(value),
                None if word == flag => self.args.get(at + 1).map(String::as_str),
                None => None,
            })
            .collect()
    }

    pub fn has(&self, flag: &str) -> bool {
        self.args.iter().any(|word| word == flag)
    }
}

/// The cargo commands of a RUN's script: each `&&`, `||`, `;`, `|` or line separated command
/// whose program is `cargo`.
pub(super) fn cargo_commands(script: &str) -> Vec<(String, Vec<String>)> {
    script
        .split(['&', ';', '|', '\n'])
        .filter_map(|command| {
            let words = words(command);
            let at = words.iter().position(|word| word == "cargo")?;
            let mut rest = words[at + 1..]
                .iter()
                .skip_while(|word| word.starts_with('+'));
            let subcommand = rest.next()?.clone();
            Some((subcommand, rest.cloned().collect()))
        })
        .collect()
}

/// The sources of a COPY or ADD, in exec (`["a", "b", "/dst/"]`) or shell form, without
/// the destination; heredocs (`<<EOF`) are not files of the context.
pub(super) fn copy_sources(args: &str) -> Vec<String> {
    let mut words = match Form::parse(args) {
        Form::Exec(words) => words,
        Form::Shell(text) => words(&text),
    };
    words.pop();
    words.retain(|word| !word.starts_with("<<"));
    words
}
