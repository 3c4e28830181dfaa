//! Signings cut short: a server killed, or a store that failed, in the middle of a signing.
//!
//! A signing of a document writes in this order (see `docs/server.md`, "Signing never loses
//! data"):
//!
//! 1. the **sign lock** of the document (a `sign_lock` entry naming this process);
//! 2. the signed file, written atomically and synced under its file record's name,
//!    `signed-<record>.<ext>`, beside the current version (never over it);
//! 3. the **journal**: the signed version (record id, size, SM3, seals) written into the lock;
//! 4. the platform's batch: the file record, the seals' uses and the audit entry, in one
//!    store transaction;
//! 5. the document record pointing at the new version; then the superseded signed file and
//!    the lock are removed.
//!
//! A lock still present whose process is gone is **repaired** by [`repair`], at start-up and
//! every minute: if the journal's file record was committed (step 4 happened) the signing is
//! completed (the document points at the new file); otherwise it is rolled back (the new file,
//! if any, removed). Either way every `signed-*` file of the document that its record does not
//! name is removed, then the lock. A record is never removed: it is in the audit chain.
//!
//! A process is gone when it is this process and no signing of it holds the lock any more (a
//! store write that failed after step 2), or it ran on this machine and its process id is no
//! longer that process (`/proc`), or it ran elsewhere and has not refreshed its heartbeat for
//! [`STALE_AFTER`] seconds. Several servers may repair one lock at once: the steps are the
//! same on each, and the lock is removed only while it is still the one judged stale. (Left
//! open: a server that checked the lock just before another removed it, and a new signing
//! kept its file just then, could remove that new file — milliseconds, several servers.)

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::documents::{self, SignedVersion};
use crate::error::ApiResult;
use crate::kv::{KvEntry, ns};
use crate::state::Inner;

/// A process whose heartbeat is older than this (seconds) is taken as gone (other machines).
pub const STALE_AFTER: i64 = 600;

/// This process: `host/boot id/pid namespace/pid/start time` on Linux; a process that reads
/// the same first three parts can tell whether the fourth is still the fifth.
pub fn instance_id() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().replace('/', "_"))
            .unwrap_or_default()
    };
    let pidns = std::fs::read_link("/proc/self/ns/pid")
        .map(|p| p.display().to_string().replace('/', "_"))
        .unwrap_or_default();
    let pid = std::process::id();
    format!(
        "{}/{}/{}/{pid}/{}",
        read("/proc/sys/kernel/hostname"),
        read("/proc/sys/kernel/random/boot_id"),
        pidns,
        start_time(pid).unwrap_or_default()
    )
}

/// Field 22 of `/proc/PID/stat`: when the process started (clock ticks since boot).
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(19).map(str::to_owned)
}

/// What this process knows of the locks it holds: by document, how many of its threads
/// hold or are taking the lock (counted from before the lock's row is written, so the repair
/// never takes a lock being taken for a lock left behind).
#[derive(Default)]
pub struct Locks {
    pub instance: String,
    held: Mutex<HashMap<String, usize>>,
}

impl Locks {
    pub fn new() -> Locks {
        Locks {
            instance: instance_id(),
            held: Mutex::default(),
        }
    }
    pub fn hold(&self, doc: &str) {
        if let Ok(mut h) = self.held.lock() {
            *h.entry(doc.to_owned()).or_default() += 1;
        }
    }
    pub fn release(&self, doc: &str) {
        if let Ok(mut h) = self.held.lock()
            && let Some(n) = h.get_mut(doc)
        {
            *n -= 1;
            if *n == 0 {
                h.remove(doc);
            }
        }
    }
    /// Claims `doc` for its repair when no thread of this process holds it: a signing that
    /// starts meanwhile then finds the lock taken. Released with [`Locks::release`].
    fn claim(&self, doc: &str) -> bool {
        match self.held.lock() {
            Ok(mut h) if !h.contains_key(doc) => {
                h.insert(doc.to_owned(), 1);
                true
            }
            _ => false,
        }
    }
}

/// The body of a sign lock: its process and, once the signed file is kept, the version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockBody {
    pub instance: String,
    #[serde(default)]
    pub version: Option<SignedVersion>,
}

/// Refreshes this process's heartbeat (other machines judge its locks by it).
pub fn heartbeat(s: &Inner) -> ApiResult<()> {
    let now = s.clock.now();
    s.db.kv_put(
        ns::INSTANCE,
        &KvEntry {
            id: s.locks.instance.clone(),
            owner: String::new(),
            body: String::new(),
            expires: Some(now + STALE_AFTER),
        },
    )?;
    Ok(())
}

/// Whether the process `instance` is gone (see the module docs).
fn gone(s: &Inner, instance: &str) -> ApiResult<bool> {
    if instance == s.locks.instance {
        return Ok(false);
    }
    let mine: Vec<&str> = s.locks.instance.split('/').collect();
    let theirs: Vec<&str> = instance.split('/').collect();
    if mine.len() == 5 && theirs.len() == 5 && !mine[0].is_empty() && mine[0] == theirs[0] {
        if mine[1] != theirs[1] && !mine[1].is_empty() {
            return Ok(true); // this machine has rebooted since
        }
        if mine[2] == theirs[2] && !mine[2].is_empty() {
            let pid: u32 = theirs[3].parse().unwrap_or(0);
            return Ok(start_time(pid).as_deref() != Some(theirs[4]));
        }
    }
    Ok(s.db
        .kv_get(ns::INSTANCE, instance, s.clock.now())?
        .is_none())
}

/// Completes or rolls back every signing cut short (see the module docs); returns how many.
pub fn repair(s: &Inner) -> ApiResult<usize> {
    let mut n = 0;
    for e in s.db.kv_list(ns::SIGN_LOCK, "", s.clock.now())? {
        let body: LockBody = serde_json::from_str(&e.body).unwrap_or(LockBody {
            instance: String::new(),
            version: None,
        });
        let stale = body.instance != s.locks.instance && gone(s, &body.instance)?;
        // Ours and held by no thread of ours: a signing whose store write failed. Claimed in
        // process, then read again: still the same lock, so no signing finished in between.
        let abandoned = body.instance == s.locks.instance && s.locks.claim(&e.id);
        if !(stale || abandoned) {
            continue;
        }
        let r = match s.db.kv_get(ns::SIGN_LOCK, &e.id, s.clock.now()) {
            Ok(Some(now)) if now.body == e.body => repair_one(s, &e, &body).map(|()| 1),
            Ok(_) => Ok(0),
            Err(err) => Err(err.into()),
        };
        if abandoned {
            s.locks.release(&e.id);
        }
        n += r?;
    }
    Ok(n)
}

fn repair_one(s: &Inner, lock: &KvEntry, body: &LockBody) -> ApiResult<()> {
    let mut d = match documents::load(s, &lock.id) {
        Ok(d) => d,
        Err(e) if e.status == axum::http::StatusCode::NOT_FOUND => {
            // The document was deleted: nothing to complete.
            s.db.kv_delete(ns::SIGN_LOCK, &lock.id)?;
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let mut outcome = "rolled back";
    if let Some(v) = &body.version {
        let newer = d.signed.as_ref().map(|c| &c.file_record) != Some(&v.file_record);
        if newer && s.platform.committed_file(&v.file_record)?.is_some() {
            if documents::signed_file(s, &d, &v.file_record).exists() {
                d.signed = Some(v.clone());
                documents::save(s, &d)?;
                outcome = "completed";
            } else {
                tracing::error!(document = %d.id, record = %v.file_record,
                    "a committed signing's file is missing: the record stays (audit), the document keeps its version");
            }
        }
    }
    documents::remove_stale_versions(s, &d);
    // Removed only if it is still the lock judged stale (another repairer may have done it).
    if s.db
        .kv_get(ns::SIGN_LOCK, &lock.id, s.clock.now())?
        .is_some_and(|now| now.body == lock.body)
    {
        s.db.kv_delete(ns::SIGN_LOCK, &lock.id)?;
    }
    tracing::warn!(document = %d.id, outcome, "repaired a signing cut short");
    Ok(())
}

/// Test hook: with `ESEAL_TEST_PAUSE_AT=<point>` the signing stops at that point (logging
/// `paused at <point>`) so that a test can kill the process there. Points: `file` (signed
/// file kept), `journal` (journal written), `commit` (platform batch committed). Unset in
/// production: a no-op.
pub fn pause_point(point: &str) {
    if std::env::var("ESEAL_TEST_PAUSE_AT").is_ok_and(|p| p == point) {
        tracing::warn!(point, "paused at {point}");
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
