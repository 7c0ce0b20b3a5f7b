//! The list's query string from lesson 7 on: `done` and `sort`.

use serde::Deserialize;
use shared::extract::Validate;

/// `sort=created_at|-created_at|due_date|-due_date`; a leading `-` is descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Sort {
    #[default]
    #[serde(rename = "created_at")]
    CreatedAt,
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    #[serde(rename = "due_date")]
    DueDate,
    #[serde(rename = "-due_date")]
    DueDateDesc,
}

/// `GET /api/v1/tasks?done=…&sort=…`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub done: Option<bool>,
    #[serde(default)]
    pub sort: Sort,
}

impl Validate for ListQuery {}
