//! eseal-server: the reference platform server on top of [`eseal`].
//!
//! For now it holds the storage of the platform model ([`eseal::platform::Store`]):
//! [`sqlite::SqliteStore`] (the embedded default, created and migrated on open) and
//! [`postgres::PgStore`] (for deployments that outgrow one machine). Both pass the one
//! conformance suite of `eseal::platform::conformance` (see `tests/store_conformance.rs`).
#![forbid(unsafe_code)]

pub mod postgres;
pub mod sql;
pub mod sqlite;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;
