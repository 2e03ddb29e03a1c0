//! A Dockerfile parser for the checks: stages, `ARG` defaults substituted into `FROM`, flags
//! (`--platform`, `--from`), line continuations with the `# escape=` directive, comments, CRLF,
//! heredocs, and exec versus shell form. It never fails: what it cannot read it keeps as text.

use std::collections::HashMap;

/// One instruction, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub line: usize,
    /// Upper-cased: `FROM`, `RUN`, `COPY`, ...
    pub keyword: String,
    /// Leading `--name=value` / `--name` flags.
    pub flags: Vec<(String, Option<String>)>,
    /// Everything after the flags, continuation lines joined with a space.
    pub args: String,
    /// Heredoc bodies (`RUN <<EOF ... EOF`), in order.
    pub heredocs: Vec<String>,
}

/// How a RUN, CMD, ENTRYPOINT or HEALTHCHECK command is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// `["/bin/app", "serve"]`: run directly, no shell.
    Exec(Vec<String>),
    /// `app serve`: run through `/bin/sh -c`.
    Shell(String),
}

impl Form {
    pub fn parse(args: &str) -> Form {
        let trimmed = args.trim();
        if trimmed.starts_with('[')
            && let Ok(words) = serde_json::from_str::<Vec<String>>(trimmed)
        {
            return Form::Exec(words);
        }
        Form::Shell(trimmed.to_owned())
    }

    /// The words of the command, split on white space for the shell form.
    pub fn words(&self) -> Vec<String> {
        match self {
            Form::Exec(words) => words.clone(),
            Form::Shell(text) => text.split_whitespace().map(str::to_owned).collect(),
        }
    }
}

/// A build stage: from its `FROM` up to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub line: usize,
    /// The image as written, before `ARG` substitution.
    pub base_raw: String,
    /// The image with global `ARG` defaults substituted.
    pub base: String,
    pub name: Option<String>,
    pub platform: Option<String>,
    /// Indexes into `Dockerfile::instructions`, the `FROM` excluded.
    pub instructions: Vec<usize>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(flag, _)| flag.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_deref().unwrap_or(""))
    }

    /// The instruction's command, for RUN, CMD and ENTRYPOINT.
    pub fn form(&self) -> Form {
        Form::parse(&self.args)
    }

    /// For HEALTHCHECK: `None` for `HEALTHCHECK NONE`, otherwise the command after `CMD`.
    pub fn healthcheck_command(&self) -> Option<Form> {
        let args = self.args.trim();
        if args.eq_ignore_ascii_case("NONE") {
            return None;
        }
        let mut rest = args;
        // Options such as --interval=10s may stand before CMD.
        while let Some(option) = rest.strip_prefix("--") {
            rest = option
                .split_once(char::is_whitespace)
                .map_or("", |(_, after)| after.trim_start());
        }
        let command = rest
            .get(..3)
            .filter(|word| word.eq_ignore_ascii_case("CMD"))
            .map(|_| &rest[3..]);
        Some(Form::parse(command.unwrap_or(rest)))
    }
}

impl Dockerfile {
    pub fn parse(text: &str) -> Dockerfile {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines: Vec<&str> = text
            .split('\n')
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .collect();
        let escape = escape_directive(&lines);
        let mut instructions = Vec::new();
        let mut index = 0;
        while index < lines.len() {
            let line = lines[index];
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                index += 1;
                continue;
            }
            let start = index;
            let mut logical = String::new();
            let mut current = line;
            loop {
                index += 1;
                match continued(current, escape) {
                    Some(head) => {
                        // Docker joins continued lines as they are, adding nothing.
                        logical.push_str(head);
                        // Comment and empty lines inside a continuation are dropped.
                        while index < lines.len() && {
                            let next = lines[index].trim_start();
                            next.is_empty() || next.starts_with('#')
                        } {
                            index += 1;
                        }
                        if index >= lines.len() {
                            break;
                        }
                        current = lines[index];
                    }
                    None => {
                        logical.push_str(current);
                        break;
                    }
                }
            }
            let mut instruction = split_instruction(start + 1, &logical);
            if matches!(instruction.keyword.as_str(), "RUN" | "COPY" | "ADD") {
                for (word, strip_tabs) in heredoc_words(&instruction.args) {
                    let mut body = String::new();
                    while index < lines.len() {
                        let raw = lines[index];
                        index += 1;
                        let candidate = if strip_tabs {
                            raw.trim_start_matches('\t')
                        } else {
                            raw
                        };
                        if candidate == word {
                            break;
                        }
                        body.push_str(candidate);
                        body.push('\n');
                    }
                    instruction.heredocs.push(body);
                }
            }
            instructions.push(instruction);
        }
        let stages = stages(&instructions);
        Dockerfile {
            instructions,
            stages,
        }
    }

    /// The last stage: what the image is.
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    pub fn stage_instructions<'a>(
        &'a self,
        stage: &'a Stage,
    ) -> impl Iterator<Item = &'a Instruction> + 'a {
        stage
            .instructions
            .iter()
            .map(|&index| &self.instructions[index])
    }

    /// The stage a name or index refers to (`COPY --from=builder`, `FROM builder`).
    pub fn stage_named(&self, name: &str) -> Option<&Stage> {
        self.stages
            .iter()
            .find(|stage| {
                stage
                    .name
                    .as_deref()
                    .is_some_and(|own| own.eq_ignore_ascii_case(name))
            })
            .or_else(|| {
                name.parse::<usize>()
                    .ok()
                    .and_then(|index| self.stages.get(index))
            })
    }

    /// Follows `FROM <stage>` chains to the external image a stage ultimately starts from.
    pub fn root_image<'a>(&'a self, stage: &'a Stage) -> &'a str {
        let mut current = stage;
        for _ in 0..self.stages.len() {
            match self
                .stages
                .iter()
                .position(|s| std::ptr::eq(s, current))
                .and_then(|position| {
                    self.stages[..position].iter().find(|earlier| {
                        earlier
                            .name
                            .as_deref()
                            .is_some_and(|name| name.eq_ignore_ascii_case(&current.base))
                    })
                }) {
                Some(parent) => current = parent,
                None => break,
            }
        }
        &current.base
    }

    /// The stages a stage builds on (itself first, then what it starts `FROM`, recursively).
    pub fn lineage<'a>(&'a self, stage: &'a Stage) -> Vec<&'a Stage> {
        let mut chain = vec![stage];
        while let Some(parent) = chain.last().and_then(|current| {
            let position = self.stages.iter().position(|s| std::ptr::eq(s, *current))?;
            self.stages[..position].iter().find(|earlier| {
                earlier
                    .name
                    .as_deref()
                    .is_some_and(|name| name.eq_ignore_ascii_case(&current.base))
            })
        }) {
            if chain.len() > self.stages.len() {
                break;
            }
            chain.push(parent);
        }
        chain
    }
}

/// `# escape=\`` (or `\`) among the parser directives at the top; `\` otherwise.
fn escape_directive(lines: &[&str]) -> char {
    for line in lines {
        let Some(directive) = line.trim().strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = directive.split_once('=') else {
            break;
        };
        if key.trim().eq_ignore_ascii_case("escape") {
            return match value.trim() {
                "`" => '`',
                _ => '\\',
            };
        }
    }
    '\\'
}

/// The line without its trailing escape character, when it continues on the next line.
fn continued(line: &str, escape: char) -> Option<&str> {
    let trimmed = line.trim_end();
    trimmed.strip_suffix(escape)
}

fn split_instruction(line: usize, logical: &str) -> Instruction {
    let logical = logical.trim();
    let (keyword, mut rest) = logical
        .split_once(char::is_whitespace)
        .unwrap_or((logical, ""));
    rest = rest.trim_start();
    let mut flags = Vec::new();
    while let Some(flag) = rest.strip_prefix("--") {
        let (word, after) = flag.split_once(char::is_whitespace).unwrap_or((flag, ""));
        match word.split_once('=') {
            Some((name, value)) => flags.push((name.to_owned(), Some(value.to_owned()))),
            None => flags.push((word.to_owned(), None)),
        }
        rest = after.trim_start();
    }
    Instruction {
        line,
        keyword: keyword.to_ascii_uppercase(),
        flags,
        args: rest.to_owned(),
        heredocs: Vec::new(),
    }
}

/// The heredoc terminators an instruction opens: `<<EOF`, `<<-EOF`, `<<"EOF"`.
fn heredoc_words(args: &str) -> Vec<(String, bool)> {
    let mut words = Vec::new();
    let mut rest = args;
    while let Some(at) = rest.find("<<") {
        let after = &rest[at + 2..];
        let (strip_tabs, after) = match after.strip_prefix('-') {
            Some(after) => (true, after),
            None => (false, after),
        };
        let word: String = after
            .trim_start_matches(['"', '\''])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !word.is_empty() {
            words.push((word, strip_tabs));
        }
        rest = after;
    }
    words
}

fn stages(instructions: &[Instruction]) -> Vec<Stage> {
    let mut global_args: HashMap<String, String> = HashMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    for (index, instruction) in instructions.iter().enumerate() {
        match instruction.keyword.as_str() {
            "ARG" if stages.is_empty() => {
                for declaration in instruction.args.split_whitespace() {
                    let (name, value) = declaration.split_once('=').unwrap_or((declaration, ""));
                    global_args.insert(name.to_owned(), value.trim_matches(['"', '\'']).to_owned());
                }
            }
            "FROM" => {
                let words: Vec<&str> = instruction.args.split_whitespace().collect();
                let base_raw = words.first().copied().unwrap_or_default().to_owned();
                let name = match words.as_slice() {
                    [_, as_word, name, ..] if as_word.eq_ignore_ascii_case("AS") => {
                        Some((*name).to_owned())
                    }
                    _ => None,
                };
                stages.push(Stage {
                    line: instruction.line,
                    base: substitute(&base_raw, &global_args),
                    base_raw,
                    name,
                    platform: instruction.flag("platform").map(str::to_owned),
                    instructions: Vec::new(),
                });
            }
            _ => {
                if let Some(stage) = stages.last_mut() {
                    stage.instructions.push(index);
                }
            }
        }
    }
    stages
}

/// `$NAME`, `${NAME}` and `${NAME:-default}` from the global `ARG` defaults.
pub fn substitute(text: &str, args: &HashMap<String, String>) -> String {
    let lookup = |name: &str| args.get(name).filter(|value| !value.is_empty()).cloned();
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(inner) = after.strip_prefix('{') {
            let Some(end) = inner.find('}') else {
                out.push_str(&rest[at..]);
                return out;
            };
            let (name, default) = match inner[..end].split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (&inner[..end], None),
            };
            out.push_str(
                &lookup(name)
                    .or(default.map(str::to_owned))
                    .unwrap_or_default(),
            );
            rest = &inner[end + 1..];
        } else {
            let length = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if length == 0 {
                out.push('$');
            } else {
                out.push_str(&lookup(&after[..length]).unwrap_or_default());
            }
            rest = &after[length..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_substitute_global_args_and_keep_flags() {
        let file = Dockerfile::parse(
            "# syntax is ignored here\nARG RUST=1.95\nARG DEBIAN=trixie\nFROM --platform=$BUILDPLATFORM rust:${RUST}-${DEBIAN} AS chef\nRUN cargo install cargo-chef --locked --version 0.1.78\nFROM gcr.io/distroless/cc-debian13:${TAG:-nonroot}\nCOPY --from=chef /a /b\n",
        );
        assert_eq!(file.stages.len(), 2);
        assert_eq!(file.stages[0].base, "rust:1.95-trixie");
        assert_eq!(file.stages[0].name.as_deref(), Some("chef"));
        assert_eq!(file.stages[0].platform.as_deref(), Some("$BUILDPLATFORM"));
        assert_eq!(file.stages[1].base, "gcr.io/distroless/cc-debian13:nonroot");
        let copy = file.stage_instructions(&file.stages[1]).next().unwrap();
        assert_eq!((copy.line, copy.flag("from")), (7, Some("chef")));
    }

    #[test]
    fn continuations_comments_and_crlf_make_one_instruction_on_its_first_line() {
        let file = Dockerfile::parse(
            "FROM debian:trixie-slim\r\nRUN apt-get update \\\r\n# a comment inside\r\n    && apt-get install -y curl\r\nUSER 10001\r\n",
        );
        let run = &file.instructions[1];
        assert_eq!((run.line, run.keyword.as_str()), (2, "RUN"));
        assert_eq!(run.args, "apt-get update     && apt-get install -y curl");
        assert_eq!(file.instructions[2].line, 5);
    }

    #[test]
    fn the_escape_directive_changes_the_continuation_character() {
        let file =
            Dockerfile::parse("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\n");
        assert_eq!(file.instructions[1].args, "dir   c:\\");
    }

    #[test]
    fn heredoc_bodies_are_kept_and_not_read_as_instructions() {
        let file = Dockerfile::parse(
            "FROM debian:trixie-slim\nRUN <<EOF\nUSER root\napt-get update\nEOF\nUSER 10001\n",
        );
        assert_eq!(file.instructions.len(), 3);
        assert_eq!(
            file.instructions[1].heredocs,
            ["USER root\napt-get update\n"]
        );
        assert_eq!(file.instructions[2].args, "10001");
    }

    #[test]
    fn exec_and_shell_forms_are_told_apart() {
        assert_eq!(
            Form::parse(r#"["/app", "serve"]"#),
            Form::Exec(vec!["/app".into(), "serve".into()])
        );
        assert_eq!(Form::parse("/app serve"), Form::Shell("/app serve".into()));
        assert_eq!(Form::parse("[not json"), Form::Shell("[not json".into()));
        let file = Dockerfile::parse(
            "FROM x:1\nHEALTHCHECK --interval=10s --timeout=3s CMD [\"/app\", \"healthcheck\"]\n",
        );
        assert_eq!(
            file.instructions[1].healthcheck_command(),
            Some(Form::Exec(vec!["/app".into(), "healthcheck".into()]))
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        for text in [
            "",
            "\\",
            "FROM",
            "FROM ${",
            "RUN <<",
            "RUN <<-\n",
            "\u{feff}#",
            "ARG =\nFROM $=",
            "FROM a AS\nFROM a",
            "HEALTHCHECK --x",
        ] {
            let file = Dockerfile::parse(text);
            for stage in &file.stages {
                let _ = file.root_image(stage);
                let _ = file.lineage(stage);
            }
            for instruction in &file.instructions {
                let _ = instruction.healthcheck_command();
            }
        }
    }
}
