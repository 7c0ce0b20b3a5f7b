//! What requests carry and what the API answers besides task rows: bodies and
//! query strings are parsed and validated here, before any repository runs.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::{
    FieldError,
    extract::{FromQuery, Problems, QueryParams, Validate, non_null},
};
use uuid::Uuid;

use crate::entity::user;

/// A user as the API shows it: never the password or its hash.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: Uuid,
    pub email: String,
    #[serde(serialize_with = "shared::time::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "shared::time::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl From<user::Model> for User {
    fn from(row: user::Model) -> Self {
        Self {
            id: row.id,
            email: row.email,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// `{"data": [...]}`: a list answer.
#[derive(Debug, Serialize)]
pub struct Data<T> {
    pub data: Vec<T>,
}

/// `POST /api/v1/users`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    email: String,
    password: String,
}

impl NewUser {
    /// Emails are compared and stored trimmed and lower-cased.
    pub fn email(&self) -> String {
        self.email.trim().to_lowercase()
    }

    pub fn password(&self) -> &str {
        &self.password
    }
}

impl Validate for NewUser {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        let email = self.email();
        let password_length = self.password.chars().count();
        let mut problems = Problems::default();
        problems
            .check(
                email.chars().count() <= 254,
                "email",
                "must be at most 254 characters",
            )
            .check(
                looks_like_email(&email),
                "email",
                "must look like an email address",
            )
            .check(
                (8..=128).contains(&password_length),
                "password",
                "must be 8 to 128 characters",
            );
        problems.finish()
    }
}

/// One `@`, something before it, a dotted domain after it, no spaces.
fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
        && !email.chars().any(char::is_whitespace)
}

/// A task title: 1 to 200 characters (characters, not bytes), not blank. A
/// body with any other title does not parse, so no handler ever holds one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Title(String);

impl TryFrom<String> for Title {
    type Error = &'static str;

    fn try_from(title: String) -> Result<Self, Self::Error> {
        if (1..=200).contains(&title.chars().count()) && !title.trim().is_empty() {
            Ok(Self(title))
        } else {
            Err("must be 1 to 200 characters and not blank")
        }
    }
}

impl fmt::Display for Title {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `POST /api/v1/tasks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    pub title: Title,
    #[serde(default, deserialize_with = "non_null")]
    pub done: Option<bool>,
}

impl Validate for NewTask {}

/// `PATCH /api/v1/tasks/{id}`: only the fields given change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    #[serde(default, deserialize_with = "non_null")]
    pub title: Option<Title>,
    #[serde(default, deserialize_with = "non_null")]
    pub done: Option<bool>,
}

impl TaskPatch {
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.done.is_none()
    }
}

impl Validate for TaskPatch {}

/// The query string of `GET /api/v1/tasks`: `done=true|false`.
#[derive(Debug, Default)]
pub struct TaskFilter {
    pub done: Option<bool>,
}

impl FromQuery for TaskFilter {
    fn from_query(query: &mut QueryParams) -> Self {
        Self {
            done: query.take("done"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_must_look_like_addresses() {
        for good in ["a@b.co", "first.last+tag@sub.example.org"] {
            assert!(looks_like_email(good), "{good}");
        }
        for bad in [
            "", "a", "a@", "@b.co", "a@b", "a@@b.co", "a b@c.de", "a@b..co",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }

    #[test]
    fn titles_count_characters_not_bytes() {
        let ok = |title: &str| Title::try_from(title.to_owned()).is_ok();
        assert!(ok(&"é".repeat(200)));
        assert!(!ok(&"é".repeat(201)));
        assert!(!ok("   "));
        assert!(!ok(""));
    }
}
