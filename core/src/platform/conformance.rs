//! The ONE conformance suite every [`Store`] must pass: the store contract and the races
//! (two approvals of one queue item, two receipts of one seal, revocation racing signing, two
//! units adding the same phone), plus the fixture ([`Fx`]) the business-rule tests in
//! `core/tests/platform_rules/` build on.
//!
//! Use: `eseal::platform::conformance::run_all(&|| Arc::new(MyStore::fresh()) as Arc<dyn Store>)`
//! (enable the `conformance` feature). Each case gets a fresh store; failures of all cases
//! are collected and reported together.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Barrier};

use super::audit::{AuditFilter, ChainError, Outcome, verify_chain};
use super::openapi::{OpenApiHeaders, request_signature};
use super::perm::Role;
use super::*;
use crate::crypto::sm2;

/// Makes a fresh, empty store.
pub type MakeStore<'a> = &'a (dyn Fn() -> Arc<dyn Store> + Sync);

/// One case of the suite.
pub type Case = fn(Arc<dyn Store>);

/// Every case, by name.
pub const CASES: &[(&str, Case)] = &[
    ("store_contract", store_contract),
    ("audit_chain", audit_chain),
    ("race_two_approvals", race_two_approvals),
    ("race_two_receipts", race_two_receipts),
    ("race_revocation_vs_signing", race_revocation_vs_signing),
    ("race_same_phone", race_same_phone),
];

/// Runs every case on fresh stores; panics with the list of failed cases.
pub fn run_all(make: MakeStore<'_>) {
    run_cases(CASES, make);
}

/// Runs `cases`, each on a fresh store from `make`; panics with the list of failed cases.
pub fn run_cases(cases: &[(&str, Case)], make: MakeStore<'_>) {
    let mut failed = Vec::new();
    for (name, case) in cases {
        let store = make();
        if let Err(e) = catch_unwind(AssertUnwindSafe(|| case(store))) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failed.push(format!("{name}: {msg}"));
        }
    }
    assert!(
        failed.is_empty(),
        "conformance cases failed:\n{}",
        failed.join("\n")
    );
}

// ------------------------------------------------------------------ fixture

pub struct Fx {
    pub p: Platform,
    pub clock: Arc<FixedClock>,
    pub sms: Arc<DevSmsSender>,
    /// The super administrator (first unit UKey) of unit A.
    pub admin: Session,
    pub ops: Session,
    n: std::sync::atomic::AtomicU32,
}

pub const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// A valid 18-character ID number for `n`.
pub fn id_number(n: u32) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!("110105{:04}0101{:03}", 1950 + (n / 1000) % 60, n % 1000);
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let c = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{c}")
}

pub fn phone(n: u32) -> String {
    format!("139{:08}", n)
}

/// A unified social credit code for `n` (18 characters).
pub fn credit_code(n: u32) -> String {
    format!("91310000{:09}X", n)
}

impl Fx {
    pub fn new(store: Arc<dyn Store>) -> Fx {
        let clock = Arc::new(FixedClock::new(T0));
        let sms = Arc::new(DevSmsSender::new());
        let p = Platform::new(
            store,
            clock.clone(),
            sms.clone(),
            Arc::new(MemoryKeyVault::new()),
        );
        let admin = p
            .login_unit_key(
                "测试单位A",
                &credit_code(1),
                "A1",
                "CN=A",
                "devA1",
                "10.0.0.1",
            )
            .expect("unit login");
        p.apply_unit_cert(
            &admin,
            "经办人",
            &id_number(999),
            "13900000999",
            "a@b.cn",
            true,
        )
        .expect("cert");
        let ops = Session::operator("ops", "10.0.0.9");
        Fx {
            p,
            clock,
            sms,
            admin,
            ops,
            n: std::sync::atomic::AtomicU32::new(100),
        }
    }

    pub fn next(&self) -> u32 {
        self.n.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    }

    /// Adds staff with roles in the admin's unit; returns (staff, account session).
    pub fn staff(&self, name: &str, roles: &[Role]) -> (Staff, Session) {
        self.staff_in(&self.admin, name, roles)
    }

    pub fn staff_in(&self, admin: &Session, name: &str, roles: &[Role]) -> (Staff, Session) {
        let n = self.next();
        let s = self
            .p
            .add_staff(admin, name, &phone(n), &id_number(n))
            .expect("add staff");
        for r in roles {
            self.p.grant_role(admin, &s.id, *r).expect("grant role");
        }
        let sess = Session {
            identity: Identity::Staff {
                unit: s.unit.clone(),
                staff: s.id.clone(),
                via_ukey: false,
            },
            ip: "10.0.1.1".into(),
        };
        (s, sess)
    }

    pub fn ukey_session(s: &Staff, ip: &str) -> Session {
        Session {
            identity: Identity::Staff {
                unit: s.unit.clone(),
                staff: s.id.clone(),
                via_ukey: true,
            },
            ip: ip.into(),
        }
    }

    pub fn application(&self, kind: SealKind, name: &str) -> SealApplication {
        SealApplication {
            kind,
            name: name.into(),
            seal_type: 1,
            handler_name: "经办人".into(),
            handler_phone: "13900000001".into(),
            handler_id_number: id_number(1),
            picture: b"\x89PNG fake picture bytes".to_vec(),
            picture_format: "png".into(),
            width_mm: 0,
            height_mm: 0,
        }
    }

    /// A valid seal applied by `by` (reviewed and receipted).
    pub fn valid_seal(&self, by: &Session, kind: SealKind, name: &str) -> Seal {
        let s = self
            .p
            .apply_seal(by, self.application(kind, name))
            .expect("apply");
        self.p
            .ca_review(&self.ops, &s.id, true, "")
            .expect("review");
        self.p.receipt_seal(by, &s.id).expect("receipt")
    }

    pub fn app(&self, name: &str) -> App {
        self.p
            .create_app(
                &self.admin,
                &AppInput {
                    name: name.into(),
                    ..Default::default()
                },
            )
            .expect("app")
    }

    pub fn headers(&self, app: &App, ts_ms: i64) -> OpenApiHeaders {
        let (tok, sec) = self.p.app_secret(&self.admin, &app.id).expect("secret");
        let ts = ts_ms.to_string();
        OpenApiHeaders {
            signature: request_signature(&tok, &sec, &ts),
            access_token: tok,
            timestamp: ts,
            signature_sign: None,
        }
    }

    pub fn call(&self, name: &str) -> AppCall {
        AppCall {
            file_name: name.into(),
            file_type: FileFormat::Pdf,
            pages: 3,
            serial: None,
            token: None,
            digest: [7u8; 32],
        }
    }
}

/// Is `r` a [`PlatformError::Forbidden`]?
pub fn is_forbidden<T: std::fmt::Debug>(r: &Result<T, PlatformError>) -> bool {
    matches!(r, Err(PlatformError::Forbidden(_)))
}

pub fn store_contract(st: Arc<dyn Store>) {
    let k = |ns: &str, key: &str| UniqueKey::new(ns, key);
    st.insert(Kind::Staff, "a", "{\"x\":1}", &[k("p", "1")])
        .unwrap();
    assert!(matches!(
        st.insert(Kind::Staff, "a", "{}", &[]),
        Err(StoreError::DuplicateId { .. })
    ));
    assert!(matches!(
        st.insert(Kind::Staff, "b", "{}", &[k("p", "1")]),
        Err(StoreError::DuplicateKey { .. })
    ));
    assert!(
        st.get(Kind::Staff, "b").unwrap().is_none(),
        "failed insert left nothing behind"
    );
    let r = st.get(Kind::Staff, "a").unwrap().unwrap();
    assert_eq!((r.version, r.body.as_str()), (1, "{\"x\":1}"));
    assert_eq!(
        st.update(Kind::Staff, "a", 1, "{\"x\":2}", &[k("p", "2")])
            .unwrap(),
        2
    );
    assert!(matches!(
        st.update(Kind::Staff, "a", 1, "{}", &[]),
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        st.update(Kind::Staff, "zz", 1, "{}", &[]),
        Err(StoreError::NotFound { .. })
    ));
    // the old key was released, the new one taken
    assert_eq!(st.find_unique("p", "1").unwrap(), None);
    assert_eq!(
        st.find_unique("p", "2").unwrap(),
        Some((Kind::Staff, "a".to_string()))
    );
    st.insert(Kind::Staff, "b", "{}", &[k("p", "1")]).unwrap();
    assert!(matches!(
        st.update(Kind::Staff, "b", 1, "{}", &[k("p", "2")]),
        Err(StoreError::DuplicateKey { .. })
    ));
    assert_eq!(
        st.get(Kind::Staff, "b").unwrap().unwrap().version,
        1,
        "failed update changed nothing"
    );
    assert_eq!(
        st.find_unique("p", "1").unwrap(),
        Some((Kind::Staff, "b".to_string())),
        "failed update kept its keys"
    );
    st.insert(Kind::Seal, "a", "{}", &[]).unwrap();
    let ids: Vec<String> = st
        .list(Kind::Staff)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, vec!["a", "b"]);
    assert_eq!(st.list(Kind::Seal).unwrap().len(), 1);
    assert!(st.audit_last().unwrap().is_none());
    let row = AuditRow {
        seq: 1,
        body: "{}".into(),
        hash: "h".into(),
    };
    st.audit_append(&row).unwrap();
    assert!(matches!(
        st.audit_append(&row),
        Err(StoreError::AuditSeqTaken(1))
    ));
    st.audit_append(&AuditRow {
        seq: 2,
        body: "{}".into(),
        hash: "h2".into(),
    })
    .unwrap();
    assert_eq!(st.audit_last().unwrap().unwrap().seq, 2);
    assert_eq!(st.audit_rows().unwrap().len(), 2);
    // Unicode survives
    st.insert(Kind::Unit, "u", "{\"n\":\"委办单位\"}", &[])
        .unwrap();
    assert!(
        st.get(Kind::Unit, "u")
            .unwrap()
            .unwrap()
            .body
            .contains("委办单位")
    );
}

pub fn audit_chain(st: Arc<dyn Store>) {
    let f = Fx::new(st.clone());
    let p = &f.p;
    let (_, auditor) = f.staff("审计员", &[Role::Auditor]);
    let (_, plain) = f.staff("普通", &[]);
    let _ = p.add_staff(&plain, "x", &phone(1), &id_number(1)); // denied, audited
    let ub = p
        .login_unit_key("单位B", &credit_code(2), "B1", "CN=B", "devB1", "10.9.9.9")
        .unwrap();
    p.add_staff(&ub, "乙单位人", &phone(2), &id_number(2))
        .unwrap();
    let all = p.read_audit(&auditor, &AuditFilter::default()).unwrap();
    let unit = p.ctx(&auditor).unwrap().unit;
    assert!(all.iter().all(|e| e.unit == unit), "own unit only");
    let denied: Vec<_> = all
        .iter()
        .filter(|e| e.action == "AddStaff" && matches!(e.outcome, Outcome::Denied(_)))
        .collect();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].ip, "10.0.1.1");
    assert!(
        all.iter()
            .any(|e| e.action == "LoginUnitKey" && e.ip == "10.0.0.1")
    );
    let fl = AuditFilter {
        only_failures: true,
        ..Default::default()
    };
    let failures = p.read_audit(&auditor, &fl).unwrap();
    assert!(!failures.is_empty() && failures.iter().all(|e| e.outcome != Outcome::Ok));
    let fl = AuditFilter {
        action: Some("GrantRole".into()),
        ..Default::default()
    };
    assert!(p.read_audit(&auditor, &fl).unwrap().is_empty());
    let fl = AuditFilter {
        action: Some("ManageRoles".into()),
        ..Default::default()
    };
    assert_eq!(p.read_audit(&auditor, &fl).unwrap().len(), 1);
    assert!(is_forbidden(&p.read_audit(&plain, &AuditFilter::default())));
    // the chain
    let head = p.verify_audit(None).unwrap().unwrap();
    let rows = st.audit_rows().unwrap();
    assert_eq!(rows.len() as u64, head.0);
    verify_chain(&rows, Some((head.0, &head.1))).unwrap();
    let mut changed = rows.clone();
    changed[2].body = changed[2].body.replacen("\"time\":", "\"time\": ", 1);
    assert_ne!(changed[2].body, rows[2].body);
    assert_eq!(verify_chain(&changed, None), Err(ChainError::Changed(3)));
    let mut removed = rows.clone();
    removed.remove(3);
    assert_eq!(verify_chain(&removed, None), Err(ChainError::Missing(4)));
    // removing and renumbering still breaks the previous-hash links
    let mut relinked = rows.clone();
    relinked.remove(3);
    for r in relinked.iter_mut().skip(3) {
        r.seq -= 1;
    }
    assert!(verify_chain(&relinked, None).is_err());
    let truncated = &rows[..rows.len() - 1];
    assert!(matches!(
        verify_chain(truncated, Some((head.0, &head.1))),
        Err(ChainError::Truncated { .. })
    ));
}

fn two<A: Send, B: Send>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B) {
    let bar = Barrier::new(2);
    std::thread::scope(|s| {
        let ha = s.spawn(|| {
            bar.wait();
            a()
        });
        let hb = s.spawn(|| {
            bar.wait();
            b()
        });
        (ha.join().expect("thread a"), hb.join().expect("thread b"))
    })
}

fn clear_loser(e: &PlatformError) -> bool {
    matches!(
        e,
        PlatformError::ConcurrentChange(_) | PlatformError::InvalidState(_)
    )
}

pub fn race_two_approvals(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let seal = f.valid_seal(&f.admin, SealKind::Cloud, "竞争章");
    let app = f.app("竞争应用");
    p.grant_seal_to_app(&f.admin, &seal.id, &app.id, false)
        .unwrap();
    let (c1, s1) = f.staff("确认甲", &[]);
    let (c2, s2) = f.staff("确认乙", &[]);
    let manual = ConfirmPolicy::Manual {
        confirmers: vec![c1.id.clone(), c2.id.clone()],
        sms_notice: false,
    };
    p.set_confirm_policy(&f.admin, &seal.id, &app.id, manual)
        .unwrap();
    for i in 0..8 {
        let AppSignOutcome::Queued(item) = p
            .app_sign(&app.id, &seal.id, &f.call(&format!("r{i}")), "ip")
            .unwrap()
        else {
            panic!()
        };
        let (ra, rb) = two(
            || p.decide(&s1, &item, true),
            || p.decide(&s2, &item, i % 2 == 0),
        );
        assert!(
            ra.is_ok() ^ rb.is_ok(),
            "exactly one decision wins: {ra:?} {rb:?}"
        );
        let winner = if ra.is_ok() { &c1.id } else { &c2.id };
        let loser = ra.err().or(rb.err()).unwrap();
        assert!(clear_loser(&loser), "clear error: {loser:?}");
        let q = p
            .queue(&s1, &QueueFilter::default(), 1)
            .unwrap()
            .items
            .into_iter()
            .find(|q| q.id == item)
            .unwrap();
        assert!(q.status != QueueStatus::Pending);
        assert_eq!(q.decided_by.as_ref(), Some(winner));
    }
}

pub fn race_two_receipts(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let (_, sa) = f.staff("印章管理员", &[Role::SealAdmin]);
    for i in 0..8 {
        let s = p
            .apply_seal(
                &f.admin,
                f.application(SealKind::Cloud, &format!("回执章{i}")),
            )
            .unwrap();
        p.ca_review(&f.ops, &s.id, true, "").unwrap();
        let (ra, rb) = two(
            || p.receipt_seal(&f.admin, &s.id),
            || p.receipt_seal(&sa, &s.id),
        );
        assert!(ra.is_ok() ^ rb.is_ok(), "exactly one receipt wins");
        let winner = ra.as_ref().or(rb.as_ref()).unwrap().clone();
        let loser = ra.err().or(rb.err()).unwrap();
        assert!(clear_loser(&loser), "clear error: {loser:?}");
        let now = p.seal(&f.admin, &s.id).unwrap();
        assert_eq!(now.status, SealStatus::Valid);
        assert_eq!(
            now.public_key, winner.public_key,
            "the winner's key is the seal's key"
        );
        assert_eq!(now.log.iter().filter(|l| l.action == "回执").count(), 1);
        // the seal signs with the winner's key
        let u = p
            .sign_with_seal(&f.admin, &s.id, &[9; 32], &SignCredential::Ukey)
            .unwrap();
        let pk = sm2::PublicKey::from_sec1(
            &hex::decode(Platform::seal_public_key(&now).unwrap()).unwrap(),
        )
        .unwrap();
        sm2::verify_digest(&pk, &[9; 32], &u.signature.unwrap()).unwrap();
    }
}

pub fn race_revocation_vs_signing(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let (_, sa) = f.staff("印章管理员", &[Role::SealAdmin]);
    for i in 0..8 {
        let s = f.valid_seal(&f.admin, SealKind::Cloud, &format!("注销章{i}"));
        let t = p.request_revocation(&sa, &s.id).unwrap();
        let (rs, rr) = two(
            || p.sign_with_seal(&f.admin, &s.id, &[5; 32], &SignCredential::Ukey),
            || p.revoke_seal(&sa, &s.id, &t),
        );
        let after = p.seal(&f.admin, &s.id).unwrap();
        match (&rs, &rr) {
            (Ok(u), Ok(_)) => {
                // signing committed first, the revocation read the signed state afterwards
                assert_eq!(u.seal.sign_count, 1);
                assert_eq!((after.status, after.sign_count), (SealStatus::Revoked, 1));
            }
            (Ok(_), Err(e)) => {
                assert!(clear_loser(e), "clear error: {e:?}");
                assert_eq!((after.status, after.sign_count), (SealStatus::Valid, 1));
            }
            (Err(e), Ok(_)) => {
                assert!(
                    clear_loser(e) || matches!(e, PlatformError::Vault(_)),
                    "clear error: {e:?}"
                );
                assert_eq!((after.status, after.sign_count), (SealStatus::Revoked, 0));
            }
            (Err(a), Err(b)) => panic!("both lost: {a:?} / {b:?}"),
        }
        // whatever happened, nothing signs after the revocation
        if after.status != SealStatus::Revoked {
            let t = p.request_revocation(&sa, &s.id).unwrap();
            p.revoke_seal(&sa, &s.id, &t).unwrap();
        }
        assert!(
            p.sign_with_seal(&f.admin, &s.id, &[5; 32], &SignCredential::Ukey)
                .is_err()
        );
    }
}

pub fn race_same_phone(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let ub = p
        .login_unit_key("单位B", &credit_code(2), "B1", "CN=B", "devB1", "y")
        .unwrap();
    for i in 0..8 {
        let ph = phone(5000 + i);
        let (ra, rb) = two(
            || p.add_staff(&f.admin, "甲", &ph, &id_number(5000 + i)),
            || p.add_staff(&ub, "乙", &ph, &id_number(6000 + i)),
        );
        assert!(
            ra.is_ok() ^ rb.is_ok(),
            "one person, one unit: {ra:?} {rb:?}"
        );
        assert!(matches!(
            ra.err().or(rb.err()).unwrap(),
            PlatformError::Duplicate(_)
        ));
    }
    // concurrent writers keep the audit chain intact
    p.verify_audit(None).unwrap();
}

#[cfg(test)]
mod tests {
    #[test]
    fn memory_store_conforms() {
        super::run_all(&|| std::sync::Arc::new(super::MemoryStore::new()));
    }
}
