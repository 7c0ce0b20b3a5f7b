//! Every setting of a lesson binary: a flag (`--db-pool-max`), an environment
//! variable (`DB_POOL_MAX`), a line of `.env`, or a default, in that order.
//!
//! Every value is parsed before anything starts. A bad one stops the binary with
//! status 2 and a first line such as
//! `error: DB_POOL_MAX must be a whole number of 1 or more, got "abc"`.

use std::{ffi::OsStr, net::IpAddr, time::Duration};

use clap::{Arg, ArgAction, Args, Command, ValueEnum, builder::TypedValueParser, error::ErrorKind};
use tracing_subscriber::EnvFilter;

use crate::database_url::DatabaseUrl;

/// The settings shared by every subcommand of every lesson.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Configuration (flag, environment variable or .env)")]
pub struct Config {
    /// sqlite://… or postgres://… (the default is set per binary: sqlite://data/<binary>.db?mode=rwc)
    #[arg(long, env = "DATABASE_URL", global = true, required = false, hide_env_values = true,
          value_parser = Rule::redacted("a sqlite:// or postgres:// URL", DatabaseUrl::parse))]
    pub database_url: DatabaseUrl,

    /// Address to listen on
    #[arg(long, env = "HOST", default_value = "127.0.0.1", global = true,
          value_parser = Rule::new("an IP address such as 127.0.0.1", |s| s.parse::<IpAddr>().ok()))]
    pub host: IpAddr,

    /// Port to listen on; 0 picks a free one
    #[arg(long, env = "PORT", default_value = "3000", global = true,
          value_parser = Rule::new("a port number from 0 to 65535", |s| s.parse::<u16>().ok()))]
    pub port: u16,

    /// Connections the pool keeps open even when idle
    #[arg(long, env = "DB_POOL_MIN", default_value = "1", global = true,
          value_parser = Rule::new("a whole number", |s| s.parse::<u32>().ok()))]
    pub db_pool_min: u32,

    /// Most connections the pool ever opens
    #[arg(long, env = "DB_POOL_MAX", default_value = "10", global = true,
          value_parser = Rule::new("a whole number of 1 or more", |s| s.parse::<u32>().ok().filter(|n| *n >= 1)))]
    pub db_pool_max: u32,

    /// Give up connecting at start after this many milliseconds
    #[arg(long, env = "DB_CONNECT_TIMEOUT_MS", default_value = "5000", global = true, value_parser = MILLIS)]
    pub db_connect_timeout_ms: Duration,

    /// Longest wait, in milliseconds, for a pooled connection
    #[arg(long, env = "DB_ACQUIRE_TIMEOUT_MS", default_value = "5000", global = true, value_parser = MILLIS)]
    pub db_acquire_timeout_ms: Duration,

    /// SQLite busy_timeout in milliseconds
    #[arg(long, env = "DB_BUSY_TIMEOUT_MS", default_value = "5000", global = true, value_parser = MILLIS)]
    pub db_busy_timeout_ms: Duration,

    /// PostgreSQL statement_timeout in milliseconds
    #[arg(long, env = "DB_STATEMENT_TIMEOUT_MS", default_value = "30000", global = true, value_parser = MILLIS)]
    pub db_statement_timeout_ms: Duration,

    /// Longest wait, in milliseconds, for a row lock (lesson 13 on)
    #[arg(long, env = "LOCK_TIMEOUT_MS", default_value = "2000", global = true, value_parser = MILLIS)]
    pub lock_timeout_ms: Duration,

    /// Apply pending migrations before listening
    #[arg(long, env = "AUTO_MIGRATE", default_value = "true", global = true, value_parser = BOOLEAN, action = ArgAction::Set)]
    pub auto_migrate: bool,

    /// How long in-flight requests may drain at shutdown, in milliseconds
    #[arg(long, env = "SHUTDOWN_TIMEOUT_MS", default_value = "10000", global = true, value_parser = MILLIS)]
    pub shutdown_timeout_ms: Duration,

    /// json or pretty (the default is pretty on a terminal, json otherwise)
    #[arg(long, env = "LOG_FORMAT", global = true,
          value_parser = Rule::new("json or pretty", |s| LogFormat::from_str(s, true).ok()))]
    pub log_format: Option<LogFormat>,

    /// Which events to log, as a tracing filter (`info,sql=debug` shows every SQL statement)
    #[arg(long = "rust-log", env = "RUST_LOG", default_value = "info", global = true,
          value_parser = Rule::new("a tracing filter such as info,sql=debug",
                                   |s| EnvFilter::try_new(s).is_ok().then(|| s.to_owned())))]
    pub rust_log: String,

    /// 1 turns on the fault-injection headers (never on by default)
    #[arg(long, env = "WORKBOOK_FAULTS", default_value = "0", global = true, value_parser = BOOLEAN, action = ArgAction::Set)]
    pub workbook_faults: bool,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line, for machines (and the checks).
    Json,
    /// Human-readable lines.
    Pretty,
}

/// A setting that cannot be judged alone: stops the binary like a bad value does.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Checks what no single value can show, such as `DB_POOL_MIN <= DB_POOL_MAX`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.db_pool_min > self.db_pool_max {
            return Err(ConfigError(format!(
                "DB_POOL_MIN must not exceed DB_POOL_MAX, got DB_POOL_MIN={} and DB_POOL_MAX={}",
                self.db_pool_min, self.db_pool_max
            )));
        }
        Ok(())
    }

    /// The log format asked for, or the one that suits where stdout goes.
    pub fn log_format(&self) -> LogFormat {
        use std::io::IsTerminal;
        self.log_format
            .unwrap_or(if std::io::stdout().is_terminal() {
                LogFormat::Pretty
            } else {
                LogFormat::Json
            })
    }
}

/// The default `DATABASE_URL` of a binary: a SQLite file under `data/`.
pub fn default_database_url(binary: &str) -> String {
    format!("sqlite://data/{binary}.db?mode=rwc")
}

/// Parses one setting and, when it is wrong, says which variable and what it must be.
#[derive(Clone, Copy)]
struct Rule<T> {
    expected: &'static str,
    parse: fn(&str) -> Option<T>,
    redact: bool,
}

impl<T> Rule<T> {
    const fn new(expected: &'static str, parse: fn(&str) -> Option<T>) -> Self {
        Self {
            expected,
            parse,
            redact: false,
        }
    }

    /// Like [`Rule::new`], for a value that may hold a password.
    const fn redacted(expected: &'static str, parse: fn(&str) -> Option<T>) -> Self {
        Self {
            expected,
            parse,
            redact: true,
        }
    }
}

const MILLIS: Rule<Duration> = Rule::new("a whole number of milliseconds, 1 or more", |s| {
    s.parse::<u64>()
        .ok()
        .filter(|ms| *ms >= 1)
        .map(Duration::from_millis)
});

const BOOLEAN: Rule<bool> = Rule::new("true or false (or 1 or 0)", |s| {
    match s.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" | "" => Some(false),
        _ => None,
    }
});

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Rule<T> {
    type Value = T;

    fn parse_ref(&self, cmd: &Command, arg: Option<&Arg>, value: &OsStr) -> Result<T, clap::Error> {
        let text = value.to_string_lossy();
        if let Some(parsed) = (self.parse)(text.trim()) {
            return Ok(parsed);
        }
        let name = arg
            .and_then(|arg| arg.get_env())
            .map_or_else(|| "value".into(), |env| env.to_string_lossy());
        let shown = if self.redact {
            DatabaseUrl::redact(&text)
        } else {
            text.into_owned()
        };
        Err(cmd.clone().error(
            ErrorKind::ValueValidation,
            format!("{name} must be {}, got \"{shown}\"", self.expected),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    fn parse(args: &[&str]) -> Result<Config, String> {
        let mut all = vec!["test"];
        if !args.contains(&"--database-url") {
            all.extend(["--database-url", "sqlite::memory:"]);
        }
        all.extend_from_slice(args);
        Cli::try_parse_from(all)
            .map(|cli| cli.config)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_the_contract_defaults() {
        let config = parse(&[]).unwrap();
        assert_eq!((config.db_pool_min, config.db_pool_max), (1, 10));
        assert_eq!(config.port, 3000);
        assert_eq!(config.db_statement_timeout_ms, Duration::from_secs(30));
        assert!(config.auto_migrate);
        assert!(!config.workbook_faults);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = parse(&["--db-pool-max", "abc"]).unwrap_err();
        let first = err.lines().next().unwrap();
        assert_eq!(
            first,
            r#"error: DB_POOL_MAX must be a whole number of 1 or more, got "abc""#
        );
    }

    #[test]
    fn pool_min_above_max_is_refused() {
        let config = parse(&["--db-pool-min", "5", "--db-pool-max", "2"]).unwrap();
        assert!(
            config
                .validate()
                .unwrap_err()
                .0
                .starts_with("DB_POOL_MIN must not exceed DB_POOL_MAX")
        );
    }

    #[test]
    fn a_foreign_scheme_is_refused_without_showing_the_password() {
        let err = parse(&["--database-url", "mysql://root:hunter2@db/app"]).unwrap_err();
        assert!(
            err.starts_with("error: DATABASE_URL must be a sqlite:// or postgres:// URL"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
    }
}
