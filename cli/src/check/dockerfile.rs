//! The crate's one Dockerfile parser, for the syntax: instructions with their lines, flags
//! (`--platform`, `--from`), line continuations with the `# escape=` directive, comments, CRLF,
//! heredocs, and exec versus shell form. It never fails: what it cannot read it keeps as text.
//! What the instructions mean (stages, ARGs, lineage) is `model`'s job.

/// One instruction, with the lines it spans (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub line: usize,
    /// The last line of the instruction, continuations and heredoc bodies included.
    pub end_line: usize,
    /// Upper-cased: `FROM`, `RUN`, `COPY`, ...
    pub keyword: String,
    /// Leading `--name=value` / `--name` flags.
    pub flags: Vec<(String, Option<String>)>,
    /// Everything after the flags, continuation lines joined as Docker joins them.
    pub args: String,
    /// Heredoc bodies (`RUN <<EOF ... EOF`), in order.
    pub heredocs: Vec<String>,
}

/// A `#` comment line outside the parser directives, with its line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub line: usize,
    pub text: String,
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

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    pub instructions: Vec<Instruction>,
    pub comments: Vec<Comment>,
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

    /// The arguments and the heredoc bodies: everything a RUN executes.
    pub fn script(&self) -> String {
        let mut text = self.args.clone();
        for body in &self.heredocs {
            text.push('\n');
            text.push_str(body);
        }
        text
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
        let (escape, directives) = directives(&lines);
        let mut instructions = Vec::new();
        let mut comments = Vec::new();
        let mut index = directives;
        while index < lines.len() {
            let line = lines[index];
            let trimmed = line.trim_start();
            if trimmed.is_empty() {
                index += 1;
                continue;
            }
            if let Some(comment) = trimmed.strip_prefix('#') {
                comments.push(Comment {
                    line: index + 1,
                    text: comment.trim().to_owned(),
                });
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
            instruction.end_line = index.max(start + 1);
            instructions.push(instruction);
        }
        Dockerfile {
            instructions,
            comments,
        }
    }
}

/// The escape character from the parser directives at the top (`# escape=\``), and how many
/// lines the directives take.
fn directives(lines: &[&str]) -> (char, usize) {
    let mut escape = '\\';
    for (index, line) in lines.iter().enumerate() {
        let Some(directive) = line.trim().strip_prefix('#') else {
            return (escape, index);
        };
        let Some((key, value)) = directive.split_once('=') else {
            return (escape, index);
        };
        let key = key.trim();
        if !["syntax", "escape", "check"]
            .iter()
            .any(|known| key.eq_ignore_ascii_case(known))
        {
            return (escape, index);
        }
        if key.eq_ignore_ascii_case("escape") && value.trim() == "`" {
            escape = '`';
        }
    }
    (escape, lines.len())
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
        end_line: line,
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

/// Shell-like words: white space separates, quotes group and are removed, `\` escapes.
/// What `ARG`, `ENV` and `LABEL` values need; not a shell.
pub fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(open), c) if c == open => quote = None,
            (Some('"'), '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_comments_and_crlf_make_one_instruction_on_its_first_line() {
        let file = Dockerfile::parse(
            "FROM debian:trixie-slim\r\nRUN apt-get update \\\r\n# a comment inside\r\n    && apt-get install -y curl\r\nUSER 10001\r\n",
        );
        let run = &file.instructions[1];
        assert_eq!(
            (run.line, run.end_line, run.keyword.as_str()),
            (2, 4, "RUN")
        );
        assert_eq!(run.args, "apt-get update     && apt-get install -y curl");
        assert_eq!(file.instructions[2].line, 5);
    }

    #[test]
    fn the_escape_directive_changes_the_continuation_character() {
        let file =
            Dockerfile::parse("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir `\n  c:\\\n");
        assert_eq!(file.instructions[1].args, "dir   c:\\");
        assert!(file.comments.is_empty(), "a directive is not a comment");
    }

    #[test]
    fn comments_are_kept_with_their_lines() {
        let file = Dockerfile::parse("FROM a:1\n# check:ignore=CM006 reason\nUSER root\n");
        assert_eq!(
            file.comments,
            [Comment {
                line: 2,
                text: "check:ignore=CM006 reason".into()
            }]
        );
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
        assert_eq!(file.instructions[1].end_line, 5);
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
    fn words_group_quotes_and_escapes() {
        assert_eq!(
            words(r#"A="two words" B='x y' C=plain\ space D="esc\"aped""#),
            ["A=two words", "B=x y", "C=plain space", "D=esc\"aped"]
        );
        assert_eq!(words("  "), Vec::<String>::new());
        assert_eq!(words(r#"E="""#), ["E="]);
    }
}
