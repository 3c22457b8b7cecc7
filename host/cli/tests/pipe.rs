//! The binary's behaviour on a closed stdout (`connector-agent … | head`): a quiet exit, never
//! a panic message.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary with `args`, its stdout a pipe whose reading end is already closed.
fn run_into_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let home = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_connector-agent"))
        .args(args)
        .env("CONNECTOR_AGENT_HOME", home.path())
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(120));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_quiet(args: &[&str]) {
    let (code, stderr) = run_into_closed_pipe(args);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{args:?}: {stderr}"
    );
    assert_eq!(code, Some(0), "{args:?}: {stderr}");
}

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("spec.yaml"),
        "openapi: 3.0.0\ninfo: {title: Pipe, version: '1'}\npaths: {}\n",
    )
    .unwrap();
    let folder = dir.path().to_str().unwrap();
    assert_quiet(&["scorecard", folder]);
    assert_quiet(&["--json", "scorecard", folder]);
    assert_quiet(&["list"]);
    assert_quiet(&["--help"]);
}

#[test]
fn a_reader_that_stops_early_ends_a_long_listing_quietly() {
    // Like `| head -c 100`: the reader takes a little, then goes away mid-output.
    let corpus = std::env::var_os("CONNECTOR_AGENT_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
        })
        .join("openapi");
    if !corpus.is_dir() {
        return;
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_connector-agent"))
        .args(["scorecard".as_ref(), corpus.as_os_str()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}
