//! Building the lesson binaries: one `cargo build` for all of them.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::Context;

/// The workspace root (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Builds `packages` and returns each one's executable, or the compiler's
/// output if the build failed.
pub fn binaries(packages: &[&str]) -> anyhow::Result<Result<BTreeMap<String, PathBuf>, String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    // `cargo run` gave this process its package's variables; build scripts that
    // watch them (ring's watches CARGO_MANIFEST_DIR) would rebuild every time.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "OUT_DIR",
            ]
            .contains(&key.as_ref())
        {
            command.env_remove(key.as_ref());
        }
    }
    command
        .current_dir(workspace_root())
        .args([
            "build",
            "--quiet",
            "--message-format=json-render-diagnostics",
            "--bins",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // With xtask in the selection, features resolve exactly as for `cargo xtask`
    // itself (which depends on every lesson), so nothing is compiled twice.
    command.args(["--package", "xtask"]);
    for package in packages {
        command.args(["--package", package]);
    }
    let output = command.output().context("running cargo build")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let tail: Vec<&str> = stderr
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Ok(Err(format!(
            "the binary does not build:\n{}",
            tail.join("\n")
        )));
    }
    let mut executables = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        if let (Some(name), Some(executable)) = (
            message["target"]["name"].as_str(),
            message["executable"].as_str(),
        ) {
            executables.insert(name.to_owned(), PathBuf::from(executable));
        }
    }
    Ok(Ok(executables))
}
