//! Shared by the CLI's integration tests: the real `vpcep` binary in a clean environment.
#![allow(dead_code)] // each test binary uses a part

use std::process::{Command, Output};

pub const TOKEN: &str = "test-token-Secret-0123456789";
pub const PROJECT: &str = "295dacf46a4842fcbf7844dc2dc2489d";

/// `vpcep` with an empty environment (no proxies, no credentials, no RUST_LOG from the
/// machine) plus `env`.
pub fn vpcep(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vpcep"));
    cmd.env_clear().env("COLUMNS", "100").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("vpcep runs")
}

/// The global options that point `vpcep` at `url` with the test project and token.
pub fn target(url: &str) -> Vec<&str> {
    vec![
        "--endpoint-url",
        url,
        "--project-id",
        PROJECT,
        "--token",
        TOKEN,
    ]
}

/// `endpoints list` against `url` for the test project, with no token: credentials come
/// from the environment (AK/SK, a credentials file, the chain).
pub fn list_without_token(url: &str) -> Vec<&str> {
    vec![
        "--endpoint-url",
        url,
        "--project-id",
        PROJECT,
        "endpoints",
        "list",
    ]
}

/// stderr as text (lossy: the tests look for words, not encodings).
pub fn stderr_text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A credentials file holding `text` in a fresh directory named after `tag` (and this
/// process): returns the directory (a `HOME` for the child) and the file.
pub fn credentials_file(tag: &str, text: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("vpcep-cli-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("credentials");
    std::fs::write(&file, text).unwrap();
    (dir, file)
}

/// Runs `vpcep ARGS` (with an empty environment plus `env`), waits until `ready()` (checked
/// every 20 ms, at most 30 s), sends `signal` (`-INT`, `-TERM`) 100 ms later, and returns the
/// exit status, stdout and stderr. Every wait is bounded.
pub fn signalled(
    env: &[(&str, &str)],
    args: &[&str],
    signal: &str,
    ready: impl Fn() -> bool,
) -> (Option<i32>, Vec<u8>, String) {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let mut child = Command::new(env!("CARGO_BIN_EXE_vpcep"))
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = String::new();
        let _ = stderr.read_to_string(&mut buf);
        buf
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "vpcep never got ready for {signal}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("vpcep did not exit after {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status.code(),
        out_reader.join().unwrap(),
        err_reader.join().unwrap(),
    )
}
