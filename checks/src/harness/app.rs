//! Running the binary under test: as a server ([`RunningApp`]) or as a
//! one-shot command ([`Output`]).

use std::{
    net::SocketAddr,
    process::Stdio,
    time::{Duration, Instant},
};

use nix::{sys::signal, unistd::Pid};
use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use super::{Ctx, Failure, feedback::LastRequest, logs::Logs};

/// How long a binary may take to say `listening`.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stopped binary may take to exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// Environment variables passed through to the binary; everything else is cleared
/// so a developer's `DATABASE_URL` or `RUST_LOG` cannot leak in.
const PASS_THROUGH: [&str; 5] = ["PATH", "HOME", "TMPDIR", "LANG", "SYSTEMROOT"];

/// A run of the binary, to configure and then start or run.
pub struct AppBuilder {
    ctx: Ctx,
    args: Vec<String>,
    /// Applied in order: `Some` sets a variable, `None` removes it.
    env: Vec<(String, Option<String>)>,
    database: bool,
}

impl AppBuilder {
    pub(super) fn new(ctx: Ctx) -> Self {
        Self {
            ctx,
            args: Vec::new(),
            env: Vec::new(),
            database: true,
        }
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    /// Sets (or overrides) one variable.
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_owned(), Some(value.into())));
        self
    }

    /// Removes a default variable (such as `WORKBOOK_FAULTS`).
    pub fn without(mut self, key: &str) -> Self {
        self.env.push((key.to_owned(), None));
        self
    }

    /// Does not create the check's database (for a `DATABASE_URL` of the check's choosing).
    pub fn no_database(mut self) -> Self {
        self.database = false;
        self
    }

    async fn command(&self) -> Result<Command, Failure> {
        let mut command = Command::new(self.ctx.binary());
        command
            .args(&self.args)
            .current_dir(self.ctx.workdir())
            .env_clear()
            .kill_on_drop(true);
        for key in PASS_THROUGH {
            if let Ok(value) = std::env::var(key) {
                command.env(key, value);
            }
        }
        command
            .env("PORT", "0")
            .env("HOST", "127.0.0.1")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info,sql=debug")
            .env("WORKBOOK_FAULTS", "1");
        if self.database {
            command.env("DATABASE_URL", self.ctx.database().await?.url());
        }
        for (key, value) in &self.env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        Ok(command)
    }

    /// Starts the server and waits for its `listening` event.
    pub async fn start(self) -> Result<RunningApp, Failure> {
        let mut command = self.command().await?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|err| {
            Failure::Error(format!("cannot run {}: {err}", self.ctx.binary().display()))
        })?;
        let logs = Logs::default();
        let last_request = LastRequest::default();
        self.ctx.watch(logs.clone(), last_request.clone());
        capture(&mut child, &logs);
        let listening = logs.wait_for(START_TIMEOUT, |line| {
            line.message().as_deref() == Some("listening") && line.get("addr").is_some()
        });
        let addr = tokio::select! {
            line = listening => line.and_then(|l| l.get("addr")).and_then(|a| a.as_str().and_then(|s| s.parse::<SocketAddr>().ok())),
            status = child.wait() => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                return Err(Failure::Error(format!(
                    "the binary exited before listening ({}); last output:\n{}",
                    status.map(|s| s.to_string()).unwrap_or_default(),
                    logs.tail(15)
                )));
            }
        };
        let Some(addr) = addr else {
            return Err(Failure::Error(format!(
                "no `listening` event with an `addr` within {} s; last output:\n{}",
                START_TIMEOUT.as_secs(),
                logs.tail(15)
            )));
        };
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|err| Failure::Error(format!("http client: {err}")))?;
        Ok(RunningApp {
            child,
            addr,
            logs,
            client,
            last_request,
        })
    }

    /// Runs a one-shot command (such as `migrate status`) to its end.
    pub async fn run(self, timeout: Duration) -> Result<Output, Failure> {
        let mut command = self.command().await?;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = command.spawn().map_err(|err| {
            Failure::Error(format!("cannot run {}: {err}", self.ctx.binary().display()))
        })?;
        let logs = Logs::default();
        self.ctx.watch(logs.clone(), LastRequest::default());
        capture(&mut child, &logs);
        let status = match tokio::time::timeout(timeout, child.wait()).await {
            Ok(status) => {
                status.map_err(|err| Failure::Error(format!("waiting for the binary: {err}")))?
            }
            Err(_) => {
                let _ = child.kill().await;
                return Err(Failure::Failed(format!(
                    "`{}` did not finish within {} s; last output:\n{}",
                    self.args.join(" "),
                    timeout.as_secs(),
                    logs.tail(10)
                )));
            }
        };
        let elapsed = started.elapsed();
        // Let the pipe readers drain what the process wrote last.
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(Output {
            code: status.code(),
            elapsed,
            logs,
        })
    }
}

/// Copies the child's stdout and stderr into `logs`, line by line.
fn capture(child: &mut Child, logs: &Logs) {
    if let Some(stdout) = child.stdout.take() {
        let logs = logs.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                logs.push_stdout(line);
            }
        });
    }
    if let Some(stderr) = child.stderr.take() {
        let logs = logs.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                logs.push_stderr(line);
            }
        });
    }
}

/// A finished one-shot run.
pub struct Output {
    /// The exit status; `None` if a signal ended it.
    pub code: Option<i32>,
    pub elapsed: Duration,
    pub logs: Logs,
}

impl Output {
    /// stdout lines that are not JSON log events: what the command printed for people.
    pub fn printed(&self) -> Vec<String> {
        self.logs
            .lines()
            .into_iter()
            .filter(|l| l.json.is_none())
            .map(|l| l.raw)
            .collect()
    }

    pub fn stderr(&self) -> Vec<String> {
        self.logs.stderr()
    }

    /// Fails unless the command exited with status 0.
    pub fn expect_success(&self, what: &str) -> Result<&Self, Failure> {
        if self.code == Some(0) {
            Ok(self)
        } else {
            Err(Failure::Failed(format!(
                "{what}: expected exit status 0, got {:?}; last output:\n{}",
                self.code,
                self.logs.tail(10)
            )))
        }
    }
}

/// A server under test.
pub struct RunningApp {
    child: Child,
    pub addr: SocketAddr,
    pub logs: Logs,
    pub(super) client: reqwest::Client,
    /// The last request sent, for the failure report.
    pub(super) last_request: LastRequest,
}

/// How a server ended after SIGTERM.
pub struct Stopped {
    pub code: Option<i32>,
    pub elapsed: Duration,
    pub logs: Logs,
}

impl RunningApp {
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn stop(mut self) -> Result<Stopped, Failure> {
        let started = Instant::now();
        self.terminate();
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(Ok(status)) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(Stopped {
                    code: status.code(),
                    elapsed: started.elapsed(),
                    logs: self.logs.clone(),
                })
            }
            _ => {
                let _ = self.child.kill().await;
                Err(Failure::Failed(format!(
                    "the server did not exit within {} s of SIGTERM; last output:\n{}",
                    STOP_TIMEOUT.as_secs(),
                    self.logs.tail(10)
                )))
            }
        }
    }

    /// Sends SIGTERM without waiting.
    pub fn terminate(&self) {
        if let Some(pid) = self.child.id().and_then(|pid| i32::try_from(pid).ok()) {
            let _ = signal::kill(Pid::from_raw(pid), signal::Signal::SIGTERM);
        }
    }

    /// Whether the process has exited.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Waits until a log line satisfies `found`.
    pub async fn wait_for_log(
        &self,
        timeout: Duration,
        found: impl Fn(&super::logs::LogLine) -> bool,
    ) -> Option<super::logs::LogLine> {
        self.logs.wait_for(timeout, found).await
    }

    /// The `addr` field as the binary logged it.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every JSON log line so far.
    pub fn json_lines(&self) -> Vec<serde_json::Map<String, Value>> {
        self.logs
            .lines()
            .into_iter()
            .filter_map(|l| l.json)
            .collect()
    }
}
