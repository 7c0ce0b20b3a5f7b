//! `DATABASE_URL`: which database, and a `Display` that never shows its password.

use std::{fmt, path::PathBuf, str::FromStr};

use sea_orm::{
    DbBackend,
    sqlx::{postgres::PgConnectOptions, sqlite::SqliteConnectOptions},
};

/// A validated `DATABASE_URL`. `Display` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    backend: DbBackend,
}

impl DatabaseUrl {
    /// Accepts `sqlite:…` and `postgres://…` (or `postgresql://…`) URLs that the drivers can read.
    pub fn parse(url: &str) -> Option<Self> {
        let backend = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url).ok()?;
            DbBackend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            PgConnectOptions::from_str(url).ok()?;
            DbBackend::Postgres
        } else {
            return None;
        };
        Some(Self {
            url: url.to_owned(),
            backend,
        })
    }

    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// The URL with its password, for the driver only; never log it.
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// The SQLite database file, if this URL names one (not `:memory:`).
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        if self.url.contains(":memory:") || self.url.contains("mode=memory") {
            return None;
        }
        let options = SqliteConnectOptions::from_str(&self.url).ok()?;
        let file = options.get_filename();
        (!file.as_os_str().is_empty()).then(|| file.to_path_buf())
    }

    /// `message` (a driver's error, say) with this URL's password replaced by `***`.
    pub fn scrub(&self, message: &str) -> String {
        match password_of(&self.url) {
            Some(password) if !password.is_empty() => message.replace(&password, "***"),
            _ => message.to_owned(),
        }
    }

    /// Replaces the password of `scheme://user:password@host/…` (and any
    /// `password=` parameter) with `***`.
    pub fn redact(url: &str) -> String {
        let mut out = url.to_owned();
        if let Some(scheme_end) = out.find("://") {
            let authority_start = scheme_end + 3;
            let authority_end = out[authority_start..]
                .find(['/', '?'])
                .map_or(out.len(), |i| authority_start + i);
            if let Some(at) = out[authority_start..authority_end].rfind('@') {
                let userinfo = &out[authority_start..authority_start + at];
                if let Some(colon) = userinfo.find(':') {
                    out.replace_range(authority_start + colon + 1..authority_start + at, "***");
                }
            }
        }
        if let Some(start) = out.find("password=") {
            let value_start = start + "password=".len();
            let value_end = out[value_start..]
                .find('&')
                .map_or(out.len(), |i| value_start + i);
            out.replace_range(value_start..value_end, "***");
        }
        out
    }
}

/// The password of `url`: what differs between it and its redacted form where `***` stands.
fn password_of(url: &str) -> Option<String> {
    let redacted = DatabaseUrl::redact(url);
    let star = redacted.find("***")?;
    let tail = &redacted[star + 3..];
    let end = url.len() - tail.len();
    Some(url[star..end].to_owned())
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Self::redact(&self.url))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_the_password_and_keeps_the_rest() {
        assert_eq!(
            DatabaseUrl::redact("postgres://app:s3cret@db:5432/tasks?sslmode=disable"),
            "postgres://app:***@db:5432/tasks?sslmode=disable"
        );
        assert_eq!(
            DatabaseUrl::redact("postgres://db/tasks?user=app&password=s3cret&x=1"),
            "postgres://db/tasks?user=app&password=***&x=1"
        );
        assert_eq!(
            DatabaseUrl::redact("sqlite://data/a.db?mode=rwc"),
            "sqlite://data/a.db?mode=rwc"
        );
    }

    #[test]
    fn finds_the_password_to_scrub() {
        assert_eq!(
            password_of("postgres://app:s3cret@db/x").as_deref(),
            Some("s3cret")
        );
        assert_eq!(password_of("postgres://app@db/x"), None);
        let url = DatabaseUrl::parse("postgres://app:s3cret@db/x").unwrap();
        assert_eq!(url.scrub("password s3cret refused"), "password *** refused");
    }

    #[test]
    fn accepts_only_sqlite_and_postgres() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db?mode=rwc")
                .unwrap()
                .backend(),
            DbBackend::Sqlite
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").unwrap().backend(),
            DbBackend::Postgres
        );
        assert!(DatabaseUrl::parse("mysql://u@h/db").is_none());
        assert!(DatabaseUrl::parse("data/x.db").is_none());
    }

    #[test]
    fn knows_the_sqlite_file() {
        let url = DatabaseUrl::parse("sqlite://data/ex.db?mode=rwc").unwrap();
        assert_eq!(url.sqlite_file(), Some(PathBuf::from("data/ex.db")));
        assert_eq!(
            DatabaseUrl::parse("sqlite::memory:").unwrap().sqlite_file(),
            None
        );
    }
}
