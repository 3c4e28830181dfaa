//! The one conformance suite of `eseal::platform::conformance` over the in-memory, SQLite and
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
use eseal::platform::{AuditRow, MemoryStore, Store};
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
    run_all(&move || {
        let path = d2.join(format!("p{}.db", SEQ.fetch_add(1, Ordering::SeqCst)));
        Arc::new(SqliteStore::open(&path).expect("open sqlite")) as Arc<dyn Store>
    });
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sqlite_migrates_once_keeps_data_and_refuses_audit_changes() {
    let dir = temp_dir("sqlite-reopen");
    let path = dir.join("p.db");
    {
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), 2);
        s.insert(eseal::platform::Kind::Unit, "u", "{}", &[])
            .unwrap();
        s.audit_append(&AuditRow {
            seq: 1,
            body: "{}".into(),
            hash: "h".into(),
        })
        .unwrap();
        assert!(
            s.execute_raw("UPDATE audit SET body = 'x' WHERE seq = 1")
                .is_err()
        );
        assert!(s.execute_raw("DELETE FROM audit WHERE seq = 1").is_err());
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), 2);
    assert!(s.get(eseal::platform::Kind::Unit, "u").unwrap().is_some());
    assert_eq!(s.audit_rows().unwrap().len(), 1);
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
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
    run_all(&move || {
        let schema = format!("t{}_{}", rid, SEQ.fetch_add(1, Ordering::SeqCst));
        Arc::new(PgStore::connect(&url2, &schema, 4).expect("connect postgres")) as Arc<dyn Store>
    });
    // migrations run once; the audit table refuses changes; data survives reconnects
    let schema = format!("t{run_id}_reopen");
    let s = PgStore::connect(&url, &schema, 1).unwrap();
    s.insert(eseal::platform::Kind::Unit, "u", "{}", &[])
        .unwrap();
    s.audit_append(&AuditRow {
        seq: 1,
        body: "{}".into(),
        hash: "h".into(),
    })
    .unwrap();
    assert!(
        s.execute_raw("UPDATE audit SET body = 'x' WHERE seq = 1")
            .is_err()
    );
    assert!(s.execute_raw("DELETE FROM audit WHERE seq = 1").is_err());
    drop(s);
    let s = PgStore::connect(&url, &schema, 1).unwrap();
    assert!(s.get(eseal::platform::Kind::Unit, "u").unwrap().is_some());
    assert_eq!(s.audit_rows().unwrap().len(), 1);
}
