//! SQLite implementation of [`eseal::platform::Store`] (the embedded default).
//!
//! One connection behind a mutex (SQLite serialises writers anyway); every call is one
//! `BEGIN IMMEDIATE` transaction. The schema is created and migrated on open
//! (`PRAGMA user_version`). The audit table refuses UPDATE and DELETE by trigger.

use std::path::Path;
use std::sync::Mutex;

use crate::kv::{KvEntry, ServerStore};
use eseal::platform::{AuditRow, Kind, Record, Store, StoreError, UniqueKey};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// Migrations, applied in order; `user_version` counts the applied ones.
const MIGRATIONS: &[&str] = &[
    // 1: documents, unique keys, audit
    "CREATE TABLE docs (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (kind, id)
    );
    CREATE TABLE uniques (
        ns TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        PRIMARY KEY (ns, key)
    );
    CREATE INDEX uniques_owner ON uniques (kind, id);
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        body TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    // 2: the server's own state (crate::kv)
    "CREATE TABLE srv_kv (
        ns TEXT NOT NULL,
        id TEXT NOT NULL,
        owner TEXT NOT NULL,
        body TEXT NOT NULL,
        expires INTEGER,
        PRIMARY KEY (ns, id)
    );
    CREATE INDEX srv_kv_owner ON srv_kv (ns, owner, id);
    CREATE INDEX srv_kv_expires ON srv_kv (expires) WHERE expires IS NOT NULL;",
];

pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn be(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("sqlite: {e}"))
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database file.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::init(Connection::open(path).map_err(be)?)
    }

    /// A private in-memory database (tests).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory().map_err(be)?)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(be)?;
        // WAL where the database is a file (in-memory databases answer "memory").
        let _: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(be)?;
        conn.execute_batch("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;")
            .map_err(be)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Exclusive)
            .map_err(be)?;
        let applied: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(be)?;
        let applied = usize::try_from(applied).map_err(be)?;
        if applied > MIGRATIONS.len() {
            return Err(StoreError::Backend(format!(
                "database schema version {applied} is newer than this program ({})",
                MIGRATIONS.len()
            )));
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(applied) {
            tx.execute_batch(m).map_err(be)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
                .map_err(be)?;
        }
        tx.commit().map_err(be)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    /// The schema version (number of migrations applied).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.lock()?
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(be)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.conn
            .lock()
            .map_err(|_| StoreError::Backend("sqlite connection lock poisoned".into()))
    }

    /// Runs raw SQL (maintenance and tamper tests).
    pub fn execute_raw(&self, sql: &str) -> Result<(), StoreError> {
        self.lock()?.execute_batch(sql).map_err(be)
    }
}

fn check_keys(
    tx: &rusqlite::Transaction<'_>,
    kind: Kind,
    id: &str,
    unique: &[UniqueKey],
) -> Result<(), StoreError> {
    for k in unique {
        let owner: Option<(String, String)> = tx
            .query_row(
                "SELECT kind, id FROM uniques WHERE ns = ?1 AND key = ?2",
                params![k.ns, k.key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(be)?;
        if let Some((ok, oid)) = owner
            && !(ok == kind.as_str() && oid == id)
        {
            return Err(StoreError::DuplicateKey {
                ns: k.ns.clone(),
                key: k.key.clone(),
            });
        }
    }
    Ok(())
}

fn put_keys(
    tx: &rusqlite::Transaction<'_>,
    kind: Kind,
    id: &str,
    unique: &[UniqueKey],
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM uniques WHERE kind = ?1 AND id = ?2",
        params![kind.as_str(), id],
    )
    .map_err(be)?;
    for k in unique {
        tx.execute(
            "INSERT INTO uniques (ns, key, kind, id) VALUES (?1, ?2, ?3, ?4)",
            params![k.ns, k.key, kind.as_str(), id],
        )
        .map_err(be)?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn insert(
        &self,
        kind: Kind,
        id: &str,
        body: &str,
        unique: &[UniqueKey],
    ) -> Result<(), StoreError> {
        let mut c = self.lock()?;
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(be)?;
        let exists: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM docs WHERE kind = ?1 AND id = ?2",
                params![kind.as_str(), id],
                |r| r.get(0),
            )
            .optional()
            .map_err(be)?;
        if exists.is_some() {
            return Err(StoreError::DuplicateId {
                kind,
                id: id.to_owned(),
            });
        }
        check_keys(&tx, kind, id, unique)?;
        tx.execute(
            "INSERT INTO docs (kind, id, version, body) VALUES (?1, ?2, 1, ?3)",
            params![kind.as_str(), id, body],
        )
        .map_err(be)?;
        put_keys(&tx, kind, id, unique)?;
        tx.commit().map_err(be)
    }

    fn get(&self, kind: Kind, id: &str) -> Result<Option<Record>, StoreError> {
        let c = self.lock()?;
        c.query_row(
            "SELECT version, body FROM docs WHERE kind = ?1 AND id = ?2",
            params![kind.as_str(), id],
            |r| {
                Ok(Record {
                    id: id.to_owned(),
                    version: r.get::<_, i64>(0)? as u64,
                    body: r.get(1)?,
                })
            },
        )
        .optional()
        .map_err(be)
    }

    fn update(
        &self,
        kind: Kind,
        id: &str,
        expected_version: u64,
        body: &str,
        unique: &[UniqueKey],
    ) -> Result<u64, StoreError> {
        let mut c = self.lock()?;
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(be)?;
        let v: Option<i64> = tx
            .query_row(
                "SELECT version FROM docs WHERE kind = ?1 AND id = ?2",
                params![kind.as_str(), id],
                |r| r.get(0),
            )
            .optional()
            .map_err(be)?;
        match v {
            None => {
                return Err(StoreError::NotFound {
                    kind,
                    id: id.to_owned(),
                });
            }
            Some(v) if v as u64 != expected_version => {
                return Err(StoreError::Conflict {
                    kind,
                    id: id.to_owned(),
                    expected: expected_version,
                });
            }
            Some(_) => {}
        }
        check_keys(&tx, kind, id, unique)?;
        put_keys(&tx, kind, id, unique)?;
        tx.execute(
            "UPDATE docs SET version = version + 1, body = ?1 WHERE kind = ?2 AND id = ?3",
            params![body, kind.as_str(), id],
        )
        .map_err(be)?;
        tx.commit().map_err(be)?;
        Ok(expected_version + 1)
    }

    fn list(&self, kind: Kind) -> Result<Vec<Record>, StoreError> {
        let c = self.lock()?;
        let mut st = c
            .prepare("SELECT id, version, body FROM docs WHERE kind = ?1 ORDER BY id")
            .map_err(be)?;
        let rows = st
            .query_map(params![kind.as_str()], |r| {
                Ok(Record {
                    id: r.get(0)?,
                    version: r.get::<_, i64>(1)? as u64,
                    body: r.get(2)?,
                })
            })
            .map_err(be)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(be)
    }

    fn find_unique(&self, ns: &str, key: &str) -> Result<Option<(Kind, String)>, StoreError> {
        let c = self.lock()?;
        let row: Option<(String, String)> = c
            .query_row(
                "SELECT kind, id FROM uniques WHERE ns = ?1 AND key = ?2",
                params![ns, key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(be)?;
        match row {
            None => Ok(None),
            Some((k, id)) => Ok(Some((
                Kind::parse(&k).ok_or_else(|| be(format!("unknown kind {k}")))?,
                id,
            ))),
        }
    }

    fn audit_append(&self, row: &AuditRow) -> Result<(), StoreError> {
        let seq = i64::try_from(row.seq).map_err(be)?;
        let c = self.lock()?;
        match c.execute(
            "INSERT INTO audit (seq, body, hash) VALUES (?1, ?2, ?3)",
            params![seq, row.body, row.hash],
        ) {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                Err(StoreError::AuditSeqTaken(row.seq))
            }
            Err(e) => Err(be(e)),
        }
    }

    fn audit_rows(&self) -> Result<Vec<AuditRow>, StoreError> {
        let c = self.lock()?;
        let mut st = c
            .prepare("SELECT seq, body, hash FROM audit ORDER BY seq")
            .map_err(be)?;
        let rows = st
            .query_map([], |r| {
                Ok(AuditRow {
                    seq: r.get::<_, i64>(0)? as u64,
                    body: r.get(1)?,
                    hash: r.get(2)?,
                })
            })
            .map_err(be)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(be)
    }

    fn audit_last(&self) -> Result<Option<AuditRow>, StoreError> {
        let c = self.lock()?;
        c.query_row(
            "SELECT seq, body, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| {
                Ok(AuditRow {
                    seq: r.get::<_, i64>(0)? as u64,
                    body: r.get(1)?,
                    hash: r.get(2)?,
                })
            },
        )
        .optional()
        .map_err(be)
    }
}

fn kv_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KvEntry> {
    Ok(KvEntry {
        id: r.get(0)?,
        owner: r.get(1)?,
        body: r.get(2)?,
        expires: r.get(3)?,
    })
}

const KV_LIVE: &str = "(expires IS NULL OR expires >= ?3)";

impl ServerStore for SqliteStore {
    fn kv_insert(&self, ns: &str, e: &KvEntry, now: i64) -> Result<bool, StoreError> {
        let mut c = self.lock()?;
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(be)?;
        tx.execute(
            "DELETE FROM srv_kv WHERE ns = ?1 AND id = ?2 AND expires IS NOT NULL AND expires < ?3",
            params![ns, e.id, now],
        )
        .map_err(be)?;
        let n = tx
            .execute(
                "INSERT OR IGNORE INTO srv_kv (ns, id, owner, body, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![ns, e.id, e.owner, e.body, e.expires],
            )
            .map_err(be)?;
        tx.commit().map_err(be)?;
        Ok(n == 1)
    }

    fn kv_put(&self, ns: &str, e: &KvEntry) -> Result<(), StoreError> {
        self.lock()?
            .execute(
                "INSERT INTO srv_kv (ns, id, owner, body, expires) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (ns, id) DO UPDATE SET owner = excluded.owner, body = excluded.body, expires = excluded.expires",
                params![ns, e.id, e.owner, e.body, e.expires],
            )
            .map(|_| ())
            .map_err(be)
    }

    fn kv_get(&self, ns: &str, id: &str, now: i64) -> Result<Option<KvEntry>, StoreError> {
        self.lock()?
            .query_row(
                &format!("SELECT id, owner, body, expires FROM srv_kv WHERE ns = ?1 AND id = ?2 AND {KV_LIVE}"),
                params![ns, id, now],
                kv_row,
            )
            .optional()
            .map_err(be)
    }

    fn kv_take(&self, ns: &str, id: &str, now: i64) -> Result<Option<KvEntry>, StoreError> {
        let mut c = self.lock()?;
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(be)?;
        let e = tx
            .query_row(
                &format!("SELECT id, owner, body, expires FROM srv_kv WHERE ns = ?1 AND id = ?2 AND {KV_LIVE}"),
                params![ns, id, now],
                kv_row,
            )
            .optional()
            .map_err(be)?;
        tx.execute(
            "DELETE FROM srv_kv WHERE ns = ?1 AND id = ?2",
            params![ns, id],
        )
        .map_err(be)?;
        tx.commit().map_err(be)?;
        Ok(e)
    }

    fn kv_delete(&self, ns: &str, id: &str) -> Result<(), StoreError> {
        self.lock()?
            .execute(
                "DELETE FROM srv_kv WHERE ns = ?1 AND id = ?2",
                params![ns, id],
            )
            .map(|_| ())
            .map_err(be)
    }

    fn kv_list(&self, ns: &str, owner: &str, now: i64) -> Result<Vec<KvEntry>, StoreError> {
        let c = self.lock()?;
        let mut st = c
            .prepare(&format!(
                "SELECT id, owner, body, expires FROM srv_kv WHERE ns = ?1 AND owner = ?2 AND {KV_LIVE} ORDER BY id"
            ))
            .map_err(be)?;
        let rows = st.query_map(params![ns, owner, now], kv_row).map_err(be)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(be)
    }

    fn kv_prune(&self, now: i64) -> Result<u64, StoreError> {
        self.lock()?
            .execute(
                "DELETE FROM srv_kv WHERE expires IS NOT NULL AND expires < ?1",
                params![now],
            )
            .map(|n| n as u64)
            .map_err(be)
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.lock()?
            .query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
            .map(|_| ())
            .map_err(be)
    }
}
