//! Roles and the ONE permission matrix (role × action), manual 2.4.

use serde::{Deserialize, Serialize};

/// The roles of manual 2.4 plus the two identities that are not assignable roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// 单位 UKey 超级管理员: the unit's first UKey (1.2.1); always holds every role (2.4).
    SuperAdmin,
    /// 应用管理员 (2.4.1).
    AppAdmin,
    /// 公务人员管理员 (2.4.2).
    StaffAdmin,
    /// 系统管理员 (2.4.3): unit UKey identities only.
    SystemAdmin,
    /// 印章管理员 (2.4.4).
    SealAdmin,
    /// 审计员 (2.4.5).
    Auditor,
    /// 印章制作员 (2.4.6).
    SealMaker,
    /// Every staff member (普通公务人员): what anyone logged in may do.
    Staff,
    /// 运维后台管理员: the operations back office (CA review, app review, switches); not a unit role.
    Operator,
}

impl Role {
    pub const ALL: [Role; 9] = [
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
    /// Roles a unit may assign to its staff in 权限管理 (SystemAdmin only to unit UKeys).
    pub const ASSIGNABLE: [Role; 5] = [
        Role::AppAdmin,
        Role::StaffAdmin,
        Role::SealAdmin,
        Role::Auditor,
        Role::SealMaker,
    ];
}

/// Every action of the manual.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Action {
    // 1.2.1 / 2.4.7 unit identities
    SetMainKey,
    ManageKeyWhitelist,
    ApplyUnitCert,
    ViewUnitCert,
    // 2.3 staff
    ViewStaff,
    SearchStaff,
    AddStaff,
    EditStaff,
    RemoveStaff,
    // 2.4 roles
    ManageRoles,
    // 2.2 seals
    ApplyUkeySeal,
    ApplyCloudSeal,
    ReceiptSeal,
    WriteSealToUkey,
    RevokeSeal,
    FreezeSeal,
    UnfreezeSeal,
    ViewAllSeals,
    ViewCloudSeals,
    ViewOwnSeals,
    SetSealUsers,
    GrantSealToApp,
    ViewSealLog,
    // 2.5 signing
    SignWithSeal,
    // 2.6 files
    ViewOwnFiles,
    ViewUnitFiles,
    DeleteFile,
    // 2.8 sign authorisation queue
    DecideQueueItem,
    // 2.9 apps
    ViewApps,
    CreateApp,
    EditApp,
    DeleteApp,
    ViewAppSecret,
    ResetAppSecret,
    ViewAppDetails,
    // 2.10 audit
    ReadAudit,
    // 2.1 personal centre (self service)
    SetOwnAvatar,
    SetOwnSignature,
    SetOwnPasswords,
    ApplyPersonalUkeySignature,
    // operations back office
    CaReview,
    ReviewApp,
    SetSwitches,
}

impl Action {
    pub const ALL: [Action; 43] = [
        Action::SetMainKey,
        Action::ManageKeyWhitelist,
        Action::ApplyUnitCert,
        Action::ViewUnitCert,
        Action::ViewStaff,
        Action::SearchStaff,
        Action::AddStaff,
        Action::EditStaff,
        Action::RemoveStaff,
        Action::ManageRoles,
        Action::ApplyUkeySeal,
        Action::ApplyCloudSeal,
        Action::ReceiptSeal,
        Action::WriteSealToUkey,
        Action::RevokeSeal,
        Action::FreezeSeal,
        Action::UnfreezeSeal,
        Action::ViewAllSeals,
        Action::ViewCloudSeals,
        Action::ViewOwnSeals,
        Action::SetSealUsers,
        Action::GrantSealToApp,
        Action::ViewSealLog,
        Action::SignWithSeal,
        Action::ViewOwnFiles,
        Action::ViewUnitFiles,
        Action::DeleteFile,
        Action::DecideQueueItem,
        Action::ViewApps,
        Action::CreateApp,
        Action::EditApp,
        Action::DeleteApp,
        Action::ViewAppSecret,
        Action::ResetAppSecret,
        Action::ViewAppDetails,
        Action::ReadAudit,
        Action::SetOwnAvatar,
        Action::SetOwnSignature,
        Action::SetOwnPasswords,
        Action::ApplyPersonalUkeySignature,
        Action::CaReview,
        Action::ReviewApp,
        Action::SetSwitches,
    ];
}

use Action as A;
use Role as R;

/// Where a cell of the matrix comes from: a clause of the platform user manual
/// (`platform-user-manual.zh.txt`) and its words, verbatim; or, where the manual is silent or
/// says two things, the heading of the decision in `docs/platform-rules.md` (clause `"docs"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cite {
    pub clause: &'static str,
    pub text: &'static str,
}

const fn m(clause: &'static str, text: &'static str) -> Cite {
    Cite { clause, text }
}

/// A decision written in `docs/platform-rules.md` under this heading.
const fn decided(heading: &'static str) -> Cite {
    Cite {
        clause: "docs",
        text: heading,
    }
}

// The manual's words, one constant per line cited.
const FIRST_UKEY: Cite = m(
    "1.2.1",
    "默认为系统的超级管理员，始终拥有印章管理、公务员管理、权限管理、文件管理、签署授权、应用中心管理和日志审计的权限",
);
const SUPER_ROLES: Cite = m(
    "2.4",
    "始终拥有应用管理员、人员管理员、系统管理员、印章管理员、审计员，印章制作者管理的角色权限",
);
const SYSADMIN: Cite = m(
    "2.4.3",
    "始终拥有使用模块为：印章管理、人员管理、权限管理、文件管理、应用中心、审计、申请数字证书",
);
const WHITELIST: Cite = m(
    "2.4.7",
    "系统管理员或被设置为主 UKey 的用户可以控制 UKEY 用户的登录权限",
);
const UNIT_CENTRE: Cite = m(
    "2.1.1",
    "单位 UKey 登录进入系统可在个人中心管理单位信息，可设置个人头像、申请数字证书、查看并验证 UKey 印章",
);
const STAFF_CENTRE: Cite = m(
    "2.1.2",
    "公务员登录进入系统可在个人中心管理个人信息，可设置个人头像和个人签名，账号登录还可设置登录密码和签署密码，个人 UKey 登录可申请个人国办签名并将签名写入 UKey",
);
const STAFF_MODULE: Cite = m(
    "2.3",
    "只有单位 UKey 用户或人员管理员才有此类操作权限，普通用户只能进行查看搜索",
);
const STAFF_ADMIN: Cite = m("2.4.2", "对应操作权限为：新增、编辑、删除公务人员");
const SEAL_MODULE: Cite = m(
    "2.2",
    "单位 UKey 用户和印章管理员可对印章进行管理。具体权限为申请云端印章、USBKEY 印章，写入 UKey、注销、查询印章，给印章设置使用者以及添加授权应用",
);
const SEAL_APPLY: Cite = m(
    "2.2",
    "单位 UKey 用户可申请 UKey 章和云端章，印章管理员只能申请云端章",
);
const SEAL_LIST: Cite = m(
    "2.2",
    "列表上单位 UKey 用户展示所有印章，印章管理员仅展示所有的云端章，普通公务员只展示自己有使用者权限的章",
);
const UKEY_SEAL_APPLY: Cite = m("2.2.1.1", "UKey 印章只能单位 UKey 用户可申请");
const SEAL_ADMIN: Cite = m(
    "2.4.4",
    "对应操作权限为：申请云端印章、USB KEY 印章，写入 UKey、注销、查询印章，给印章设置使用者、添加授权应用",
);
const SEAL_ADMIN_ROLE: Cite = m("2.4.4", "印章管理员：对单位的所有印章生命周期及授权管理");
const SEAL_MAKER: Cite = m("2.4.6", "对应操作权限为：申请印章");
const SEAL_MAKER_MANAGES: Cite = decided("What the seal maker may do beyond applying.");
const UKEY_SEALS_UNIT_ONLY: Cite = decided("Seal administrators and UKey seals.");
const SIGN: Cite = m(
    "2.5",
    "单位用户可选择 UKey 印章或者云端印章，个人用户可选择个人签名或者云端印章",
);
const FILES_UNIT: Cite = m(
    "2.6",
    "单位 UKey 用户展示当前单位下所有员工的签署文件，并可对其下载、删除和查询",
);
const FILES_STAFF: Cite = m(
    "2.6",
    "公务人员用户只展示自己签署的文件，可下载、删除和查询当前展示的文件",
);
const CONFIRMERS: Cite = m(
    "2.8",
    "设置为【确认人员】的公务人员可在此模块进行印章签署授权操作",
);
const APPS: Cite = m(
    "2.9",
    "应用管理员拥有所有操作权限，普通用户只有查看应用的权限",
);
const APP_ADMIN: Cite = m(
    "2.4.1",
    "对应操作权限为：新增、修改、删除应用，查看、重置秘钥，查看应用详情",
);
const AUDITOR: Cite = m("2.4.5", "对应操作权限为：查询系统审计");
const CA_REVIEW: Cite = m("2.2.1.2", "需 CA 客服审核通过后，方可使用印章");
const APP_REVIEW: Cite = m("2.9.5", "需联系运维后台管理员审核应用通过后，才可使用");
const SWITCHES: Cite = m("2.9.5", "后台管理员在运维后台开启【门户应用审核使用】后");

/// The matrix: for each action, the roles that may perform it, each with the line it comes
/// from. [`Role::SuperAdmin`] is listed explicitly where it applies (it is every unit role,
/// 2.4) and never for back-office actions. Object-level rules (seal users, seal managers,
/// queue confirmers, own files) are applied on top of this by the service.
const MATRIX: &[(Action, &[(Role, Cite)])] = &[
    // 1.2.1.1 / 2.4.7: who controls the unit UKeys' logins.
    (
        A::SetMainKey,
        &[(R::SuperAdmin, WHITELIST), (R::SystemAdmin, WHITELIST)],
    ),
    (
        A::ManageKeyWhitelist,
        &[(R::SuperAdmin, WHITELIST), (R::SystemAdmin, WHITELIST)],
    ),
    (
        A::ApplyUnitCert,
        &[(R::SuperAdmin, UNIT_CENTRE), (R::SystemAdmin, SYSADMIN)],
    ),
    (
        A::ViewUnitCert,
        &[(R::SuperAdmin, UNIT_CENTRE), (R::SystemAdmin, SYSADMIN)],
    ),
    // 2.3: ordinary users may only view and search.
    (
        A::ViewStaff,
        &[
            (R::SuperAdmin, STAFF_MODULE),
            (R::SystemAdmin, SYSADMIN),
            (R::StaffAdmin, STAFF_MODULE),
            (R::Staff, STAFF_MODULE),
        ],
    ),
    (
        A::SearchStaff,
        &[
            (R::SuperAdmin, STAFF_MODULE),
            (R::SystemAdmin, SYSADMIN),
            (R::StaffAdmin, STAFF_MODULE),
            (R::Staff, STAFF_MODULE),
        ],
    ),
    (
        A::AddStaff,
        &[
            (R::SuperAdmin, STAFF_MODULE),
            (R::SystemAdmin, SYSADMIN),
            (R::StaffAdmin, STAFF_ADMIN),
        ],
    ),
    (
        A::EditStaff,
        &[
            (R::SuperAdmin, STAFF_MODULE),
            (R::SystemAdmin, SYSADMIN),
            (R::StaffAdmin, STAFF_ADMIN),
        ],
    ),
    (
        A::RemoveStaff,
        &[
            (R::SuperAdmin, STAFF_MODULE),
            (R::SystemAdmin, SYSADMIN),
            (R::StaffAdmin, STAFF_ADMIN),
        ],
    ),
    // 2.4.3: 权限管理 belongs to the system administrator.
    (
        A::ManageRoles,
        &[(R::SuperAdmin, FIRST_UKEY), (R::SystemAdmin, SYSADMIN)],
    ),
    // 2.2.1.1: UKey seals only by unit UKey identities.
    (
        A::ApplyUkeySeal,
        &[
            (R::SuperAdmin, UKEY_SEAL_APPLY),
            (R::SystemAdmin, UKEY_SEAL_APPLY),
        ],
    ),
    // 2.2 + 2.4.6: cloud seals by unit UKeys, seal administrators and seal makers.
    (
        A::ApplyCloudSeal,
        &[
            (R::SuperAdmin, SEAL_APPLY),
            (R::SystemAdmin, SEAL_APPLY),
            (R::SealAdmin, SEAL_APPLY),
            (R::SealMaker, SEAL_MAKER),
        ],
    ),
    // Seal life cycle: seal administrators (2.4.4); a seal maker only on seals it manages
    // (object rule in the service), so SealMaker is listed and narrowed there.
    (
        A::ReceiptSeal,
        &[
            (R::SuperAdmin, SEAL_MODULE),
            (R::SystemAdmin, SYSADMIN),
            (R::SealAdmin, SEAL_ADMIN_ROLE),
            (R::SealMaker, SEAL_MAKER_MANAGES),
        ],
    ),
    (
        A::WriteSealToUkey,
        &[
            (R::SuperAdmin, SEAL_MODULE),
            (R::SystemAdmin, UKEY_SEALS_UNIT_ONLY),
        ],
    ),
    (
        A::RevokeSeal,
        &[
            (R::SuperAdmin, SEAL_MODULE),
            (R::SystemAdmin, SYSADMIN),
            (R::SealAdmin, SEAL_ADMIN),
            (R::SealMaker, SEAL_MAKER_MANAGES),
        ],
    ),
    (
        A::FreezeSeal,
        &[
            (R::SuperAdmin, FIRST_UKEY),
            (R::SystemAdmin, SYSADMIN),
            (R::SealAdmin, SEAL_ADMIN_ROLE),
            (R::SealMaker, SEAL_MAKER_MANAGES),
        ],
    ),
    (
        A::UnfreezeSeal,
        &[
            (R::SuperAdmin, FIRST_UKEY),
            (R::SystemAdmin, SYSADMIN),
            (R::SealAdmin, SEAL_ADMIN_ROLE),
            (R::SealMaker, SEAL_MAKER_MANAGES),
        ],
    ),
    // 2.2 list visibility.
    (
        A::ViewAllSeals,
        &[(R::SuperAdmin, SEAL_LIST), (R::SystemAdmin, SEAL_LIST)],
    ),
    (
        A::ViewCloudSeals,
        &[
            (R::SuperAdmin, SEAL_LIST),
            (R::SystemAdmin, SEAL_LIST),
            (R::SealAdmin, SEAL_LIST),
        ],
    ),
    (
        A::ViewOwnSeals,
        &[
            (R::SuperAdmin, SEAL_LIST),
            (R::SystemAdmin, SEAL_LIST),
            (R::SealAdmin, SEAL_LIST),
            (R::SealMaker, SEAL_MAKER_MANAGES),
            (R::Staff, SEAL_LIST),
        ],
    ),
    (
        A::SetSealUsers,
        &[
            (R::SuperAdmin, SEAL_MODULE),
            (R::SystemAdmin, SYSADMIN),
            (R::SealAdmin, SEAL_ADMIN),
            (R::SealMaker, SEAL_MAKER_MANAGES),
        ],
    ),
    (
        A::GrantSealToApp,
        &[
            (R::SuperAdmin, SEAL_MODULE),
            (R::SystemAdmin, SYSADMIN),
            (R::SealAdmin, SEAL_ADMIN),
            (R::SealMaker, SEAL_MAKER_MANAGES),
        ],
    ),
    (
        A::ViewSealLog,
        &[
            (R::SuperAdmin, FIRST_UKEY),
            (R::SystemAdmin, SYSADMIN),
            (R::SealAdmin, SEAL_ADMIN_ROLE),
            (R::SealMaker, SEAL_MAKER_MANAGES),
        ],
    ),
    // 2.5: anyone, subject to being a seal user (object rule).
    (
        A::SignWithSeal,
        &[
            (R::SuperAdmin, SIGN),
            (R::SystemAdmin, SIGN),
            (R::Staff, SIGN),
        ],
    ),
    // 2.6
    (
        A::ViewOwnFiles,
        &[
            (R::SuperAdmin, FILES_UNIT),
            (R::SystemAdmin, FILES_UNIT),
            (R::Staff, FILES_STAFF),
        ],
    ),
    (
        A::ViewUnitFiles,
        &[(R::SuperAdmin, FILES_UNIT), (R::SystemAdmin, FILES_UNIT)],
    ),
    (
        A::DeleteFile,
        &[
            (R::SuperAdmin, FILES_UNIT),
            (R::SystemAdmin, FILES_UNIT),
            (R::Staff, FILES_STAFF),
        ],
    ),
    // 2.8: confirmers only (object rule); any staff can be a confirmer.
    (
        A::DecideQueueItem,
        &[
            (R::SuperAdmin, FIRST_UKEY),
            (R::SystemAdmin, FIRST_UKEY),
            (R::Staff, CONFIRMERS),
        ],
    ),
    // 2.9: 普通用户只有查看应用的权限.
    (
        A::ViewApps,
        &[
            (R::SuperAdmin, FIRST_UKEY),
            (R::SystemAdmin, SYSADMIN),
            (R::AppAdmin, APPS),
            (R::Staff, APPS),
        ],
    ),
    (
        A::CreateApp,
        &[
            (R::SuperAdmin, SUPER_ROLES),
            (R::SystemAdmin, SYSADMIN),
            (R::AppAdmin, APP_ADMIN),
        ],
    ),
    (
        A::EditApp,
        &[
            (R::SuperAdmin, SUPER_ROLES),
            (R::SystemAdmin, SYSADMIN),
            (R::AppAdmin, APP_ADMIN),
        ],
    ),
    (
        A::DeleteApp,
        &[
            (R::SuperAdmin, SUPER_ROLES),
            (R::SystemAdmin, SYSADMIN),
            (R::AppAdmin, APP_ADMIN),
        ],
    ),
    (
        A::ViewAppSecret,
        &[
            (R::SuperAdmin, SUPER_ROLES),
            (R::SystemAdmin, SYSADMIN),
            (R::AppAdmin, APP_ADMIN),
        ],
    ),
    (
        A::ResetAppSecret,
        &[
            (R::SuperAdmin, SUPER_ROLES),
            (R::SystemAdmin, SYSADMIN),
            (R::AppAdmin, APP_ADMIN),
        ],
    ),
    (
        A::ViewAppDetails,
        &[
            (R::SuperAdmin, SUPER_ROLES),
            (R::SystemAdmin, SYSADMIN),
            (R::AppAdmin, APP_ADMIN),
        ],
    ),
    // 2.10
    (
        A::ReadAudit,
        &[
            (R::SuperAdmin, FIRST_UKEY),
            (R::SystemAdmin, SYSADMIN),
            (R::Auditor, AUDITOR),
        ],
    ),
    // 2.1 personal centre.
    (
        A::SetOwnAvatar,
        &[
            (R::SuperAdmin, UNIT_CENTRE),
            (R::SystemAdmin, UNIT_CENTRE),
            (R::Staff, STAFF_CENTRE),
        ],
    ),
    (A::SetOwnSignature, &[(R::Staff, STAFF_CENTRE)]),
    (A::SetOwnPasswords, &[(R::Staff, STAFF_CENTRE)]),
    (A::ApplyPersonalUkeySignature, &[(R::Staff, STAFF_CENTRE)]),
    // back office
    (A::CaReview, &[(R::Operator, CA_REVIEW)]),
    (A::ReviewApp, &[(R::Operator, APP_REVIEW)]),
    (A::SetSwitches, &[(R::Operator, SWITCHES)]),
];

/// The line of the manual (or the decision) that allows `role` to perform `action`; `None`
/// where the matrix says no.
pub fn source(role: Role, action: Action) -> Option<Cite> {
    MATRIX
        .iter()
        .find(|(a, _)| *a == action)
        .and_then(|(_, cells)| cells.iter().find(|(r, _)| *r == role))
        .map(|(_, c)| *c)
}

/// May a holder of `role` perform `action` (before object-level rules)?
pub fn allowed(role: Role, action: Action) -> bool {
    source(role, action).is_some()
}

/// May an identity holding `roles` perform `action`?
pub fn allowed_any(roles: &[Role], action: Action) -> bool {
    roles.iter().any(|r| allowed(*r, action))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_in_the_matrix_once() {
        for a in Action::ALL {
            assert_eq!(MATRIX.iter().filter(|(m, _)| *m == a).count(), 1, "{a:?}");
        }
        assert_eq!(MATRIX.len(), Action::ALL.len());
    }
}
