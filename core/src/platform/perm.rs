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

/// The matrix: for each action, the roles that may perform it. [`Role::SuperAdmin`] is listed
/// explicitly where it applies (it is every unit role, 2.4) and never for back-office actions.
/// Object-level rules (seal users, seal managers, queue confirmers, own files) are applied on
/// top of this by the service.
const MATRIX: &[(Action, &[Role])] = &[
    // 1.2.1.1 / 2.4.7: "系统管理员或被设置为主 UKey 的用户" control the whitelist.
    (A::SetMainKey, &[R::SuperAdmin, R::SystemAdmin]),
    (A::ManageKeyWhitelist, &[R::SuperAdmin, R::SystemAdmin]),
    // 2.4.3 系统管理员 modules include 申请数字证书.
    (A::ApplyUnitCert, &[R::SuperAdmin, R::SystemAdmin]),
    (A::ViewUnitCert, &[R::SuperAdmin, R::SystemAdmin]),
    // 2.3: ordinary users may only view and search.
    (
        A::ViewStaff,
        &[R::SuperAdmin, R::SystemAdmin, R::StaffAdmin, R::Staff],
    ),
    (
        A::SearchStaff,
        &[R::SuperAdmin, R::SystemAdmin, R::StaffAdmin, R::Staff],
    ),
    (A::AddStaff, &[R::SuperAdmin, R::SystemAdmin, R::StaffAdmin]),
    (
        A::EditStaff,
        &[R::SuperAdmin, R::SystemAdmin, R::StaffAdmin],
    ),
    (
        A::RemoveStaff,
        &[R::SuperAdmin, R::SystemAdmin, R::StaffAdmin],
    ),
    // 2.4.3: 权限管理 belongs to the system administrator.
    (A::ManageRoles, &[R::SuperAdmin, R::SystemAdmin]),
    // 2.2.1.1: UKey seals only by unit UKey identities.
    (A::ApplyUkeySeal, &[R::SuperAdmin, R::SystemAdmin]),
    // 2.2.1.2 + 2.4.6: cloud seals by unit UKeys, seal administrators and seal makers.
    (
        A::ApplyCloudSeal,
        &[R::SuperAdmin, R::SystemAdmin, R::SealAdmin, R::SealMaker],
    ),
    // Seal life cycle: seal administrators (2.4.4); a seal maker only on seals it manages
    // (object rule in the service), so SealMaker is listed and narrowed there.
    (
        A::ReceiptSeal,
        &[R::SuperAdmin, R::SystemAdmin, R::SealAdmin, R::SealMaker],
    ),
    (A::WriteSealToUkey, &[R::SuperAdmin, R::SystemAdmin]),
    (
        A::RevokeSeal,
        &[R::SuperAdmin, R::SystemAdmin, R::SealAdmin, R::SealMaker],
    ),
    (
        A::FreezeSeal,
        &[R::SuperAdmin, R::SystemAdmin, R::SealAdmin, R::SealMaker],
    ),
    (
        A::UnfreezeSeal,
        &[R::SuperAdmin, R::SystemAdmin, R::SealAdmin, R::SealMaker],
    ),
    // 2.2 list visibility.
    (A::ViewAllSeals, &[R::SuperAdmin, R::SystemAdmin]),
    (
        A::ViewCloudSeals,
        &[R::SuperAdmin, R::SystemAdmin, R::SealAdmin],
    ),
    (
        A::ViewOwnSeals,
        &[
            R::SuperAdmin,
            R::SystemAdmin,
            R::SealAdmin,
            R::SealMaker,
            R::Staff,
        ],
    ),
    (
        A::SetSealUsers,
        &[R::SuperAdmin, R::SystemAdmin, R::SealAdmin, R::SealMaker],
    ),
    (
        A::GrantSealToApp,
        &[R::SuperAdmin, R::SystemAdmin, R::SealAdmin, R::SealMaker],
    ),
    (
        A::ViewSealLog,
        &[R::SuperAdmin, R::SystemAdmin, R::SealAdmin, R::SealMaker],
    ),
    // 2.5: anyone, subject to being a seal user (object rule).
    (A::SignWithSeal, &[R::SuperAdmin, R::SystemAdmin, R::Staff]),
    // 2.6
    (A::ViewOwnFiles, &[R::SuperAdmin, R::SystemAdmin, R::Staff]),
    (A::ViewUnitFiles, &[R::SuperAdmin, R::SystemAdmin]),
    (A::DeleteFile, &[R::SuperAdmin, R::SystemAdmin, R::Staff]),
    // 2.8: confirmers only (object rule); any staff can be a confirmer.
    (
        A::DecideQueueItem,
        &[R::SuperAdmin, R::SystemAdmin, R::Staff],
    ),
    // 2.9: 普通用户只有查看应用的权限.
    (
        A::ViewApps,
        &[R::SuperAdmin, R::SystemAdmin, R::AppAdmin, R::Staff],
    ),
    (A::CreateApp, &[R::SuperAdmin, R::SystemAdmin, R::AppAdmin]),
    (A::EditApp, &[R::SuperAdmin, R::SystemAdmin, R::AppAdmin]),
    (A::DeleteApp, &[R::SuperAdmin, R::SystemAdmin, R::AppAdmin]),
    (
        A::ViewAppSecret,
        &[R::SuperAdmin, R::SystemAdmin, R::AppAdmin],
    ),
    (
        A::ResetAppSecret,
        &[R::SuperAdmin, R::SystemAdmin, R::AppAdmin],
    ),
    (
        A::ViewAppDetails,
        &[R::SuperAdmin, R::SystemAdmin, R::AppAdmin],
    ),
    // 2.10
    (A::ReadAudit, &[R::SuperAdmin, R::SystemAdmin, R::Auditor]),
    // 2.1 personal centre.
    (A::SetOwnAvatar, &[R::SuperAdmin, R::SystemAdmin, R::Staff]),
    (A::SetOwnSignature, &[R::Staff]),
    (A::SetOwnPasswords, &[R::Staff]),
    (A::ApplyPersonalUkeySignature, &[R::Staff]),
    // back office
    (A::CaReview, &[R::Operator]),
    (A::ReviewApp, &[R::Operator]),
    (A::SetSwitches, &[R::Operator]),
];

/// May a holder of `role` perform `action` (before object-level rules)?
pub fn allowed(role: Role, action: Action) -> bool {
    MATRIX
        .iter()
        .any(|(a, roles)| *a == action && roles.contains(&role))
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
