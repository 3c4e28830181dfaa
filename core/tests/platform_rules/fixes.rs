//! The rules corrected by issue 12, one case each; every one of them failed on the code
//! before the fix.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use eseal::platform::conformance::{CommitHook, Fx, T0, credit_code as code, is_forbidden};
use eseal::platform::openapi::check_request;
use eseal::platform::perm::Role;
use eseal::platform::*;

/// Wrong signing passwords lock password signing like wrong login passwords lock the login
/// (2.1.2.4 / 1.3.2.2); an SMS code still signs; a new signing password lifts the lock.
pub fn signing_password_lockout(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let (me, sess) = f.staff("签署人", &[]);
    let seal = f.valid_seal(&f.admin, SealKind::Cloud, "签署章");
    p.add_seal_user(&f.admin, &seal.id, &me.id).unwrap();
    p.send_session_code(&sess, SmsPurpose::SetPassword).unwrap();
    let c = f.sms.last_code(&me.phone).unwrap();
    p.set_signing_password(&sess, &c, "246810").unwrap();
    let sign = |pw: &str| {
        p.sign_with_seal(
            &sess,
            &seal.id,
            &[1; 32],
            &SignCredential::SigningPassword(pw.into()),
        )
    };
    for _ in 0..MAX_FAILED_SIGNING_PASSWORDS {
        assert!(matches!(
            sign("000000"),
            Err(PlatformError::VerificationFailed(_))
        ));
    }
    assert!(
        sign("246810").is_err(),
        "locked: the right password is refused too"
    );
    // an SMS code still signs
    f.clock.advance(61);
    p.send_session_code(&sess, SmsPurpose::Sign).unwrap();
    let c = f.sms.last_code(&me.phone).unwrap();
    p.sign_with_seal(&sess, &seal.id, &[1; 32], &SignCredential::SmsCode(c))
        .unwrap();
    // the lock ends
    f.clock.advance(LOCKOUT_SECS + 1);
    sign("246810").unwrap();
    // a success resets the count: four wrong ones do not lock
    for _ in 1..MAX_FAILED_SIGNING_PASSWORDS {
        assert!(sign("000000").is_err());
    }
    sign("246810").unwrap();
    for _ in 1..MAX_FAILED_SIGNING_PASSWORDS {
        assert!(sign("000000").is_err());
    }
    sign("246810").unwrap();
}

/// A later, whitelisted unit UKey cannot make itself the main key, and the super
/// administrator (the first UKey) is never locked out (1.2.1, 2.4.7).
pub fn super_admin_cannot_be_locked_out(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let later = f
        .unit_login("测试单位A", &code(1), "A2", "devA2", "10.0.0.2")
        .unwrap();
    let Identity::UnitKey { key: later_key, .. } = &later.identity else {
        panic!()
    };
    let Identity::UnitKey { key: admin_key, .. } = &f.admin.identity else {
        panic!()
    };
    // whitelisted, the later key may manage the whitelist but not take the main key
    p.whitelist_add(&f.admin, "devA2").unwrap();
    assert!(is_forbidden(&p.set_main_key(&later, later_key)));
    assert_eq!(p.unit(&f.admin).unwrap().main_key, None);
    // once the super admin made it the main key, the super admin still logs in and acts
    p.set_main_key(&f.admin, later_key).unwrap();
    p.whitelist_remove(&later, "devA1").unwrap();
    let again = f
        .unit_login("测试单位A", &code(1), "A1", "devA1", "10.0.0.1")
        .expect("the super administrator is always admitted");
    assert_eq!(p.ctx(&again).unwrap().roles, vec![Role::SuperAdmin]);
    p.set_main_key(&again, admin_key).unwrap();
    // the main key may hand the main key on
    p.set_main_key(&f.admin, later_key).unwrap();
    p.set_main_key(&later, admin_key).unwrap();
    assert_eq!(
        p.unit(&f.admin).unwrap().main_key.as_deref(),
        Some(admin_key.as_str())
    );
}

/// A store that fails any commit writing a seal while `armed` (a database failing mid-way).
fn fails_seal_writes(st: Arc<dyn Store>, armed: Arc<AtomicBool>) -> Arc<dyn Store> {
    CommitHook::new(st, move |inner, batch, mac| {
        let writes_seal = batch.writes.iter().any(|w| {
            matches!(
                w,
                Write::Update {
                    kind: Kind::Seal,
                    ..
                }
            )
        });
        if writes_seal && armed.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("disk full".into()));
        }
        inner.commit(batch, mac)
    })
}

/// Granting a seal to an app and removing the grant are atomic with the seal's log: a call
/// that fails leaves no live grant without its log entry, nor a removed one.
pub fn grants_are_atomic(st: Arc<dyn Store>) {
    let armed = Arc::new(AtomicBool::new(false));
    let f = Fx::new(fails_seal_writes(st, armed.clone()));
    let p = &f.p;
    let seal = f.valid_seal(&f.admin, SealKind::Cloud, "授权章");
    let app = f.app("应用");
    armed.store(true, Ordering::SeqCst);
    assert!(
        p.grant_seal_to_app(&f.admin, &seal.id, &app.id, false)
            .is_err()
    );
    armed.store(false, Ordering::SeqCst);
    assert!(
        matches!(
            p.grant(&f.admin, &seal.id, &app.id),
            Err(PlatformError::NotFound(_))
        ),
        "no grant without its log entry"
    );
    let call = f.call("a.pdf");
    assert!(is_forbidden(&p.app_sign(&app.id, &seal.id, &call, "ip")));
    p.grant_seal_to_app(&f.admin, &seal.id, &app.id, false)
        .unwrap();
    armed.store(true, Ordering::SeqCst);
    assert!(p.remove_grant(&f.admin, &seal.id, &app.id).is_err());
    armed.store(false, Ordering::SeqCst);
    assert!(
        !p.grant(&f.admin, &seal.id, &app.id).unwrap().removed,
        "still granted"
    );
    let log = p.seal_log(&f.admin, &seal.id).unwrap();
    assert_eq!(
        log.iter()
            .filter(|l| l.action.starts_with("添加应用"))
            .count(),
        1
    );
    assert_eq!(
        log.iter()
            .filter(|l| l.action.starts_with("删除应用"))
            .count(),
        0
    );
    // the failures are in the audit log
    let unit = p.ctx(&f.admin).unwrap().unit;
    let (fails, _) = p
        .store()
        .audit_query(&AuditQuery {
            chain: unit,
            action: Some("GrantSealToApp".into()),
            only_failures: true,
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(fails.len(), 2);
}

/// x-qys-timestamp: extreme values are refused, never an overflow or a panic.
pub fn open_api_timestamp_extremes(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let app = f.app("接口");
    for ts in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX, i64::MAX - 1] {
        let h = f.headers(&app, ts);
        assert!(
            matches!(
                check_request(p, &h, "1.2.3.4"),
                Err(PlatformError::RequestRefused(_))
            ),
            "{ts}"
        );
    }
    for huge in [
        "99999999999999999999999",
        "-99999999999999999999999",
        "1e3",
        " 1",
    ] {
        let mut h = f.headers(&app, T0 * 1000);
        h.timestamp = huge.into();
        assert!(check_request(p, &h, "1.2.3.4").is_err(), "{huge}");
    }
    // and the clock at its extremes
    f.clock.set(i64::MAX);
    assert!(check_request(p, &f.headers(&app, i64::MAX), "1.2.3.4").is_err());
    f.clock.set(i64::MIN);
    assert!(check_request(p, &f.headers(&app, i64::MIN), "1.2.3.4").is_err());
}

/// Access tokens are shown only to those who may view the app's secret (2.9.3).
pub fn tokens_only_for_secret_viewers(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let app = f.app("业务系统");
    let seal = f.valid_seal(&f.admin, SealKind::Cloud, "章");
    p.grant_seal_to_app(&f.admin, &seal.id, &app.id, false)
        .unwrap();
    let (_, plain) = f.staff("普通", &[]);
    let (_, appadmin) = f.staff("应用管理员", &[Role::AppAdmin]);
    let listed = p.list_apps(&plain).unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].access_token.is_empty() && listed[0].access_secret.is_empty());
    let listed = p.list_apps(&appadmin).unwrap();
    assert_eq!(listed[0].access_token, app.access_token);
    assert!(
        listed[0].access_secret.is_empty(),
        "the secret only by 查看密钥"
    );
    let (d, _) = p.app_details(&appadmin, &app.id).unwrap();
    assert_eq!(d.access_token, app.access_token);
    assert!(is_forbidden(&p.app_details(&plain, &app.id)));
}

/// Captchas, revocation confirmations, login challenges, open-API nonces and used serial
/// numbers expire and are pruned.
pub fn short_lived_records_are_pruned(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let st = p.store().clone();
    let (cid, _) = p.issue_captcha().unwrap();
    let seal = f.valid_seal(&f.admin, SealKind::Cloud, "章");
    let tok = p.request_revocation(&f.admin, &seal.id).unwrap();
    let app = f.app("接口");
    check_request(p, &f.headers(&app, T0 * 1000), "1.2.3.4").unwrap();
    p.grant_seal_to_app(&f.admin, &seal.id, &app.id, false)
        .unwrap();
    let policy = ConfirmPolicy::SystemCheck {
        call_limit: None,
        token_check: true,
    };
    p.set_confirm_policy(&f.admin, &seal.id, &app.id, policy)
        .unwrap();
    let g = p.grant(&f.admin, &seal.id, &app.id).unwrap();
    let mut call = f.call("a.pdf");
    call.serial = Some("SN-1".into());
    call.token = Some(g.call_token.clone());
    p.app_sign(&app.id, &seal.id, &call, "ip").unwrap();
    assert!(p.app_sign(&app.id, &seal.id, &call, "ip").is_err(), "used");
    let count = |k: Kind| st.query(&Query::new(k)).unwrap().total;
    assert_eq!(count(Kind::Captcha), 1);
    assert_eq!(count(Kind::RevocationToken), 1);
    assert_eq!(count(Kind::Nonce), 1);
    assert_eq!(count(Kind::Serial), 1);
    // nothing is pruned before it expires
    assert_eq!(p.prune_expired().unwrap(), 0);
    f.clock.advance(NONCE_RETENTION + 1);
    assert!(p.prune_expired().unwrap() >= 3, "captcha, token, nonce");
    assert!(st.get(Kind::Captcha, &cid).unwrap().is_none());
    assert!(st.get(Kind::RevocationToken, &tok).unwrap().is_none());
    assert_eq!(count(Kind::Nonce), 0);
    assert_eq!(count(Kind::Serial), 1, "serials are kept longer");
    assert!(p.revoke_seal(&f.admin, &seal.id, &tok).is_err());
    f.clock.advance(SERIAL_RETENTION);
    assert_eq!(p.prune_expired().unwrap(), 1);
    assert_eq!(count(Kind::Serial), 0);
}

/// UKey logins are verified by the platform (1.2.1, 1.2.2): the challenge is single use and
/// expires; the signature must verify with the certificate's key; the certificate must chain
/// to the platform's trust anchors and be valid; the whitelist applies after a main key is set.
pub fn ukey_login_is_verified(st: Arc<dyn Store>) {
    use eseal::crypto::Signer;
    use eseal::crypto::testca::{CertKind, TestCa};
    use eseal::crypto::time::Time;
    let f = Fx::new(st);
    let p = &f.p;
    let unit = |ca: &TestCa, key: &str| {
        ca.issue(
            key,
            &[
                ("C", "CN"),
                ("O", "测试单位A"),
                ("CN", "测试单位A"),
                ("serialNumber", &code(1)),
            ],
            CertKind::Signing,
            Time::from_unix(T0 - 86_400),
            Time::from_unix(T0 + 86_400),
        )
        .unwrap()
    };
    let key = unit(&f.ca, "challenge-key");
    let proof = |c: &IssuedChallenge, signer: &dyn Signer, msg: &[u8]| UkeyProof {
        challenge_id: c.id.clone(),
        certificate: signer.certificate().der().to_vec(),
        signature: signer.sign_message(msg).unwrap().to_der(),
        device_serial: "devC".into(),
    };
    let refused = |r: Result<Session, PlatformError>| {
        assert!(
            matches!(
                r,
                Err(PlatformError::LoginRefused(_) | PlatformError::ChallengeExpired)
            ),
            "{r:?}"
        )
    };
    // a good answer logs in, once
    let c = p.ukey_challenge().unwrap();
    assert_eq!(c.bytes.len(), 32);
    let good = proof(&c, &key.signer(), &c.bytes);
    let s = p.login_ukey(UkeyKind::Unit, &good, "10.0.3.1").unwrap();
    assert_eq!(p.ctx(&s).unwrap().roles, vec![Role::SystemAdmin]);
    assert!(matches!(
        p.login_ukey(UkeyKind::Unit, &good, "10.0.3.1"),
        Err(PlatformError::ChallengeExpired)
    ));
    // another message signed, or another key's signature: refused, and the challenge is spent
    let c = p.ukey_challenge().unwrap();
    refused(p.login_ukey(UkeyKind::Unit, &proof(&c, &key.signer(), b"other"), "x"));
    refused(p.login_ukey(UkeyKind::Unit, &proof(&c, &key.signer(), &c.bytes), "x"));
    let c = p.ukey_challenge().unwrap();
    let mut forged = proof(&c, &key.signer(), &c.bytes);
    forged.signature = unit(&f.ca, "thief")
        .signer()
        .sign_message(&c.bytes)
        .unwrap()
        .to_der();
    refused(p.login_ukey(UkeyKind::Unit, &forged, "x"));
    // a certificate of a CA the platform does not trust
    let stranger = unit(&TestCa::new("stranger").unwrap(), "k");
    let c = p.ukey_challenge().unwrap();
    refused(p.login_ukey(
        UkeyKind::Unit,
        &proof(&c, &stranger.signer(), &c.bytes),
        "x",
    ));
    // an expired challenge
    let c = p.ukey_challenge().unwrap();
    f.clock.advance(CHALLENGE_TTL + 1);
    refused(p.login_ukey(UkeyKind::Unit, &proof(&c, &key.signer(), &c.bytes), "x"));
    // an expired certificate (valid until T0 + 1 day)
    f.clock.set(T0 + 2 * 86_400);
    let c = p.ukey_challenge().unwrap();
    refused(p.login_ukey(UkeyKind::Unit, &proof(&c, &key.signer(), &c.bytes), "x"));
    f.clock.set(T0 + 60);
    // garbage is bad input, not a panic
    let c = p.ukey_challenge().unwrap();
    let mut junk = proof(&c, &key.signer(), &c.bytes);
    junk.certificate = b"not a certificate".to_vec();
    assert!(matches!(
        p.login_ukey(UkeyKind::Unit, &junk, "x"),
        Err(PlatformError::InvalidInput(_))
    ));
    // after a main key is set, an unlisted device is refused even with a good answer
    let Identity::UnitKey { key: admin_key, .. } = &f.admin.identity else {
        panic!()
    };
    p.set_main_key(&f.admin, admin_key).unwrap();
    let c = p.ukey_challenge().unwrap();
    refused(p.login_ukey(UkeyKind::Unit, &proof(&c, &key.signer(), &c.bytes), "x"));
    // a personal UKey names a serving staff member by ID number
    let (s, _) = f.staff("王个人", &[]);
    let sess = f.personal_login(&s.name, &s.id_number, "10.0.3.2").unwrap();
    assert_eq!(sess, Fx::ukey_session(&s, "10.0.3.2"));
    refused(f.personal_login(
        "无此人",
        &eseal::platform::conformance::id_number(77_777),
        "y",
    ));
    // refusals are audited; spent challenges are pruned
    let c = p.ukey_challenge().unwrap();
    f.clock.advance(CHALLENGE_TTL + 1);
    assert!(p.prune_expired().unwrap() >= 1);
    refused(p.login_ukey(UkeyKind::Unit, &proof(&c, &key.signer(), &c.bytes), "x"));
}

/// 修改手机号 (2.1.2): codes to the current and to the new phone; a phone of another account
/// is refused; the new phone signs in, the old one no longer.
pub fn phone_change_is_sms_verified(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let (me, sess) = f.staff("换号人", &[]);
    let (other, _) = f.staff("他人", &[]);
    let new_phone = eseal::platform::conformance::phone(88_888);
    assert!(matches!(
        p.send_new_phone_code(&sess, &other.phone),
        Err(PlatformError::Duplicate(_))
    ));
    p.send_session_code(&sess, SmsPurpose::ChangePhone).unwrap();
    let old_code = f.sms.last_code(&me.phone).unwrap();
    p.send_new_phone_code(&sess, &new_phone).unwrap();
    let new_code = f.sms.last_code(&new_phone).unwrap();
    // a wrong code for either phone changes nothing
    assert!(
        p.change_phone(&sess, "000000", &new_phone, &new_code)
            .is_err()
    );
    assert_eq!(p.staff(&f.admin, &me.id).unwrap().phone, me.phone);
    assert!(
        p.change_phone(&sess, &old_code, &new_phone, "000000")
            .is_err()
    );
    // (the wrong tries were counted; neither right code was spent)
    let s = p
        .change_phone(&sess, &old_code, &new_phone, &new_code)
        .unwrap();
    assert_eq!(s.phone, new_phone);
    // codes are single use
    assert!(
        p.change_phone(&sess, &old_code, &new_phone, &new_code)
            .is_err()
    );
    // the account is found by its new phone only
    f.clock.advance(61);
    let (cid, ans) = p.issue_captcha().unwrap();
    p.send_sms_code(&new_phone, SmsPurpose::Login, &cid, &ans, "x")
        .unwrap();
    let (cid, ans) = p.issue_captcha().unwrap();
    assert!(
        p.send_sms_code(&me.phone, SmsPurpose::Login, &cid, &ans, "x")
            .is_err()
    );
    // another account cannot take it
    f.clock.advance(61);
    let (_, other_sess) = f.staff("第三人", &[]);
    assert!(matches!(
        p.send_new_phone_code(&other_sess, &new_phone),
        Err(PlatformError::Duplicate(_))
    ));
    // unit UKeys have no phone
    assert!(
        p.send_new_phone_code(&f.admin, &eseal::platform::conformance::phone(77_777))
            .is_err()
    );
}
