//! The platform at scale (issue 12): 1 000 000 signed-file records and 10 000 staff in one
//! unit, 100 000 approval-queue items; how long one page of a user's files, of a search and
//! of the approval queue takes through `Platform` (permission check, indexed query, page of
//! 50 decoded), on SQLite (file, WAL) and on PostgreSQL (a throwaway cluster, as the tests
//! start one, or `ESEAL_PG_URL`).
//!
//! Run: `cargo bench -p eseal-server --bench platform_scale [sqlite|postgres]` (release build;
//! minutes, most of it loading rows).
//! `ESEAL_SCALE_FILES` / `ESEAL_SCALE_STAFF` shrink the data for a quick look. The rows are
//! the platform's own documents (`Doc`: body, unique keys, index columns, tags). SQLite loads
//! them in batches of 10 000 through `Store::commit` (the platform's writes, without an audit
//! entry per row); PostgreSQL through `COPY` into the same columns the store's insert writes
//! (one INSERT per row would take half an hour here; the store's triggers keep `doc_counts`
//! as they do for the store's own writes). Then `ANALYZE` (SQLite) or `VACUUM ANALYZE`
//! (PostgreSQL: statistics and the visibility map index-only scans need), as autovacuum or a
//! deployment's maintenance keeps them. The queries are the platform's own.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use eseal::platform::audit::AuditMac;
use eseal::platform::conformance::{Fx, T0, id_number, phone};
use eseal::platform::*;
use eseal::platform::{Batch, Write};
use eseal_server::{PgStore, SqliteStore};

const BATCH: usize = 10_000;
const RUNS: usize = 30;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn insert<D: Doc>(d: &D) -> Write {
    Write::Insert {
        kind: D::KIND,
        id: d.id().to_owned(),
        body: serde_json::to_string(d).expect("json"),
        unique: d.uniques(),
        index: d.index(),
    }
}

/// How the rows get in.
enum Loader<'a> {
    Commit(&'a dyn Store, &'a AuditMac),
    /// `COPY` into the tables of this PostgreSQL schema.
    Copy(Box<std::cell::RefCell<postgres::Client>>, &'static str),
}

/// A CSV field ("" is NULL in PostgreSQL's CSV: text fields are always quoted).
fn csv(out: &mut String, v: &str) {
    out.push('"');
    out.push_str(&v.replace('"', "\"\""));
    out.push('"');
}

fn copy(l: &Loader<'_>, writes: Vec<Write>) {
    let Loader::Copy(client, schema) = l else {
        unreachable!()
    };
    let (mut docs, mut tags, mut uniques) = (String::new(), String::new(), String::new());
    for w in writes {
        let Write::Insert {
            kind,
            id,
            body,
            unique,
            index,
        } = w
        else {
            unreachable!("only inserts are loaded")
        };
        let k = kind.as_str();
        for f in [k, &id] {
            csv(&mut docs, f);
            docs.push(',');
        }
        docs.push_str("1,");
        for f in [
            &body,
            &index.unit,
            &index.owner,
            &index.status,
            &index.category,
            &index.name,
            &index.alt_name,
        ] {
            csv(&mut docs, f);
            docs.push(',');
        }
        docs.push_str(&format!("{},", index.time));
        if let Some(u) = index.until {
            docs.push_str(&u.to_string());
        }
        docs.push('\n');
        for t in &index.tags {
            for f in [k, t, &id, &index.unit, &index.status, &index.category] {
                csv(&mut tags, f);
                tags.push(',');
            }
            tags.push_str(&format!("{}\n", index.time));
        }
        for u in &unique {
            for (i, f) in [&u.ns, &u.key, k, &id].into_iter().enumerate() {
                if i > 0 {
                    uniques.push(',');
                }
                csv(&mut uniques, f);
            }
            uniques.push('\n');
        }
    }
    let mut c = client.borrow_mut();
    for (table, cols, data) in [
        (
            "docs",
            "kind, id, version, body, unit, owner, status, category, name, alt_name, time, until",
            docs,
        ),
        ("tags", "kind, tag, id, unit, status, category, time", tags),
        ("uniques", "ns, key, kind, id", uniques),
    ] {
        if data.is_empty() {
            continue;
        }
        use std::io::Write as _;
        let mut w = c
            .copy_in(&format!(
                "COPY {schema}.{table} ({cols}) FROM STDIN WITH (FORMAT csv)"
            ))
            .expect("copy");
        w.write_all(data.as_bytes()).expect("copy rows");
        w.finish().expect("copy end");
    }
}

fn load(l: &Loader<'_>, writes: impl Iterator<Item = Write>) {
    if let Loader::Copy(..) = l {
        let mut batch = Vec::with_capacity(BATCH);
        for w in writes {
            batch.push(w);
            if batch.len() == BATCH {
                copy(l, std::mem::take(&mut batch));
            }
        }
        if !batch.is_empty() {
            copy(l, batch);
        }
        return;
    }
    let Loader::Commit(st, mac) = l else {
        unreachable!()
    };
    let (st, mac) = (*st, *mac);
    let mut batch = Vec::with_capacity(BATCH);
    let flush = |b: &mut Vec<Write>| {
        if !b.is_empty() {
            st.commit(
                &Batch {
                    writes: std::mem::take(b),
                    audit: vec![],
                },
                mac,
            )
            .expect("load batch");
        }
    };
    for w in writes {
        batch.push(w);
        if batch.len() == BATCH {
            flush(&mut batch);
        }
    }
    flush(&mut batch);
}

fn session(unit: &str, staff: &str) -> Session {
    Session {
        identity: Identity::Staff {
            unit: unit.to_owned(),
            staff: staff.to_owned(),
            via_ukey: false,
        },
        ip: "10.0.0.1".into(),
    }
}

/// Median and worst of [`RUNS`] runs (after three warm-ups), milliseconds.
fn time<T>(mut f: impl FnMut() -> T) -> (f64, f64) {
    for _ in 0..3 {
        std::hint::black_box(f());
    }
    let mut d: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    d.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    (ms(d[RUNS / 2]), ms(d[RUNS - 1]))
}

fn run(db: &str, store: Arc<dyn Store>, bulk: Option<Loader<'_>>, analyze: impl FnOnce()) {
    let n_staff = env("ESEAL_SCALE_STAFF", 10_000);
    let n_files = env("ESEAL_SCALE_FILES", 1_000_000);
    let n_queue = n_files / 10;
    let f = Fx::new(store.clone());
    let p = &f.p;
    let mac = f.mac();
    let unit = p.unit(&f.admin).expect("unit").id;
    let commit = Loader::Commit(store.as_ref(), &mac);
    let loader = bulk.as_ref().unwrap_or(&commit);
    let t = Instant::now();
    let staff: Vec<Staff> = (0..n_staff)
        .map(|i| Staff {
            id: format!("s{i:06}"),
            unit: unit.clone(),
            name: format!("员工{i}"),
            phone: phone(10_000 + i as u32),
            id_number: id_number(10_000 + i as u32),
            initial: 'Y',
            resigned: false,
            removed: false,
            roles: vec![],
            avatar: None,
            created: T0,
        })
        .collect();
    load(loader, staff.iter().map(insert));
    load(
        loader,
        (0..n_files).map(|i| {
            let s = &staff[i % n_staff];
            insert(&FileRecord {
                id: format!("f{i:08}"),
                unit: unit.clone(),
                name: format!("合同{i}.pdf"),
                pages: 3,
                signer: s.id.clone(),
                signer_name: s.name.clone(),
                seals: vec!["测试单位A合同专用章".into()],
                time: T0 + i as i64,
                format: FileFormat::Pdf,
                size: 120_000,
                thumbnail: None,
                deleted: false,
            })
        }),
    );
    // Each of the first 100 staff confirms 1 % of the queue.
    load(
        loader,
        (0..n_queue).map(|i| {
            insert(&QueueItem {
                id: format!("q{i:08}"),
                unit: unit.clone(),
                grant: "g1".into(),
                seal: "seal1".into(),
                seal_name: "测试单位A合同专用章".into(),
                app: "app1".into(),
                app_name: "业务系统".into(),
                file_name: format!("申请{i}.pdf"),
                file_type: if i % 2 == 0 {
                    FileFormat::Pdf
                } else {
                    FileFormat::Ofd
                },
                pages: 2,
                time: T0 + i as i64,
                status: if i % 5 == 0 {
                    QueueStatus::Pending
                } else {
                    QueueStatus::Approved
                },
                confirmers: vec![staff[i % 100.min(n_staff)].id.clone()],
                decided_by: None,
                decided_at: None,
            })
        }),
    );
    analyze();
    let loaded = t.elapsed();
    let user = session(&unit, &staff[7].id);
    let confirmer = session(&unit, &staff[3].id);
    let files_each = n_files / n_staff;
    let rows: Vec<(String, (f64, f64))> = vec![
        (
            format!("a user's files, page 1 (50 of {files_each})"),
            time(|| {
                p.list_files(&user, &FileQuery::default())
                    .expect("files")
                    .items
                    .len()
            }),
        ),
        (
            "a user's files, last page".to_owned(),
            time(|| {
                let q = FileQuery {
                    page: files_each.div_ceil(50),
                    ..Default::default()
                };
                p.list_files(&user, &q).expect("files").items.len()
            }),
        ),
        (
            "a user's files, search by name".into(),
            time(|| {
                let q = FileQuery {
                    text: Some("合同1".into()),
                    page: 1,
                };
                p.list_files(&user, &q).expect("files").items.len()
            }),
        ),
        (
            format!(
                "approval queue, page 1 (50 of {} for the confirmer)",
                n_queue / 100
            ),
            time(|| {
                p.queue(&confirmer, &QueueFilter::default(), 1)
                    .expect("queue")
                    .items
                    .len()
            }),
        ),
        (
            "approval queue, pending PDF, page 2".into(),
            time(|| {
                let q = QueueFilter {
                    status: Some(QueueStatus::Pending),
                    file_type: Some(FileFormat::Pdf),
                    ..Default::default()
                };
                p.queue(&confirmer, &q, 2).expect("queue").items.len()
            }),
        ),
        (
            "staff search by phone".into(),
            time(|| {
                let q = StaffQuery {
                    text: Some(phone(10_000 + 4242 % n_staff as u32)),
                    ..Default::default()
                };
                p.search_staff(&f.admin, &q).expect("staff").items.len()
            }),
        ),
        (
            format!("the unit's files (unit UKey), page 1 (50 of {n_files})"),
            time(|| {
                p.list_files(&f.admin, &FileQuery::default())
                    .expect("files")
                    .items
                    .len()
            }),
        ),
    ];
    println!(
        "\n{db}: {n_files} file records, {n_staff} staff, {n_queue} queue items (loaded in {:.0} s)",
        loaded.as_secs_f64()
    );
    println!("| {db} | median ms | worst of {RUNS} ms |\n| --- | ---: | ---: |");
    for (what, (med, worst)) in rows {
        println!("| {what} | {med:.2} | {worst:.2} |");
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument picks one database.
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let want = |db: &str| only.as_deref().is_none_or(|o| o == db);
    if want("sqlite") {
        let dir = std::env::temp_dir().join(format!("eseal-scale-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("scale.db");
        let store = SqliteStore::open(&path).expect("sqlite");
        run("SQLite", Arc::new(store), None, || {
            rusqlite::Connection::open(&path)
                .and_then(|c| c.execute_batch("ANALYZE"))
                .expect("analyze");
        });
        let _ = std::fs::remove_dir_all(&dir);
    }
    if want("postgres")
        && let Some((url, _cluster)) = common::postgres("platform_scale")
    {
        let store = PgStore::connect(&url, "scale", 4).expect("postgres");
        let client = || postgres::Client::connect(&url, postgres::NoTls).expect("client");
        let bulk = Loader::Copy(Box::new(std::cell::RefCell::new(client())), "scale");
        run("PostgreSQL", Arc::new(store), Some(bulk), || {
            // One statement each: VACUUM does not run in the implicit transaction of a batch.
            let mut c = client();
            for t in ["docs", "tags", "uniques", "doc_counts"] {
                c.batch_execute(&format!("VACUUM ANALYZE scale.{t}"))
                    .expect("vacuum analyze");
            }
        });
    }
}
