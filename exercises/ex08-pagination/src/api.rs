//! The list's query string and answer from lesson 8 on.

use ex07_indexing::api::Sort;
use serde::{Deserialize, Serialize};
use shared::{
    FieldError,
    extract::{Problems, Validate},
};

pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;

/// `GET /api/v1/tasks?done=…&sort=…&limit=…&offset=…`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub done: Option<bool>,
    #[serde(default)]
    pub sort: Sort,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

impl ListQuery {
    pub fn limit(&self) -> u64 {
        self.limit.unwrap_or(DEFAULT_LIMIT)
    }

    pub fn offset(&self) -> u64 {
        self.offset.unwrap_or(0)
    }
}

impl Validate for ListQuery {
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut problems = Problems::default();
        problems.check(
            (1..=MAX_LIMIT).contains(&self.limit()),
            "limit",
            "must be from 1 to 100",
        );
        problems.finish()
    }
}

/// `{"data": [...], "meta": {"total", "limit", "offset"}}`.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub meta: OffsetMeta,
}

#[derive(Debug, Serialize)]
pub struct OffsetMeta {
    /// Every row that matches the filters, on all pages.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}
