//! The contract's tables as a database has them, normalised so that
//! equivalent spellings on SQLite and PostgreSQL compare (and snapshot) equal.

use std::collections::BTreeMap;

use serde::Serialize;

/// The contract's tables, as the database has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    pub columns: Vec<Column>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: String,
    /// PostgreSQL only: SQLite's declared types are free text.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    pub nullable: bool,
    pub primary_key: bool,
    /// `now` for the clock, `value` for any other default.
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Index {
    /// Free to choose, so not part of a snapshot; plans name indexes by it.
    #[serde(skip)]
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ForeignKey {
    pub column: String,
    pub references: String,
    pub on_delete: String,
}

pub(super) fn normalise_type(data_type: &str) -> String {
    match data_type {
        "character varying" | "character" | "text" => "text",
        "timestamp with time zone" => "timestamptz",
        "timestamp without time zone" => "timestamp",
        "integer" | "smallint" => "integer",
        other => other,
    }
    .to_owned()
}

pub(super) fn normalise_default(default: &str) -> String {
    let lower = default.to_lowercase();
    if [
        "now",
        "current_timestamp",
        "strftime",
        "clock_timestamp",
        "datetime(",
    ]
    .iter()
    .any(|clock| lower.contains(clock))
    {
        "now".to_owned()
    } else {
        "value".to_owned()
    }
}

pub(super) fn normalise_predicate(predicate: &str) -> String {
    let mut text = predicate.trim().to_lowercase().replace('"', "");
    while text.starts_with('(') && text.ends_with(')') {
        text = text[1..text.len() - 1].trim().to_owned();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_normalise() {
        assert_eq!(normalise_type("character varying"), "text");
        assert_eq!(
            normalise_default("(strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))"),
            "now"
        );
        assert_eq!(normalise_default("CURRENT_TIMESTAMP"), "now");
        assert_eq!(normalise_default("false"), "value");
        assert_eq!(
            normalise_predicate("(\"deleted_at\" IS NULL)"),
            "deleted_at is null"
        );
    }
}
