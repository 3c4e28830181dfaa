//! SQLite implementation of [`eseal::platform::Store`] (the embedded default).
//!
//! One connection behind a mutex (SQLite serialises writers anyway); every commit is one
//! `BEGIN IMMEDIATE` transaction. The schema is created and migrated on open
//! (`PRAGMA user_version`). The audit tables refuse UPDATE and DELETE by trigger.

use std::path::Path;
use std::sync::Mutex;

use eseal::platform::audit::{AuditEntry, AuditMac, Outcome};
use eseal::platform::store::link_entry;
use eseal::platform::{
    AuditQuery, Batch, Found, Index, Kind, Query, Record, Store, StoreError, UniqueKey, Write,
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::kv::{KvEntry, ServerStore};
use crate::sql::{self, Param};

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
    // 2: index columns, tags, counters, one audit chain per unit (the single chain of
    //    version 1 is kept, read-only, as audit_v1)
    "ALTER TABLE docs ADD COLUMN unit TEXT NOT NULL DEFAULT '';
    ALTER TABLE docs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    ALTER TABLE docs ADD COLUMN status TEXT NOT NULL DEFAULT '';
    ALTER TABLE docs ADD COLUMN category TEXT NOT NULL DEFAULT '';
    ALTER TABLE docs ADD COLUMN name TEXT NOT NULL DEFAULT '';
    ALTER TABLE docs ADD COLUMN alt_name TEXT NOT NULL DEFAULT '';
    ALTER TABLE docs ADD COLUMN time INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE docs ADD COLUMN until INTEGER;
    CREATE INDEX docs_unit_time ON docs (kind, unit, time DESC, id DESC);
    CREATE INDEX docs_owner_time ON docs (kind, owner, time DESC, id DESC);
    CREATE INDEX docs_unit_name ON docs (kind, unit, category, name, id);
    CREATE INDEX docs_until ON docs (kind, until) WHERE until IS NOT NULL;
    CREATE TABLE tags (
        kind TEXT NOT NULL,
        tag TEXT NOT NULL,
        id TEXT NOT NULL,
        time INTEGER NOT NULL,
        PRIMARY KEY (kind, tag, id)
    );
    CREATE INDEX tags_time ON tags (kind, tag, time DESC, id DESC);
    CREATE INDEX tags_doc ON tags (kind, id);
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    ALTER TABLE audit RENAME TO audit_v1;
    CREATE TABLE audit (
        chain TEXT NOT NULL,
        seq INTEGER NOT NULL,
        prev TEXT NOT NULL,
        time INTEGER NOT NULL,
        actor TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        action TEXT NOT NULL,
        object TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL,
        ip TEXT NOT NULL,
        mac TEXT NOT NULL,
        PRIMARY KEY (chain, seq)
    );
    CREATE INDEX audit_time ON audit (chain, time);
    CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    // 3: the server's own state (crate::kv)
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
    // 4: indexes built for the pages of issue 12 (see crate::sql): a tag row carries its
    //    document's unit, status and category, so the approval queue filters and counts in
    //    one index; the name index covers status and alt_name, so a staff search scans the
    //    index, not the documents; doc_counts holds, per kind, unit, owner and status, the
    //    number of documents, kept by triggers in the writing transaction, so a page's total
    //    is not a count of a million rows.
    "ALTER TABLE tags ADD COLUMN unit TEXT NOT NULL DEFAULT '';
    ALTER TABLE tags ADD COLUMN status TEXT NOT NULL DEFAULT '';
    ALTER TABLE tags ADD COLUMN category TEXT NOT NULL DEFAULT '';
    UPDATE tags SET (unit, status, category) =
        (SELECT d.unit, d.status, d.category FROM docs d WHERE d.kind = tags.kind AND d.id = tags.id);
    CREATE INDEX tags_filter ON tags (kind, tag, unit, status, category, time DESC, id DESC);
    DROP INDEX docs_unit_name;
    CREATE INDEX docs_unit_name ON docs (kind, unit, category, name, id, status, alt_name);
    CREATE TABLE doc_counts (
        kind TEXT NOT NULL,
        unit TEXT NOT NULL,
        owner TEXT NOT NULL,
        status TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (kind, unit, owner, status)
    );
    INSERT INTO doc_counts (kind, unit, owner, status, n)
        SELECT kind, unit, owner, status, COUNT(*) FROM docs GROUP BY kind, unit, owner, status;
    CREATE TRIGGER doc_counts_insert AFTER INSERT ON docs BEGIN
        INSERT INTO doc_counts (kind, unit, owner, status, n)
            VALUES (NEW.kind, NEW.unit, NEW.owner, NEW.status, 1)
            ON CONFLICT (kind, unit, owner, status) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER doc_counts_delete AFTER DELETE ON docs BEGIN
        UPDATE doc_counts SET n = n - 1 WHERE kind = OLD.kind AND unit = OLD.unit
            AND owner = OLD.owner AND status = OLD.status;
    END;
    CREATE TRIGGER doc_counts_update AFTER UPDATE OF kind, unit, owner, status ON docs
    WHEN OLD.kind IS NOT NEW.kind OR OLD.unit IS NOT NEW.unit OR OLD.owner IS NOT NEW.owner
        OR OLD.status IS NOT NEW.status BEGIN
        UPDATE doc_counts SET n = n - 1 WHERE kind = OLD.kind AND unit = OLD.unit
            AND owner = OLD.owner AND status = OLD.status;
        INSERT INTO doc_counts (kind, unit, owner, status, n)
            VALUES (NEW.kind, NEW.unit, NEW.owner, NEW.status, 1)
            ON CONFLICT (kind, unit, owner, status) DO UPDATE SET n = n + 1;
    END;",
];

pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn be(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("sqlite: {e}"))
}

fn to_sql(p: &Param) -> rusqlite::types::Value {
    match p {
        Param::Text(s) => rusqlite::types::Value::Text(s.clone()),
        Param::Int(i) => rusqlite::types::Value::Integer(*i),
    }
}

fn u(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(be)
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
        for (n, m) in MIGRATIONS.iter().enumerate().skip(applied) {
            tx.execute_batch(m).map_err(be)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", n + 1))
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

    /// Bulk loading (benchmarks, imports): applies `batches` in one transaction each, without
    /// audit entries.
    pub fn load(&self, batches: &[Batch]) -> Result<(), StoreError> {
        let mut c = self.lock()?;
        for b in batches {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(be)?;
            for w in &b.writes {
                apply(&tx, w)?;
            }
            tx.commit().map_err(be)?;
        }
        Ok(())
    }
}

fn version_of(tx: &Transaction<'_>, kind: Kind, id: &str) -> Result<Option<u64>, StoreError> {
    tx.query_row(
        "SELECT version FROM docs WHERE kind = ?1 AND id = ?2",
        params![kind.as_str(), id],
        |r| r.get::<_, i64>(0),
    )
    .optional()
    .map(|v| v.map(u))
    .map_err(be)
}

fn expect_version(
    tx: &Transaction<'_>,
    kind: Kind,
    id: &str,
    expected: u64,
) -> Result<(), StoreError> {
    match version_of(tx, kind, id)? {
        None => Err(StoreError::NotFound {
            kind,
            id: id.to_owned(),
        }),
        Some(v) if v != expected => Err(StoreError::Conflict {
            kind,
            id: id.to_owned(),
            expected,
        }),
        Some(_) => Ok(()),
    }
}

fn put_keys(
    tx: &Transaction<'_>,
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
        let owner: Option<(String, String)> = tx
            .query_row(
                "SELECT kind, id FROM uniques WHERE ns = ?1 AND key = ?2",
                params![k.ns, k.key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(be)?;
        if owner.is_some() {
            return Err(StoreError::DuplicateKey {
                ns: k.ns.clone(),
                key: k.key.clone(),
            });
        }
        tx.execute(
            "INSERT INTO uniques (ns, key, kind, id) VALUES (?1, ?2, ?3, ?4)",
            params![k.ns, k.key, kind.as_str(), id],
        )
        .map_err(be)?;
    }
    Ok(())
}

fn put_tags(tx: &Transaction<'_>, kind: Kind, id: &str, ix: &Index) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM tags WHERE kind = ?1 AND id = ?2",
        params![kind.as_str(), id],
    )
    .map_err(be)?;
    for t in &ix.tags {
        tx.execute(
            "INSERT OR IGNORE INTO tags (kind, tag, id, time, unit, status, category)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                kind.as_str(),
                t,
                id,
                ix.time,
                ix.unit,
                ix.status,
                ix.category
            ],
        )
        .map_err(be)?;
    }
    Ok(())
}

fn set_index(tx: &Transaction<'_>, kind: Kind, id: &str, ix: &Index) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE docs SET unit = ?3, owner = ?4, status = ?5, category = ?6, name = ?7,
            alt_name = ?8, time = ?9, until = ?10 WHERE kind = ?1 AND id = ?2",
        params![
            kind.as_str(),
            id,
            ix.unit,
            ix.owner,
            ix.status,
            ix.category,
            ix.name,
            ix.alt_name,
            ix.time,
            ix.until
        ],
    )
    .map_err(be)?;
    put_tags(tx, kind, id, ix)
}

fn delete_doc(tx: &Transaction<'_>, kind: Kind, id: &str) -> Result<(), StoreError> {
    for t in ["docs", "uniques", "tags"] {
        tx.execute(
            &format!("DELETE FROM {t} WHERE kind = ?1 AND id = ?2"),
            params![kind.as_str(), id],
        )
        .map_err(be)?;
    }
    Ok(())
}

fn apply(tx: &Transaction<'_>, w: &Write) -> Result<(), StoreError> {
    match w {
        Write::Insert {
            kind,
            id,
            body,
            unique,
            index,
        } => {
            if version_of(tx, *kind, id)?.is_some() {
                return Err(StoreError::DuplicateId {
                    kind: *kind,
                    id: id.clone(),
                });
            }
            tx.execute(
                "INSERT INTO docs (kind, id, version, body) VALUES (?1, ?2, 1, ?3)",
                params![kind.as_str(), id, body],
            )
            .map_err(be)?;
            put_keys(tx, *kind, id, unique)?;
            set_index(tx, *kind, id, index)
        }
        Write::Update {
            kind,
            id,
            expected,
            body,
            unique,
            index,
        } => {
            expect_version(tx, *kind, id, *expected)?;
            put_keys(tx, *kind, id, unique)?;
            tx.execute(
                "UPDATE docs SET version = version + 1, body = ?1 WHERE kind = ?2 AND id = ?3",
                params![body, kind.as_str(), id],
            )
            .map_err(be)?;
            set_index(tx, *kind, id, index)
        }
        Write::Check { kind, id, version } => expect_version(tx, *kind, id, *version),
        Write::Delete { kind, id, expected } => {
            expect_version(tx, *kind, id, *expected)?;
            delete_doc(tx, *kind, id)
        }
        Write::Count { name, delta, limit } => {
            let value: i64 = tx
                .query_row(
                    "INSERT INTO counters (name, value) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET value = value + excluded.value
                     RETURNING value",
                    params![name, i(*delta)?],
                    |r| r.get(0),
                )
                .map_err(be)?;
            if let Some(l) = limit
                && u(value) > *l
            {
                return Err(StoreError::CounterLimit {
                    name: name.clone(),
                    limit: *l,
                });
            }
            Ok(())
        }
    }
}

fn read_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    let kind: String = r.get(8)?;
    let reason: String = r.get(9)?;
    Ok(AuditEntry {
        chain: r.get(0)?,
        seq: u(r.get(1)?),
        prev: r.get(2)?,
        time: r.get(3)?,
        actor: r.get(4)?,
        actor_name: r.get(5)?,
        action: r.get(6)?,
        object: r.get(7)?,
        outcome: Outcome::from_parts(&kind, &reason).unwrap_or(Outcome::Failed(format!(
            "unreadable outcome {kind:?}: {reason}"
        ))),
        ip: r.get(10)?,
        mac: r.get(11)?,
    })
}

fn append(tx: &Transaction<'_>, e: &AuditEntry, mac: &AuditMac) -> Result<(), StoreError> {
    let head: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, mac FROM audit WHERE chain = ?1 ORDER BY seq DESC LIMIT 1",
            params![e.chain],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(be)?;
    let mut e = e.clone();
    link_entry(&mut e, head.as_ref().map(|(s, m)| (u(*s), m.as_str())), mac);
    tx.execute(
        &format!(
            "INSERT INTO audit ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            sql::AUDIT_COLUMNS
        ),
        params![
            e.chain,
            i(e.seq)?,
            e.prev,
            e.time,
            e.actor,
            e.actor_name,
            e.action,
            e.object,
            e.outcome.kind(),
            e.outcome.reason(),
            e.ip,
            e.mac
        ],
    )
    .map_err(be)?;
    Ok(())
}

impl Store for SqliteStore {
    fn get(&self, kind: Kind, id: &str) -> Result<Option<Record>, StoreError> {
        let c = self.lock()?;
        c.query_row(
            "SELECT version, body FROM docs WHERE kind = ?1 AND id = ?2",
            params![kind.as_str(), id],
            |r| {
                Ok(Record {
                    id: id.to_owned(),
                    version: u(r.get(0)?),
                    body: r.get(1)?,
                })
            },
        )
        .optional()
        .map_err(be)
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

    fn query(&self, q: &Query) -> Result<Found, StoreError> {
        let c = self.lock()?;
        let s = sql::select(q, false);
        let params: Vec<_> = s.params.iter().map(to_sql).collect();
        let mut st = c.prepare_cached(&s.text).map_err(be)?;
        let records = st
            .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                Ok(Record {
                    id: r.get(0)?,
                    version: u(r.get(1)?),
                    body: r.get(2)?,
                })
            })
            .map_err(be)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(be)?;
        let n = sql::count(q, false);
        let params: Vec<_> = n.params.iter().map(to_sql).collect();
        let total: i64 = c
            .prepare_cached(&n.text)
            .map_err(be)?
            .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))
            .map_err(be)?;
        Ok(Found {
            records,
            total: u(total),
        })
    }

    fn counter(&self, name: &str) -> Result<u64, StoreError> {
        let c = self.lock()?;
        let v: Option<i64> = c
            .query_row(
                "SELECT value FROM counters WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()
            .map_err(be)?;
        Ok(v.map_or(0, u))
    }

    fn commit(&self, batch: &Batch, mac: &AuditMac) -> Result<(), StoreError> {
        let mut c = self.lock()?;
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(be)?;
        for w in &batch.writes {
            apply(&tx, w)?;
        }
        for e in &batch.audit {
            append(&tx, e, mac)?;
        }
        tx.commit().map_err(be)
    }

    fn prune(&self, kind: Kind, before: i64, limit: u32) -> Result<u64, StoreError> {
        let mut c = self.lock()?;
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(be)?;
        let ids: Vec<String> = {
            let mut st = tx
                .prepare(
                    "SELECT id FROM docs WHERE kind = ?1 AND until IS NOT NULL AND until < ?2
                     LIMIT ?3",
                )
                .map_err(be)?;
            st.query_map(params![kind.as_str(), before, i64::from(limit)], |r| {
                r.get(0)
            })
            .map_err(be)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(be)?
        };
        for id in &ids {
            delete_doc(&tx, kind, id)?;
        }
        tx.commit().map_err(be)?;
        Ok(ids.len() as u64)
    }

    fn audit_query(&self, q: &AuditQuery) -> Result<(Vec<AuditEntry>, u64), StoreError> {
        let c = self.lock()?;
        let s = sql::audit_select(q, false);
        let params: Vec<_> = s.params.iter().map(to_sql).collect();
        let rows = c
            .prepare_cached(&s.text)
            .map_err(be)?
            .query_map(rusqlite::params_from_iter(params.iter()), read_entry)
            .map_err(be)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(be)?;
        let n = sql::audit_count(q, false);
        let params: Vec<_> = n.params.iter().map(to_sql).collect();
        let total: i64 = c
            .prepare_cached(&n.text)
            .map_err(be)?
            .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))
            .map_err(be)?;
        Ok((rows, u(total)))
    }

    fn audit_range(
        &self,
        chain: &str,
        from: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let c = self.lock()?;
        let mut st = c
            .prepare_cached(&format!(
                "SELECT {} FROM audit WHERE chain = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3",
                sql::AUDIT_COLUMNS
            ))
            .map_err(be)?;
        st.query_map(
            params![
                chain,
                i(from)?,
                i64::from(limit.min(eseal::platform::store::MAX_PAGE))
            ],
            read_entry,
        )
        .map_err(be)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(be)
    }

    fn audit_heads(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let c = self.lock()?;
        let mut st = c
            .prepare_cached(&format!(
                "SELECT {} FROM audit a WHERE seq = (SELECT MAX(seq) FROM audit b WHERE b.chain = a.chain)
                 ORDER BY chain",
                sql::AUDIT_COLUMNS
            ))
            .map_err(be)?;
        st.query_map([], read_entry)
            .map_err(be)?
            .collect::<Result<Vec<_>, _>>()
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
