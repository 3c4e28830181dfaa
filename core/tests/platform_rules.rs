//! The business rules of the platform over the in-memory store (the same cases run over
//! SQLite and PostgreSQL in `server-example/tests/platform_rules.rs`).

mod platform_rules {
    pub mod cases;
}

use std::sync::Arc;

use eseal::platform::{MemoryStore, Store};

#[test]
fn rules_over_the_memory_store() {
    platform_rules::cases::run_all(&|| Arc::new(MemoryStore::new()) as Arc<dyn Store>);
}
