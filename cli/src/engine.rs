//! The template engine, cargo-generate, run as a library into a staging directory. It prints
//! its progress to stderr itself ("Destination: <staging dir>", "Done!"): that log is caught
//! and shown only with `--verbose`, and its errors reach the user without temporary paths.

use crate::answers::Answers;
use crate::errors::UserError;
use crate::template::versions::TemplateVersion;
use anyhow::{Context, Result, anyhow, bail};
use cargo_generate::{GenerateArgs, TemplatePath, Vcs};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Renders `version` of the template with `answers` under the name `typed` into `staging`;
/// returns the rendered project directory and the engine's log.
pub fn render(
    staging: &Path,
    typed: &str,
    answers: &Answers,
    version: &TemplateVersion,
) -> Result<(PathBuf, String)> {
    let template_dir = staging.join("template");
    let output_dir = staging.join("output");
    fs_err::create_dir(&template_dir)?;
    fs_err::create_dir(&output_dir)?;
    version.extract(&template_dir)?;
    // Since template 0.2.0 the files are stored formatted; earlier ones need rustfmt.
    if formats(&template_dir)? {
        require_rustfmt()?;
    }
    let args = GenerateArgs {
        template_path: TemplatePath {
            path: Some(template_dir.display().to_string()),
            ..TemplatePath::default()
        },
        destination: Some(output_dir.clone()),
        name: Some(typed.to_owned()),
        define: answers.defines(),
        silent: true,
        vcs: Some(Vcs::None),
        bin: true,
        lib: false,
        no_workspace: true,
        ..GenerateArgs::default()
    };
    let (result, log) = with_stderr_caught(|| cargo_generate::generate(args))?;
    let rendered = result.map_err(|error| {
        // The engine's message names files in the staging directory, which is gone by now.
        let message = format!("{error:#}")
            .replace(&format!("{}/", template_dir.display()), "template/")
            .replace(&staging.display().to_string(), "<staging>");
        anyhow!("the template engine refused the values: {message}")
    })?;
    if let Some(line) = log.lines().find(|line| line.contains("Could not format")) {
        bail!(
            "rustfmt failed on the rendered files ({}); run `rustup component add rustfmt` and try again",
            line.trim()
        );
    }
    Ok((rendered, log))
}

/// A staging directory under `$TMPDIR`, where the engine renders: tried with a megabyte first,
/// so a missing, unwritable or full `$TMPDIR` is named as such before anything renders.
pub fn staging_dir() -> Result<tempfile::TempDir, UserError> {
    let dir = std::env::temp_dir();
    // The OS's words, without the path tempfile tried (it is gone by the time anyone reads it).
    let refused = |error: std::io::Error| match error.kind() {
        // Not the directory's fault: the process may not write a file that large anywhere.
        std::io::ErrorKind::FileTooLarge => UserError::FileSizeLimit,
        _ => UserError::Staging {
            dir: dir.clone(),
            why: error.raw_os_error().map_or_else(
                || error.kind().to_string(),
                |code| std::io::Error::from_raw_os_error(code).to_string(),
            ),
        },
    };
    let staging = tempfile::Builder::new()
        .prefix("cargo-microservice-")
        .tempdir()
        .map_err(refused)?;
    let probe = staging.path().join("probe");
    std::fs::write(&probe, vec![0u8; 1 << 20])
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(refused)?;
    Ok(staging)
}

/// For one run of the binary: a directory that every temporary file goes into, the template
/// engine's own included (cargo-generate copies the template under `$TMPDIR`), so that however
/// the run ends (a second Ctrl-C too) one removal leaves nothing behind. A command that watches
/// for signals makes it once the watch is on: made before, a SIGTERM in between ended the
/// process by its default action and left the directory in `$TMPDIR` (`tests/cli`'s signal
/// test caught it once in a fresh run).
pub struct RunDir {
    dir: tempfile::TempDir,
    before: Option<std::ffi::OsString>,
}

impl RunDir {
    /// Makes the directory and points `$TMPDIR` at it.
    ///
    /// # Safety
    ///
    /// Sets an environment variable: call it only while no other thread can read the
    /// environment (the binary, before any command starts a thread other than its signal
    /// watch's, which reads none).
    pub unsafe fn enter() -> Result<RunDir, UserError> {
        let dir = staging_dir()?;
        let before = std::env::var_os("TMPDIR");
        // SAFETY: the caller guarantees no other thread reads the environment.
        unsafe { std::env::set_var("TMPDIR", dir.path()) };
        crate::signals::remove_at_exit(dir.path().to_owned());
        Ok(RunDir { dir, before })
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        // SAFETY: the run's threads are joined by now, or are the signal watch's, which reads
        // no environment variable.
        unsafe {
            match self.before.take() {
                Some(before) => std::env::set_var("TMPDIR", before),
                None => std::env::remove_var("TMPDIR"),
            }
        }
        let _ = std::fs::remove_dir_all(self.dir.path());
    }
}

/// Whether the template asks cargo-generate to run rustfmt on what it renders (`[template]
/// fmt`, true unless it says false).
fn formats(template_dir: &Path) -> Result<bool> {
    let config: toml::Table = toml::from_str(&fs_err::read_to_string(
        template_dir.join("cargo-generate.toml"),
    )?)
    .context("while reading the template's cargo-generate.toml")?;
    Ok(config
        .get("template")
        .and_then(|template| template.get("fmt"))
        .and_then(toml::Value::as_bool)
        .unwrap_or(true))
}

/// cargo-generate formats the rendered code with rustfmt, and only warns when it cannot; a
/// project written unformatted would fail its own `cargo fmt --check`.
fn require_rustfmt() -> Result<()> {
    let runs = Command::new("rustfmt")
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !runs {
        bail!(
            "rustfmt is not installed, and the rendered code must be formatted: run `rustup component add rustfmt` and try again"
        );
    }
    Ok(())
}

/// Runs `work` with this process's stderr going to a temporary file; returns what it printed.
fn with_stderr_caught<T>(work: impl FnOnce() -> T) -> Result<(T, String)> {
    let mut log = tempfile::tempfile().context("while making a temporary file")?;
    let saved = rustix::io::dup(std::io::stderr().as_fd()).context("while saving stderr")?;
    let _ = std::io::stderr().flush();
    rustix::stdio::dup2_stderr(log.as_fd()).context("while redirecting stderr")?;
    let restore = RestoreStderr {
        saved,
        log: log.try_clone().context("while redirecting stderr")?,
    };
    let result = work();
    drop(restore);
    // Lossy: the log names paths, and a path need not be UTF-8.
    let mut bytes = Vec::new();
    log.rewind()?;
    log.read_to_end(&mut bytes)?;
    Ok((result, String::from_utf8_lossy(&bytes).into_owned()))
}

/// Puts stderr back when dropped, also when the engine panics; then the log, the panic's
/// message with it, is shown rather than lost in the temporary file.
struct RestoreStderr {
    saved: OwnedFd,
    log: File,
}

impl Drop for RestoreStderr {
    fn drop(&mut self) {
        let _ = std::io::stderr().flush();
        let _ = rustix::stdio::dup2_stderr(self.saved.as_fd());
        if std::thread::panicking() {
            let _ = self.log.rewind();
            let _ = std::io::copy(&mut self.log, &mut std::io::stderr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stderr_identity() -> (u64, u64) {
        let stat = rustix::fs::fstat(std::io::stderr()).unwrap();
        (stat.st_dev, stat.st_ino)
    }

    /// The inner run stands for a panicking engine; the outer one catches what reaches the
    /// restored stderr. (libtest captures `eprintln!` and panic messages, not writes to fd 2.)
    #[test]
    fn an_engine_panic_gives_stderr_back_and_shows_its_log() {
        let before = stderr_identity();

        let (panicked, shown) = with_stderr_caught(|| {
            std::panic::catch_unwind(|| {
                with_stderr_caught(|| {
                    let _ = writeln!(std::io::stderr(), "the engine's last words");
                    panic!("a bug in the engine");
                })
            })
        })
        .unwrap();

        assert!(panicked.is_err());
        assert!(shown.contains("the engine's last words"), "{shown:?}");
        assert_eq!(stderr_identity(), before);
    }
}
