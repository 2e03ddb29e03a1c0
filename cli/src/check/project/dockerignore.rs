//! A build context's ignore files (`.dockerignore`, `<Dockerfile>.dockerignore`) and whether
//! one excludes a top-level name, as Docker reads them.

use crate::check::glob;

/// An ignore file for the build context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerIgnore {
    pub path: String,
    pub patterns: Vec<String>,
    pub text: String,
}

impl DockerIgnore {
    /// The ignore file at `path` with this text: its patterns, blank lines and comments left out.
    pub fn parse(path: &str, text: String) -> DockerIgnore {
        DockerIgnore {
            path: path.to_owned(),
            patterns: text
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(str::to_owned)
                .collect(),
            text,
        }
    }

    /// Whether it excludes `name` (a top-level name such as `target` or `.env`), or everything
    /// inside it (`target/*`). Patterns are cleaned as Docker cleans them (`./target`,
    /// `/target/`), and the last matching one decides (`!` re-includes).
    pub fn ignores(&self, name: &str) -> bool {
        let mut ignored = false;
        for pattern in &self.patterns {
            let (negated, pattern) = match pattern.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, pattern.as_str()),
            };
            let segments: Vec<&str> = pattern
                .split('/')
                .filter(|segment| !segment.is_empty() && *segment != ".")
                .skip_while(|segment| *segment == "**")
                .collect();
            let matches = match segments.split_first() {
                Some((first, rest)) => {
                    glob::matches(first, name) && rest.iter().all(|s| *s == "*" || *s == "**")
                }
                None => false,
            };
            if matches {
                ignored = !negated;
            }
        }
        ignored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_patterns_are_cleaned_as_docker_cleans_them() {
        let ignore = |patterns: &[&str]| DockerIgnore {
            path: ".dockerignore".into(),
            patterns: patterns.iter().map(|p| p.to_string()).collect(),
            ..DockerIgnore::default()
        };
        for excludes in [
            &["./target"][..],
            &["target/*"],
            &["/target/"],
            &["**/target"],
            &["*"],
        ] {
            assert!(ignore(excludes).ignores("target"), "{excludes:?}");
        }
        assert!(!ignore(&["*", "!target/"]).ignores("target"));
        assert!(!ignore(&["target/debug"]).ignores("target"));
    }
}
