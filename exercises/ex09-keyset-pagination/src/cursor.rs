//! The cursor: an opaque, URL-safe encoding of a position `(created_at, id)`.

use std::str::FromStr;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The key of the last row of a page: the next page starts after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

/// Where a keyset page starts: `cursor=` (empty) is the first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    Start,
    After(Position),
}

/// The first byte of every cursor, so a future format can be told apart.
const VERSION: u8 = 1;
const LENGTH: usize = 1 + 8 + 16;

impl Position {
    /// `VERSION`, microseconds since the epoch (8 bytes), the id (16 bytes), in base64url.
    pub fn encode(&self) -> String {
        // starter: a version byte, `created_at` in microseconds and the id, as base64url.
        let mut bytes = Vec::with_capacity(LENGTH);
        bytes.push(VERSION);
        bytes.extend_from_slice(&self.created_at.timestamp_micros().to_be_bytes());
        bytes.extend_from_slice(self.id.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(text: &str) -> Option<Self> {
        // starter: the position `encode` wrote, or `None` for anything else (wrong length,
        // wrong version, not base64url).
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        if bytes.len() != LENGTH || bytes[0] != VERSION {
            return None;
        }
        let micros = i64::from_be_bytes(bytes[1..9].try_into().ok()?);
        let created_at = DateTime::from_timestamp_micros(micros)?;
        let id = Uuid::from_slice(&bytes[9..]).ok()?;
        Some(Self { created_at, id })
    }
}

/// `cursor=` (empty) is the first page; anything else must be a position
/// this API gave out.
impl FromStr for Cursor {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Ok(Self::Start);
        }
        Position::decode(text)
            .map(Self::After)
            .ok_or("is not a cursor this API gave out")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_survives_the_round_trip_to_the_microsecond() {
        let position = Position {
            created_at: DateTime::from_timestamp_micros(1_772_366_400_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        let text = position.encode();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(Position::decode(&text), Some(position));
    }

    #[test]
    fn damaged_cursors_decode_to_nothing() {
        let good = Position {
            created_at: Utc::now(),
            id: Uuid::now_v7(),
        }
        .encode();
        for bad in [
            "abc",
            "!!!!",
            &good[..good.len() - 2],
            &format!("{good}AA"),
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(Position::decode(bad), None, "{bad}");
        }
    }
}
