//! Inline ignores, as hadolint has them: `# check:ignore=CM004,CM006 the reason` silences those
//! rules on the next line that is not a comment (in a Dockerfile: the next instruction), or,
//! at the end of a line of a Cargo.toml or compose file, on that line. An ignore in the
//! comments a file starts with also covers findings about the whole file (line 1).

const MARKER: &str = "check:ignore=";

/// One `check:ignore=` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreComment {
    pub file: String,
    /// Where the comment is.
    pub line: usize,
    /// The line whose findings it silences.
    pub target: usize,
    /// In the comments that open the file: it also covers findings at line 1.
    pub leading: bool,
    pub ids: Vec<String>,
    pub reason: String,
}

impl IgnoreComment {
    /// Whether it silences a finding of `rule` at `line`.
    pub fn covers(&self, rule: &str, line: usize) -> bool {
        (self.target == line || (self.leading && line == 1))
            && self.ids.iter().any(|id| id.eq_ignore_ascii_case(rule))
    }
}

/// Every ignore comment of `text`. `trailing` allows one at the end of a line (TOML, YAML);
/// a Dockerfile has none, since `#` there is part of the instruction.
pub fn comments(file: &str, text: &str, trailing: bool) -> Vec<IgnoreComment> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut leading = true;
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let whole_line = trimmed.starts_with('#');
        if !whole_line && !trimmed.is_empty() {
            leading = false;
        }
        let comment = if whole_line {
            Some(trimmed)
        } else if trailing {
            trimmed.find(" #").map(|at| trimmed[at + 1..].trim_start())
        } else {
            None
        };
        let Some(rest) = comment.and_then(|comment| {
            comment
                .trim_start_matches('#')
                .trim_start()
                .strip_prefix(MARKER)
        }) else {
            continue;
        };
        let (ids, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let target = if whole_line {
            lines[index + 1..]
                .iter()
                .position(|next| {
                    let next = next.trim_start();
                    !next.is_empty() && !next.starts_with('#')
                })
                .map_or(index + 1, |offset| index + 2 + offset)
        } else {
            index + 1
        };
        found.push(IgnoreComment {
            file: file.to_owned(),
            line: index + 1,
            target,
            leading: leading && whole_line,
            ids: ids
                .split(',')
                .map(str::trim)
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect(),
            reason: reason.trim().to_owned(),
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_covers_the_next_line_that_is_not_a_comment() {
        let found = comments(
            "Dockerfile",
            "# check:ignore=CM004,cm009 the base is mirrored\n\n# another comment\nFROM x\nUSER 1\n",
            false,
        );
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].line, found[0].target), (1, 4));
        assert!(found[0].covers("CM009", 4) && found[0].covers("CM004", 1));
        assert!(!found[0].covers("CM006", 4) && !found[0].covers("CM004", 5));
        assert_eq!(found[0].reason, "the base is mirrored");
    }

    #[test]
    fn a_trailing_comment_covers_its_own_line_in_toml_and_yaml() {
        let found = comments(
            "compose.yaml",
            "services:\n  web:\n    ports:\n      - \"8080:8080\" # check:ignore=CM024 behind the host firewall\n",
            true,
        );
        assert_eq!(found[0].target, 4);
        assert!(!found[0].leading);
        assert!(comments("Dockerfile", "RUN echo # check:ignore=CM002 x\n", false).is_empty());
    }

    #[test]
    fn an_ignore_without_ids_or_reason_is_kept_to_be_reported() {
        let found = comments("Dockerfile", "FROM x\n# check:ignore=\n", false);
        assert_eq!((found[0].ids.len(), found[0].reason.as_str()), (0, ""));
    }
}
