//! eseal-server: the reference platform server on top of [`eseal`].
//!
//! - [`sqlite::SqliteStore`] (the embedded default, created and migrated on open) and
//!   [`postgres::PgStore`] (deployments that outgrow one machine) implement the platform's
//!   [`eseal::platform::Store`] (one conformance suite, `tests/store_conformance.rs`) and the
//!   server's own [`kv::ServerStore`] (sessions, challenges, documents, vault keys).
//! - [`api`]: the HTTP API, one router per chapter of the manual, its OpenAPI document, and
//!   the public verification pages; [`auth`]: sessions and the `Auth` extractor.
//! - [`documents`], [`signing`]: uploads, previews, signing with platform seals (cloud seals
//!   through the platform and its key vault, UKey seals through the user's agent),
//!   verification.
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod browser_ukey;
pub mod captcha;
pub mod config;
pub mod demo;
pub mod documents;
pub mod error;
pub mod kv;
pub mod ofd_preview;
pub mod postgres;
pub mod recovery;
pub mod report_pdf;
pub mod signing;
pub mod sql;
pub mod sqlite;
pub mod state;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// `n` random bytes from the OS CSPRNG as lower-case hex.
pub fn random_hex(n: usize) -> Result<String, error::ApiError> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| error::ApiError::internal(format!("CSPRNG: {e}")))?;
    Ok(hex::encode(b))
}
