//! PostgreSQL implementation of [`eseal::platform::Store`] (deployments that outgrow one
//! machine).
//!
//! A small pool of synchronous `postgres` clients; every commit is one READ COMMITTED
//! transaction. Compare-and-set is `UPDATE … WHERE version = $expected` (a concurrent writer
//! waits on the row lock, then finds the version moved and gets `Conflict`); a version check
//! is `SELECT … FOR SHARE` (two signers of one seal share the lock, a revocation waits for
//! them or they see it); counters are upserts in their own rows; uniqueness is the primary
//! keys of `docs` and `uniques`. Audit entries of one chain are serialised by a transaction
//! advisory lock on the chain (units do not wait for each other). The schema is created and
//! migrated on connect under an advisory lock; the audit tables refuse UPDATE and DELETE by
//! trigger. All tables live in one schema (default `eseal`), so several platforms can share a
//! database.

use std::sync::{Condvar, Mutex};

use eseal::platform::audit::{AuditEntry, AuditMac, Outcome};
use eseal::platform::store::link_entry;
use eseal::platform::{
    AuditQuery, Batch, Found, Index, Kind, Query, Record, Store, StoreError, UniqueKey, Write,
};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Transaction};

use crate::kv::{KvEntry, ServerStore};
use crate::sql::{self, Param};

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
    // 2: index columns, tags, counters, one audit chain per unit (the single chain of
    //    version 1 is kept, read-only, as audit_v1)
    "ALTER TABLE docs ADD COLUMN unit TEXT NOT NULL DEFAULT '',
        ADD COLUMN owner TEXT NOT NULL DEFAULT '',
        ADD COLUMN status TEXT NOT NULL DEFAULT '',
        ADD COLUMN category TEXT NOT NULL DEFAULT '',
        ADD COLUMN name TEXT NOT NULL DEFAULT '',
        ADD COLUMN alt_name TEXT NOT NULL DEFAULT '',
        ADD COLUMN time BIGINT NOT NULL DEFAULT 0,
        ADD COLUMN until BIGINT;
    CREATE INDEX docs_unit_time ON docs (kind, unit, time DESC, id COLLATE \"C\" DESC);
    CREATE INDEX docs_owner_time ON docs (kind, owner, time DESC, id COLLATE \"C\" DESC);
    CREATE INDEX docs_unit_name ON docs (kind, unit, category COLLATE \"C\", name COLLATE \"C\", id COLLATE \"C\");
    CREATE INDEX docs_until ON docs (kind, until) WHERE until IS NOT NULL;
    CREATE TABLE tags (
        kind TEXT NOT NULL,
        tag TEXT NOT NULL,
        id TEXT NOT NULL,
        time BIGINT NOT NULL,
        CONSTRAINT tags_pkey PRIMARY KEY (kind, tag, id)
    );
    CREATE INDEX tags_time ON tags (kind, tag, time DESC, id COLLATE \"C\" DESC);
    CREATE INDEX tags_doc ON tags (kind, id);
    CREATE TABLE counters (name TEXT NOT NULL CONSTRAINT counters_pkey PRIMARY KEY, value BIGINT NOT NULL);
    ALTER TABLE audit RENAME TO audit_v1;
    CREATE TABLE audit (
        chain TEXT NOT NULL,
        seq BIGINT NOT NULL,
        prev TEXT NOT NULL,
        time BIGINT NOT NULL,
        actor TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        action TEXT NOT NULL,
        object TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL,
        ip TEXT NOT NULL,
        mac TEXT NOT NULL,
        CONSTRAINT audit_chain_pkey PRIMARY KEY (chain, seq)
    );
    CREATE INDEX audit_time ON audit (chain, time);
    CREATE TRIGGER audit_chain_no_change BEFORE UPDATE OR DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION audit_append_only();",
    // 3: the server's own state (crate::kv)
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
    // 4: indexes built for the pages of issue 12 (as SQLite's migration 4; see crate::sql)
    "ALTER TABLE tags ADD COLUMN unit TEXT NOT NULL DEFAULT '',
        ADD COLUMN status TEXT NOT NULL DEFAULT '',
        ADD COLUMN category TEXT NOT NULL DEFAULT '';
    UPDATE tags t SET unit = d.unit, status = d.status, category = d.category
        FROM docs d WHERE d.kind = t.kind AND d.id = t.id;
    CREATE INDEX tags_filter ON tags (kind, tag, unit, status, category, time DESC, id COLLATE \"C\" DESC);
    DROP INDEX docs_unit_name;
    CREATE INDEX docs_unit_name ON docs (kind, unit, category COLLATE \"C\", name COLLATE \"C\", id COLLATE \"C\")
        INCLUDE (status, alt_name);
    CREATE TABLE doc_counts (
        kind TEXT NOT NULL,
        unit TEXT NOT NULL,
        owner TEXT NOT NULL,
        status TEXT NOT NULL,
        n BIGINT NOT NULL,
        CONSTRAINT doc_counts_pkey PRIMARY KEY (kind, unit, owner, status)
    );
    INSERT INTO doc_counts (kind, unit, owner, status, n)
        SELECT kind, unit, owner, status, COUNT(*) FROM docs GROUP BY kind, unit, owner, status;
    CREATE FUNCTION doc_counts_keep() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE doc_counts SET n = n - 1 WHERE kind = OLD.kind AND unit = OLD.unit
                AND owner = OLD.owner AND status = OLD.status;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
            INSERT INTO doc_counts (kind, unit, owner, status, n)
                VALUES (NEW.kind, NEW.unit, NEW.owner, NEW.status, 1)
                ON CONFLICT (kind, unit, owner, status) DO UPDATE SET n = doc_counts.n + 1;
        END IF;
        RETURN NULL;
    END $$;
    CREATE TRIGGER doc_counts_insert_delete AFTER INSERT OR DELETE ON docs
        FOR EACH ROW EXECUTE FUNCTION doc_counts_keep();
    CREATE TRIGGER doc_counts_update AFTER UPDATE ON docs FOR EACH ROW
        WHEN (OLD.kind <> NEW.kind OR OLD.unit <> NEW.unit OR OLD.owner <> NEW.owner
            OR OLD.status <> NEW.status)
        EXECUTE FUNCTION doc_counts_keep();",
];

/// A fixed number of connection slots. A slot whose connection broke (the database restarted
/// or went away) is empty until its next use connects again: a request while the database is
/// down fails with `StoreError::Backend` (503 over HTTP) and the store recovers by itself.
pub struct PgStore {
    pool: Mutex<Vec<Option<Client>>>,
    ready: Condvar,
    url: String,
    schema: String,
}

/// A new connection using `schema`.
fn open_client(url: &str, schema: &str) -> Result<Client, StoreError> {
    let mut c = Client::connect(url, NoTls).map_err(be)?;
    c.batch_execute(&format!("SET search_path TO {schema}"))
        .map_err(be)?;
    Ok(c)
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

fn u(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(be)
}

/// The parameters of a built query as `postgres` wants them.
fn pg_params(ps: &[Param]) -> Vec<Box<dyn ToSql + Sync>> {
    ps.iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                Param::Text(s) => Box::new(s.clone()),
                Param::Int(v) => Box::new(*v),
            }
        })
        .collect()
}

fn refs(ps: &[Box<dyn ToSql + Sync>]) -> Vec<&(dyn ToSql + Sync)> {
    ps.iter().map(|b| b.as_ref()).collect()
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
            for (n, m) in MIGRATIONS.iter().enumerate().skip(applied) {
                tx.batch_execute(m).map_err(|e| {
                    let why = e
                        .as_db_error()
                        .map_or(e.to_string(), |d| d.message().to_owned());
                    be(format!("migration {}: {why}", n + 1))
                })?;
                let v = i32::try_from(n + 1).map_err(be)?;
                tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[&v])
                    .map_err(be)?;
            }
            tx.commit().map_err(be)?;
        }
        first
            .batch_execute(&format!("SET search_path TO {schema}"))
            .map_err(be)?;
        let mut clients = vec![Some(first)];
        for _ in 1..pool_size.max(1) {
            clients.push(Some(open_client(url, schema)?));
        }
        Ok(PgStore {
            pool: Mutex::new(clients),
            ready: Condvar::new(),
            url: url.to_owned(),
            schema: schema.to_owned(),
        })
    }

    /// Runs `f` with a pooled client.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let poisoned = || StoreError::Backend("postgres pool lock poisoned".into());
        let slot = {
            let mut g = self.pool.lock().map_err(|_| poisoned())?;
            loop {
                if let Some(c) = g.pop() {
                    break c;
                }
                g = self.ready.wait(g).map_err(|_| poisoned())?;
            }
        };
        let slot = slot.filter(|c| !c.is_closed());
        let (r, slot) = match slot.map_or_else(|| open_client(&self.url, &self.schema), Ok) {
            Ok(mut client) => {
                let r = f(&mut client);
                (r, Some(client).filter(|c| !c.is_closed()))
            }
            Err(e) => (Err(e), None),
        };
        // The slot goes back, empty when its connection broke: the pool keeps its size.
        self.pool.lock().map_err(|_| poisoned())?.push(slot);
        self.ready.notify_one();
        r
    }

    /// Runs raw SQL (maintenance and tamper tests).
    pub fn execute_raw(&self, sql: &str) -> Result<(), StoreError> {
        self.with(|c| c.batch_execute(sql).map_err(be))
    }

    /// Bulk loading (benchmarks, imports): applies `batches` in one transaction each, without
    /// audit entries.
    pub fn load(&self, batches: &[Batch]) -> Result<(), StoreError> {
        self.with(|c| {
            for b in batches {
                let mut tx = c.transaction().map_err(be)?;
                for w in &b.writes {
                    apply(&mut tx, w)?;
                }
                tx.commit().map_err(be)?;
            }
            Ok(())
        })
    }
}

fn version_of(
    tx: &mut Transaction<'_>,
    kind: Kind,
    id: &str,
    share: bool,
) -> Result<Option<u64>, StoreError> {
    let q = if share {
        "SELECT version FROM docs WHERE kind = $1 AND id = $2 FOR SHARE"
    } else {
        "SELECT version FROM docs WHERE kind = $1 AND id = $2"
    };
    Ok(tx
        .query_opt(q, &[&kind.as_str(), &id])
        .map_err(be)?
        .map(|r| u(r.get(0))))
}

fn missing_or_conflict(
    tx: &mut Transaction<'_>,
    kind: Kind,
    id: &str,
    expected: u64,
) -> StoreError {
    match version_of(tx, kind, id, false) {
        Ok(None) => StoreError::NotFound {
            kind,
            id: id.to_owned(),
        },
        Ok(Some(_)) => StoreError::Conflict {
            kind,
            id: id.to_owned(),
            expected,
        },
        Err(e) => e,
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

fn set_index(tx: &mut Transaction<'_>, kind: Kind, id: &str, ix: &Index) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE docs SET unit = $3, owner = $4, status = $5, category = $6, name = $7,
            alt_name = $8, time = $9, until = $10 WHERE kind = $1 AND id = $2",
        &[
            &kind.as_str(),
            &id,
            &ix.unit,
            &ix.owner,
            &ix.status,
            &ix.category,
            &ix.name,
            &ix.alt_name,
            &ix.time,
            &ix.until,
        ],
    )
    .map_err(be)?;
    tx.execute(
        "DELETE FROM tags WHERE kind = $1 AND id = $2",
        &[&kind.as_str(), &id],
    )
    .map_err(be)?;
    for t in &ix.tags {
        tx.execute(
            "INSERT INTO tags (kind, tag, id, time, unit, status, category)
                VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            &[
                &kind.as_str(),
                t,
                &id,
                &ix.time,
                &ix.unit,
                &ix.status,
                &ix.category,
            ],
        )
        .map_err(be)?;
    }
    Ok(())
}

fn delete_doc(tx: &mut Transaction<'_>, kind: Kind, id: &str) -> Result<(), StoreError> {
    for t in ["docs", "uniques", "tags"] {
        tx.execute(
            &format!("DELETE FROM {t} WHERE kind = $1 AND id = $2"),
            &[&kind.as_str(), &id],
        )
        .map_err(be)?;
    }
    Ok(())
}

fn apply(tx: &mut Transaction<'_>, w: &Write) -> Result<(), StoreError> {
    match w {
        Write::Insert {
            kind,
            id,
            body,
            unique,
            index,
        } => {
            if let Err(e) = tx.execute(
                "INSERT INTO docs (kind, id, version, body) VALUES ($1, $2, 1, $3)",
                &[&kind.as_str(), id, body],
            ) {
                return Err(match unique_violation(&e) {
                    Some(_) => StoreError::DuplicateId {
                        kind: *kind,
                        id: id.clone(),
                    },
                    None => be(e),
                });
            }
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
            let n = tx
                .execute(
                    "UPDATE docs SET version = version + 1, body = $1
                     WHERE kind = $2 AND id = $3 AND version = $4",
                    &[body, &kind.as_str(), id, &i(*expected)?],
                )
                .map_err(be)?;
            if n == 0 {
                return Err(missing_or_conflict(tx, *kind, id, *expected));
            }
            put_keys(tx, *kind, id, unique)?;
            set_index(tx, *kind, id, index)
        }
        Write::Check { kind, id, version } => match version_of(tx, *kind, id, true)? {
            None => Err(StoreError::NotFound {
                kind: *kind,
                id: id.clone(),
            }),
            Some(v) if v != *version => Err(StoreError::Conflict {
                kind: *kind,
                id: id.clone(),
                expected: *version,
            }),
            Some(_) => Ok(()),
        },
        Write::Delete { kind, id, expected } => {
            let n = tx
                .execute(
                    "DELETE FROM docs WHERE kind = $1 AND id = $2 AND version = $3",
                    &[&kind.as_str(), id, &i(*expected)?],
                )
                .map_err(be)?;
            if n == 0 {
                return Err(missing_or_conflict(tx, *kind, id, *expected));
            }
            delete_doc(tx, *kind, id)
        }
        Write::Count { name, delta, limit } => {
            let value: i64 = tx
                .query_one(
                    "INSERT INTO counters (name, value) VALUES ($1, $2)
                     ON CONFLICT (name) DO UPDATE SET value = counters.value + EXCLUDED.value
                     RETURNING value",
                    &[name, &i(*delta)?],
                )
                .map_err(be)?
                .get(0);
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

fn read_entry(r: &postgres::Row) -> AuditEntry {
    let kind: String = r.get(8);
    let reason: String = r.get(9);
    AuditEntry {
        chain: r.get(0),
        seq: u(r.get(1)),
        prev: r.get(2),
        time: r.get(3),
        actor: r.get(4),
        actor_name: r.get(5),
        action: r.get(6),
        object: r.get(7),
        outcome: Outcome::from_parts(&kind, &reason).unwrap_or(Outcome::Failed(format!(
            "unreadable outcome {kind:?}: {reason}"
        ))),
        ip: r.get(10),
        mac: r.get(11),
    }
}

fn append(tx: &mut Transaction<'_>, e: &AuditEntry, mac: &AuditMac) -> Result<(), StoreError> {
    // One writer per chain at a time (other units' chains are not held).
    tx.execute(
        "SELECT pg_advisory_xact_lock(7415002, hashtext($1))",
        &[&e.chain],
    )
    .map_err(be)?;
    let head = tx
        .query_opt(
            "SELECT seq, mac FROM audit WHERE chain = $1 ORDER BY seq DESC LIMIT 1",
            &[&e.chain],
        )
        .map_err(be)?
        .map(|r| (u(r.get(0)), r.get::<_, String>(1)));
    let mut e = e.clone();
    link_entry(&mut e, head.as_ref().map(|(s, m)| (*s, m.as_str())), mac);
    tx.execute(
        &format!(
            "INSERT INTO audit ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            sql::AUDIT_COLUMNS
        ),
        &[
            &e.chain,
            &i(e.seq)?,
            &e.prev,
            &e.time,
            &e.actor,
            &e.actor_name,
            &e.action,
            &e.object,
            &e.outcome.kind(),
            &e.outcome.reason(),
            &e.ip,
            &e.mac,
        ],
    )
    .map_err(be)?;
    Ok(())
}

impl Store for PgStore {
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
                version: u(r.get(0)),
                body: r.get(1),
            }))
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

    fn query(&self, q: &Query) -> Result<Found, StoreError> {
        let s = sql::select(q, true);
        let n = sql::count(q, true);
        self.with(|c| {
            let ps = pg_params(&s.params);
            let records = c
                .query(&s.text, &refs(&ps))
                .map_err(be)?
                .into_iter()
                .map(|r| Record {
                    id: r.get(0),
                    version: u(r.get(1)),
                    body: r.get(2),
                })
                .collect();
            let ps = pg_params(&n.params);
            let total: i64 = c.query_one(&n.text, &refs(&ps)).map_err(be)?.get(0);
            Ok(Found {
                records,
                total: u(total),
            })
        })
    }

    fn counter(&self, name: &str) -> Result<u64, StoreError> {
        self.with(|c| {
            Ok(
                c.query_opt("SELECT value FROM counters WHERE name = $1", &[&name])
                    .map_err(be)?
                    .map_or(0, |r| u(r.get(0))),
            )
        })
    }

    fn commit(&self, batch: &Batch, mac: &AuditMac) -> Result<(), StoreError> {
        self.with(|c| {
            let mut tx = c.transaction().map_err(be)?;
            for w in &batch.writes {
                apply(&mut tx, w)?;
            }
            for e in &batch.audit {
                append(&mut tx, e, mac)?;
            }
            tx.commit().map_err(be)
        })
    }

    fn prune(&self, kind: Kind, before: i64, limit: u32) -> Result<u64, StoreError> {
        self.with(|c| {
            let mut tx = c.transaction().map_err(be)?;
            let ids: Vec<String> = tx
                .query(
                    "SELECT id FROM docs WHERE kind = $1 AND until IS NOT NULL AND until < $2
                     LIMIT $3 FOR UPDATE SKIP LOCKED",
                    &[&kind.as_str(), &before, &i64::from(limit)],
                )
                .map_err(be)?
                .into_iter()
                .map(|r| r.get(0))
                .collect();
            for id in &ids {
                delete_doc(&mut tx, kind, id)?;
            }
            tx.commit().map_err(be)?;
            Ok(ids.len() as u64)
        })
    }

    fn audit_query(&self, q: &AuditQuery) -> Result<(Vec<AuditEntry>, u64), StoreError> {
        let s = sql::audit_select(q, true);
        let n = sql::audit_count(q, true);
        self.with(|c| {
            let ps = pg_params(&s.params);
            let rows = c
                .query(&s.text, &refs(&ps))
                .map_err(be)?
                .iter()
                .map(read_entry)
                .collect();
            let ps = pg_params(&n.params);
            let total: i64 = c.query_one(&n.text, &refs(&ps)).map_err(be)?.get(0);
            Ok((rows, u(total)))
        })
    }

    fn audit_range(
        &self,
        chain: &str,
        from: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let from = i(from)?;
        let limit = i64::from(limit.min(eseal::platform::store::MAX_PAGE));
        self.with(|c| {
            Ok(c.query(
                &format!(
                    "SELECT {} FROM audit WHERE chain = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
                    sql::AUDIT_COLUMNS
                ),
                &[&chain, &from, &limit],
            )
            .map_err(be)?
            .iter()
            .map(read_entry)
            .collect())
        })
    }

    fn audit_heads(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.with(|c| {
            Ok(c.query(
                &format!(
                    "SELECT DISTINCT ON (chain COLLATE \"C\") {} FROM audit
                     ORDER BY chain COLLATE \"C\", seq DESC",
                    sql::AUDIT_COLUMNS
                ),
                &[],
            )
            .map_err(be)?
            .iter()
            .map(read_entry)
            .collect())
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
