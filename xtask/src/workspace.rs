//! Files of the workspace: where it is, and writing a generated file or checking that the
//! committed one is fresh.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// Write generated files, or only compare them with what is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

impl Mode {
    pub fn check_if(check: bool) -> Mode {
        if check {
            Mode::Check
        } else {
            Mode::Write
        }
    }
}

/// The workspace root (the parent of `xtask/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

/// Writes `contents` to `path` (Write mode) or fails with a unified diff when the file on
/// disk differs (Check mode). Newlines are normalised so a checkout with CRLF line
/// endings is not reported as stale.
pub fn ensure_file_contents(path: &Path, contents: &str, mode: Mode, command: &str) -> Result<()> {
    let display = path
        .strip_prefix(project_root())
        .unwrap_or(path)
        .display()
        .to_string();
    let current = std::fs::read_to_string(path)
        .map(|s| s.replace("\r\n", "\n"))
        .ok();
    if current.as_deref() == Some(contents) {
        return Ok(());
    }
    match mode {
        Mode::Write => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, contents)?;
            eprintln!("updated {display}");
            Ok(())
        }
        Mode::Check => {
            let old = current.unwrap_or_default();
            let diff = similar::TextDiff::from_lines(old.as_str(), contents)
                .unified_diff()
                .context_radius(3)
                .header(
                    &format!("{display} (committed)"),
                    &format!("{display} (expected)"),
                )
                .to_string();
            bail!("{display} is stale: run `{command}` and commit the result.\n\n{diff}")
        }
    }
}

/// A directory of its own under the system's temporary directory, removed when dropped
/// (tests that write a crate to read).
#[cfg(test)]
pub struct ScratchDir(pub PathBuf);

#[cfg(test)]
impl ScratchDir {
    pub fn new(name: &str) -> ScratchDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("xtask-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        ScratchDir(dir)
    }

    /// Writes `text` to `relative` (directories made as needed).
    pub fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().expect("a file in a directory")).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }
}

#[cfg(test)]
impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
