//! The list's query string and answer from lesson 8 on: lesson 7's
//! parameters, and `limit` and `offset`.

use ex07_indexing::prelude::ListQuery as SortedQuery;
use serde::Serialize;
use shared::extract::{FromQuery, QueryParams};

pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;
/// The largest offset the databases take (`i64::MAX`).
pub const MAX_OFFSET: u64 = i64::MAX as u64;

/// `GET /api/v1/tasks?done=…&sort=…&limit=…&offset=…`.
#[derive(Debug, Default)]
pub struct ListQuery {
    /// `done` and `sort`, as lesson 7 reads them.
    pub sorted: SortedQuery,
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

impl FromQuery for ListQuery {
    fn from_query(query: &mut QueryParams) -> Self {
        let parsed = Self {
            sorted: SortedQuery::from_query(query),
            limit: query.take("limit"),
            offset: query.take("offset"),
        };
        if !(1..=MAX_LIMIT).contains(&parsed.limit()) {
            query.reject("limit", "must be from 1 to 100");
        }
        // The databases count rows in signed 64 bits: a larger offset is out of range.
        if parsed.offset() > MAX_OFFSET {
            query.reject("offset", "must be from 0 to 9223372036854775807");
        }
        parsed
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
