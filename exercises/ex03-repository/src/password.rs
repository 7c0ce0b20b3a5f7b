//! Passwords are stored only as Argon2id hashes.

use argon2::{
    Argon2, PasswordHasher,
    password_hash::{SaltString, rand_core::OsRng},
};

/// Hashes on a blocking thread: Argon2 is slow on purpose, and must not stall
/// the async workers that serve other requests.
pub async fn hash(password: String) -> Result<String, shared::ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
    })
    .await
    .ok()
    .and_then(Result::ok)
    .ok_or_else(|| {
        tracing::error!("password hashing failed");
        shared::ApiError::internal()
    })
}
