//! How each document of the model is stored: its kind, id, unique keys and index columns
//! (what the store filters, orders and prunes by).

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::super::model::*;
use super::super::store::{Index, Kind, UniqueKey};

/// A stored document of the model.
pub trait Doc: Serialize + DeserializeOwned {
    const KIND: Kind;
    fn id(&self) -> &str;
    /// Unique keys the document holds.
    fn uniques(&self) -> Vec<UniqueKey> {
        vec![]
    }
    /// Index columns.
    fn index(&self) -> Index {
        Index::default()
    }
}

/// Tag of a seal user, a seal manager, a queue confirmer, a role holder.
pub fn tag(what: &str, id: &str) -> String {
    format!("{what}:{id}")
}

pub fn seal_status_name(s: SealStatus) -> &'static str {
    match s {
        SealStatus::PendingReview => "pending_review",
        SealStatus::AwaitingReceipt => "awaiting_receipt",
        SealStatus::Rejected => "rejected",
        SealStatus::Valid => "valid",
        SealStatus::Frozen => "frozen",
        SealStatus::Revoked => "revoked",
        SealStatus::Expired => "expired",
    }
}

pub fn seal_kind_name(k: SealKind) -> &'static str {
    match k {
        SealKind::Ukey => "ukey",
        SealKind::Cloud => "cloud",
        SealKind::PersonalUkey => "personal_ukey",
    }
}

pub fn queue_status_name(s: QueueStatus) -> &'static str {
    match s {
        QueueStatus::Pending => "pending",
        QueueStatus::Approved => "approved",
        QueueStatus::Rejected => "rejected",
        QueueStatus::Used => "used",
    }
}

pub fn format_name(f: FileFormat) -> &'static str {
    match f {
        FileFormat::Pdf => "pdf",
        FileFormat::Ofd => "ofd",
    }
}

impl Doc for Unit {
    const KIND: Kind = Kind::Unit;
    fn id(&self) -> &str {
        &self.id
    }
    fn uniques(&self) -> Vec<UniqueKey> {
        vec![UniqueKey::new("unit.code", self.credit_code.clone())]
    }
    fn index(&self) -> Index {
        Index {
            unit: self.id.clone(),
            name: self.name.clone(),
            alt_name: self.credit_code.clone(),
            time: self.created,
            ..Index::default()
        }
    }
}

impl Doc for UnitKey {
    const KIND: Kind = Kind::UnitKey;
    fn id(&self) -> &str {
        &self.id
    }
    fn uniques(&self) -> Vec<UniqueKey> {
        let mut v = vec![UniqueKey::new(
            "unit_key",
            format!("{}|{}", self.cert_serial, self.device_id),
        )];
        if self.super_admin {
            v.push(UniqueKey::new("unit.first_key", self.unit.clone()));
        }
        v
    }
    fn index(&self) -> Index {
        Index {
            unit: self.unit.clone(),
            name: self.cert_subject.clone(),
            alt_name: self.device_id.clone(),
            time: self.created,
            ..Index::default()
        }
    }
}

impl Doc for Staff {
    const KIND: Kind = Kind::Staff;
    fn id(&self) -> &str {
        &self.id
    }
    fn uniques(&self) -> Vec<UniqueKey> {
        if self.removed {
            vec![]
        } else {
            vec![
                UniqueKey::new("staff.phone", self.phone.clone()),
                UniqueKey::new("staff.id_number", self.id_number.clone()),
            ]
        }
    }
    fn index(&self) -> Index {
        Index {
            unit: self.unit.clone(),
            status: if self.removed {
                "removed"
            } else if self.resigned {
                "resigned"
            } else {
                "active"
            }
            .into(),
            category: self.initial.to_string(),
            name: self.name.clone(),
            alt_name: self.phone.clone(),
            time: self.created,
            tags: self
                .roles
                .iter()
                .map(|r| tag("role", &format!("{r:?}")))
                .collect(),
            ..Index::default()
        }
    }
}

impl Doc for SealRecord {
    const KIND: Kind = Kind::Seal;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        let mut tags: Vec<String> = Vec::new();
        // Visibility (2.2): the unit UKey sees the unit's seals (not personal signatures),
        // a seal administrator the cloud seals, others what they use, manage or own.
        if self.kind != SealKind::PersonalUkey {
            tags.push(tag("unit-seals", &self.unit));
        }
        if self.kind == SealKind::Cloud {
            tags.push(tag("unit-cloud", &self.unit));
        }
        tags.extend(self.users.iter().map(|u| tag("user", u)));
        tags.extend(self.managers.iter().map(|u| tag("manager", u)));
        if let Some(o) = &self.owner {
            tags.push(tag("owner", o));
        }
        tags.sort();
        tags.dedup();
        Index {
            unit: self.unit.clone(),
            owner: self.owner.clone().unwrap_or_default(),
            status: seal_status_name(self.status).into(),
            category: seal_kind_name(self.kind).into(),
            name: self.name.clone(),
            time: self.created,
            until: self.valid_to,
            tags,
            ..Index::default()
        }
    }
}

impl Doc for SealDocument {
    const KIND: Kind = Kind::SealDocument;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        Index {
            owner: self.seal.clone(),
            time: self.made,
            ..Index::default()
        }
    }
}

impl Doc for PersonalSignature {
    const KIND: Kind = Kind::PersonalSignature;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        Index {
            owner: self.id.clone(),
            time: self.updated,
            ..Index::default()
        }
    }
}

impl Doc for App {
    const KIND: Kind = Kind::App;
    fn id(&self) -> &str {
        &self.id
    }
    fn uniques(&self) -> Vec<UniqueKey> {
        if self.status == AppStatus::Deleted {
            vec![UniqueKey::new("app.token", self.access_token.clone())]
        } else {
            vec![
                UniqueKey::new("app.name", self.name.clone()),
                UniqueKey::new("app.token", self.access_token.clone()),
            ]
        }
    }
    fn index(&self) -> Index {
        Index {
            unit: self.unit.clone(),
            status: match self.status {
                AppStatus::PendingReview => "pending_review",
                AppStatus::Valid => "valid",
                AppStatus::Rejected { .. } => "rejected",
                AppStatus::Deleted => "deleted",
            }
            .into(),
            name: self.name.clone(),
            alt_name: self.contact.clone().unwrap_or_default(),
            time: self.created,
            ..Index::default()
        }
    }
}

impl Doc for Grant {
    const KIND: Kind = Kind::Grant;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        let mut tags = vec![tag("seal", &self.seal)];
        if let ConfirmPolicy::Manual { confirmers, .. } = &self.policy {
            tags.extend(confirmers.iter().map(|c| tag("confirmer", c)));
        }
        Index {
            unit: self.unit.clone(),
            owner: self.app.clone(),
            status: if self.removed { "removed" } else { "active" }.into(),
            time: self.created,
            tags,
            ..Index::default()
        }
    }
}

impl Doc for QueueItem {
    const KIND: Kind = Kind::QueueItem;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        Index {
            unit: self.unit.clone(),
            owner: self.app.clone(),
            status: queue_status_name(self.status).into(),
            category: format_name(self.file_type).into(),
            name: self.file_name.clone(),
            alt_name: self.app_name.clone(),
            time: self.time,
            tags: self
                .confirmers
                .iter()
                .map(|c| tag("confirmer", c))
                .collect(),
            ..Index::default()
        }
    }
}

impl Doc for FileRecord {
    const KIND: Kind = Kind::File;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        Index {
            unit: self.unit.clone(),
            owner: self.signer.clone(),
            status: if self.deleted { "deleted" } else { "active" }.into(),
            category: format_name(self.format).into(),
            name: self.name.clone(),
            alt_name: self.signer_name.clone(),
            time: self.time,
            ..Index::default()
        }
    }
}

impl Doc for PasswordRecord {
    const KIND: Kind = Kind::Credential;
    fn id(&self) -> &str {
        &self.id
    }
}

impl Doc for SmsState {
    const KIND: Kind = Kind::SmsCode;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        // Useless once every code expired and the last send left the hourly window.
        let until = self
            .codes
            .iter()
            .map(|c| c.expires)
            .chain(self.sends.iter().map(|t| t.saturating_add(3600)))
            .max();
        Index {
            until,
            ..Index::default()
        }
    }
}

impl Doc for Captcha {
    const KIND: Kind = Kind::Captcha;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        Index {
            until: Some(self.expires),
            ..Index::default()
        }
    }
}

impl Doc for RevocationToken {
    const KIND: Kind = Kind::RevocationToken;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        Index {
            owner: self.actor.clone(),
            until: Some(self.expires),
            ..Index::default()
        }
    }
}

impl Doc for Expiring {
    const KIND: Kind = Kind::Nonce;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        Index {
            until: Some(self.expires),
            ..Index::default()
        }
    }
}

impl Doc for UsedSerial {
    const KIND: Kind = Kind::Serial;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        Index {
            owner: self.grant.clone(),
            until: Some(self.expires),
            ..Index::default()
        }
    }
}

impl Doc for Challenge {
    const KIND: Kind = Kind::Challenge;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        Index {
            until: Some(self.expires),
            ..Index::default()
        }
    }
}

impl Doc for Switches {
    const KIND: Kind = Kind::Settings;
    fn id(&self) -> &str {
        Switches::ID
    }
}

impl Doc for StoredCheckpoint {
    const KIND: Kind = Kind::Checkpoint;
    fn id(&self) -> &str {
        &self.id
    }
    fn index(&self) -> Index {
        Index {
            time: self.time,
            ..Index::default()
        }
    }
}
