//! A measured server as a child process: started on its database copy, its
//! address read from the `listening` line, its output drained (never kept,
//! so a busy log costs the bench nothing), stopped with SIGTERM.

use std::{
    collections::VecDeque,
    net::SocketAddr,
    path::Path,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::{Context, bail};
use nix::{sys::signal, unistd::Pid};
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::{Child, Command},
    sync::oneshot,
};

/// How long a target may take to say `listening`.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a stopped target may take to exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
/// Output lines kept for an error message (before `listening`, and stderr).
const TAIL: usize = 20;
/// What the targets see of this process's environment; the rest is cleared
/// so that a developer's `DATABASE_URL` or `RUST_LOG` cannot leak in.
const PASS_THROUGH: [&str; 4] = ["PATH", "HOME", "TMPDIR", "LANG"];

/// A target that is listening.
pub struct Running {
    pub name: String,
    pub addr: SocketAddr,
    child: Child,
    tail: Arc<Mutex<VecDeque<String>>>,
}

/// Starts `binary` (serving: no subcommand) on `database_url` in `workdir`,
/// as the service runs: `RUST_LOG=info`, JSON logs, a free port on 127.0.0.1.
pub async fn start(
    name: &str,
    binary: &Path,
    database_url: &str,
    workdir: &Path,
) -> anyhow::Result<Running> {
    let mut command = Command::new(binary);
    command
        .current_dir(workdir)
        .env_clear()
        .kill_on_drop(true)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for key in PASS_THROUGH {
        if let Some(value) = std::env::var_os(key) {
            command.env(key, value);
        }
    }
    command
        .env("DATABASE_URL", database_url)
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("RUST_LOG", "info")
        .env("LOG_FORMAT", "json");
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    let tail = Arc::new(Mutex::new(VecDeque::new()));
    let (listening, addr) = oneshot::channel();
    if let Some(stdout) = child.stdout.take() {
        tokio::spawn(drain_stdout(stdout, tail.clone(), listening));
    }
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(drain_stderr(stderr, tail.clone()));
    }
    let addr = tokio::select! {
        addr = tokio::time::timeout(START_TIMEOUT, addr) => addr.ok().and_then(Result::ok),
        status = child.wait() => {
            tokio::time::sleep(Duration::from_millis(100)).await;
            bail!(
                "{name} exited before listening ({}); last output:\n{}",
                status.map(|s| s.to_string()).unwrap_or_default(),
                tail_of(&tail)
            );
        }
    };
    let Some(addr) = addr else {
        bail!(
            "{name} printed no `listening` line with an `addr` within {} s; last output:\n{}",
            START_TIMEOUT.as_secs(),
            tail_of(&tail)
        );
    };
    Ok(Running {
        name: name.to_owned(),
        addr,
        child,
        tail,
    })
}

impl Running {
    /// Whether the process is still there (a crash under load shows here).
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Ok(Some(status)) = self.child.try_wait() {
            bail!(
                "{} exited during the bench ({status}); last output:\n{}",
                self.name,
                tail_of(&self.tail)
            );
        }
        Ok(())
    }

    /// SIGTERM, then waits for the exit (and kills after [`STOP_TIMEOUT`]).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id().and_then(|pid| i32::try_from(pid).ok()) {
            let _ = signal::kill(Pid::from_raw(pid), signal::Signal::SIGTERM);
        }
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(status) => {
                status?;
                Ok(())
            }
            Err(_) => {
                let _ = self.child.kill().await;
                bail!(
                    "{} did not exit within {} s of SIGTERM",
                    self.name,
                    STOP_TIMEOUT.as_secs()
                )
            }
        }
    }
}

/// Reads lines until `listening`, keeping a few for an error message, then
/// throws the rest away as fast as it comes.
async fn drain_stdout(
    stdout: impl AsyncRead + Unpin,
    tail: Arc<Mutex<VecDeque<String>>>,
    listening: oneshot::Sender<SocketAddr>,
) {
    let mut reader = BufReader::with_capacity(64 * 1024, stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        if let Some(addr) = listening_addr(&text) {
            let _ = listening.send(addr);
            break;
        }
        keep(&tail, text.trim_end().to_owned());
    }
    let _ = tokio::io::copy_buf(&mut reader, &mut tokio::io::sink()).await;
}

async fn drain_stderr(stderr: impl AsyncRead + Unpin, tail: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        keep(&tail, line);
    }
}

fn keep(tail: &Mutex<VecDeque<String>>, line: String) {
    if let Ok(mut tail) = tail.lock() {
        if tail.len() == TAIL {
            tail.pop_front();
        }
        tail.push_back(line);
    }
}

fn tail_of(tail: &Mutex<VecDeque<String>>) -> String {
    tail.lock()
        .map(|tail| Vec::from(tail.clone()).join("\n"))
        .unwrap_or_default()
}

/// The `addr` of a JSON `listening` line, flattened (`{"message":…,"addr":…}`)
/// or not (`{"fields":{"message":…,"addr":…}}`).
fn listening_addr(line: &str) -> Option<SocketAddr> {
    let json: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
    std::iter::once(&json)
        .chain(json.get("fields"))
        .find(|object| object.get("message").and_then(|m| m.as_str()) == Some("listening"))?
        .get("addr")?
        .as_str()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::listening_addr;

    #[test]
    fn finds_the_listening_address() {
        let lesson = r#"{"timestamp":"t","level":"INFO","message":"listening","addr":"127.0.0.1:4000","target":"shared::app"}"#;
        let peer = r#"{"addr":"127.0.0.1:4001","message":"listening"}"#;
        let nested = r#"{"fields":{"message":"listening","addr":"127.0.0.1:4002"}}"#;
        assert_eq!(listening_addr(lesson).unwrap().port(), 4000);
        assert_eq!(listening_addr(peer).unwrap().port(), 4001);
        assert_eq!(listening_addr(nested).unwrap().port(), 4002);
        assert_eq!(listening_addr(r#"{"message":"migrating"}"#), None);
        assert_eq!(listening_addr("listening on 127.0.0.1:3000"), None);
    }
}
