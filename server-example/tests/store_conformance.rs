//! The one conformance suite of `eseal::platform::conformance` (store contract, races) and the
//! business rules of `core/tests/platform_rules/cases.rs` over the in-memory, SQLite and
//! PostgreSQL stores.
//!
//! PostgreSQL: the URL comes from `ESEAL_PG_URL` when set; otherwise the test starts a
//! throwaway cluster (initdb/pg_ctl from /usr/lib/postgresql/*/bin, installed by
//! scripts/setup.d/40-postgres.sh) on 127.0.0.1 on a free port under a temp dir, as the
//! `postgres` user when running as root, and stops it afterwards. With neither, the test
//! FAILS when CI=true and is skipped (with a message) otherwise.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use eseal::platform::conformance::run_all;

#[path = "../../core/tests/platform_rules/cases.rs"]
mod rules;
use eseal::platform::audit::{AuditEntry, AuditMac, Outcome};
use eseal::platform::{Batch, Index, Kind, MemoryStore, Store, Write};
use eseal_server::{PgStore, SqliteStore};

use common::{Cluster, temp_dir};

static SEQ: AtomicU32 = AtomicU32::new(0);

#[test]
fn memory_store_conforms() {
    run_all(&|| Arc::new(MemoryStore::new()) as Arc<dyn Store>);
}

#[test]
fn sqlite_store_conforms() {
    let dir = temp_dir("sqlite");
    let d2 = dir.clone();
    let make = move || {
        let path = d2.join(format!("p{}.db", SEQ.fetch_add(1, Ordering::SeqCst)));
        Arc::new(SqliteStore::open(&path).expect("open sqlite")) as Arc<dyn Store>
    };
    run_all(&make);
    rules::run_all(&make);
    let _ = std::fs::remove_dir_all(dir);
}

/// A document and an audit entry, committed together.
fn doc_and_entry(s: &dyn Store) {
    let e = AuditEntry {
        chain: "u".into(),
        seq: 0,
        prev: String::new(),
        time: 1,
        actor: "a".into(),
        actor_name: "甲".into(),
        action: "Test".into(),
        object: "o".into(),
        outcome: Outcome::Ok,
        ip: "ip".into(),
        mac: String::new(),
    };
    s.commit(
        &Batch {
            writes: vec![Write::Insert {
                kind: Kind::Unit,
                id: "u".into(),
                body: "{}".into(),
                unique: vec![],
                index: Index::default(),
            }],
            audit: vec![e],
        },
        &AuditMac::new(b"0123456789abcdef").unwrap(),
    )
    .unwrap();
}

#[test]
fn sqlite_migrates_once_keeps_data_and_refuses_audit_changes() {
    let dir = temp_dir("sqlite-reopen");
    let path = dir.join("p.db");
    {
        // a database of schema version 1 (as the first release made it), then migrated
        let c = rusqlite_v1(&path);
        drop(c);
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), 4);
        assert!(s.get(Kind::Unit, "old").unwrap().is_some(), "v1 data kept");
        doc_and_entry(&s);
        assert!(
            s.execute_raw("UPDATE audit SET object = 'x' WHERE seq = 1")
                .is_err()
        );
        assert!(s.execute_raw("DELETE FROM audit WHERE seq = 1").is_err());
        assert!(
            s.execute_raw("DELETE FROM audit_v1").is_err(),
            "the old chain stays append-only"
        );
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), 4);
    assert!(s.get(Kind::Unit, "u").unwrap().is_some());
    assert_eq!(s.audit_range("u", 1, 10).unwrap().len(), 1);
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}

/// A database as schema version 1 left it: one document, one row of the old audit table.
fn rusqlite_v1(path: &std::path::Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "CREATE TABLE docs (kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
            body TEXT NOT NULL, PRIMARY KEY (kind, id));
        CREATE TABLE uniques (ns TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL,
            id TEXT NOT NULL, PRIMARY KEY (ns, key));
        CREATE INDEX uniques_owner ON uniques (kind, id);
        CREATE TABLE audit (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, hash TEXT NOT NULL);
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        INSERT INTO docs VALUES ('unit', 'old', 1, '{}');
        INSERT INTO audit VALUES (1, '{}', 'h');
        PRAGMA user_version = 1;",
    )
    .unwrap();
    c
}

#[test]
fn postgres_store_conforms() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let (url, _cluster) = match std::env::var("ESEAL_PG_URL") {
        Ok(u) if !u.is_empty() => (u, None),
        _ => match Cluster::start() {
            Ok(c) => (c.url.clone(), Some(c)),
            Err(e) if ci => panic!(
                "PostgreSQL needed under CI: set ESEAL_PG_URL or install it (scripts/setup.sh): {e}"
            ),
            Err(e) => {
                eprintln!(
                    "SKIP postgres_store_conforms: no ESEAL_PG_URL and no local cluster: {e}"
                );
                return;
            }
        },
    };
    let run_id = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0)
    );
    let url2 = url.clone();
    let rid = run_id.clone();
    let make = move || {
        let schema = format!("t{}_{}", rid, SEQ.fetch_add(1, Ordering::SeqCst));
        Arc::new(PgStore::connect(&url2, &schema, 4).expect("connect postgres")) as Arc<dyn Store>
    };
    run_all(&make);
    rules::run_all(&make);
    // migrations run once; the audit table refuses changes; data survives reconnects
    let schema = format!("t{run_id}_reopen");
    let s = PgStore::connect(&url, &schema, 1).unwrap();
    doc_and_entry(&s);
    assert!(
        s.execute_raw("UPDATE audit SET object = 'x' WHERE seq = 1")
            .is_err()
    );
    assert!(s.execute_raw("DELETE FROM audit WHERE seq = 1").is_err());
    drop(s);
    let s = PgStore::connect(&url, &schema, 1).unwrap();
    assert!(s.get(Kind::Unit, "u").unwrap().is_some());
    assert_eq!(s.audit_range("u", 1, 10).unwrap().len(), 1);
}
