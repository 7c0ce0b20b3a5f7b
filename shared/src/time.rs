//! One timestamp format everywhere: RFC 3339, UTC, `Z`, exactly six fractional
//! digits (`2026-03-01T12:00:00.123456Z`).
//!
//! PostgreSQL stores `timestamptz`. SQLite has no date type and stores text, so
//! the text must have one fixed width or text order stops being time order. The
//! database's own clock writes every default and every `updated_at`
//! ([`now`]); when the application must bind a time (a seed, a cursor) it goes
//! through [`bind`], never straight to the driver, whose SQLite text varies in width.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{DbBackend, Value, sea_query::Expr};

/// The SQL for "now" in the stored format.
pub const fn now_sql(backend: DbBackend) -> &'static str {
    match backend {
        // SQLite's clock has millisecond resolution: pad to microseconds.
        DbBackend::Sqlite => "(strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))",
        _ => "now()",
    }
}

/// The database's current time, for `updated_at = …` and the like.
pub fn now(backend: DbBackend) -> Expr {
    Expr::cust(now_sql(backend))
}

/// A time as a bound parameter that compares correctly with stored values.
pub fn bind(backend: DbBackend, at: DateTime<Utc>) -> Value {
    match backend {
        DbBackend::Sqlite => Value::from(format(&at)),
        _ => Value::from(at),
    }
}

/// `2026-03-01T12:00:00.123456Z`.
pub fn format(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// For `#[serde(serialize_with = "shared::time::serialize")]`.
pub fn serialize<S: serde::Serializer>(
    at: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(at))
}

/// For `#[serde(serialize_with = "shared::time::serialize_option")]`.
pub fn serialize_option<S: serde::Serializer>(
    at: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serialize(at, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn always_six_fractional_digits_and_z() {
        let whole = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        assert_eq!(format(&whole), "2026-03-01T12:00:00.000000Z");
        let nanos = whole + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(format(&nanos), "2026-03-01T12:00:00.123456Z");
    }
}
