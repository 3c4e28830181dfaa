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
    let later = p
        .login_unit_key("测试单位A", &code(1), "A2", "CN=A", "devA2", "10.0.0.2")
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
    let again = p
        .login_unit_key("测试单位A", &code(1), "A1", "CN=A", "devA1", "10.0.0.1")
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
