//! The list's query string and keyset answer from lesson 9 on.

use ex07_indexing::api::Sort;
use ex08_pagination::api as offset;
use serde::{Deserialize, Serialize};
use shared::{FieldError, extract::Validate};

use crate::cursor::Cursor;

/// `GET /api/v1/tasks?…&cursor=…`: with `cursor`, a page by key.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub done: Option<bool>,
    #[serde(default)]
    pub sort: Sort,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    pub cursor: Option<Cursor>,
}

impl ListQuery {
    /// The same request as lesson 8 understands it (no cursor).
    pub fn by_offset(&self) -> offset::ListQuery {
        offset::ListQuery {
            done: self.done,
            sort: self.sort,
            limit: self.limit,
            offset: self.offset,
        }
    }
}

impl Validate for ListQuery {
    /// Lesson 8's rules, and a cursor only alone (no `offset`) and only for
    /// the `created_at` order it encodes.
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut problems = self.by_offset().validate().err().unwrap_or_default();
        if self.cursor.is_some() && self.offset.is_some() {
            problems.push(FieldError::new("offset", "cannot be combined with cursor"));
        }
        if self.cursor.is_some() && self.sort != Sort::CreatedAt {
            problems.push(FieldError::new(
                "sort",
                "must be created_at when paging with cursor",
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// `{"data": [...], "meta": {"limit", "nextCursor"}}`; `nextCursor` is null on the last page.
#[derive(Debug, Serialize)]
pub struct KeysetPage<T> {
    pub data: Vec<T>,
    pub meta: KeysetMeta,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeysetMeta {
    pub limit: u64,
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(query: &str) -> Vec<String> {
        let parsed: ListQuery = serde_urlencoded::from_str(query).unwrap();
        parsed
            .validate()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.field)
            .collect()
    }

    #[test]
    fn a_cursor_goes_alone_and_in_created_at_order() {
        assert!(problems("cursor=").is_empty());
        assert!(problems("cursor=&sort=created_at&limit=5").is_empty());
        assert_eq!(problems("cursor=&offset=0"), ["offset"]);
        assert_eq!(problems("cursor=&sort=due_date"), ["sort"]);
        assert_eq!(problems("cursor=&limit=0"), ["limit"]);
    }
}
