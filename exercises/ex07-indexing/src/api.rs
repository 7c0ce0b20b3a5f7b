//! The list's query string from lesson 7 on: lesson 3's `done`, and `sort`.

use std::str::FromStr;

use ex06_due_date::prelude::TaskFilter;
use shared::extract::{FromQuery, QueryParams};

/// `sort=created_at|-created_at|due_date|-due_date`; a leading `-` is descending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    CreatedAt,
    CreatedAtDesc,
    DueDate,
    DueDateDesc,
}

impl FromStr for Sort {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "created_at" => Ok(Self::CreatedAt),
            "-created_at" => Ok(Self::CreatedAtDesc),
            "due_date" => Ok(Self::DueDate),
            "-due_date" => Ok(Self::DueDateDesc),
            _ => Err("must be created_at, -created_at, due_date or -due_date"),
        }
    }
}

/// `GET /api/v1/tasks?done=…&sort=…`.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub done: Option<bool>,
    pub sort: Sort,
}

impl FromQuery for ListQuery {
    fn from_query(query: &mut QueryParams) -> Self {
        let TaskFilter { done } = TaskFilter::from_query(query);
        Self {
            done,
            sort: query.take("sort").unwrap_or_default(),
        }
    }
}
