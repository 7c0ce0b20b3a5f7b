//! The seed rows, each a pure function of its index.

use argon2::{Argon2, PasswordHasher, password_hash::SaltString};
use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::DbErr;
use uuid::Uuid;

const FIRST_NAMES: [&str; 10] = [
    "ada", "grace", "alan", "barbara", "edsger", "frances", "donald", "margaret", "ken", "radia",
];
const VERBS: [&str; 10] = [
    "Write", "Review", "Fix", "Plan", "Test", "Refactor", "Document", "Deploy", "Measure", "Tidy",
];
const OBJECTS: [&str; 12] = [
    "the login page",
    "release notes",
    "the invoice export",
    "the migration guide",
    "flaky integration tests",
    "the onboarding email",
    "the search index",
    "API rate limits",
    "the nightly backup",
    "error messages",
    "the pricing page",
    "database indexes",
];

/// Every seed user can log in with this password (it is stored hashed).
pub const PASSWORD: &str = "workbook-password";

/// The seed's clock: task `i` is created some days and `i` minutes after this.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0)
        .single()
        .expect("a valid fixed date")
}

/// A deterministic UUIDv7: the time is `at`, the "random" bits come from `salt` and `index`.
fn uuid_v7(at: DateTime<Utc>, salt: u64, index: usize) -> Uuid {
    let mixed = splitmix64(salt ^ splitmix64(index as u64));
    let more = splitmix64(mixed);
    let mut bytes = [0u8; 10];
    bytes[..8].copy_from_slice(&mixed.to_le_bytes());
    bytes[8..].copy_from_slice(&more.to_le_bytes()[..2]);
    uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis() as u64, &bytes).into_uuid()
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One hash for every seed user: hashing is slow on purpose, and these are demo accounts.
pub fn password_hash() -> Result<String, DbErr> {
    let salt =
        SaltString::encode_b64(b"workbook-seed-salt").map_err(|e| DbErr::Custom(e.to_string()))?;
    Argon2::default()
        .hash_password(PASSWORD.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| DbErr::Custom(e.to_string()))
}

pub struct SeedUser {
    pub id: Uuid,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

impl SeedUser {
    pub fn new(index: usize) -> Self {
        let name = match FIRST_NAMES.get(index) {
            Some(name) => (*name).to_owned(),
            None => format!("user{}", index + 1),
        };
        let created_at = epoch() - Duration::days(30) + Duration::hours(index as i64);
        Self {
            id: uuid_v7(created_at, 0x5EED_0001, index),
            email: format!("{name}@example.com"),
            created_at,
        }
    }
}

/// One seeded task: the fields every lesson has. Later lessons derive their
/// extra columns from it.
#[derive(Debug, Clone)]
pub struct SeedTask {
    pub index: usize,
    pub id: Uuid,
    pub owner: Uuid,
    pub title: String,
    pub done: bool,
    pub created_at: DateTime<Utc>,
}

impl SeedTask {
    /// Task `index` belongs to user `index % owners`; titles are unique overall,
    /// so also per user (lesson 5 makes them unique per user).
    pub fn new(index: usize, owners: &[Uuid]) -> Self {
        let verb = VERBS[index % VERBS.len()];
        let object = OBJECTS[(index / VERBS.len()) % OBJECTS.len()];
        let round = index / (VERBS.len() * OBJECTS.len());
        let title = if round == 0 {
            format!("{verb} {object}")
        } else {
            format!("{verb} {object} #{}", round + 1)
        };
        let created_at =
            epoch() + Duration::days(((index * 7) % 60) as i64) + Duration::minutes(index as i64);
        Self {
            index,
            id: uuid_v7(created_at, 0x5EED_0002, index),
            owner: owners[index % owners.len()],
            title,
            done: index.is_multiple_of(3),
            created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_the_same_every_time() {
        let owners = [Uuid::nil(), Uuid::max()];
        let (a, b) = (SeedTask::new(7, &owners), SeedTask::new(7, &owners));
        assert_eq!((a.id, a.title, a.created_at), (b.id, b.title, b.created_at));
    }

    #[test]
    fn titles_and_ids_never_repeat() {
        let owners = [Uuid::nil()];
        let tasks: Vec<SeedTask> = (0..5_000).map(|i| SeedTask::new(i, &owners)).collect();
        let titles: std::collections::HashSet<_> = tasks.iter().map(|t| &t.title).collect();
        let ids: std::collections::HashSet<_> = tasks.iter().map(|t| t.id).collect();
        assert_eq!((titles.len(), ids.len()), (5_000, 5_000));
    }

    #[test]
    fn ids_are_version_7() {
        assert_eq!(SeedTask::new(0, &[Uuid::nil()]).id.get_version_num(), 7);
    }
}
