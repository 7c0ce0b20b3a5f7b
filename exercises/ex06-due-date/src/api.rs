//! Task bodies from lesson 6 on: `dueDate` is a date or `null`.

use std::fmt;

use chrono::NaiveDate;
use ex05_unique_title::prelude::Title;
use serde::{Deserialize, Deserializer, de};
use shared::extract::{Validate, non_null, nullable};

/// A due date as the API accepts it: exactly `YYYY-MM-DD`, a real calendar
/// date, from 1970-01-01 to 9999-12-31. (chrono alone would also take `2026-2-3`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDate(pub NaiveDate);

impl DueDate {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        // starter: accept exactly `YYYY-MM-DD`, a real calendar date from 1970-01-01 on;
        // say what is wrong otherwise (chrono alone also takes `2026-2-3`).
        let shape = text.len() == 10
            && text.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        if !shape {
            return Err("must be a date written YYYY-MM-DD");
        }
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| "is not a real calendar date")?;
        let earliest = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
        if date < earliest {
            return Err("must be from 1970-01-01 to 9999-12-31");
        }
        Ok(Self(date))
    }
}

impl<'de> Deserialize<'de> for DueDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = DueDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date written YYYY-MM-DD")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<DueDate, E> {
                DueDate::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

/// `POST /api/v1/tasks`: `dueDate` may be left out or `null`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewTask {
    pub title: Title,
    #[serde(default, deserialize_with = "non_null")]
    pub done: Option<bool>,
    #[serde(default)]
    pub due_date: Option<DueDate>,
}

impl Validate for NewTask {}

/// `PATCH /api/v1/tasks/{id}`: `"dueDate": null` clears the date, leaving it
/// out keeps it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TaskPatch {
    #[serde(default, deserialize_with = "non_null")]
    pub title: Option<Title>,
    #[serde(default, deserialize_with = "non_null")]
    pub done: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub due_date: Option<Option<DueDate>>,
}

impl TaskPatch {
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.done.is_none() && self.due_date.is_none()
    }
}

impl Validate for TaskPatch {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_dates_are_strict() {
        assert!(DueDate::parse("2026-03-01").is_ok());
        assert!(DueDate::parse("9999-12-31").is_ok());
        assert!(DueDate::parse("1970-01-01").is_ok());
        for bad in [
            "2026-02-30",
            "2026-2-3",
            "1969-12-31",
            "26-03-01",
            "2026/03/01",
            "2026-03-01T00:00",
            "+2026-03-1",
        ] {
            assert!(DueDate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn patch_tells_absent_from_null() {
        let absent: TaskPatch = serde_json::from_str(r#"{"done": true}"#).unwrap();
        let null: TaskPatch = serde_json::from_str(r#"{"dueDate": null}"#).unwrap();
        let set: TaskPatch = serde_json::from_str(r#"{"dueDate": "2026-03-01"}"#).unwrap();
        assert_eq!(absent.due_date, None);
        assert_eq!(null.due_date, Some(None));
        assert!(matches!(set.due_date, Some(Some(_))));
    }
}
