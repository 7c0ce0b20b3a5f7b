//! The list's query string and keyset answer from lesson 9 on: lesson 8's
//! parameters, and `cursor`.

use ex08_pagination::prelude::{ListQuery as OffsetQuery, Sort};
use serde::Serialize;
use shared::extract::{FromQuery, QueryParams};

use crate::cursor::Cursor;

/// `GET /api/v1/tasks?…&cursor=…`: with `cursor`, a page by key.
#[derive(Debug, Default)]
pub struct ListQuery {
    /// The request as lesson 8 reads it; without `cursor`, its page by offset.
    pub by_offset: OffsetQuery,
    pub cursor: Option<Cursor>,
}

impl FromQuery for ListQuery {
    /// Lesson 8's parameters, and a cursor that goes alone (no `offset`) and
    /// only with the `created_at` order it encodes.
    fn from_query(query: &mut QueryParams) -> Self {
        // starter: lesson 8's parameters and `cursor`; reject `offset` with a cursor, and
        // any sort but `created_at`.
        // stand-in: Self {
        //     by_offset: OffsetQuery::from_query(query),
        //     cursor: query.take("cursor"),
        // }
        let parsed = Self {
            by_offset: OffsetQuery::from_query(query),
            cursor: query.take("cursor"),
        };
        if parsed.cursor.is_some() {
            if parsed.by_offset.offset.is_some() {
                query.reject("offset", "cannot be combined with cursor");
            }
            if parsed.by_offset.sorted.sort != Sort::CreatedAt {
                query.reject("sort", "must be created_at when paging with cursor");
            }
        }
        parsed
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
    use shared::extract::ValidQuery;

    use super::*;

    fn problems(query: &str) -> Vec<String> {
        match ValidQuery::<ListQuery>::parse(query) {
            Ok(_) => Vec::new(),
            Err(err) => err.details().iter().map(|p| p.field.clone()).collect(),
        }
    }

    #[test]
    fn a_cursor_goes_alone_and_in_created_at_order() {
        assert!(problems("cursor=").is_empty());
        assert!(problems("cursor=&sort=created_at&limit=5").is_empty());
        assert_eq!(problems("cursor=&offset=0"), ["offset"]);
        assert_eq!(problems("cursor=&sort=due_date"), ["sort"]);
        assert_eq!(problems("cursor=&limit=0"), ["limit"]);
        assert_eq!(problems("cursor=abc"), ["cursor"]);
    }
}
