//! The business rules of the platform (manual chapters 1-2), one function per area, each over
//! a fresh store. Shared by `core/tests/platform_rules.rs` (memory store) and
//! `server-example/tests/platform_rules.rs` (SQLite and PostgreSQL), so every rule is checked
//! over every store.

#![allow(dead_code)]

use std::sync::Arc;

use base64::Engine;
use eseal::crypto::sm2;
use eseal::platform::audit::AuditFilter;
use eseal::platform::conformance::{Fx, T0, credit_code as code, id_number, is_forbidden, phone};
use eseal::platform::openapi::{self, OpenApiHeaders, check_request, request_signature};
use eseal::platform::perm::{self, Action, Role};
use eseal::platform::*;

/// One case.
pub type Case = fn(Arc<dyn Store>);

#[path = "fixes.rs"]
mod fixes;

/// Every case, by name.
pub const CASES: &[(&str, Case)] = &[
    ("signing_password_lockout", fixes::signing_password_lockout),
    (
        "super_admin_cannot_be_locked_out",
        fixes::super_admin_cannot_be_locked_out,
    ),
    ("grants_are_atomic", fixes::grants_are_atomic),
    (
        "open_api_timestamp_extremes",
        fixes::open_api_timestamp_extremes,
    ),
    (
        "tokens_only_for_secret_viewers",
        fixes::tokens_only_for_secret_viewers,
    ),
    (
        "short_lived_records_are_pruned",
        fixes::short_lived_records_are_pruned,
    ),
    ("ukey_login_is_verified", fixes::ukey_login_is_verified),
    (
        "phone_change_is_sms_verified",
        fixes::phone_change_is_sms_verified,
    ),
    ("unit_keys_and_whitelist", unit_keys_and_whitelist),
    ("cert_application", cert_application),
    ("staff_rules", staff_rules),
    ("roles", roles),
    ("permission_matrix", permission_matrix),
    ("matrix_real_operations", matrix_real_operations),
    ("seal_life_cycle", seal_life_cycle),
    ("seal_visibility_and_users", seal_visibility_and_users),
    ("personal_signatures", personal_signatures),
    ("apps", apps),
    ("open_api_check", open_api_check),
    ("grants_and_policies", grants_and_policies),
    ("queue_paging_and_batch", queue_paging_and_batch),
    ("credentials", credentials),
    ("signed_files", signed_files),
];

/// Runs every case on fresh stores from `make`; panics with the list of failed cases.
pub fn run_all(make: &(dyn Fn() -> Arc<dyn Store> + Sync)) {
    eseal::platform::conformance::run_cases(CASES, make);
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

pub const EXPECTED_MATRIX: &str = "
SetMainKey                 x..x.....
ManageKeyWhitelist         x..x.....
ApplyUnitCert              x..x.....
ViewUnitCert               x..x.....
ViewStaff                  x.xx...x.
SearchStaff                x.xx...x.
AddStaff                   x.xx.....
EditStaff                  x.xx.....
RemoveStaff                x.xx.....
ManageRoles                x..x.....
ApplyUkeySeal              x..x.....
ApplyCloudSeal             x..xx.x..
ReceiptSeal                x..xx.x..
WriteSealToUkey            x..x.....
RevokeSeal                 x..xx.x..
FreezeSeal                 x..xx.x..
UnfreezeSeal               x..xx.x..
ViewAllSeals               x..x.....
ViewCloudSeals             x..xx....
ViewOwnSeals               x..xx.xx.
SetSealUsers               x..xx.x..
GrantSealToApp             x..xx.x..
ViewSealLog                x..xx.x..
SignWithSeal               x..x...x.
ViewOwnFiles               x..x...x.
ViewUnitFiles              x..x.....
DeleteFile                 x..x...x.
DecideQueueItem            x..x...x.
ViewApps                   xx.x...x.
CreateApp                  xx.x.....
EditApp                    xx.x.....
DeleteApp                  xx.x.....
ViewAppSecret              xx.x.....
ResetAppSecret             xx.x.....
ViewAppDetails             xx.x.....
ReadAudit                  x..x.x...
SetOwnAvatar               x..x...x.
SetOwnSignature            .......x.
SetOwnPasswords            .......x.
ApplyPersonalUkeySignature .......x.
CaReview                   ........x
ReviewApp                  ........x
SetSwitches                ........x
";

const COLS: [Role; 9] = [
    Role::SuperAdmin,
    Role::AppAdmin,
    Role::StaffAdmin,
    Role::SystemAdmin,
    Role::SealAdmin,
    Role::Auditor,
    Role::SealMaker,
    Role::Staff,
    Role::Operator,
];

/// `expected(role, action)` from [`EXPECTED_MATRIX`].
pub fn expected(role: Role, action: Action) -> bool {
    let col = COLS.iter().position(|r| *r == role).expect("role column");
    let name = format!("{action:?}");
    let line = EXPECTED_MATRIX
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name.as_str()))
        .unwrap_or_else(|| panic!("{name} missing from the expected matrix"));
    let marks = line.split_whitespace().nth(1).expect("marks");
    marks.as_bytes()[col] == b'x'
}

pub fn unit_keys_and_whitelist(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    assert_eq!(p.ctx(&f.admin).unwrap().roles, vec![Role::SuperAdmin]);
    let b = f
        .unit_login("测试单位A", &code(1), "A2", "devA2", "10.0.0.2")
        .unwrap();
    assert_eq!(
        p.ctx(&b).unwrap().roles,
        vec![Role::SystemAdmin],
        "later keys are not super admin"
    );
    // the same key logs in again as the same identity
    let a2 = f
        .unit_login("测试单位A", &code(1), "A1", "devA1", "10.0.0.1")
        .unwrap();
    assert_eq!(a2, f.admin);
    let Identity::UnitKey { key: main, .. } = &f.admin.identity else {
        panic!()
    };
    p.set_main_key(&f.admin, main).unwrap();
    let u = p.unit(&f.admin).unwrap();
    assert_eq!(u.main_key.as_deref(), Some(main.as_str()));
    assert!(
        u.whitelist.contains(&"devA1".to_string()),
        "main key whitelisted automatically"
    );
    // now other keys are refused, even known ones
    assert!(matches!(
        f.unit_login("测试单位A", &code(1), "A3", "devA3", "x"),
        Err(PlatformError::LoginRefused(_))
    ));
    assert!(matches!(p.ctx(&b), Err(PlatformError::LoginRefused(_))));
    p.whitelist_add(&f.admin, "devA3").unwrap();
    let c = f
        .unit_login("测试单位A", &code(1), "A3", "devA3", "x")
        .unwrap();
    assert_eq!(p.ctx(&c).unwrap().roles, vec![Role::SystemAdmin]);
    assert!(matches!(
        p.whitelist_remove(&f.admin, "devA1"),
        Err(PlatformError::InvalidState(_))
    ));
    p.whitelist_remove(&f.admin, "devA3").unwrap();
    assert!(p.ctx(&c).is_err());
    // a staff member cannot manage the whitelist
    let (_, s) = f.staff("李四", &[Role::SealAdmin, Role::StaffAdmin]);
    assert!(is_forbidden(&p.whitelist_add(&s, "devX")));
    // another unit: its own super admin; a key of unit A cannot enter unit B
    let ub = f
        .unit_login("测试单位B", &code(2), "B1", "devB1", "y")
        .unwrap();
    assert_eq!(p.ctx(&ub).unwrap().roles, vec![Role::SuperAdmin]);
    assert!(
        f.unit_login("测试单位B", &code(2), "A1", "devA1", "y")
            .is_err()
    );
    assert!(f.unit_login("", &code(3), "C", "d", "y").is_err());
    assert!(f.unit_login("C", "short", "C", "d", "y").is_err());
}

pub fn cert_application(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let ub = f.unit_login("单位B", &code(2), "B1", "devB1", "y").unwrap();
    // seals need the certificate application
    assert!(matches!(
        p.apply_seal(&ub, f.application(SealKind::Cloud, "章")),
        Err(PlatformError::InvalidState(_))
    ));
    assert!(
        p.apply_unit_cert(
            &ub,
            "王五",
            "110105194912310021",
            "13900000001",
            "a@b.cn",
            true
        )
        .is_err()
    );
    assert!(
        p.apply_unit_cert(&ub, "王五", &id_number(5), "1390000000", "a@b.cn", true)
            .is_err()
    );
    assert!(
        p.apply_unit_cert(&ub, "王五", &id_number(5), "13900000001", "ab.cn", true)
            .is_err()
    );
    assert!(
        p.apply_unit_cert(&ub, "王五", &id_number(5), "13900000001", "a@b.cn", false)
            .is_err()
    );
    assert_eq!(p.unit_certificate(&ub).unwrap(), None);
    let cert = p
        .apply_unit_cert(&ub, "王五", &id_number(5), "13900000001", "a@b.cn", true)
        .unwrap();
    // the certificate is issued by the platform's CA for a key in the vault (1.2.1.2) and
    // shown with 颁发对象, 颁发者, 证件号, 序列号, 有效期 (2.1.1.2)
    assert_eq!(p.unit_certificate(&ub).unwrap().as_ref(), Some(&cert));
    assert!(cert.subject.contains("单位B") && cert.subject.contains(&code(2)));
    assert!(cert.issuer.contains("eseal Test Root CA"));
    assert_eq!(cert.id_number, code(2));
    assert!(!cert.serial.is_empty() && cert.valid_at(p.now()));
    let der = base64::engine::general_purpose::STANDARD
        .decode(&cert.der_b64)
        .unwrap();
    let x509 = eseal::crypto::Certificate::from_der(&der).unwrap();
    let root = eseal::crypto::testca::TestCa::new("conformance")
        .unwrap()
        .root
        .cert;
    x509.verify_issued_by(&root).unwrap();
    assert!(
        matches!(
            p.apply_unit_cert(&ub, "王五", &id_number(5), "13900000001", "a@b.cn", true),
            Err(PlatformError::InvalidState(_))
        ),
        "one valid certificate per unit"
    );
    let u = p.unit(&ub).unwrap();
    let app = u.cert_application.unwrap();
    assert_eq!(
        (app.handler_name.as_str(), app.agreement_accepted),
        ("王五", true)
    );
    p.apply_seal(&ub, f.application(SealKind::Cloud, "章"))
        .unwrap();
    assert_eq!(
        p.unit_cert_application(&ub).unwrap().unwrap().handler_phone,
        "13900000001"
    );
    // avatars: the unit's and a staff member's own
    p.set_avatar(&ub, "avatars/unit.png").unwrap();
    assert_eq!(
        p.unit(&ub).unwrap().avatar.as_deref(),
        Some("avatars/unit.png")
    );
    let (s, sess) = f.staff("头像", &[]);
    p.set_avatar(&sess, "avatars/me.png").unwrap();
    assert_eq!(
        p.staff(&sess, &s.id).unwrap().avatar.as_deref(),
        Some("avatars/me.png")
    );
    assert!(is_forbidden(&p.unit_cert_application(&sess)));
}

pub fn staff_rules(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    assert!(matches!(
        p.add_staff(&f.admin, "张三", "12345678901", &id_number(1)),
        Err(PlatformError::InvalidInput(_))
    ));
    assert!(matches!(
        p.add_staff(&f.admin, "张三", &phone(1), "110105194912310021"),
        Err(PlatformError::InvalidInput(_))
    ));
    assert!(
        p.add_staff(&f.admin, " ", &phone(1), &id_number(1))
            .is_err()
    );
    let zs = p
        .add_staff(&f.admin, "张三", &phone(1), &id_number(1))
        .unwrap();
    assert_eq!(zs.initial, 'Z');
    // unique across the platform: another unit cannot add the same phone or ID number
    let ub = f.unit_login("单位B", &code(2), "B1", "devB1", "y").unwrap();
    assert!(matches!(
        p.add_staff(&ub, "张三", &phone(1), &id_number(2)),
        Err(PlatformError::Duplicate(_))
    ));
    assert!(matches!(
        p.add_staff(&ub, "张三", &phone(2), &id_number(1)),
        Err(PlatformError::Duplicate(_))
    ));
    let ww = p
        .add_staff(&f.admin, "王五", &phone(3), &id_number(3))
        .unwrap();
    assert!(matches!(
        p.edit_staff(&f.admin, &ww.id, "王五", &phone(1), &id_number(3), false),
        Err(PlatformError::Duplicate(_))
    ));
    let ww = p
        .edit_staff(&f.admin, &ww.id, "吴五", &phone(4), &id_number(3), false)
        .unwrap();
    assert_eq!((ww.initial, ww.phone.as_str()), ('W', phone(4).as_str()));
    // the unit UKey cannot be edited as staff
    let Identity::UnitKey { key, .. } = &f.admin.identity else {
        panic!()
    };
    assert!(is_forbidden(&p.edit_staff(
        &f.admin,
        key,
        "x",
        &phone(9),
        &id_number(9),
        false
    )));
    // unit B cannot touch unit A's staff
    assert!(matches!(
        p.edit_staff(&ub, &zs.id, "x", &phone(9), &id_number(9), false),
        Err(PlatformError::NotFound(_))
    ));
    // search
    p.add_staff(&f.admin, "李四", &phone(5), &id_number(5))
        .unwrap();
    let names = |q: StaffQuery| -> Vec<String> {
        p.search_staff(&f.admin, &q)
            .unwrap()
            .items
            .into_iter()
            .map(|s| s.name)
            .collect()
    };
    assert_eq!(
        names(StaffQuery {
            initial: Some('z'),
            ..Default::default()
        }),
        vec!["张三"]
    );
    assert_eq!(
        names(StaffQuery {
            text: Some(phone(5)),
            ..Default::default()
        }),
        vec!["李四"]
    );
    assert_eq!(
        names(StaffQuery {
            text: Some("吴".into()),
            ..Default::default()
        }),
        vec!["吴五"]
    );
    p.edit_staff(&f.admin, &ww.id, "吴五", &phone(4), &id_number(3), true)
        .unwrap();
    assert_eq!(
        names(StaffQuery {
            resigned: Some(true),
            ..Default::default()
        }),
        vec!["吴五"]
    );
    assert_eq!(names(StaffQuery::default()).len(), 3);
    // ordinary staff may view and search but not add, edit, remove
    let (_, plain) = f.staff("赵六", &[]);
    assert_eq!(
        p.search_staff(&plain, &StaffQuery::default())
            .unwrap()
            .items
            .len(),
        4
    );
    assert!(is_forbidden(&p.add_staff(
        &plain,
        "x",
        &phone(7),
        &id_number(7)
    )));
    assert!(is_forbidden(&p.remove_staff(&plain, &zs.id)));
    // a staff administrator may
    let (_, sa) = f.staff("钱七", &[Role::StaffAdmin]);
    p.add_staff(&sa, "孙八", &phone(8), &id_number(8)).unwrap();
    // removal: no login, no roles, can be re-added (even elsewhere)
    let (zl, zl_sess) = f.staff("周九", &[Role::SealAdmin]);
    p.remove_staff(&sa, &zl.id).unwrap();
    assert!(matches!(
        p.ctx(&zl_sess),
        Err(PlatformError::LoginRefused(_))
    ));
    assert!(p.login_password(&zl.phone, "whatever1", "ip").is_err());
    let again = p.add_staff(&ub, "周九", &zl.phone, &zl.id_number).unwrap();
    assert!(again.roles.is_empty() && again.id != zl.id);
    assert!(
        p.search_staff(&f.admin, &StaffQuery::default())
            .unwrap()
            .items
            .iter()
            .all(|s| s.id != zl.id)
    );
    // resigned staff cannot act
    let ss = Session {
        identity: Identity::Staff {
            unit: ww.unit.clone(),
            staff: ww.id.clone(),
            via_ukey: false,
        },
        ip: "i".into(),
    };
    assert!(p.ctx(&ss).is_err());
}

pub fn roles(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let (s, sess) = f.staff("张三", &[]);
    assert!(
        is_forbidden(&p.grant_role(&f.admin, &s.id, Role::SystemAdmin)),
        "系统管理员 is UKey only"
    );
    assert!(is_forbidden(&p.grant_role(
        &f.admin,
        &s.id,
        Role::SuperAdmin
    )));
    p.grant_role(&f.admin, &s.id, Role::Auditor).unwrap();
    assert!(p.ctx(&sess).unwrap().roles.contains(&Role::Auditor));
    let members = p.role_members(&f.admin, Role::Auditor).unwrap();
    let Identity::UnitKey { key, .. } = &f.admin.identity else {
        panic!()
    };
    assert!(
        members.contains(key) && members.contains(&s.id),
        "the unit UKey is in every role"
    );
    assert!(
        is_forbidden(&p.revoke_role(&f.admin, key, Role::Auditor)),
        "the unit UKey cannot be removed"
    );
    p.revoke_role(&f.admin, &s.id, Role::Auditor).unwrap();
    assert!(!p.ctx(&sess).unwrap().roles.contains(&Role::Auditor));
    // only serving staff get roles; staff cannot assign roles
    let (r, rs) = f.staff("李四", &[]);
    assert!(is_forbidden(&p.grant_role(&rs, &s.id, Role::Auditor)));
    p.edit_staff(&f.admin, &r.id, &r.name, &r.phone, &r.id_number, true)
        .unwrap();
    assert!(matches!(
        p.grant_role(&f.admin, &r.id, Role::Auditor),
        Err(PlatformError::InvalidState(_))
    ));
}

/// The full role × action matrix: static table, resolved identities in the store, and real
/// operations for a sample of actions.
pub fn permission_matrix(st: Arc<dyn Store>) {
    for r in Role::ALL {
        for a in Action::ALL {
            assert_eq!(
                perm::allowed(r, a),
                expected(r, a),
                "matrix cell {r:?} × {a:?}"
            );
        }
    }
    let f = Fx::new(st);
    let p = &f.p;
    let sysadmin = f
        .unit_login("测试单位A", &code(1), "A2", "devA2", "10.0.0.2")
        .unwrap();
    let mut ids: Vec<(Role, Session)> = vec![
        (Role::SuperAdmin, f.admin.clone()),
        (Role::SystemAdmin, sysadmin),
        (Role::Operator, f.ops.clone()),
    ];
    for r in Role::ASSIGNABLE {
        ids.push((r, f.staff(&format!("员工{r:?}"), &[r]).1));
    }
    ids.push((Role::Staff, f.staff("普通", &[]).1));
    for (role, sess) in &ids {
        let is_staff = !matches!(role, Role::SuperAdmin | Role::SystemAdmin | Role::Operator);
        for a in Action::ALL {
            let want = expected(*role, a) || (is_staff && expected(Role::Staff, a));
            assert_eq!(p.may(sess, a).unwrap(), want, "{role:?} × {a:?}");
        }
    }
}

/// A UKey that answers nothing (the permission checks come before the token is touched).
struct NoToken;

impl eseal::ukey::Token for NoToken {
    fn name(&self) -> &str {
        "none"
    }
    fn info(&self) -> eseal::ukey::Result<eseal::ukey::DeviceInfo> {
        Err(none())
    }
    fn applications(&self) -> eseal::ukey::Result<Vec<String>> {
        Err(none())
    }
    fn pin_info(
        &mut self,
        _: &str,
        _: eseal::ukey::PinType,
    ) -> eseal::ukey::Result<eseal::ukey::PinInfo> {
        Err(none())
    }
    fn verify_pin(&mut self, _: &str, _: eseal::ukey::PinType, _: &str) -> eseal::ukey::Result<()> {
        Err(none())
    }
    fn change_pin(
        &mut self,
        _: &str,
        _: eseal::ukey::PinType,
        _: &str,
        _: &str,
    ) -> eseal::ukey::Result<()> {
        Err(none())
    }
    fn unblock_pin(&mut self, _: &str, _: &str, _: &str) -> eseal::ukey::Result<()> {
        Err(none())
    }
    fn logout(&mut self, _: &str) -> eseal::ukey::Result<()> {
        Err(none())
    }
    fn containers(&mut self, _: &str) -> eseal::ukey::Result<Vec<eseal::ukey::ContainerInfo>> {
        Err(none())
    }
    fn certificate(&mut self, _: &str, _: &str, _: bool) -> eseal::ukey::Result<Vec<u8>> {
        Err(none())
    }
    fn public_key(&mut self, _: &str, _: &str) -> eseal::ukey::Result<[u8; 65]> {
        Err(none())
    }
    fn sign_digest(&mut self, _: &str, _: &str, _: &[u8; 32]) -> eseal::ukey::Result<[u8; 64]> {
        Err(none())
    }
    fn create_container(&mut self, _: &str, _: &str) -> eseal::ukey::Result<()> {
        Err(none())
    }
    fn generate_sm2_key(&mut self, _: &str, _: &str) -> eseal::ukey::Result<[u8; 65]> {
        Err(none())
    }
    fn import_certificate(
        &mut self,
        _: &str,
        _: &str,
        _: bool,
        _: &[u8],
    ) -> eseal::ukey::Result<()> {
        Err(none())
    }
    fn files(&mut self, _: &str) -> eseal::ukey::Result<Vec<eseal::ukey::FileInfo>> {
        Err(none())
    }
    fn read_file(&mut self, _: &str, _: &str) -> eseal::ukey::Result<Vec<u8>> {
        Err(none())
    }
    fn write_file(
        &mut self,
        _: &str,
        _: &str,
        _: &[u8],
        _: eseal::ukey::FileRights,
        _: eseal::ukey::FileRights,
    ) -> eseal::ukey::Result<()> {
        Err(none())
    }
    fn delete_file(&mut self, _: &str, _: &str) -> eseal::ukey::Result<()> {
        Err(none())
    }
    fn random(&self, _: usize) -> eseal::ukey::Result<Vec<u8>> {
        Err(none())
    }
}

fn none() -> eseal::ukey::UkeyError {
    eseal::ukey::UkeyError::DeviceRemoved
}

/// The "real operations" part of the matrix: each of the 43 actions is performed by each of
/// the 9 identities (a fresh unit each), through the operation that checks it, on objects the
/// identity could act on if allowed; the result is [`PlatformError::Forbidden`] exactly where
/// the matrix says no. Visibility actions (ViewAllSeals, ViewCloudSeals, ViewUnitFiles) are
/// checked by what the lists show.
pub fn matrix_real_operations(st: Arc<dyn Store>) {
    let roles: Vec<Role> = Role::ALL.to_vec();
    // One platform for all identities: each gets its own unit (credit code) and objects.
    let f = Fx::new(st);
    let p = &f.p;
    let mut checked = std::collections::BTreeSet::new();
    for (n, role) in roles.iter().enumerate() {
        // a unit of its own for this identity
        let admin = f
            .unit_login(
                &format!("矩阵单位{n}"),
                &code(900 + n as u32),
                &format!("M{n}"),
                &format!("devM{n}"),
                "10.0.5.1",
            )
            .unwrap();
        p.apply_unit_cert(
            &admin,
            "经办人",
            &id_number(990 + n as u32),
            "13900000990",
            "a@b.cn",
            true,
        )
        .unwrap();
        let (sess, staff_id) = match role {
            Role::SuperAdmin => (admin.clone(), None),
            Role::SystemAdmin => (
                f.unit_login(
                    &format!("矩阵单位{n}"),
                    &code(900 + n as u32),
                    &format!("M{n}b"),
                    &format!("devM{n}b"),
                    "10.0.5.2",
                )
                .unwrap(),
                None,
            ),
            Role::Operator => (f.ops.clone(), None),
            r => {
                let roles: &[Role] = if *r == Role::Staff {
                    &[]
                } else {
                    std::slice::from_ref(r)
                };
                let (s, sess) = f.staff_in(&admin, &format!("矩阵{r:?}"), roles);
                (sess, Some(s))
            }
        };
        let ukey_sess = staff_id
            .as_ref()
            .map(|s| Fx::ukey_session(s, "10.0.5.3"))
            .unwrap_or_else(|| sess.clone());
        let (target, _) = f.staff_in(&admin, "目标人员", &[]);
        let other_cloud = f.valid_seal(&admin, SealKind::Cloud, &format!("他人云章{n}"));
        let ukey_seal = f.valid_seal(&admin, SealKind::Ukey, &format!("矩阵UKey章{n}"));
        let may_apply = p.may(&sess, Action::ApplyCloudSeal).unwrap();
        let by = if *role == Role::SealMaker && may_apply {
            &sess
        } else {
            &admin
        };
        let seal = f.valid_seal(by, SealKind::Cloud, &format!("矩阵云章{n}"));
        let pending = p
            .apply_seal(by, f.application(SealKind::Cloud, &format!("待回执章{n}")))
            .unwrap();
        p.ca_review(&f.ops, &pending.id, true, "").unwrap();
        let in_review = p
            .apply_seal(
                &admin,
                f.application(SealKind::Cloud, &format!("待审核章{n}")),
            )
            .unwrap();
        if let Some(s) = &staff_id {
            p.add_seal_user(&admin, &seal.id, &s.id).unwrap();
        }
        let new_app = |name: String| {
            p.create_app(
                &admin,
                &AppInput {
                    name,
                    ..Default::default()
                },
            )
            .unwrap()
        };
        let app = new_app(format!("矩阵应用{n}"));
        let app2 = new_app(format!("矩阵应用{n}b"));
        let Identity::UnitKey { key: admin_key, .. } = &admin.identity else {
            panic!()
        };
        let file = p
            .record_file(
                &admin,
                &FileInput {
                    name: "他人文件.pdf".into(),
                    pages: 1,
                    seals: vec![ukey_seal.id.clone()],
                    format: FileFormat::Pdf,
                    size: 10,
                    thumbnail: None,
                },
            )
            .unwrap();
        let forbidden_of = |a: Action| -> Result<(), PlatformError> {
            let r: Result<(), PlatformError> = match a {
                Action::SetMainKey => p.set_main_key(&sess, admin_key).map(drop),
                Action::ManageKeyWhitelist => p.whitelist_add(&sess, "devQ").map(drop),
                Action::ApplyUnitCert => p
                    .apply_unit_cert(
                        &sess,
                        "经办人",
                        &id_number(1),
                        "13900000001",
                        "a@b.cn",
                        true,
                    )
                    .map(drop),
                Action::ViewUnitCert => p.unit_certificate(&sess).map(drop),
                Action::ViewStaff => p.staff(&sess, &target.id).map(drop),
                Action::SearchStaff => p.search_staff(&sess, &StaffQuery::default()).map(drop),
                Action::AddStaff => {
                    let k = f.next();
                    p.add_staff(&sess, "新增", &phone(k), &id_number(k))
                        .map(drop)
                }
                Action::EditStaff => p
                    .edit_staff(
                        &sess,
                        &target.id,
                        "目标人员",
                        &target.phone,
                        &target.id_number,
                        false,
                    )
                    .map(drop),
                Action::RemoveStaff => p.remove_staff(&sess, &target.id).map(drop),
                Action::ManageRoles => p.role_members(&sess, Role::Auditor).map(drop),
                Action::ApplyUkeySeal => p
                    .apply_seal(&sess, f.application(SealKind::Ukey, "矩阵申请UKey章"))
                    .map(drop),
                Action::ApplyCloudSeal => p
                    .apply_seal(&sess, f.application(SealKind::Cloud, "矩阵申请云章"))
                    .map(drop),
                Action::ReceiptSeal => p.receipt_seal(&sess, &pending.id).map(drop),
                Action::WriteSealToUkey => p
                    .write_seal_to_ukey(&ukey_sess, &ukey_seal.id, &mut NoToken, "ESEAL")
                    .map(drop),
                Action::RevokeSeal => p.request_revocation(&sess, &seal.id).map(drop),
                Action::FreezeSeal => p.freeze_seal(&sess, &seal.id).map(drop),
                Action::UnfreezeSeal => p.unfreeze_seal(&sess, &seal.id).map(drop),
                Action::ViewAllSeals | Action::ViewCloudSeals | Action::ViewUnitFiles => {
                    unreachable!("visibility")
                }
                Action::ViewOwnSeals => p.list_seals(&sess, &SealQuery::default()).map(drop),
                Action::SetSealUsers => p.add_seal_user(&sess, &seal.id, &target.id).map(drop),
                Action::GrantSealToApp => p
                    .grant_seal_to_app(&sess, &seal.id, &app.id, false)
                    .map(drop),
                Action::ViewSealLog => p.seal_log(&sess, &seal.id).map(drop),
                Action::SignWithSeal => {
                    if staff_id.is_some() {
                        p.sign_with_seal(
                            &sess,
                            &seal.id,
                            &[1; 32],
                            &SignCredential::SigningPassword("000000".into()),
                        )
                        .map(drop)
                    } else {
                        p.sign_with_seal(&sess, &ukey_seal.id, &[1; 32], &SignCredential::Ukey)
                            .map(drop)
                    }
                }
                Action::ViewOwnFiles => p.list_files(&sess, &FileQuery::default()).map(drop),
                Action::DeleteFile => p.delete_file(&sess, &file.id).map(drop),
                Action::DecideQueueItem => p.queue(&sess, &QueueFilter::default(), 1).map(drop),
                Action::ViewApps => p.list_apps(&sess).map(drop),
                Action::CreateApp => p
                    .create_app(
                        &sess,
                        &AppInput {
                            name: "矩阵新应用".into(),
                            ..Default::default()
                        },
                    )
                    .map(drop),
                Action::EditApp => p
                    .edit_app(
                        &sess,
                        &app.id,
                        &AppInput {
                            name: "矩阵改名".into(),
                            ..Default::default()
                        },
                    )
                    .map(drop),
                Action::DeleteApp => p.delete_app(&sess, &app2.id).map(drop),
                Action::ViewAppSecret => p.app_secret(&sess, &app.id).map(drop),
                Action::ResetAppSecret => p.reset_app_secret(&sess, &app.id).map(drop),
                Action::ViewAppDetails => p.app_details(&sess, &app.id).map(drop),
                Action::ReadAudit => p.read_audit(&sess, &AuditFilter::default(), 1).map(drop),
                Action::SetOwnAvatar => p.set_avatar(&sess, "avatar-1").map(drop),
                Action::SetOwnSignature => p
                    .set_personal_signature(&sess, "矩阵", SignatureSource::GeneratedSquare)
                    .map(drop),
                Action::SetOwnPasswords => p
                    .send_session_code(&sess, SmsPurpose::SetPassword)
                    .map(drop),
                Action::ApplyPersonalUkeySignature => p
                    .apply_personal_ukey_signature(
                        &ukey_sess,
                        f.application(SealKind::PersonalUkey, "矩阵签名"),
                    )
                    .map(drop),
                Action::CaReview => p.ca_review(&sess, &in_review.id, false, "矩阵").map(drop),
                Action::ReviewApp => p.review_app(&sess, &app.id, true, "").map(drop),
                Action::SetSwitches => p.set_switches(&sess, p.switches().unwrap()).map(drop),
            };
            r
        };
        // Destructive ones last (the main key, removals, revocation).
        let mut order: Vec<Action> = Action::ALL.to_vec();
        order.sort_by_key(|a| {
            matches!(
                a,
                Action::SetMainKey | Action::RemoveStaff | Action::DeleteApp | Action::RevokeSeal
            )
        });
        for a in order {
            let allowed = p.may(&sess, a).unwrap();
            match a {
                Action::ViewAllSeals | Action::ViewCloudSeals => {
                    let seen: Vec<String> = p
                        .list_seals(&sess, &SealQuery::default())
                        .map(|pg| pg.items.into_iter().map(|s| s.id).collect())
                        .unwrap_or_default();
                    let probe = if a == Action::ViewAllSeals {
                        &ukey_seal.id
                    } else {
                        &other_cloud.id
                    };
                    assert_eq!(
                        seen.contains(probe),
                        allowed,
                        "{role:?} × {a:?} (list shows it)"
                    );
                }
                Action::ViewUnitFiles => {
                    let seen = p
                        .list_files(&sess, &FileQuery::default())
                        .map(|pg| pg.items.iter().any(|x| x.id == file.id))
                        .unwrap_or(false);
                    assert_eq!(
                        seen, allowed,
                        "{role:?} × {a:?} (list shows another's file)"
                    );
                }
                _ => {
                    let r = forbidden_of(a);
                    // Object rules that narrow an allowed cell for this fixture's objects:
                    // only the super administrator or the main key sets the main key (2.4.7,
                    // docs/platform-rules.md "Super administrator never locked out").
                    let narrowed = *role == Role::SystemAdmin && a == Action::SetMainKey;
                    assert_eq!(
                        is_forbidden(&r),
                        !allowed || narrowed,
                        "{role:?} × {a:?}: {r:?}"
                    );
                }
            }
            assert_eq!(
                allowed,
                expected(*role, a) || (staff_id.is_some() && expected(Role::Staff, a))
            );
            checked.insert(format!("{a:?}"));
        }
    }
    assert_eq!(checked.len(), Action::ALL.len(), "every action performed");
}

pub fn seal_life_cycle(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    // UKey seals only by unit UKeys; a seal admin applies cloud seals only
    let (_, sealadmin) = f.staff("印章管理员", &[Role::SealAdmin]);
    assert!(is_forbidden(&p.apply_seal(
        &sealadmin,
        f.application(SealKind::Ukey, "UKey章")
    )));
    let mut bad = f.application(SealKind::Cloud, "坏章");
    bad.picture_format = "bmp".into();
    assert!(matches!(
        p.apply_seal(&f.admin, bad),
        Err(PlatformError::InvalidInput(_))
    ));
    let mut bad = f.application(SealKind::Cloud, "坏章");
    bad.handler_phone = "123".into();
    assert!(p.apply_seal(&f.admin, bad).is_err());

    let s = p
        .apply_seal(&sealadmin, f.application(SealKind::Cloud, "云端章"))
        .unwrap();
    assert_eq!(
        (s.status, s.width_mm, s.height_mm),
        (SealStatus::PendingReview, 42, 42)
    );
    assert!(
        matches!(
            p.receipt_seal(&sealadmin, &s.id),
            Err(PlatformError::InvalidState(_))
        ),
        "no receipt before review"
    );
    assert!(
        is_forbidden(&p.ca_review(&f.admin, &s.id, true, "")),
        "CA review is back office"
    );
    let s = p.ca_review(&f.ops, &s.id, true, "").unwrap();
    assert_eq!(s.status, SealStatus::AwaitingReceipt);
    assert!(p.ca_review(&f.ops, &s.id, true, "").is_err());
    let s = p.receipt_seal(&sealadmin, &s.id).unwrap();
    assert_eq!(s.status, SealStatus::Valid);
    assert!(s.public_key.is_some(), "cloud key made at receipt");
    assert!(p.receipt_seal(&sealadmin, &s.id).is_err());
    // freeze / unfreeze; a frozen seal cannot sign
    p.freeze_seal(&sealadmin, &s.id).unwrap();
    assert!(p.freeze_seal(&sealadmin, &s.id).is_err());
    let me = p.staff(&sealadmin, &p.ctx(&sealadmin).unwrap().id).unwrap();
    p.send_session_code(&sealadmin, SmsPurpose::Sign).unwrap();
    let c = f.sms.last_code(&me.phone).unwrap();
    assert!(matches!(
        p.sign_with_seal(&sealadmin, &s.id, &[1; 32], &SignCredential::SmsCode(c)),
        Err(PlatformError::InvalidState(_))
    ));
    p.unfreeze_seal(&sealadmin, &s.id).unwrap();
    assert!(p.unfreeze_seal(&sealadmin, &s.id).is_err());
    // the applicant is the default user and signs with an SMS code
    f.clock.advance(61);
    p.send_session_code(&sealadmin, SmsPurpose::Sign).unwrap();
    let c = f.sms.last_code(&me.phone).unwrap();
    let used = p
        .sign_with_seal(
            &sealadmin,
            &s.id,
            &[1; 32],
            &SignCredential::SmsCode(c.clone()),
        )
        .unwrap();
    let sig = used.signature.unwrap();
    let pk = sm2::PublicKey::from_sec1(
        &hex::decode(Platform::seal_public_key(&used.seal).unwrap()).unwrap(),
    )
    .unwrap();
    sm2::verify_digest(&pk, &[1; 32], &sig).unwrap();
    assert!(
        p.sign_with_seal(&sealadmin, &s.id, &[1; 32], &SignCredential::SmsCode(c))
            .is_err(),
        "codes are single use"
    );
    assert!(is_forbidden(&p.sign_with_seal(
        &sealadmin,
        &s.id,
        &[1; 32],
        &SignCredential::Ukey
    )));
    // revocation needs a confirmation token from the same identity
    assert!(matches!(
        p.revoke_seal(&sealadmin, &s.id, "nope"),
        Err(PlatformError::VerificationFailed(_))
    ));
    let t_admin = p.request_revocation(&f.admin, &s.id).unwrap();
    assert!(
        p.revoke_seal(&sealadmin, &s.id, &t_admin).is_err(),
        "token is bound to its requester"
    );
    let t = p.request_revocation(&sealadmin, &s.id).unwrap();
    f.clock.advance(REVOCATION_TOKEN_TTL + 1);
    assert!(
        p.revoke_seal(&sealadmin, &s.id, &t).is_err(),
        "token expires"
    );
    let t = p.request_revocation(&sealadmin, &s.id).unwrap();
    let s = p.revoke_seal(&sealadmin, &s.id, &t).unwrap();
    assert_eq!(s.status, SealStatus::Revoked);
    assert!(p.revoke_seal(&sealadmin, &s.id, &t).is_err());
    assert!(p.freeze_seal(&sealadmin, &s.id).is_err());
    let log: Vec<String> = p
        .seal_log(&sealadmin, &s.id)
        .unwrap()
        .into_iter()
        .map(|l| l.action)
        .collect();
    assert_eq!(log, ["申请", "审核通过", "回执", "冻结", "解冻", "注销"]);
    // rejection
    let r = p
        .apply_seal(&f.admin, f.application(SealKind::Ukey, "被否决章"))
        .unwrap();
    assert!(
        p.ca_review(&f.ops, &r.id, false, "").is_err(),
        "a rejection has a reason"
    );
    let r = p.ca_review(&f.ops, &r.id, false, "图片不清晰").unwrap();
    assert_eq!(
        (r.status, r.reject_reason.as_deref()),
        (SealStatus::Rejected, Some("图片不清晰"))
    );
    let q = SealQuery {
        status: Some(SealStatus::Rejected),
        ..Default::default()
    };
    assert_eq!(p.list_seals(&f.admin, &q).unwrap().items.len(), 1);
    // UKey seal: written to a UKey, no users, no app grants
    let u = f.valid_seal(&f.admin, SealKind::Ukey, "UKey章");
    assert!(u.users.is_empty() && u.public_key.is_none());
    // a UKey seal is made when written to its UKey (core/tests/platform_signing.rs)
    assert!(matches!(
        p.seal_der(&f.admin, &u.id),
        Err(PlatformError::InvalidState(_))
    ));
    let (st6, _) = f.staff("员工", &[]);
    assert!(matches!(
        p.add_seal_user(&f.admin, &u.id, &st6.id),
        Err(PlatformError::InvalidState(_))
    ));
    let app = f.app("应用1");
    assert!(matches!(
        p.grant_seal_to_app(&f.admin, &u.id, &app.id, false),
        Err(PlatformError::InvalidState(_))
    ));
    assert!(
        p.sign_with_seal(&f.admin, &u.id, &[2; 32], &SignCredential::Ukey)
            .unwrap()
            .signature
            .is_none()
    );
    // expiry is derived from the validity period
    f.clock.advance(DEFAULT_SEAL_VALIDITY_DAYS * 86400 + 10);
    let e = p.seal(&f.admin, &u.id).unwrap();
    assert_eq!(e.effective_status(p.now()), SealStatus::Expired);
    let q = SealQuery {
        status: Some(SealStatus::Expired),
        ..Default::default()
    };
    assert_eq!(p.list_seals(&f.admin, &q).unwrap().items.len(), 1);
    assert!(matches!(
        p.sign_with_seal(&f.admin, &u.id, &[2; 32], &SignCredential::Ukey),
        Err(PlatformError::InvalidState(_))
    ));
    assert!(p.freeze_seal(&f.admin, &u.id).is_err());
    // with the CA review switch off an application goes straight to 待回执
    p.set_switches(
        &f.ops,
        Switches {
            ca_review: false,
            ..Default::default()
        },
    )
    .unwrap();
    let d = p
        .apply_seal(&f.admin, f.application(SealKind::Cloud, "直通章"))
        .unwrap();
    assert_eq!(d.status, SealStatus::AwaitingReceipt);
}

pub fn seal_visibility_and_users(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let (_, admin_s) = f.staff("管理员", &[Role::SealAdmin]);
    let (maker, maker_s) = f.staff("制作员", &[Role::SealMaker]);
    let (_, maker2_s) = f.staff("制作员二", &[Role::SealMaker]);
    let (plain, plain_s) = f.staff("普通", &[]);
    let ukey = f.valid_seal(&f.admin, SealKind::Ukey, "UKey章");
    let cloud = f.valid_seal(&f.admin, SealKind::Cloud, "单位云章");
    let made = f.valid_seal(&maker_s, SealKind::Cloud, "制作员的章");
    assert_eq!(
        made.managers,
        vec![maker.id.clone()],
        "the maker is the first manager"
    );
    let names = |s: &Session| -> Vec<String> {
        let mut v: Vec<String> = p
            .list_seals(s, &SealQuery::default())
            .unwrap()
            .items
            .into_iter()
            .map(|x| x.name)
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&f.admin).len(), 3);
    let mut want = vec!["制作员的章".to_string(), "单位云章".to_string()];
    want.sort();
    assert_eq!(names(&admin_s), want);
    assert_eq!(names(&maker_s), vec!["制作员的章"]);
    assert!(names(&plain_s).is_empty());
    assert!(matches!(
        p.seal(&plain_s, &ukey.id),
        Err(PlatformError::NotFound(_))
    ));
    // filters
    let q = SealQuery {
        kind: Some(SealKind::Ukey),
        ..Default::default()
    };
    assert_eq!(p.list_seals(&f.admin, &q).unwrap().items.len(), 1);
    let q = SealQuery {
        name: Some("云".into()),
        ..Default::default()
    };
    assert_eq!(p.list_seals(&f.admin, &q).unwrap().items.len(), 1);
    // another seal maker cannot manage it; the seal admin can
    assert!(matches!(
        p.freeze_seal(&maker2_s, &made.id),
        Err(PlatformError::NotFound(_) | PlatformError::Forbidden(_))
    ));
    p.freeze_seal(&admin_s, &made.id).unwrap();
    p.unfreeze_seal(&maker_s, &made.id).unwrap();
    // users
    assert!(is_forbidden(&p.sign_with_seal(
        &plain_s,
        &cloud.id,
        &[3; 32],
        &SignCredential::SmsCode("000000".into())
    )));
    p.add_seal_user(&f.admin, &cloud.id, &plain.id).unwrap();
    assert_eq!(names(&plain_s), vec!["单位云章"]);
    assert!(is_forbidden(
        &p.add_seal_user(&plain_s, &cloud.id, &plain.id)
    ));
    // signing password
    p.send_session_code(&plain_s, SmsPurpose::SetPassword)
        .unwrap();
    let c = f.sms.last_code(&plain.phone).unwrap();
    assert!(p.set_signing_password(&plain_s, &c, "12345a").is_err());
    f.clock.advance(61);
    p.send_session_code(&plain_s, SmsPurpose::SetPassword)
        .unwrap();
    let c = f.sms.last_code(&plain.phone).unwrap();
    p.set_signing_password(&plain_s, &c, "135790").unwrap();
    assert!(matches!(
        p.sign_with_seal(
            &plain_s,
            &cloud.id,
            &[3; 32],
            &SignCredential::SigningPassword("000000".into())
        ),
        Err(PlatformError::VerificationFailed(_))
    ));
    let u = p
        .sign_with_seal(
            &plain_s,
            &cloud.id,
            &[3; 32],
            &SignCredential::SigningPassword("135790".into()),
        )
        .unwrap();
    assert_eq!(u.seal.sign_count, 1);
    // removing the user, or the person, removes the right
    p.remove_seal_user(&f.admin, &cloud.id, &plain.id).unwrap();
    assert!(is_forbidden(&p.sign_with_seal(
        &plain_s,
        &cloud.id,
        &[3; 32],
        &SignCredential::SigningPassword("135790".into())
    )));
    p.add_seal_user(&f.admin, &cloud.id, &plain.id).unwrap();
    p.remove_staff(&f.admin, &plain.id).unwrap();
    assert!(
        !p.seal(&f.admin, &cloud.id)
            .unwrap()
            .users
            .contains(&plain.id)
    );
}

pub fn personal_signatures(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let (s, acct) = f.staff("王小明", &[]);
    let uk = f.personal_login(&s.name, &s.id_number, "10.0.2.2").unwrap();
    assert_eq!(uk, Fx::ukey_session(&s, "10.0.2.2"));
    let a = f.application(SealKind::PersonalUkey, "王小明");
    assert!(
        matches!(
            p.apply_personal_ukey_signature(&uk, a.clone()),
            Err(PlatformError::InvalidState(_))
        ),
        "switch off"
    );
    p.set_switches(
        &f.ops,
        Switches {
            personal_ukey_signature: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        matches!(
            p.apply_personal_ukey_signature(&uk, a.clone()),
            Err(PlatformError::InvalidState(_))
        ),
        "needs a signature"
    );
    let bad = SignatureSource::Uploaded {
        format: "bmp".into(),
        picture_b64: "AA==".into(),
    };
    assert!(p.set_personal_signature(&acct, "王小明", bad).is_err());
    let hand = SignatureSource::Uploaded {
        format: "png".into(),
        picture_b64: b64(b"\x89PNG handwriting"),
    };
    p.set_personal_signature(&acct, "王小明", hand).unwrap();
    p.set_personal_signature(&acct, "王小明", SignatureSource::GeneratedSquare)
        .unwrap();
    p.set_personal_signature(&acct, "王小明", SignatureSource::GeneratedRect)
        .unwrap();
    assert_eq!(
        p.personal_signature(&acct).unwrap().unwrap().source,
        SignatureSource::GeneratedRect
    );
    assert!(
        is_forbidden(&p.apply_personal_ukey_signature(&acct, a.clone())),
        "needs a personal UKey session"
    );
    assert!(is_forbidden(&p.set_personal_signature(
        &f.admin,
        "单位",
        SignatureSource::GeneratedSquare
    )));
    let sig = p.apply_personal_ukey_signature(&uk, a).unwrap();
    assert_eq!(
        (sig.kind, sig.status),
        (SealKind::PersonalUkey, SealStatus::PendingReview)
    );
    assert!(p.receipt_personal_signature(&uk, &sig.id).is_err());
    p.ca_review(&f.ops, &sig.id, true, "").unwrap();
    let sig = p.receipt_personal_signature(&uk, &sig.id).unwrap();
    assert_eq!(sig.status, SealStatus::Valid);
    assert!(sig.document.is_none(), "made when written to the UKey");
    // the unit UKey does not see personal signatures; the owner does
    assert!(
        p.list_seals(&f.admin, &SealQuery::default())
            .unwrap()
            .items
            .iter()
            .all(|x| x.id != sig.id)
    );
    assert_eq!(
        p.list_seals(&uk, &SealQuery::default())
            .unwrap()
            .items
            .len(),
        1
    );
    assert!(
        p.sign_with_seal(&uk, &sig.id, &[4; 32], &SignCredential::Ukey)
            .is_ok()
    );
    assert!(
        p.sign_with_seal(&acct, &sig.id, &[4; 32], &SignCredential::Ukey)
            .is_err()
    );
}

pub fn apps(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let (_, appadmin) = f.staff("应用管理员", &[Role::AppAdmin]);
    let (_, plain) = f.staff("普通", &[]);
    let a = p
        .create_app(
            &appadmin,
            &AppInput {
                name: "业务系统".into(),
                contact: Some("张".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(a.status, AppStatus::Valid);
    assert!(a.access_token.len() == 32 && a.access_secret.len() == 64);
    assert!(a.access_secret.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(matches!(
        p.create_app(
            &f.admin,
            &AppInput {
                name: "业务系统".into(),
                ..Default::default()
            }
        ),
        Err(PlatformError::Duplicate(_))
    ));
    assert!(
        p.create_app(
            &f.admin,
            &AppInput {
                name: "x".into(),
                phone: Some("1".into()),
                ..Default::default()
            }
        )
        .is_err()
    );
    assert!(
        p.create_app(
            &f.admin,
            &AppInput {
                name: "x".into(),
                ip_whitelist: vec!["999.1.1.1".into()],
                ..Default::default()
            }
        )
        .is_err()
    );
    assert!(
        p.create_app(
            &f.admin,
            &AppInput {
                name: "x".into(),
                public_key_b64: Some("bm90IGEga2V5".into()),
                ..Default::default()
            }
        )
        .is_err()
    );
    let b = p
        .create_app(
            &f.admin,
            &AppInput {
                name: "系统二".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_ne!(a.access_secret, b.access_secret);
    // ordinary staff see the list, without secrets, and nothing else
    let list = p.list_apps(&plain).unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|x| x.access_secret.is_empty()));
    assert!(is_forbidden(&p.app_secret(&plain, &a.id)));
    assert!(is_forbidden(&p.edit_app(
        &plain,
        &a.id,
        &AppInput {
            name: "y".into(),
            ..Default::default()
        }
    )));
    let (_, sec) = p.app_secret(&appadmin, &a.id).unwrap();
    assert_eq!(sec, a.access_secret);
    let new = p.reset_app_secret(&appadmin, &a.id).unwrap();
    assert_ne!(new, sec);
    assert_eq!(p.app_secret(&appadmin, &a.id).unwrap().1, new);
    assert!(matches!(
        p.edit_app(
            &appadmin,
            &a.id,
            &AppInput {
                name: "系统二".into(),
                ..Default::default()
            }
        ),
        Err(PlatformError::Duplicate(_))
    ));
    p.edit_app(
        &appadmin,
        &a.id,
        &AppInput {
            name: "业务系统改".into(),
            ..Default::default()
        },
    )
    .unwrap();
    // soft delete: still listed as 已删除, name freed, keys gone
    p.delete_app(&appadmin, &b.id).unwrap();
    assert!(p.delete_app(&appadmin, &b.id).is_err());
    assert!(
        p.list_apps(&appadmin)
            .unwrap()
            .iter()
            .any(|x| x.id == b.id && x.status == AppStatus::Deleted)
    );
    assert!(p.app_secret(&appadmin, &b.id).is_err());
    p.create_app(
        &appadmin,
        &AppInput {
            name: "系统二".into(),
            ..Default::default()
        },
    )
    .unwrap();
    // review switch
    p.set_switches(
        &f.ops,
        Switches {
            app_review: true,
            ..Default::default()
        },
    )
    .unwrap();
    let c = p
        .create_app(
            &appadmin,
            &AppInput {
                name: "待审".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(c.status, AppStatus::PendingReview);
    assert!(matches!(
        p.app_secret(&appadmin, &c.id),
        Err(PlatformError::InvalidState(_))
    ));
    assert!(is_forbidden(&p.review_app(&appadmin, &c.id, true, "")));
    assert!(
        p.review_app(&f.ops, &c.id, false, "").is_err(),
        "a rejection has a reason"
    );
    let c = p.review_app(&f.ops, &c.id, false, "联系人缺失").unwrap();
    assert_eq!(
        c.status,
        AppStatus::Rejected {
            reason: "联系人缺失".into()
        }
    );
    let c = p
        .edit_app(
            &appadmin,
            &c.id,
            &AppInput {
                name: "待审".into(),
                contact: Some("李".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(c.status, AppStatus::PendingReview, "edit resubmits");
    let c = p.review_app(&f.ops, &c.id, true, "").unwrap();
    assert_eq!(c.status, AppStatus::Valid);
    p.app_secret(&appadmin, &c.id).unwrap();
    // details with the bound seals
    let seal = f.valid_seal(&f.admin, SealKind::Cloud, "绑定章");
    p.grant_seal_to_app(&f.admin, &seal.id, &a.id, false)
        .unwrap();
    let (d, seals) = p.app_details(&appadmin, &a.id).unwrap();
    assert!(d.access_secret.is_empty());
    assert_eq!(
        seals.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        vec!["绑定章"]
    );
}

pub fn open_api_check(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let app = f.app("开放接口");
    let now_ms = T0 * 1000;
    let h = f.headers(&app, now_ms);
    assert_eq!(h.signature.len(), 32);
    assert!(
        h.signature
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    );
    assert_eq!(check_request(p, &h, "1.2.3.4").unwrap().id, app.id);
    assert!(
        matches!(check_request(p, &h, "1.2.3.4"), Err(PlatformError::RequestRefused(m)) if m.contains("replay"))
    );
    let mut bad = f.headers(&app, now_ms + 1);
    bad.signature = bad.signature.to_uppercase();
    assert!(
        check_request(p, &bad, "1.2.3.4").is_err(),
        "lower-case hex only"
    );
    let mut bad = f.headers(&app, now_ms + 2);
    let first = if bad.signature.starts_with('0') {
        "1"
    } else {
        "0"
    };
    bad.signature.replace_range(0..1, first);
    assert!(check_request(p, &bad, "1.2.3.4").is_err());
    assert!(
        check_request(p, &f.headers(&app, now_ms - 301_000), "1.2.3.4").is_err(),
        "too old"
    );
    assert!(
        check_request(p, &f.headers(&app, now_ms + 301_000), "1.2.3.4").is_err(),
        "too new"
    );
    check_request(p, &f.headers(&app, now_ms - 299_000), "1.2.3.4").unwrap();
    let mut unknown = f.headers(&app, now_ms + 3);
    unknown.access_token = "0".repeat(32);
    assert!(check_request(p, &unknown, "1.2.3.4").is_err());
    let mut nots = f.headers(&app, now_ms + 4);
    nots.timestamp = "abc".into();
    assert!(check_request(p, &nots, "1.2.3.4").is_err());
    // IP whitelist
    let wl = AppInput {
        name: "开放接口".into(),
        ip_whitelist: vec!["10.1.1.1".into(), "::1".into()],
        ..Default::default()
    };
    p.edit_app(&f.admin, &app.id, &wl).unwrap();
    assert!(check_request(p, &f.headers(&app, now_ms + 5), "1.2.3.4").is_err());
    check_request(p, &f.headers(&app, now_ms + 6), "10.1.1.1").unwrap();
    check_request(p, &f.headers(&app, now_ms + 7), "::1").unwrap();
    // SM2 x-qys-signature-sign
    let key = sm2::PrivateKey::from_seed(b"open api app key");
    let pk_b64 = b64(&key.public_key().to_sec1_uncompressed());
    let with_key = AppInput {
        name: "开放接口".into(),
        public_key_b64: Some(pk_b64),
        ..Default::default()
    };
    p.edit_app(&f.admin, &app.id, &with_key).unwrap();
    let mut h = f.headers(&app, now_ms + 8);
    assert!(
        check_request(p, &h, "1.2.3.4").is_err(),
        "signature-sign required"
    );
    let sig = key.sign(sm2::DEFAULT_ID, h.signature.as_bytes()).unwrap();
    h.signature_sign = Some(b64(&sig.to_der()));
    check_request(p, &h, "1.2.3.4").unwrap();
    let mut h = f.headers(&app, now_ms + 9);
    let other = sm2::PrivateKey::from_seed(b"someone else")
        .sign(sm2::DEFAULT_ID, h.signature.as_bytes())
        .unwrap();
    h.signature_sign = Some(b64(&other.to_raw()));
    assert!(check_request(p, &h, "1.2.3.4").is_err());
    let mut h = f.headers(&app, now_ms + 10);
    let raw = key
        .sign(sm2::DEFAULT_ID, h.signature.as_bytes())
        .unwrap()
        .to_raw();
    h.signature_sign = Some(b64(&raw));
    check_request(p, &h, "1.2.3.4").unwrap();
    // GM/T 0018 ECCrefPublicKey form of the same key
    let pt = key.public_key().to_sec1_uncompressed();
    let mut eccref = 256u32.to_be_bytes().to_vec();
    eccref.extend_from_slice(&[0; 32]);
    eccref.extend_from_slice(&pt[1..33]);
    eccref.extend_from_slice(&[0; 32]);
    eccref.extend_from_slice(&pt[33..65]);
    let parsed = openapi::parse_app_public_key(&b64(&eccref)).unwrap();
    assert_eq!(parsed.to_sec1_uncompressed(), pt);
    // deleted, pending and rejected apps are refused
    let h = f.headers(&app, now_ms + 11);
    p.delete_app(&f.admin, &app.id).unwrap();
    assert!(
        matches!(check_request(p, &h, "1.2.3.4"), Err(PlatformError::RequestRefused(m)) if m.contains("deleted"))
    );
    p.set_switches(
        &f.ops,
        Switches {
            app_review: true,
            ..Default::default()
        },
    )
    .unwrap();
    let pend = f.app("待审核应用");
    let (tok, sec) = (pend.access_token.clone(), pend.access_secret.clone());
    let ts = (now_ms + 12).to_string();
    let h = OpenApiHeaders {
        signature: request_signature(&tok, &sec, &ts),
        access_token: tok,
        timestamp: ts,
        signature_sign: None,
    };
    assert!(
        matches!(check_request(p, &h, "1.2.3.4"), Err(PlatformError::RequestRefused(m)) if m.contains("review"))
    );
    p.review_app(&f.ops, &pend.id, false, "不合规").unwrap();
    assert!(
        matches!(check_request(p, &h, "1.2.3.4"), Err(PlatformError::RequestRefused(m)) if m.contains("rejected"))
    );
    // refusals are audited; one of a known app in its unit's chain (2.10)
    let ops_rows = p.store().audit_range(&app.unit, 1, 1000).unwrap();
    assert!(
        ops_rows
            .iter()
            .any(|e| e.action == "OpenApiRequest" && e.outcome.reason().contains("replayed"))
    );
}

pub fn grants_and_policies(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let seal = f.valid_seal(&f.admin, SealKind::Cloud, "授权章");
    let app = f.app("内部应用");
    assert!(
        p.app_sign(&app.id, &seal.id, &f.call("a.pdf"), "ip")
            .is_err(),
        "not granted"
    );
    // external grants take an app of another unit
    assert!(
        p.grant_seal_to_app(&f.admin, &seal.id, &app.id, true)
            .is_err()
    );
    let ub = f.unit_login("单位B", &code(2), "B1", "devB1", "y").unwrap();
    let ext = p
        .create_app(
            &ub,
            &AppInput {
                name: "外部应用".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(
        p.grant_seal_to_app(&f.admin, &seal.id, &ext.id, false)
            .is_err()
    );
    p.grant_seal_to_app(&f.admin, &seal.id, &ext.id, true)
        .unwrap();
    let g = p
        .grant_seal_to_app(&f.admin, &seal.id, &app.id, false)
        .unwrap();
    assert!(matches!(
        p.grant_seal_to_app(&f.admin, &seal.id, &app.id, false),
        Err(PlatformError::Duplicate(_))
    ));
    assert_eq!(g.policy, ConfirmPolicy::None);
    // none: signs directly, with the seal's key
    let AppSignOutcome::Signed(sig) = p
        .app_sign(&app.id, &seal.id, &f.call("a.pdf"), "ip")
        .unwrap()
    else {
        panic!("signed")
    };
    let pk =
        sm2::PublicKey::from_sec1(&hex::decode(Platform::seal_public_key(&seal).unwrap()).unwrap())
            .unwrap();
    sm2::verify_digest(&pk, &[7; 32], &sig).unwrap();
    assert!(matches!(
        p.app_sign(&ext.id, &seal.id, &f.call("b.pdf"), "ip")
            .unwrap(),
        AppSignOutcome::Signed(_)
    ));
    // system check: call limit (1 call made so far)
    let limit = ConfirmPolicy::SystemCheck {
        call_limit: Some(2),
        token_check: false,
    };
    p.set_confirm_policy(&f.admin, &seal.id, &app.id, limit)
        .unwrap();
    p.app_sign(&app.id, &seal.id, &f.call("c.pdf"), "ip")
        .unwrap();
    assert!(matches!(
        p.app_sign(&app.id, &seal.id, &f.call("d.pdf"), "ip"),
        Err(PlatformError::RateLimited(_))
    ));
    // system check: token + serial
    let tok = ConfirmPolicy::SystemCheck {
        call_limit: None,
        token_check: true,
    };
    p.set_confirm_policy(&f.admin, &seal.id, &app.id, tok)
        .unwrap();
    let g = p.grant(&f.admin, &seal.id, &app.id).unwrap();
    assert!(
        p.app_sign(&app.id, &seal.id, &f.call("e.pdf"), "ip")
            .is_err()
    );
    let mut call = f.call("e.pdf");
    call.serial = Some("SN-1".into());
    call.token = Some("wrong".into());
    assert!(p.app_sign(&app.id, &seal.id, &call, "ip").is_err());
    call.token = Some(g.call_token.clone());
    p.app_sign(&app.id, &seal.id, &call, "ip").unwrap();
    assert!(
        p.app_sign(&app.id, &seal.id, &call, "ip").is_err(),
        "serial used once"
    );
    call.serial = Some("SN-2".into());
    p.app_sign(&app.id, &seal.id, &call, "ip").unwrap();
    // manual confirmation
    let (c1, c1s) = f.staff("确认人", &[]);
    let (_, other) = f.staff("旁人", &[]);
    let empty = ConfirmPolicy::Manual {
        confirmers: vec![],
        sms_notice: true,
    };
    assert!(
        p.set_confirm_policy(&f.admin, &seal.id, &app.id, empty)
            .is_err()
    );
    let manual = ConfirmPolicy::Manual {
        confirmers: vec![c1.id.clone()],
        sms_notice: true,
    };
    p.set_confirm_policy(&f.admin, &seal.id, &app.id, manual)
        .unwrap();
    let AppSignOutcome::Queued(item) = p
        .app_sign(&app.id, &seal.id, &f.call("合同.pdf"), "ip")
        .unwrap()
    else {
        panic!("queued")
    };
    assert!(
        f.sms
            .sent()
            .iter()
            .any(|(ph, t)| ph == &c1.phone && t.contains("合同.pdf")),
        "SMS notice"
    );
    assert!(matches!(
        p.app_sign_approved(&app.id, &item, &[7; 32], "ip"),
        Err(PlatformError::InvalidState(_))
    ));
    assert!(
        p.queue(&other, &QueueFilter::default(), 1)
            .unwrap()
            .items
            .is_empty()
    );
    assert!(is_forbidden(&p.decide(&other, &item, true)));
    let page = p.queue(&c1s, &QueueFilter::default(), 1).unwrap();
    assert_eq!(page.items.len(), 1);
    let it = &page.items[0];
    assert_eq!(
        (
            it.file_name.as_str(),
            it.pages,
            it.app_name.as_str(),
            it.seal_name.as_str()
        ),
        ("合同.pdf", 3, "内部应用", "授权章")
    );
    p.decide(&c1s, &item, true).unwrap();
    assert!(p.decide(&c1s, &item, false).is_err());
    assert!(
        p.app_sign_approved(&ext.id, &item, &[7; 32], "ip").is_err(),
        "other app"
    );
    p.app_sign_approved(&app.id, &item, &[7; 32], "ip").unwrap();
    assert!(
        p.app_sign_approved(&app.id, &item, &[7; 32], "ip").is_err(),
        "used once"
    );
    let AppSignOutcome::Queued(item2) = p
        .app_sign(&app.id, &seal.id, &f.call("b.ofd"), "ip")
        .unwrap()
    else {
        panic!()
    };
    // only the named confirmers decide (2.8) — not the unit UKey, not the seal's managers
    assert!(
        is_forbidden(&p.decide(&f.admin, &item2, true)),
        "the unit UKey is not a confirmer of this call"
    );
    assert!(is_forbidden(
        &p.decide_batch(&other, std::slice::from_ref(&item2), true)
            .unwrap()[0]
            .1
    ));
    p.decide(&c1s, &item2, false).unwrap();
    assert!(
        p.app_sign_approved(&app.id, &item2, &[7; 32], "ip")
            .is_err()
    );
    // removing the grant ends the app's access; the seal log records both
    let AppSignOutcome::Queued(item3) = p
        .app_sign(&app.id, &seal.id, &f.call("c.ofd"), "ip")
        .unwrap()
    else {
        panic!()
    };
    p.decide(&c1s, &item3, true).unwrap();
    p.remove_grant(&f.admin, &seal.id, &app.id).unwrap();
    assert!(p.remove_grant(&f.admin, &seal.id, &app.id).is_err());
    assert!(is_forbidden(&p.app_sign(
        &app.id,
        &seal.id,
        &f.call("z.pdf"),
        "ip"
    )));
    assert!(
        is_forbidden(&p.app_sign_approved(&app.id, &item3, &[7; 32], "ip")),
        "approved before removal"
    );
    // granted again: a fresh grant
    let g2 = p
        .grant_seal_to_app(&f.admin, &seal.id, &app.id, false)
        .unwrap();
    assert_eq!(
        (g2.calls, &g2.policy, g2.removed),
        (0, &ConfirmPolicy::None, false)
    );
    p.remove_grant(&f.admin, &seal.id, &app.id).unwrap();
    let log: Vec<String> = p
        .seal_log(&f.admin, &seal.id)
        .unwrap()
        .into_iter()
        .map(|l| l.action)
        .collect();
    assert!(
        log.iter().any(|l| l.starts_with("添加应用"))
            && log.iter().any(|l| l.starts_with("删除应用"))
    );
    // a revoked seal signs for nobody
    p.set_confirm_policy(&f.admin, &seal.id, &ext.id, ConfirmPolicy::None)
        .unwrap();
    let t = p.request_revocation(&f.admin, &seal.id).unwrap();
    p.revoke_seal(&f.admin, &seal.id, &t).unwrap();
    assert!(matches!(
        p.app_sign(&ext.id, &seal.id, &f.call("y.pdf"), "ip"),
        Err(PlatformError::InvalidState(_))
    ));
}

pub fn queue_paging_and_batch(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let seal = f.valid_seal(&f.admin, SealKind::Cloud, "队列章");
    let app = f.app("队列应用");
    p.grant_seal_to_app(&f.admin, &seal.id, &app.id, false)
        .unwrap();
    let (c, cs) = f.staff("确认人", &[]);
    let manual = ConfirmPolicy::Manual {
        confirmers: vec![c.id.clone()],
        sms_notice: false,
    };
    p.set_confirm_policy(&f.admin, &seal.id, &app.id, manual)
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..120 {
        let mut call = f.call(&format!("f{i}"));
        call.file_type = if i % 3 == 0 {
            FileFormat::Ofd
        } else {
            FileFormat::Pdf
        };
        f.clock.advance(1);
        let AppSignOutcome::Queued(id) = p.app_sign(&app.id, &seal.id, &call, "ip").unwrap() else {
            panic!()
        };
        ids.push(id);
    }
    assert!(
        f.sms.sent().iter().all(|(ph, _)| ph != &c.phone),
        "no SMS without sms_notice"
    );
    let p1 = p.queue(&cs, &QueueFilter::default(), 1).unwrap();
    assert_eq!((p1.items.len(), p1.total, p1.pages), (50, 120, 3));
    assert_eq!(p1.items[0].file_name, "f119", "newest first");
    let p3 = p.queue(&cs, &QueueFilter::default(), 3).unwrap();
    assert_eq!(p3.items.len(), 20);
    assert!(
        p.queue(&cs, &QueueFilter::default(), 4)
            .unwrap()
            .items
            .is_empty()
    );
    let ofd = p
        .queue(
            &cs,
            &QueueFilter {
                file_type: Some(FileFormat::Ofd),
                ..Default::default()
            },
            1,
        )
        .unwrap();
    assert_eq!(ofd.total, 40);
    let win = p
        .queue(
            &cs,
            &QueueFilter {
                from: Some(T0 + 11),
                to: Some(T0 + 20),
                ..Default::default()
            },
            1,
        )
        .unwrap();
    assert_eq!(win.total, 10);
    // batch: per-item results
    p.decide(&cs, &ids[0], false).unwrap();
    let r = p.decide_batch(&cs, &ids[0..5], true).unwrap();
    assert!(matches!(r[0].1, Err(PlatformError::InvalidState(_))));
    assert!(r[1..].iter().all(|(_, x)| x.is_ok()));
    let r = p.decide_batch(&cs, &ids[5..10], false).unwrap();
    assert!(r.iter().all(|(_, x)| x.is_ok()));
    let approved = p
        .queue(
            &cs,
            &QueueFilter {
                status: Some(QueueStatus::Approved),
                ..Default::default()
            },
            1,
        )
        .unwrap();
    let rejected = p
        .queue(
            &cs,
            &QueueFilter {
                status: Some(QueueStatus::Rejected),
                ..Default::default()
            },
            1,
        )
        .unwrap();
    assert_eq!((approved.total, rejected.total), (4, 6));
    let r = p.decide_batch(&cs, &["nope".to_string()], true).unwrap();
    assert!(matches!(r[0].1, Err(PlatformError::NotFound(_))));
}

pub fn credentials(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let (s, sess) = f.staff("张三", &[]);
    // SMS login needs a solved captcha
    let (cid, ans) = p.issue_captcha().unwrap();
    assert!(
        p.send_sms_code(&s.phone, SmsPurpose::Login, &cid, "wrong", "ip")
            .is_err()
    );
    assert!(
        p.send_sms_code(&s.phone, SmsPurpose::Login, &cid, &ans, "ip")
            .is_err(),
        "captcha single use"
    );
    let (cid, ans) = p.issue_captcha().unwrap();
    p.send_sms_code(&s.phone, SmsPurpose::Login, &cid, &ans.to_uppercase(), "ip")
        .unwrap();
    let code = f.sms.last_code(&s.phone).unwrap();
    assert_eq!(code.len(), 6);
    assert!(p.login_sms(&s.phone, "000000x", "ip").is_err());
    let l = p.login_sms(&s.phone, &code, "ip").unwrap();
    assert!(l.must_set_password);
    assert_eq!(l.session.identity, sess.identity);
    assert!(p.login_sms(&s.phone, &code, "ip").is_err(), "single use");
    // resend interval and hourly limit
    let (cid, ans) = p.issue_captcha().unwrap();
    assert!(matches!(
        p.send_sms_code(&s.phone, SmsPurpose::Login, &cid, &ans, "ip"),
        Err(PlatformError::RateLimited(_))
    ));
    for _ in 0..4 {
        f.clock.advance(61);
        let (cid, ans) = p.issue_captcha().unwrap();
        p.send_sms_code(&s.phone, SmsPurpose::Login, &cid, &ans, "ip")
            .unwrap();
    }
    f.clock.advance(61);
    let (cid, ans) = p.issue_captcha().unwrap();
    assert!(
        matches!(
            p.send_sms_code(&s.phone, SmsPurpose::Login, &cid, &ans, "ip"),
            Err(PlatformError::RateLimited(_))
        ),
        "5 per hour"
    );
    f.clock.advance(3600);
    // attempts: 5 wrong codes kill the code
    let (cid, ans) = p.issue_captcha().unwrap();
    p.send_sms_code(&s.phone, SmsPurpose::Login, &cid, &ans, "ip")
        .unwrap();
    let good = f.sms.last_code(&s.phone).unwrap();
    let wrong = if good == "000000" { "111111" } else { "000000" };
    for _ in 0..SMS_MAX_ATTEMPTS {
        assert!(p.login_sms(&s.phone, wrong, "ip").is_err());
    }
    assert!(
        p.login_sms(&s.phone, &good, "ip").is_err(),
        "killed after too many attempts"
    );
    // expiry
    f.clock.advance(61);
    let (cid, ans) = p.issue_captcha().unwrap();
    p.send_sms_code(&s.phone, SmsPurpose::Login, &cid, &ans, "ip")
        .unwrap();
    let good = f.sms.last_code(&s.phone).unwrap();
    f.clock.advance(SMS_CODE_TTL + 1);
    assert!(p.login_sms(&s.phone, &good, "ip").is_err(), "expired");
    // captcha expiry; unknown phones get no SMS
    let (cid, ans) = p.issue_captcha().unwrap();
    f.clock.advance(CAPTCHA_TTL + 1);
    assert!(
        p.send_sms_code(&s.phone, SmsPurpose::Login, &cid, &ans, "ip")
            .is_err()
    );
    let (cid, ans) = p.issue_captcha().unwrap();
    assert!(
        p.send_sms_code("13700000000", SmsPurpose::Login, &cid, &ans, "ip")
            .is_err()
    );
    // set a password (complexity), log in with it
    f.clock.advance(61);
    p.send_session_code(&sess, SmsPurpose::SetPassword).unwrap();
    let c = f.sms.last_code(&s.phone).unwrap();
    assert!(matches!(
        p.set_password(&sess, &c, "abcdefgh"),
        Err(PlatformError::InvalidInput(_))
    ));
    assert!(matches!(
        p.set_password(&sess, &c, "short1"),
        Err(PlatformError::InvalidInput(_))
    ));
    p.set_password(&sess, &c, "Passw0rd").unwrap();
    let cred = p.store().get(Kind::Credential, &s.id).unwrap().unwrap();
    assert!(cred.body.contains("$argon2id$") && !cred.body.contains("Passw0rd"));
    assert_eq!(
        p.login_password(&s.phone, "Passw0rd", "ip")
            .unwrap()
            .identity,
        sess.identity
    );
    // lockout after 5 failures
    for _ in 0..MAX_FAILED_LOGINS {
        assert!(p.login_password(&s.phone, "wrong-pw1", "ip").is_err());
    }
    assert!(
        p.login_password(&s.phone, "Passw0rd", "ip").is_err(),
        "locked"
    );
    f.clock.advance(LOCKOUT_SECS + 1);
    p.login_password(&s.phone, "Passw0rd", "ip").unwrap();
    // reset with captcha + code
    let (cid, ans) = p.issue_captcha().unwrap();
    p.send_sms_code(&s.phone, SmsPurpose::ResetPassword, &cid, &ans, "ip")
        .unwrap();
    let c = f.sms.last_code(&s.phone).unwrap();
    assert!(p.reset_password(&s.phone, &c, "nodigits", "ip").is_err());
    p.reset_password(&s.phone, &c, "New#pass9", "ip").unwrap();
    assert!(p.login_password(&s.phone, "Passw0rd", "ip").is_err());
    p.login_password(&s.phone, "New#pass9", "ip").unwrap();
    // the other purposes cannot be sent anonymously
    let (cid, ans) = p.issue_captcha().unwrap();
    assert!(
        p.send_sms_code(&s.phone, SmsPurpose::Sign, &cid, &ans, "ip")
            .is_err()
    );
    // the unit UKey has no passwords
    assert!(is_forbidden(
        &p.send_session_code(&f.admin, SmsPurpose::SetPassword)
    ));
}

pub fn signed_files(st: Arc<dyn Store>) {
    let f = Fx::new(st);
    let p = &f.p;
    let (sa, a) = f.staff("甲", &[]);
    let (sb, b) = f.staff("乙", &[]);
    let seal = f.valid_seal(&f.admin, SealKind::Cloud, "文件章");
    let ukey_seal = f.valid_seal(&f.admin, SealKind::Ukey, "单位UKey章");
    p.add_seal_user(&f.admin, &seal.id, &sa.id).unwrap();
    p.add_seal_user(&f.admin, &seal.id, &sb.id).unwrap();
    let input = |name: &str| FileInput {
        name: name.into(),
        pages: 2,
        seals: vec![seal.id.clone()],
        format: FileFormat::Pdf,
        size: 1000,
        thumbnail: Some("thumb/1.png".into()),
    };
    let fa = p.record_file(&a, &input("合同甲.pdf")).unwrap();
    p.record_file(&b, &input("合同乙.pdf")).unwrap();
    let mut unit_file = input("单位文件.ofd");
    unit_file.seals = vec![ukey_seal.id.clone()];
    p.record_file(&f.admin, &unit_file).unwrap();
    // a record names only seals its signer may use (2.2.3)
    let mut not_mine = input("冒用.pdf");
    not_mine.seals = vec![ukey_seal.id.clone()];
    assert!(is_forbidden(&p.record_file(&a, &not_mine)));
    let mut unknown = input("冒用.pdf");
    unknown.seals = vec!["no-such-seal".into()];
    assert!(matches!(
        p.record_file(&a, &unknown),
        Err(PlatformError::NotFound(_))
    ));
    let mut big = input("big.pdf");
    big.size = MAX_FILE_SIZE + 1;
    assert!(p.record_file(&a, &big).is_err());
    assert_eq!(
        p.list_files(&a, &FileQuery::default()).unwrap().items.len(),
        1
    );
    assert_eq!(
        p.list_files(&f.admin, &FileQuery::default())
            .unwrap()
            .items
            .len(),
        3
    );
    assert_eq!(
        p.list_files(
            &f.admin,
            &FileQuery {
                text: Some("乙".into()),
                ..Default::default()
            }
        )
        .unwrap()
        .items
        .len(),
        1,
        "by signer"
    );
    assert_eq!(
        p.list_files(
            &f.admin,
            &FileQuery {
                text: Some("合同".into()),
                ..Default::default()
            }
        )
        .unwrap()
        .items
        .len(),
        2,
        "by name"
    );
    assert!(matches!(
        p.delete_file(&b, &fa.id),
        Err(PlatformError::NotFound(_))
    ));
    p.delete_file(&a, &fa.id).unwrap();
    assert!(
        p.list_files(&a, &FileQuery::default())
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        p.list_files(&f.admin, &FileQuery::default())
            .unwrap()
            .items
            .len(),
        2
    );
    let rec = &p
        .list_files(
            &f.admin,
            &FileQuery {
                text: Some("单位".into()),
                ..Default::default()
            },
        )
        .unwrap()
        .items[0];
    assert_eq!(
        (rec.pages, rec.size, rec.format, rec.thumbnail.as_deref()),
        (2, 1000, FileFormat::Pdf, Some("thumb/1.png"))
    );
}
