//! git, run for one project only: `GIT_DIR` and its kin in the environment (as inside a git
//! hook) would otherwise point it at another repository.

use std::path::Path;
use std::process::{Command, Stdio};

/// The variables through which the environment redirects git to another repository.
const REDIRECTS: [&str; 8] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
];

/// `git` in `dir`, with no stdin and none of the environment's redirections.
pub fn command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command.current_dir(dir).stdin(Stdio::null());
    for key in REDIRECTS {
        command.env_remove(key);
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_run_for_a_project_ignores_a_git_dir_in_the_environment() {
        let mut command = command(Path::new("."));
        command.env("GIT_DIR", "/elsewhere");
        for key in REDIRECTS {
            command.env_remove(key);
        }

        let listed: Vec<_> = command
            .get_envs()
            .filter(|(key, value)| *key == "GIT_DIR" && value.is_some())
            .collect();

        assert!(listed.is_empty(), "{listed:?}");
    }
}
