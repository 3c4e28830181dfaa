//! PostgreSQL implementation of [`eseal::platform::Store`] (deployments that outgrow one
//! machine).
//!
//! A small pool of synchronous `postgres` clients; every call is one READ COMMITTED
//! transaction. Compare-and-set is `UPDATE … WHERE version = $expected` (a concurrent writer
//! waits on the row lock, then finds the version moved and gets `Conflict`); uniqueness is
//! the primary keys of `docs` and `uniques` (a racing insert gets a unique violation, mapped
//! to `DuplicateId` / `DuplicateKey`). The schema is created and migrated on connect under an
//! advisory lock; the audit table refuses UPDATE and DELETE by trigger. All tables live in
//! one schema (default `eseal`), so several platforms can share a database.

use std::sync::{Condvar, Mutex};

use crate::kv::{KvEntry, ServerStore};
use eseal::platform::{AuditRow, Kind, Record, Store, StoreError, UniqueKey};
use postgres::error::SqlState;
use postgres::{Client, NoTls, Transaction};

/// Migrations, applied in order; `schema_migrations` records the applied ones.
const MIGRATIONS: &[&str] = &[
    // 1: documents, unique keys, audit
    "CREATE TABLE docs (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        version BIGINT NOT NULL,
        body TEXT NOT NULL,
        CONSTRAINT docs_pkey PRIMARY KEY (kind, id)
    );
    CREATE TABLE uniques (
        ns TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        CONSTRAINT uniques_pkey PRIMARY KEY (ns, key)
    );
    CREATE INDEX uniques_owner ON uniques (kind, id);
    CREATE TABLE audit (
        seq BIGINT NOT NULL CONSTRAINT audit_pkey PRIMARY KEY,
        body TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
    CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION audit_append_only();",
    // 2: the server's own state (crate::kv)
    "CREATE TABLE srv_kv (
        ns TEXT NOT NULL,
        id TEXT NOT NULL,
        owner TEXT NOT NULL,
        body TEXT NOT NULL,
        expires BIGINT,
        CONSTRAINT srv_kv_pkey PRIMARY KEY (ns, id)
    );
    CREATE INDEX srv_kv_owner ON srv_kv (ns, owner, id);
    CREATE INDEX srv_kv_expires ON srv_kv (expires) WHERE expires IS NOT NULL;",
];

pub struct PgStore {
    pool: Mutex<Vec<Client>>,
    ready: Condvar,
}

fn be(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("postgres: {e}"))
}

fn unique_violation(e: &postgres::Error) -> Option<String> {
    let db = e.as_db_error()?;
    (db.code() == &SqlState::UNIQUE_VIOLATION).then(|| db.constraint().unwrap_or("").to_owned())
}

fn check_schema_name(s: &str) -> Result<(), StoreError> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(StoreError::Backend(format!("bad schema name '{s}'")))
    }
}

impl PgStore {
    /// Connects `pool_size` clients to `url` (libpq key=value or URL form), using `schema`
    /// (created if missing) and migrating it.
    pub fn connect(url: &str, schema: &str, pool_size: usize) -> Result<Self, StoreError> {
        check_schema_name(schema)?;
        let mut first = Client::connect(url, NoTls).map_err(be)?;
        {
            let mut tx = first.transaction().map_err(be)?;
            // One migrator at a time, whichever process gets there first.
            tx.execute("SELECT pg_advisory_xact_lock(7415001)", &[])
                .map_err(be)?;
            tx.batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {schema};
                 SET LOCAL search_path TO {schema};
                 CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now());"
            ))
            .map_err(be)?;
            let applied: i32 = tx
                .query_one(
                    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                    &[],
                )
                .map_err(be)?
                .get(0);
            let applied = usize::try_from(applied).map_err(be)?;
            if applied > MIGRATIONS.len() {
                return Err(StoreError::Backend(format!(
                    "database schema version {applied} is newer than this program ({})",
                    MIGRATIONS.len()
                )));
            }
            for (i, m) in MIGRATIONS.iter().enumerate().skip(applied) {
                tx.batch_execute(m).map_err(be)?;
                let v = i32::try_from(i + 1).map_err(be)?;
                tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&v])
                    .map_err(be)?;
            }
            tx.commit().map_err(be)?;
        }
        let mut clients = vec![first];
        for _ in 1..pool_size.max(1) {
            clients.push(Client::connect(url, NoTls).map_err(be)?);
        }
        for c in &mut clients {
            c.batch_execute(&format!("SET search_path TO {schema}"))
                .map_err(be)?;
        }
        Ok(PgStore {
            pool: Mutex::new(clients),
            ready: Condvar::new(),
        })
    }

    /// Runs `f` with a pooled client.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let poisoned = || StoreError::Backend("postgres pool lock poisoned".into());
        let mut client = {
            let mut g = self.pool.lock().map_err(|_| poisoned())?;
            loop {
                if let Some(c) = g.pop() {
                    break c;
                }
                g = self.ready.wait(g).map_err(|_| poisoned())?;
            }
        };
        let r = f(&mut client);
        if !client.is_closed() {
            self.pool.lock().map_err(|_| poisoned())?.push(client);
        }
        self.ready.notify_one();
        r
    }

    /// Runs raw SQL (maintenance and tamper tests).
    pub fn execute_raw(&self, sql: &str) -> Result<(), StoreError> {
        self.with(|c| c.batch_execute(sql).map_err(be))
    }
}

fn put_keys(
    tx: &mut Transaction<'_>,
    kind: Kind,
    id: &str,
    unique: &[UniqueKey],
) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM uniques WHERE kind = $1 AND id = $2",
        &[&kind.as_str(), &id],
    )
    .map_err(be)?;
    for k in unique {
        if let Err(e) = tx.execute(
            "INSERT INTO uniques (ns, key, kind, id) VALUES ($1, $2, $3, $4)",
            &[&k.ns, &k.key, &kind.as_str(), &id],
        ) {
            return Err(match unique_violation(&e) {
                Some(_) => StoreError::DuplicateKey {
                    ns: k.ns.clone(),
                    key: k.key.clone(),
                },
                None => be(e),
            });
        }
    }
    Ok(())
}

fn version_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Store for PgStore {
    fn insert(
        &self,
        kind: Kind,
        id: &str,
        body: &str,
        unique: &[UniqueKey],
    ) -> Result<(), StoreError> {
        self.with(|c| {
            let mut tx = c.transaction().map_err(be)?;
            if let Err(e) = tx.execute(
                "INSERT INTO docs (kind, id, version, body) VALUES ($1, $2, 1, $3)",
                &[&kind.as_str(), &id, &body],
            ) {
                return Err(match unique_violation(&e) {
                    Some(_) => StoreError::DuplicateId {
                        kind,
                        id: id.to_owned(),
                    },
                    None => be(e),
                });
            }
            put_keys(&mut tx, kind, id, unique)?;
            tx.commit().map_err(be)
        })
    }

    fn get(&self, kind: Kind, id: &str) -> Result<Option<Record>, StoreError> {
        self.with(|c| {
            let row = c
                .query_opt(
                    "SELECT version, body FROM docs WHERE kind = $1 AND id = $2",
                    &[&kind.as_str(), &id],
                )
                .map_err(be)?;
            Ok(row.map(|r| Record {
                id: id.to_owned(),
                version: version_of(r.get(0)),
                body: r.get(1),
            }))
        })
    }

    fn update(
        &self,
        kind: Kind,
        id: &str,
        expected_version: u64,
        body: &str,
        unique: &[UniqueKey],
    ) -> Result<u64, StoreError> {
        let expected = i64::try_from(expected_version).map_err(be)?;
        self.with(|c| {
            let mut tx = c.transaction().map_err(be)?;
            let n = tx
                .execute(
                    "UPDATE docs SET version = version + 1, body = $1 WHERE kind = $2 AND id = $3 AND version = $4",
                    &[&body, &kind.as_str(), &id, &expected],
                )
                .map_err(be)?;
            if n == 0 {
                let exists = tx.query_opt("SELECT 1 FROM docs WHERE kind = $1 AND id = $2", &[&kind.as_str(), &id]).map_err(be)?;
                return Err(match exists {
                    None => StoreError::NotFound { kind, id: id.to_owned() },
                    Some(_) => StoreError::Conflict { kind, id: id.to_owned(), expected: expected_version },
                });
            }
            put_keys(&mut tx, kind, id, unique)?;
            tx.commit().map_err(be)?;
            Ok(expected_version + 1)
        })
    }

    fn list(&self, kind: Kind) -> Result<Vec<Record>, StoreError> {
        self.with(|c| {
            let rows = c
                .query(
                    "SELECT id, version, body FROM docs WHERE kind = $1 ORDER BY id COLLATE \"C\"",
                    &[&kind.as_str()],
                )
                .map_err(be)?;
            Ok(rows
                .into_iter()
                .map(|r| Record {
                    id: r.get(0),
                    version: version_of(r.get(1)),
                    body: r.get(2),
                })
                .collect())
        })
    }

    fn find_unique(&self, ns: &str, key: &str) -> Result<Option<(Kind, String)>, StoreError> {
        self.with(|c| {
            let row = c
                .query_opt(
                    "SELECT kind, id FROM uniques WHERE ns = $1 AND key = $2",
                    &[&ns, &key],
                )
                .map_err(be)?;
            match row {
                None => Ok(None),
                Some(r) => {
                    let k: String = r.get(0);
                    Ok(Some((
                        Kind::parse(&k).ok_or_else(|| be(format!("unknown kind {k}")))?,
                        r.get(1),
                    )))
                }
            }
        })
    }

    fn audit_append(&self, row: &AuditRow) -> Result<(), StoreError> {
        let seq = i64::try_from(row.seq).map_err(be)?;
        self.with(|c| {
            match c.execute(
                "INSERT INTO audit (seq, body, hash) VALUES ($1, $2, $3)",
                &[&seq, &row.body, &row.hash],
            ) {
                Ok(_) => Ok(()),
                Err(e) if unique_violation(&e).is_some() => Err(StoreError::AuditSeqTaken(row.seq)),
                Err(e) => Err(be(e)),
            }
        })
    }

    fn audit_rows(&self) -> Result<Vec<AuditRow>, StoreError> {
        self.with(|c| {
            let rows = c
                .query("SELECT seq, body, hash FROM audit ORDER BY seq", &[])
                .map_err(be)?;
            Ok(rows
                .into_iter()
                .map(|r| AuditRow {
                    seq: version_of(r.get(0)),
                    body: r.get(1),
                    hash: r.get(2),
                })
                .collect())
        })
    }

    fn audit_last(&self) -> Result<Option<AuditRow>, StoreError> {
        self.with(|c| {
            let row = c
                .query_opt(
                    "SELECT seq, body, hash FROM audit ORDER BY seq DESC LIMIT 1",
                    &[],
                )
                .map_err(be)?;
            Ok(row.map(|r| AuditRow {
                seq: version_of(r.get(0)),
                body: r.get(1),
                hash: r.get(2),
            }))
        })
    }
}

fn kv_row(r: &postgres::Row) -> KvEntry {
    KvEntry {
        id: r.get(0),
        owner: r.get(1),
        body: r.get(2),
        expires: r.get(3),
    }
}

const KV_LIVE: &str = "(expires IS NULL OR expires >= $3)";

impl ServerStore for PgStore {
    fn kv_insert(&self, ns: &str, e: &KvEntry, now: i64) -> Result<bool, StoreError> {
        self.with(|c| {
            let mut tx = c.transaction().map_err(be)?;
            tx.execute(
                "DELETE FROM srv_kv WHERE ns = $1 AND id = $2 AND expires IS NOT NULL AND expires < $3",
                &[&ns, &e.id, &now],
            )
            .map_err(be)?;
            let n = tx
                .execute(
                    "INSERT INTO srv_kv (ns, id, owner, body, expires) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ns, id) DO NOTHING",
                    &[&ns, &e.id, &e.owner, &e.body, &e.expires],
                )
                .map_err(be)?;
            tx.commit().map_err(be)?;
            Ok(n == 1)
        })
    }

    fn kv_put(&self, ns: &str, e: &KvEntry) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO srv_kv (ns, id, owner, body, expires) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (ns, id) DO UPDATE SET owner = excluded.owner, body = excluded.body, expires = excluded.expires",
                &[&ns, &e.id, &e.owner, &e.body, &e.expires],
            )
            .map(|_| ())
            .map_err(be)
        })
    }

    fn kv_get(&self, ns: &str, id: &str, now: i64) -> Result<Option<KvEntry>, StoreError> {
        self.with(|c| {
            c.query_opt(
                &format!("SELECT id, owner, body, expires FROM srv_kv WHERE ns = $1 AND id = $2 AND {KV_LIVE}"),
                &[&ns, &id, &now],
            )
            .map(|r| r.as_ref().map(kv_row))
            .map_err(be)
        })
    }

    fn kv_take(&self, ns: &str, id: &str, now: i64) -> Result<Option<KvEntry>, StoreError> {
        self.with(|c| {
            // DELETE … RETURNING: two concurrent takers cannot both get the entry.
            let r = c
                .query_opt(
                    "DELETE FROM srv_kv WHERE ns = $1 AND id = $2 RETURNING id, owner, body, expires",
                    &[&ns, &id],
                )
                .map_err(be)?;
            Ok(r.as_ref()
                .map(kv_row)
                .filter(|e| e.expires.is_none_or(|t| t >= now)))
        })
    }

    fn kv_delete(&self, ns: &str, id: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("DELETE FROM srv_kv WHERE ns = $1 AND id = $2", &[&ns, &id])
                .map(|_| ())
                .map_err(be)
        })
    }

    fn kv_list(&self, ns: &str, owner: &str, now: i64) -> Result<Vec<KvEntry>, StoreError> {
        self.with(|c| {
            c.query(
                &format!("SELECT id, owner, body, expires FROM srv_kv WHERE ns = $1 AND owner = $2 AND {KV_LIVE} ORDER BY id COLLATE \"C\""),
                &[&ns, &owner, &now],
            )
            .map(|rows| rows.iter().map(kv_row).collect())
            .map_err(be)
        })
    }

    fn kv_prune(&self, now: i64) -> Result<u64, StoreError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM srv_kv WHERE expires IS NOT NULL AND expires < $1",
                &[&now],
            )
            .map_err(be)
        })
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.with(|c| c.batch_execute("SELECT 1").map_err(be))
    }
}
