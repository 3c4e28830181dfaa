//! The ONE conformance suite every [`Store`] must pass: the store contract (batches, compare-
//! and-set, unique keys, queries, counters, pruning, the audit chains) and the races (two
//! approvals of one queue item, two receipts of one seal, revocation against signing, two
//! signers of one seal, two units adding the same phone), plus the fixture ([`Fx`]) the
//! business-rule tests in `core/tests/platform_rules/` build on.
//!
//! The races are deterministic: a [`Gate`] around the store stops one operation right before
//! it commits, lets the other run to its end, then lets the first commit with what it read. A
//! store that does not enforce the version checks lets both "win" and fails every run.
//!
//! Use: `eseal::platform::conformance::run_all(&|| Arc::new(MyStore::fresh()) as Arc<dyn Store>)`
//! (enable the `conformance` feature). Each case gets a fresh store; failures of all cases
//! are collected and reported together.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex};

use super::audit::{AuditEntry, AuditFilter, AuditMac, ChainError, Outcome};
use super::openapi::{OpenApiHeaders, request_signature};
use super::perm::Role;
use super::*;
use crate::crypto::time::Time;

/// Makes a fresh, empty store.
pub type MakeStore<'a> = &'a (dyn Fn() -> Arc<dyn Store> + Sync);

/// One case of the suite.
pub type Case = fn(Arc<dyn Store>);

/// Every case, by name.
pub const CASES: &[(&str, Case)] = &[
    ("store_contract", store_contract),
    ("store_queries", store_queries),
    ("store_counters_and_pruning", store_counters_and_pruning),
    ("store_audit_chains", store_audit_chains),
    ("audit_chain", audit_chain),
    ("race_two_approvals", race_two_approvals),
    ("race_two_receipts", race_two_receipts),
    ("race_revocation_vs_signing", race_revocation_vs_signing),
    ("race_two_signers", race_two_signers),
    ("race_same_phone", race_same_phone),
];

/// The race cases (they must fail on a store that ignores version checks).
pub const RACES: &[(&str, Case)] = &[
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
    let failed = failures(cases, make);
    assert!(
        failed.is_empty(),
        "conformance cases failed:\n{}",
        failed.join("\n")
    );
}

/// The cases that fail on stores from `make`, with their messages.
pub fn failures(cases: &[(&str, Case)], make: MakeStore<'_>) -> Vec<String> {
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
    failed
}

// ------------------------------------------------------------------ fixture

pub struct Fx {
    pub p: Platform,
    pub clock: Arc<FixedClock>,
    pub sms: Arc<DevSmsSender>,
    /// The super administrator (first unit UKey) of unit A.
    pub admin: Session,
    pub ops: Session,
    /// The development CA of the platform (seed `conformance`): issues the UKeys' certificates.
    pub ca: crate::crypto::testca::TestCa,
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
            Services::development(store, clock.clone(), sms.clone(), "conformance")
                .expect("development services"),
        );
        let ca = crate::crypto::testca::TestCa::new("conformance").expect("test CA");
        let admin = unit_ukey_login(
            &p,
            &ca,
            "测试单位A",
            &credit_code(1),
            "A1",
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
            ca,
            n: std::sync::atomic::AtomicU32::new(100),
        }
    }

    /// A unit UKey login through the platform's challenge: the key `key` (a name for the
    /// test CA's key derivation) with a certificate naming the unit, device serial `device`.
    pub fn unit_login(
        &self,
        unit: &str,
        code: &str,
        key: &str,
        device: &str,
        ip: &str,
    ) -> Result<Session, PlatformError> {
        unit_ukey_login(&self.p, &self.ca, unit, code, key, device, ip)
    }

    /// A personal UKey login through the platform's challenge, with a certificate for
    /// `id_number` (serialNumber) issued by the platform's CA.
    pub fn personal_login(
        &self,
        name: &str,
        id_number: &str,
        ip: &str,
    ) -> Result<Session, PlatformError> {
        let who = self
            .ca
            .issue(
                &format!("person/{id_number}"),
                &[("C", "CN"), ("CN", name), ("serialNumber", id_number)],
                crate::crypto::testca::CertKind::Signing,
                Time::from_unix(T0 - 86_400),
                Time::from_unix(T0 + 3 * 365 * 86_400),
            )
            .expect("personal certificate");
        answer_challenge(
            &self.p,
            &who.signer(),
            "personal-key",
            UkeyKind::Personal,
            ip,
        )
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
            picture: picture_png(),
            picture_format: "png".into(),
            generate: None,
            width_mm: 0,
            height_mm: 0,
        }
    }

    /// A valid seal applied by `by` (reviewed and receipted).
    pub fn valid_seal(&self, by: &Session, kind: SealKind, name: &str) -> SealRecord {
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

impl Fx {
    /// The audit MAC of the fixture's platform.
    pub fn mac(&self) -> AuditMac {
        Services::development(
            self.p.store().clone(),
            self.clock.clone(),
            self.sms.clone(),
            "conformance",
        )
        .expect("services")
        .audit_mac
    }
}

/// Signs a fresh challenge of `p` with `signer` and logs in with it.
pub fn answer_challenge(
    p: &Platform,
    signer: &dyn crate::crypto::Signer,
    device: &str,
    kind: UkeyKind,
    ip: &str,
) -> Result<Session, PlatformError> {
    let c = p.ukey_challenge()?;
    let sig = signer.sign_message(&c.bytes).expect("sign the challenge");
    let proof = UkeyProof {
        challenge_id: c.id,
        certificate: signer.certificate().der().to_vec(),
        signature: sig.to_der(),
        device_serial: device.into(),
    };
    p.login_ukey(kind, &proof, ip)
}

/// A unit UKey login of `p` (see [`Fx::unit_login`]).
pub fn unit_ukey_login(
    p: &Platform,
    ca: &crate::crypto::testca::TestCa,
    unit: &str,
    code: &str,
    key: &str,
    device: &str,
    ip: &str,
) -> Result<Session, PlatformError> {
    let who = ca
        .issue(
            &format!("unit-key/{key}"),
            &[
                ("C", "CN"),
                ("O", unit),
                ("CN", unit),
                ("serialNumber", code),
            ],
            crate::crypto::testca::CertKind::Signing,
            Time::from_unix(T0 - 86_400),
            Time::from_unix(T0 + 3 * 365 * 86_400),
        )
        .expect("unit UKey certificate");
    answer_challenge(p, &who.signer(), device, UkeyKind::Unit, ip)
}

/// A small real PNG (a red ring), as a seal picture.
pub fn picture_png() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(48, 48, |x, y| {
        let (dx, dy) = (x as i32 - 24, y as i32 - 24);
        let r2 = dx * dx + dy * dy;
        if (400..=529).contains(&r2) {
            image::Rgba([220, 0, 0, 255])
        } else {
            image::Rgba([255, 255, 255, 0])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("PNG encodes");
    out.into_inner()
}

/// Is `r` a [`PlatformError::Forbidden`]?
pub fn is_forbidden<T: std::fmt::Debug>(r: &Result<T, PlatformError>) -> bool {
    matches!(r, Err(PlatformError::Forbidden(_)))
}

fn mac() -> AuditMac {
    AuditMac::new(b"conformance audit key 0123456789").expect("key")
}

fn ins(kind: Kind, id: &str, body: &str, unique: &[UniqueKey], index: Index) -> Write {
    Write::Insert {
        kind,
        id: id.into(),
        body: body.into(),
        unique: unique.to_vec(),
        index,
    }
}

fn upd(kind: Kind, id: &str, expected: u64, body: &str, unique: &[UniqueKey]) -> Write {
    Write::Update {
        kind,
        id: id.into(),
        expected,
        body: body.into(),
        unique: unique.to_vec(),
        index: Index::default(),
    }
}

fn commit(st: &dyn Store, writes: Vec<Write>) -> Result<(), StoreError> {
    st.commit(
        &Batch {
            writes,
            audit: vec![],
        },
        &mac(),
    )
}

fn ids(f: Found) -> Vec<String> {
    f.records.into_iter().map(|r| r.id).collect()
}

/// The raw store contract: versions, compare-and-set, checks, deletes, unique keys, and
/// batches that apply all or nothing.
pub fn store_contract(st: Arc<dyn Store>) {
    let st = st.as_ref();
    let k = |ns: &str, key: &str| UniqueKey::new(ns, key);
    let ix = Index::default;
    commit(
        st,
        vec![ins(Kind::Staff, "a", "{\"x\":1}", &[k("p", "1")], ix())],
    )
    .unwrap();
    assert!(matches!(
        commit(st, vec![ins(Kind::Staff, "a", "{}", &[], ix())]),
        Err(StoreError::DuplicateId { .. })
    ));
    assert!(matches!(
        commit(st, vec![ins(Kind::Staff, "b", "{}", &[k("p", "1")], ix())]),
        Err(StoreError::DuplicateKey { .. })
    ));
    assert!(
        st.get(Kind::Staff, "b").unwrap().is_none(),
        "failed insert left nothing behind"
    );
    let r = st.get(Kind::Staff, "a").unwrap().unwrap();
    assert_eq!((r.version, r.body.as_str()), (1, "{\"x\":1}"));
    commit(
        st,
        vec![upd(Kind::Staff, "a", 1, "{\"x\":2}", &[k("p", "2")])],
    )
    .unwrap();
    assert_eq!(st.get(Kind::Staff, "a").unwrap().unwrap().version, 2);
    assert!(matches!(
        commit(st, vec![upd(Kind::Staff, "a", 1, "{}", &[])]),
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(
        commit(st, vec![upd(Kind::Staff, "zz", 1, "{}", &[])]),
        Err(StoreError::NotFound { .. })
    ));
    // the old key was released, the new one taken
    assert_eq!(st.find_unique("p", "1").unwrap(), None);
    assert_eq!(
        st.find_unique("p", "2").unwrap(),
        Some((Kind::Staff, "a".to_string()))
    );
    commit(st, vec![ins(Kind::Staff, "b", "{}", &[k("p", "1")], ix())]).unwrap();
    assert!(matches!(
        commit(st, vec![upd(Kind::Staff, "b", 1, "{}", &[k("p", "2")])]),
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
    // All or nothing: a batch whose last write fails leaves no trace of the others, its
    // counters and its audit entries included.
    let e = AuditEntry {
        chain: "u1".into(),
        seq: 0,
        prev: String::new(),
        time: 1,
        actor: "x".into(),
        actor_name: "甲".into(),
        action: "Test".into(),
        object: "o".into(),
        outcome: Outcome::Ok,
        ip: "ip".into(),
        mac: String::new(),
    };
    let bad = Batch {
        writes: vec![
            ins(Kind::Seal, "s1", "{}", &[k("q", "1")], ix()),
            upd(Kind::Staff, "a", 2, "{\"x\":3}", &[k("p", "2")]),
            Write::Count {
                name: "c".into(),
                delta: 1,
                limit: None,
            },
            Write::Check {
                kind: Kind::Staff,
                id: "b".into(),
                version: 7,
            },
        ],
        audit: vec![e.clone()],
    };
    assert!(matches!(
        st.commit(&bad, &mac()),
        Err(StoreError::Conflict { .. })
    ));
    assert!(st.get(Kind::Seal, "s1").unwrap().is_none());
    assert_eq!(st.find_unique("q", "1").unwrap(), None);
    assert_eq!(st.get(Kind::Staff, "a").unwrap().unwrap().version, 2);
    assert_eq!(st.counter("c").unwrap(), 0);
    assert!(st.audit_heads().unwrap().is_empty());
    // the same batch with the right version applies whole
    let mut good = bad.clone();
    good.writes[3] = Write::Check {
        kind: Kind::Staff,
        id: "b".into(),
        version: 1,
    };
    st.commit(&good, &mac()).unwrap();
    assert!(st.get(Kind::Seal, "s1").unwrap().is_some());
    assert_eq!(st.get(Kind::Staff, "a").unwrap().unwrap().version, 3);
    assert_eq!(
        st.get(Kind::Staff, "b").unwrap().unwrap().version,
        1,
        "a check writes nothing"
    );
    assert_eq!(st.counter("c").unwrap(), 1);
    assert_eq!(st.audit_heads().unwrap().len(), 1);
    // two unique keys of one document may not be the same key
    assert!(matches!(
        commit(
            st,
            vec![ins(
                Kind::Seal,
                "s2",
                "{}",
                &[k("d", "1"), k("d", "1")],
                ix()
            )]
        ),
        Err(StoreError::DuplicateKey { .. })
    ));
    // deletes: compare-and-set, keys released
    assert!(matches!(
        commit(
            st,
            vec![Write::Delete {
                kind: Kind::Seal,
                id: "s1".into(),
                expected: 5
            }]
        ),
        Err(StoreError::Conflict { .. })
    ));
    commit(
        st,
        vec![Write::Delete {
            kind: Kind::Seal,
            id: "s1".into(),
            expected: 1,
        }],
    )
    .unwrap();
    assert!(st.get(Kind::Seal, "s1").unwrap().is_none());
    assert_eq!(st.find_unique("q", "1").unwrap(), None);
    // Unicode survives
    commit(
        st,
        vec![ins(Kind::Unit, "u", "{\"n\":\"委办单位\"}", &[], ix())],
    )
    .unwrap();
    assert!(
        st.get(Kind::Unit, "u")
            .unwrap()
            .unwrap()
            .body
            .contains("委办单位")
    );
}

/// Queries: every filter, both orders, paging and totals, over the index columns.
pub fn store_queries(st: Arc<dyn Store>) {
    let st = st.as_ref();
    let mut w = Vec::new();
    for i in 0..30u32 {
        let unit = if i % 3 == 0 { "u2" } else { "u1" };
        w.push(ins(
            Kind::File,
            &format!("f{i:02}"),
            "{}",
            &[],
            Index {
                unit: unit.into(),
                owner: format!("s{}", i % 5),
                status: if i % 7 == 0 { "deleted" } else { "active" }.into(),
                category: if i % 2 == 0 { "pdf" } else { "ofd" }.into(),
                name: format!("合同{i}%_.pdf"),
                alt_name: format!("签署人{}", i % 4),
                time: 1000 + i64::from(i % 10),
                until: (i % 4 == 0).then_some(500 + i64::from(i)),
                tags: if i % 6 == 0 {
                    vec!["t:a".into(), "t:b".into()]
                } else {
                    vec!["t:c".into()]
                },
            },
        ));
    }
    // another kind with the same index values never shows up
    w.push(ins(
        Kind::Seal,
        "x",
        "{}",
        &[],
        Index {
            unit: "u1".into(),
            ..Index::default()
        },
    ));
    commit(st, w).unwrap();
    let all = |q: Query| -> Vec<String> { ids(st.query(&q.page(0, 1000)).unwrap()) };
    let reference: Vec<(String, Index)> = (0..30u32)
        .map(|i| {
            let r = st.get(Kind::File, &format!("f{i:02}")).unwrap();
            assert!(r.is_some());
            (format!("f{i:02}"), Index::default())
        })
        .collect();
    assert_eq!(reference.len(), 30);
    // unit + owner + status
    let q = Query::new(Kind::File)
        .unit("u1")
        .owner("s1")
        .status("active");
    let got = all(q.clone());
    let want: Vec<String> = (0..30u32)
        .rev()
        .filter(|i| i % 3 != 0 && i % 5 == 1 && i % 7 != 0)
        .map(|i| format!("f{i:02}"))
        .collect::<Vec<_>>();
    let mut want_sorted = want.clone();
    want_sorted.sort_by_key(|id| {
        let i: i64 = id[1..].parse().unwrap();
        (
            std::cmp::Reverse(1000 + i % 10),
            std::cmp::Reverse(id.clone()),
        )
    });
    assert_eq!(got, want_sorted, "newest first, then id descending");
    // category (any of), tags (any of), text in name or alt name, LIKE metacharacters literal
    assert_eq!(all(Query::new(Kind::File).category("pdf")).len(), 15);
    assert_eq!(
        all(Query::new(Kind::File).category("pdf").category("ofd")).len(),
        30
    );
    assert_eq!(all(Query::new(Kind::File).tag("t:b")).len(), 5);
    assert_eq!(
        all(Query::new(Kind::File).tag("t:a").tag("t:c")).len(),
        30,
        "no duplicates"
    );
    let mut q = Query::new(Kind::File);
    q.text = Some("合同1".into());
    assert_eq!(all(q).len(), 11, "合同1, 合同10..19");
    let mut q = Query::new(Kind::File);
    q.text = Some("签署人3".into());
    assert_eq!(all(q).len(), 7);
    let mut q = Query::new(Kind::File);
    q.text = Some("%_".into());
    assert_eq!(all(q).len(), 30, "% and _ are literal");
    let mut q = Query::new(Kind::File);
    q.text = Some("9%".into());
    assert_eq!(all(q).len(), 3, "合同9%, 合同19%, 合同29%");
    let mut q = Query::new(Kind::File);
    q.text = Some("_".into());
    q.unit = Some("u2".into());
    assert_eq!(all(q).len(), 10);
    // time range
    let mut q = Query::new(Kind::File);
    q.from = Some(1003);
    q.to = Some(1004);
    assert_eq!(all(q).len(), 6);
    // until: set and before / unset or from
    let mut q = Query::new(Kind::File);
    q.until_before = Some(510);
    assert_eq!(all(q), vec!["f08", "f04", "f00"]);
    let mut q = Query::new(Kind::File);
    q.until_from = Some(510);
    assert_eq!(all(q).len(), 27);
    // paging and totals
    let f = st
        .query(&Query::new(Kind::File).unit("u1").page(5, 4))
        .unwrap();
    assert_eq!((f.total, f.records.len()), (20, 4));
    let whole = all(Query::new(Kind::File).unit("u1"));
    assert_eq!(ids(f), whole[5..9].to_vec());
    let f = st
        .query(&Query::new(Kind::File).unit("u1").page(18, 50))
        .unwrap();
    assert_eq!((f.total, f.records.len()), (20, 2));
    // name order: category, name, id
    let names = all(Query::new(Kind::File).unit("u2").order(Order::Name));
    assert_eq!(names.len(), 10);
    assert_eq!(
        &names[..2],
        &["f15", "f21"],
        "ofd first, then by name: 合同15 < 合同21 < 合同27 < 合同3 < 合同9"
    );
    let by_id = all(Query::new(Kind::File).order(Order::Id));
    let mut sorted = by_id.clone();
    sorted.sort();
    assert_eq!(by_id, sorted);
    // the index follows updates
    commit(
        st,
        vec![Write::Update {
            kind: Kind::File,
            id: "f01".into(),
            expected: 1,
            body: "{}".into(),
            unique: vec![],
            index: Index {
                unit: "u9".into(),
                tags: vec!["t:z".into()],
                ..Index::default()
            },
        }],
    )
    .unwrap();
    assert_eq!(all(Query::new(Kind::File).unit("u9")), vec!["f01"]);
    assert_eq!(all(Query::new(Kind::File).tag("t:z")), vec!["f01"]);
    assert_eq!(
        all(Query::new(Kind::File).tag("t:c")).len(),
        24,
        "old tags gone"
    );
}

/// Counters in their own rows, bounded counters, pruning by expiry.
pub fn store_counters_and_pruning(st: Arc<dyn Store>) {
    let st = st.as_ref();
    let count = |name: &str, limit| Write::Count {
        name: name.into(),
        delta: 1,
        limit,
    };
    assert_eq!(st.counter("n").unwrap(), 0);
    for _ in 0..3 {
        commit(st, vec![count("n", Some(3))]).unwrap();
    }
    assert!(matches!(
        commit(st, vec![count("n", Some(3))]),
        Err(StoreError::CounterLimit { .. })
    ));
    assert_eq!(st.counter("n").unwrap(), 3);
    commit(st, vec![count("n", None)]).unwrap();
    assert_eq!(st.counter("n").unwrap(), 4);
    // concurrent increments of one counter all count
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..10 {
                    commit(st, vec![count("m", None)]).unwrap();
                }
            });
        }
    });
    assert_eq!(st.counter("m").unwrap(), 40);
    // pruning: only documents of the kind whose `until` is before the time
    let mut w = Vec::new();
    for i in 0..10 {
        w.push(ins(
            Kind::Nonce,
            &format!("n{i}"),
            "{}",
            &[UniqueKey::new("nonce", format!("{i}"))],
            Index {
                until: Some(100 + i),
                ..Index::default()
            },
        ));
    }
    w.push(ins(Kind::Nonce, "forever", "{}", &[], Index::default()));
    w.push(ins(
        Kind::Captcha,
        "c",
        "{}",
        &[],
        Index {
            until: Some(0),
            ..Index::default()
        },
    ));
    commit(st, w).unwrap();
    assert_eq!(st.prune(Kind::Nonce, 105, 3).unwrap(), 3, "limit");
    assert_eq!(st.prune(Kind::Nonce, 105, 100).unwrap(), 2);
    assert_eq!(st.prune(Kind::Nonce, 105, 100).unwrap(), 0);
    assert!(st.get(Kind::Nonce, "n4").unwrap().is_none());
    assert!(st.get(Kind::Nonce, "n5").unwrap().is_some());
    assert!(st.get(Kind::Nonce, "forever").unwrap().is_some());
    assert!(
        st.get(Kind::Captcha, "c").unwrap().is_some(),
        "other kinds stay"
    );
    assert_eq!(st.find_unique("nonce", "0").unwrap(), None, "keys released");
    assert!(st.find_unique("nonce", "5").unwrap().is_some());
}

/// Audit chains: numbered per chain in commit order, linked with the keyed MAC, queried
/// with filters, read back exactly (every field the MAC covers survives the store).
pub fn store_audit_chains(st: Arc<dyn Store>) {
    let st = st.as_ref();
    let m = mac();
    let entry = |chain: &str, i: i64, outcome: Outcome| AuditEntry {
        chain: chain.into(),
        seq: 0,
        prev: String::new(),
        time: 1000 + i,
        actor: format!("a{}", i % 3),
        actor_name: format!("张三{}", i % 2),
        action: if i % 2 == 0 { "Even" } else { "Odd" }.into(),
        object: format!("对象-{i}-%"),
        outcome,
        ip: "10.0.0.1".into(),
        mac: String::new(),
    };
    // two chains, interleaved, two entries in one batch
    for i in 0..10 {
        let outcome = if i % 4 == 0 {
            Outcome::Denied(format!("不行 {i}"))
        } else {
            Outcome::Ok
        };
        let mut audit = vec![entry("u1", i, outcome)];
        if i % 2 == 0 {
            audit.push(entry("u2", i, Outcome::Failed("坏".into())));
        }
        st.commit(
            &Batch {
                writes: vec![],
                audit,
            },
            &m,
        )
        .unwrap();
    }
    let u1 = st.audit_range("u1", 1, 100).unwrap();
    assert_eq!(u1.len(), 10);
    assert_eq!(
        u1.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>()
    );
    assert_eq!(u1[0].prev, super::audit::GENESIS);
    for w in u1.windows(2) {
        assert_eq!(w[1].prev, w[0].mac, "linked");
    }
    for e in &u1 {
        assert_eq!(m.mac(e), e.mac, "every field read back as written");
    }
    super::audit::verify_segment(&m, &u1, None).unwrap();
    assert_eq!(st.audit_range("u1", 4, 2).unwrap().len(), 2);
    assert_eq!(st.audit_range("u1", 4, 2).unwrap()[0].seq, 4);
    assert_eq!(st.audit_range("u2", 1, 100).unwrap().len(), 5);
    let heads = st.audit_heads().unwrap();
    assert_eq!(
        heads
            .iter()
            .map(|h| (h.chain.as_str(), h.seq))
            .collect::<Vec<_>>(),
        vec![("u1", 10), ("u2", 5)]
    );
    // queries, newest first
    let q = |f: &dyn Fn(&mut AuditQuery)| {
        let mut q = AuditQuery {
            chain: "u1".into(),
            limit: 100,
            ..Default::default()
        };
        f(&mut q);
        let (v, total) = st.audit_query(&q).unwrap();
        assert_eq!(total as usize, v.len());
        v.into_iter().map(|e| e.seq).collect::<Vec<_>>()
    };
    assert_eq!(q(&|_| {}), (1..=10).rev().collect::<Vec<_>>());
    assert_eq!(q(&|q| q.only_failures = true), vec![9, 5, 1]);
    assert_eq!(q(&|q| q.action = Some("Odd".into())), vec![10, 8, 6, 4, 2]);
    assert_eq!(q(&|q| q.actor = Some("a1".into())), vec![8, 5, 2]);
    assert_eq!(q(&|q| q.actor = Some("张三1".into())), vec![10, 8, 6, 4, 2]);
    assert_eq!(q(&|q| q.object = Some("-1-%".into())), vec![2]);
    assert_eq!(q(&|q| q.object = Some("%".into())).len(), 10);
    assert_eq!(
        q(&|q| {
            q.from = Some(1003);
            q.to = Some(1005);
        }),
        vec![6, 5, 4]
    );
    let (page, total) = st
        .audit_query(&AuditQuery {
            chain: "u1".into(),
            offset: 2,
            limit: 3,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(total, 10);
    assert_eq!(
        page.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![8, 7, 6]
    );
    // concurrent writers of one chain: no gaps, no forks
    std::thread::scope(|s| {
        for t in 0..4 {
            let m = &m;
            s.spawn(move || {
                for i in 0..10 {
                    st.commit(
                        &Batch {
                            writes: vec![],
                            audit: vec![entry("u3", t * 100 + i, Outcome::Ok)],
                        },
                        m,
                    )
                    .unwrap();
                }
            });
        }
    });
    let u3 = st.audit_range("u3", 1, 1000).unwrap();
    assert_eq!(u3.len(), 40);
    super::audit::verify_segment(&m, &u3, None).unwrap();
}

/// The platform's audit log over the store: per unit, every operation, refusals too, reads
/// not one row per read; tampering, truncation and rewriting are detected.
pub fn audit_chain(st: Arc<dyn Store>) {
    let f = Fx::new(st.clone());
    let p = &f.p;
    let (_, auditor) = f.staff("审计员", &[Role::Auditor]);
    let (_, plain) = f.staff("普通", &[]);
    let _ = p.add_staff(&plain, "x", &phone(1), &id_number(1)); // denied, audited
    let ub = f
        .unit_login("单位B", &credit_code(2), "B1", "devB1", "10.9.9.9")
        .unwrap();
    p.add_staff(&ub, "乙单位人", &phone(2), &id_number(2))
        .unwrap();
    let unit = p.ctx(&auditor).unwrap().unit;
    let all = p
        .read_audit(&auditor, &AuditFilter::default(), 1)
        .unwrap()
        .items;
    assert!(all.iter().all(|e| e.chain == unit), "own unit only");
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
    let failures = p.read_audit(&auditor, &fl, 1).unwrap().items;
    assert!(!failures.is_empty() && failures.iter().all(|e| e.outcome != Outcome::Ok));
    let fl = AuditFilter {
        action: Some("ManageRoles".into()),
        ..Default::default()
    };
    assert_eq!(p.read_audit(&auditor, &fl, 1).unwrap().total, 1);
    assert!(is_forbidden(&p.read_audit(
        &plain,
        &AuditFilter::default(),
        1
    )));
    // reads are not audited one row per read
    let before = st.audit_heads().unwrap();
    for _ in 0..5 {
        p.search_staff(&auditor, &StaffQuery::default()).unwrap();
        p.read_audit(&auditor, &AuditFilter::default(), 1).unwrap();
    }
    assert_eq!(st.audit_heads().unwrap(), before, "reads wrote nothing");
    // the unit's operations are in its chain, unit B's in B's
    let ub_unit = p.ctx(&ub).unwrap().unit;
    let heads = p.verify_audit(None).unwrap();
    assert!(heads.iter().any(|h| h.chain == unit));
    assert!(heads.iter().any(|h| h.chain == ub_unit));
    // a signed checkpoint, then more entries: still verifies against it
    let cp = p.audit_checkpoint().unwrap();
    assert_eq!(p.last_audit_checkpoint().unwrap().as_ref(), Some(&cp));
    p.add_staff(&f.admin, "后来", &phone(3), &id_number(3))
        .unwrap();
    p.verify_audit(Some(&cp)).unwrap();
    // a forged checkpoint is refused
    let mut forged = cp.clone();
    forged.checkpoint = forged.checkpoint.replace("\"seq\":", "\"seq\":1");
    assert!(matches!(
        p.verify_audit(Some(&forged)),
        Err(PlatformError::AuditBroken(ChainError::BadCheckpoint))
    ));
    // tampering: a copy of the chain with one entry changed, removed, or cut off
    let rows = st.audit_range(&unit, 1, 1000).unwrap();
    let m = f.mac();
    super::audit::verify_segment(&m, &rows, None).unwrap();
    let mut changed = rows.clone();
    changed[2].object.push('!');
    assert!(matches!(
        super::audit::verify_segment(&m, &changed, None),
        Err(ChainError::Changed { seq: 3, .. })
    ));
    let mut removed = rows.clone();
    removed.remove(3);
    assert!(matches!(
        super::audit::verify_segment(&m, &removed, None),
        Err(ChainError::Missing { seq: 4, .. })
    ));
    // a rewrite by someone without the key: renumbered entries fail their MAC
    let mut relinked = rows.clone();
    relinked.remove(3);
    for r in relinked.iter_mut().skip(3) {
        r.seq -= 1;
    }
    assert!(super::audit::verify_segment(&m, &relinked, None).is_err());
    // a chain recomputed WITH the key still loses against the checkpoint: the store below is
    // a copy of the chains with the last checkpointed entry of the unit rewritten.
    let copy = Arc::new(MemoryStore::new());
    let mut rewritten = false;
    let head_seq = cp_head(&cp, &unit);
    for chain in st.audit_heads().unwrap() {
        for mut e in st.audit_range(&chain.chain, 1, 1000).unwrap() {
            if e.chain == unit && e.seq == head_seq {
                e.object = "改写".into();
                rewritten = true;
            }
            copy.commit(
                &Batch {
                    writes: vec![],
                    audit: vec![e],
                },
                &m,
            )
            .unwrap();
        }
    }
    assert!(rewritten);
    let copy_platform = Platform::new(
        Services::development(copy.clone(), f.clock.clone(), f.sms.clone(), "conformance").unwrap(),
    );
    copy_platform.verify_audit(None).unwrap();
    assert!(matches!(
        copy_platform.verify_audit(Some(&cp)),
        Err(PlatformError::AuditBroken(ChainError::Rewritten { .. }))
    ));
    // a truncated copy (the unit's last checkpointed entry missing)
    let cut = Arc::new(MemoryStore::new());
    for chain in st.audit_heads().unwrap() {
        for e in st.audit_range(&chain.chain, 1, 1000).unwrap() {
            if e.chain == unit && e.seq >= head_seq {
                break;
            }
            cut.commit(
                &Batch {
                    writes: vec![],
                    audit: vec![e],
                },
                &m,
            )
            .unwrap();
        }
    }
    let cut_platform = Platform::new(
        Services::development(cut, f.clock.clone(), f.sms.clone(), "conformance").unwrap(),
    );
    cut_platform.verify_audit(None).unwrap();
    assert!(matches!(
        cut_platform.verify_audit(Some(&cp)),
        Err(PlatformError::AuditBroken(ChainError::Truncated { .. }))
    ));
}

fn cp_head(cp: &super::audit::SignedCheckpoint, chain: &str) -> u64 {
    let c: super::audit::Checkpoint = serde_json::from_str(&cp.checkpoint).expect("checkpoint");
    c.heads
        .iter()
        .find(|h| h.chain == chain)
        .map(|h| h.seq)
        .expect("chain in checkpoint")
}

// ------------------------------------------------------------------ races

/// What a [`CommitHook`] does with a batch: hold, rewrite or fail it, or pass it to the store.
pub type OnCommit = dyn Fn(&dyn Store, &Batch, &AuditMac) -> Result<(), StoreError> + Send + Sync;

/// A store that passes every call to `inner` except `commit`, which `on_commit` handles: the
/// race [`Gate`], and the test stores that fail or rewrite commits.
pub struct CommitHook {
    inner: Arc<dyn Store>,
    on_commit: Box<OnCommit>,
}

impl CommitHook {
    pub fn new(
        inner: Arc<dyn Store>,
        on_commit: impl Fn(&dyn Store, &Batch, &AuditMac) -> Result<(), StoreError>
        + Send
        + Sync
        + 'static,
    ) -> Arc<CommitHook> {
        Arc::new(CommitHook {
            inner,
            on_commit: Box::new(on_commit),
        })
    }
}

impl Store for CommitHook {
    fn get(&self, kind: Kind, id: &str) -> Result<Option<Record>, StoreError> {
        self.inner.get(kind, id)
    }
    fn find_unique(&self, ns: &str, key: &str) -> Result<Option<(Kind, String)>, StoreError> {
        self.inner.find_unique(ns, key)
    }
    fn query(&self, q: &Query) -> Result<Found, StoreError> {
        self.inner.query(q)
    }
    fn counter(&self, name: &str) -> Result<u64, StoreError> {
        self.inner.counter(name)
    }
    fn commit(&self, batch: &Batch, mac: &AuditMac) -> Result<(), StoreError> {
        (self.on_commit)(self.inner.as_ref(), batch, mac)
    }
    fn prune(&self, kind: Kind, before: i64, limit: u32) -> Result<u64, StoreError> {
        self.inner.prune(kind, before, limit)
    }
    fn audit_query(&self, q: &AuditQuery) -> Result<(Vec<AuditEntry>, u64), StoreError> {
        self.inner.audit_query(q)
    }
    fn audit_range(
        &self,
        chain: &str,
        from: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit_range(chain, from, limit)
    }
    fn audit_heads(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit_heads()
    }
}

/// Holds the first commit writing a chosen document (after [`Gate::arm`]) until the other
/// operation has run: the deterministic interleaving of the races.
pub struct Gate {
    state: Mutex<GateState>,
    cv: Condvar,
}

#[derive(Clone, PartialEq, Eq)]
enum GateState {
    Open,
    Armed(Kind, Option<String>),
    Holding,
    Released,
}

impl Gate {
    /// A gate and the store `inner` behind it.
    pub fn around(inner: Arc<dyn Store>) -> (Arc<Gate>, Arc<dyn Store>) {
        let gate = Arc::new(Gate {
            state: Mutex::new(GateState::Open),
            cv: Condvar::new(),
        });
        let g = gate.clone();
        let store = CommitHook::new(inner, move |inner, batch, mac| {
            g.hold_if_armed(batch);
            inner.commit(batch, mac)
        });
        (gate, store)
    }

    /// Holds a batch that writes the armed document until the gate is released.
    fn hold_if_armed(&self, batch: &Batch) {
        let hold = {
            let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
            match &*g {
                GateState::Armed(kind, id)
                    if batch.writes.iter().any(|w| writes_to(w, *kind, id)) =>
                {
                    *g = GateState::Holding;
                    true
                }
                _ => false,
            }
        };
        if hold {
            self.cv.notify_all();
            self.wait_for(|g| *g == GateState::Released);
        }
    }

    fn set(&self, s: GateState) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = s;
        self.cv.notify_all();
    }

    /// Holds the next commit with a write of `kind` (and `id`, if given).
    pub fn arm(&self, kind: Kind, id: Option<&str>) {
        self.set(GateState::Armed(kind, id.map(str::to_owned)));
    }

    fn wait_for(&self, want: impl Fn(&GateState) -> bool) {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while !want(&g) {
            let (ng, to) = self
                .cv
                .wait_timeout(g, std::time::Duration::from_secs(20))
                .unwrap_or_else(|e| e.into_inner());
            g = ng;
            assert!(
                !to.timed_out(),
                "the gated operation never reached its commit"
            );
        }
    }

    /// Runs `a` until its gated commit, then `b` to its end, then lets `a` commit.
    pub fn interleave<A: Send, B>(
        &self,
        kind: Kind,
        id: Option<&str>,
        a: impl FnOnce() -> A + Send,
        b: impl FnOnce() -> B,
    ) -> (A, B) {
        self.arm(kind, id);
        std::thread::scope(|s| {
            let ha = s.spawn(a);
            self.wait_for(|g| *g == GateState::Holding);
            let rb = b();
            self.set(GateState::Released);
            let ra = ha.join().expect("operation a");
            self.set(GateState::Open);
            (ra, rb)
        })
    }
}

fn writes_to(w: &Write, kind: Kind, id: &Option<String>) -> bool {
    let (k, i) = match w {
        Write::Insert { kind, id, .. }
        | Write::Update { kind, id, .. }
        | Write::Check { kind, id, .. }
        | Write::Delete { kind, id, .. } => (*kind, id),
        Write::Count { .. } => return false,
    };
    k == kind && id.as_ref().is_none_or(|want| want == i)
}

fn clear_loser(e: &PlatformError) -> bool {
    matches!(
        e,
        PlatformError::ConcurrentChange(_) | PlatformError::InvalidState(_)
    )
}

/// Two confirmers decide one item: the one held at its commit loses, whatever it read.
pub fn race_two_approvals(st: Arc<dyn Store>) {
    let (gate, st) = Gate::around(st);
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
    for i in 0..2 {
        let AppSignOutcome::Queued(item) = p
            .app_sign(&app.id, &seal.id, &f.call(&format!("r{i}")), "ip")
            .unwrap()
        else {
            panic!("queued")
        };
        let (ra, rb) = gate.interleave(
            Kind::QueueItem,
            Some(&item),
            || p.decide(&s1, &item, true),
            || p.decide(&s2, &item, i == 0),
        );
        assert!(rb.is_ok(), "the decision that ran through wins: {rb:?}");
        let loser = ra.expect_err("the held decision read a pending item but must lose");
        assert!(clear_loser(&loser), "clear error: {loser:?}");
        let q = p
            .queue(&s1, &QueueFilter::default(), 1)
            .unwrap()
            .items
            .into_iter()
            .find(|q| q.id == item)
            .unwrap();
        assert_eq!(q.decided_by.as_ref(), Some(&c2.id));
        let _ = &c1;
    }
}

/// Two receipts of one seal: one wins; the seal has the winner's key, logged once.
pub fn race_two_receipts(st: Arc<dyn Store>) {
    let (gate, st) = Gate::around(st);
    let f = Fx::new(st);
    let p = &f.p;
    let (_, sa) = f.staff("印章管理员", &[Role::SealAdmin]);
    let s = p
        .apply_seal(&f.admin, f.application(SealKind::Cloud, "回执章"))
        .unwrap();
    p.ca_review(&f.ops, &s.id, true, "").unwrap();
    let (ra, rb) = gate.interleave(
        Kind::Seal,
        Some(&s.id),
        || p.receipt_seal(&f.admin, &s.id),
        || p.receipt_seal(&sa, &s.id),
    );
    let winner = rb.expect("the receipt that ran through wins");
    let loser = ra.expect_err("the held receipt must lose");
    assert!(clear_loser(&loser), "clear error: {loser:?}");
    let now = p.seal(&f.admin, &s.id).unwrap();
    assert_eq!(now.status, SealStatus::Valid);
    assert_eq!(now.public_key, winner.public_key, "the winner's key");
    assert_eq!(now.log.iter().filter(|l| l.action == "回执").count(), 1);
    let u = p
        .sign_with_seal(&f.admin, &s.id, &[9; 32], &SignCredential::Ukey)
        .unwrap();
    let pk = crate::crypto::sm2::PublicKey::from_sec1(
        &hex::decode(Platform::seal_public_key(&now).unwrap()).unwrap(),
    )
    .unwrap();
    crate::crypto::sm2::verify_digest(&pk, &[9; 32], &u.signature.unwrap()).unwrap();
}

/// Revocation against signing, both orders: a revocation that commits while a signature is
/// on its way makes the signature fail; a signature that commits first counts, and the
/// revocation then goes through.
pub fn race_revocation_vs_signing(st: Arc<dyn Store>) {
    let (gate, st) = Gate::around(st);
    let f = Fx::new(st);
    let p = &f.p;
    let (_, sa) = f.staff("印章管理员", &[Role::SealAdmin]);
    // signing held, revocation through: the signature is refused
    let s = f.valid_seal(&f.admin, SealKind::Cloud, "注销章1");
    let t = p.request_revocation(&sa, &s.id).unwrap();
    let (rs, rr) = gate.interleave(
        Kind::Seal,
        Some(&s.id),
        || p.sign_with_seal(&f.admin, &s.id, &[5; 32], &SignCredential::Ukey),
        || p.revoke_seal(&sa, &s.id, &t),
    );
    rr.expect("revocation");
    let e = rs.expect_err("a signature read before the revocation must not commit after it");
    assert!(clear_loser(&e), "clear error: {e:?}");
    let after = p.seal(&f.admin, &s.id).unwrap();
    assert_eq!((after.status, after.sign_count), (SealStatus::Revoked, 0));
    // revocation held, signing through: both succeed, in that order
    let s = f.valid_seal(&f.admin, SealKind::Cloud, "注销章2");
    let t = p.request_revocation(&sa, &s.id).unwrap();
    let (rr, rs) = gate.interleave(
        Kind::Seal,
        Some(&s.id),
        || p.revoke_seal(&sa, &s.id, &t),
        || p.sign_with_seal(&f.admin, &s.id, &[5; 32], &SignCredential::Ukey),
    );
    assert_eq!(rs.expect("signature").seal.sign_count, 1);
    rr.expect("the revocation runs again on the signed seal");
    let after = p.seal(&f.admin, &s.id).unwrap();
    assert_eq!((after.status, after.sign_count), (SealStatus::Revoked, 1));
    assert!(
        p.sign_with_seal(&f.admin, &s.id, &[5; 32], &SignCredential::Ukey)
            .is_err()
    );
}

/// Two signers of one seal: neither fails, both are counted.
pub fn race_two_signers(st: Arc<dyn Store>) {
    let (gate, st) = Gate::around(st);
    let f = Fx::new(st);
    let p = &f.p;
    let s = f.valid_seal(&f.admin, SealKind::Cloud, "并发章");
    let (ra, rb) = gate.interleave(
        Kind::Seal,
        Some(&s.id),
        || p.sign_with_seal(&f.admin, &s.id, &[1; 32], &SignCredential::Ukey),
        || p.sign_with_seal(&f.admin, &s.id, &[2; 32], &SignCredential::Ukey),
    );
    ra.expect("signer a");
    rb.expect("signer b");
    assert_eq!(p.seal(&f.admin, &s.id).unwrap().sign_count, 2);
    // and many at once
    std::thread::scope(|sc| {
        for _ in 0..4 {
            sc.spawn(|| {
                for _ in 0..5 {
                    p.sign_with_seal(&f.admin, &s.id, &[3; 32], &SignCredential::Ukey)
                        .expect("concurrent signers do not conflict");
                }
            });
        }
    });
    assert_eq!(p.seal(&f.admin, &s.id).unwrap().sign_count, 22);
}

/// Two units add the same phone: one person, one unit.
pub fn race_same_phone(st: Arc<dyn Store>) {
    let (gate, st) = Gate::around(st);
    let f = Fx::new(st);
    let p = &f.p;
    let ub = f
        .unit_login("单位B", &credit_code(2), "B1", "devB1", "y")
        .unwrap();
    let ph = phone(5000);
    let (ra, rb) = gate.interleave(
        Kind::Staff,
        None,
        || p.add_staff(&f.admin, "甲", &ph, &id_number(5000)),
        || p.add_staff(&ub, "乙", &ph, &id_number(6000)),
    );
    rb.expect("the addition that ran through wins");
    assert!(
        matches!(ra, Err(PlatformError::Duplicate(_))),
        "one person, one unit: {ra:?}"
    );
    p.verify_audit(None).unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_conforms() {
        run_all(&|| Arc::new(MemoryStore::new()));
    }

    /// A store that ignores versions: compare-and-set always "wins", checks pass.
    fn ignores_versions() -> Arc<dyn Store> {
        CommitHook::new(Arc::new(MemoryStore::new()), |inner, batch, mac| {
            let mut b = batch.clone();
            b.writes.retain(|w| !matches!(w, Write::Check { .. }));
            for w in &mut b.writes {
                if let Write::Update {
                    kind, id, expected, ..
                } = w
                    && let Some(r) = inner.get(*kind, id)?
                {
                    *expected = r.version;
                }
            }
            inner.commit(&b, mac)
        })
    }

    #[test]
    fn the_races_fail_on_a_store_that_ignores_versions() {
        for _ in 0..3 {
            let failed = failures(RACES, &ignores_versions);
            // Every version-based race fails (same phone is a unique key: that one holds).
            let names: Vec<&str> = failed
                .iter()
                .map(|f| f.split(':').next().unwrap_or(""))
                .collect();
            assert_eq!(
                names,
                vec![
                    "race_two_approvals",
                    "race_two_receipts",
                    "race_revocation_vs_signing"
                ],
                "{failed:?}"
            );
        }
    }
}
