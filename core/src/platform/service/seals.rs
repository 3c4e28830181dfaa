//! Seals and their life cycle (manual 2.2), personal signatures (2.1.2.2, 2.1.2.5), grants to
//! apps (2.2.4).

use super::docs::{seal_status_name, tag};
use super::*;
use crate::ses::SealBuilder;
use crate::stamp::style::{SealStyle, UnitSeal};

/// Application for a seal (2.2.1).
#[derive(Clone, Debug)]
pub struct SealApplication {
    pub kind: SealKind,
    pub name: String,
    pub seal_type: u32,
    pub handler_name: String,
    pub handler_phone: String,
    pub handler_id_number: String,
    /// The picture (jpg, jpeg, png or gif), unless `generate` is set.
    pub picture: Vec<u8>,
    /// jpg, jpeg, png or gif.
    pub picture_format: String,
    /// 自动生成 (2.2.1.1): the picture is drawn by `stamp` in this style from the unit's name
    /// (the invoice seal takes the unit's 统一社会信用代码 as its 纳税人识别号).
    pub generate: Option<SealStyle>,
    /// 0 = the style's size (42 mm for an uploaded picture); the ovals have fixed sizes.
    pub width_mm: u32,
    pub height_mm: u32,
}

/// Largest picture accepted, in pixels.
const MAX_PICTURE_PIXELS: u64 = 4096 * 4096;

/// The seal list's filters (2.2.6) and page.
#[derive(Clone, Debug, Default)]
pub struct SealQuery {
    pub status: Option<SealStatus>,
    pub kind: Option<SealKind>,
    /// Fragment of the seal name.
    pub name: Option<String>,
    /// Page from 1 ([`PAGE_SIZE`] a page); 0 is the first.
    pub page: usize,
}

/// The store counter of a seal's signatures.
pub(super) fn sign_counter(seal: &str) -> String {
    format!("seal-signs:{seal}")
}

impl Platform {
    pub(super) fn require_cert(&self, unit: &str) -> Result<()> {
        if self.must::<Unit>(unit)?.0.cert_application.is_none() {
            return Err(state(
                "the unit must apply for its server certificate first (1.2.1.2)",
            ));
        }
        Ok(())
    }

    /// The seal with its signature count filled in.
    pub(super) fn with_count(&self, mut s: SealRecord) -> Result<SealRecord> {
        s.sign_count = self.store.counter(&sign_counter(&s.id))?;
        Ok(s)
    }

    /// Applies for a seal (2.2.1).
    pub fn apply_seal(&self, sess: &Session, a: SealApplication) -> Result<SealRecord> {
        let action = match a.kind {
            SealKind::Ukey => Action::ApplyUkeySeal,
            SealKind::Cloud => Action::ApplyCloudSeal,
            SealKind::PersonalUkey => {
                return Err(PlatformError::InvalidInput(
                    "use apply_personal_ukey_signature".into(),
                ));
            }
        };
        let object = a.name.clone();
        self.run(sess, action, &object, |ctx, tx| {
            if a.kind == SealKind::Ukey && !ctx.is_unit_key() {
                return Err(forbidden(
                    "UKey seals are applied for with a unit UKey only",
                ));
            }
            self.require_cert(&ctx.unit)?;
            self.new_seal(ctx, tx, &a, None)
        })
    }

    pub(super) fn new_seal(
        &self,
        ctx: &Ctx,
        tx: &mut Tx,
        a: &SealApplication,
        owner: Option<String>,
    ) -> Result<SealRecord> {
        let name = validate::check_text("seal name", &a.name, 50)?;
        let handler_name = validate::check_text("handler name", &a.handler_name, 50)?;
        validate::check_phone(&a.handler_phone)?;
        let handler_id_number = validate::check_id_number(&a.handler_id_number)?;
        let (w, h) = match (a.width_mm, a.height_mm, a.generate) {
            (0, 0, Some(style)) => {
                let (w, h) = style.default_size_mm();
                (w.round() as u32, h.round() as u32)
            }
            (0, 0, None) => (42, 42),
            (w, h, _) if (5..=200).contains(&w) && (5..=200).contains(&h) => (w, h),
            _ => {
                return Err(PlatformError::InvalidInput(
                    "seal size must be 5 to 200 mm".into(),
                ));
            }
        };
        let (picture, fmt) = match a.generate {
            Some(style) => {
                let unit = self.must::<Unit>(&ctx.unit)?.0;
                let mut seal = UnitSeal::new(style, &unit.name);
                seal.dpi = 200.0;
                match style {
                    SealStyle::Official(_) | SealStyle::SquareFinance => {
                        seal.size_mm = Some(w as f32)
                    }
                    SealStyle::InvoiceOval => seal.code = Some(unit.credit_code.clone()),
                    SealStyle::WideOval => {}
                }
                let p = seal.render()?;
                (p.png, "png".to_owned())
            }
            None => {
                let fmt = a.picture_format.to_ascii_lowercase();
                if !["jpg", "jpeg", "png", "gif"].contains(&fmt.as_str()) {
                    return Err(PlatformError::InvalidInput(
                        "seal picture must be jpg, jpeg, png or gif".into(),
                    ));
                }
                if a.picture.is_empty() {
                    return Err(PlatformError::InvalidInput("seal picture is empty".into()));
                }
                // A picture that does not decode is refused now, not when the seal is made.
                crate::stamp::import::decode(&a.picture, MAX_PICTURE_PIXELS)?;
                (a.picture.clone(), fmt)
            }
        };
        let now = self.clock.now();
        let pending = self.switches()?.ca_review;
        let mut s = SealRecord {
            id: new_id()?,
            unit: ctx.unit.clone(),
            kind: a.kind,
            name,
            seal_type: a.seal_type,
            handler_name,
            handler_phone: a.handler_phone.clone(),
            handler_id_number,
            picture_b64: base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                &picture,
            ),
            picture_format: fmt,
            width_mm: w,
            height_mm: h,
            status: if pending {
                SealStatus::PendingReview
            } else {
                SealStatus::AwaitingReceipt
            },
            reject_reason: None,
            valid_from: if pending { None } else { Some(now) },
            valid_to: if pending {
                None
            } else {
                Some(now + DEFAULT_SEAL_VALIDITY_DAYS * 86400)
            },
            applicant: ctx.id.clone(),
            managers: if ctx.is_unit_key() {
                vec![]
            } else {
                vec![ctx.id.clone()]
            },
            users: if a.kind == SealKind::Cloud {
                vec![ctx.id.clone()]
            } else {
                vec![]
            },
            owner,
            written_to_ukey: false,
            document: None,
            public_key: None,
            sign_count: 0,
            log: vec![],
            created: now,
        };
        Self::log(&mut s, ctx, "申请", now);
        tx.insert(&s)?;
        Ok(s)
    }

    /// May this actor run the life cycle of this seal (object rule on top of the matrix)?
    pub(super) fn may_manage(ctx: &Ctx, s: &SealRecord) -> bool {
        if s.unit != ctx.unit {
            return false;
        }
        if s.kind == SealKind::PersonalUkey {
            return s.owner.as_deref() == Some(ctx.id.as_str());
        }
        ctx.is_unit_key()
            || (s.kind == SealKind::Cloud && ctx.has(Role::SealAdmin))
            || s.managers.iter().any(|m| m == &ctx.id)
    }

    pub(super) fn may_see(ctx: &Ctx, s: &SealRecord) -> bool {
        if s.unit != ctx.unit {
            return false;
        }
        (s.kind != SealKind::PersonalUkey && perm::allowed_any(&ctx.roles, Action::ViewAllSeals))
            || (s.kind == SealKind::Cloud && perm::allowed_any(&ctx.roles, Action::ViewCloudSeals))
            || s.users.iter().any(|u| u == &ctx.id)
            || s.managers.iter().any(|u| u == &ctx.id)
            || s.owner.as_deref() == Some(ctx.id.as_str())
    }

    /// The tags whose seals the actor sees ([`Platform::may_see`] as a store query).
    fn visible_tags(ctx: &Ctx) -> Vec<String> {
        let mut t = vec![
            tag("user", &ctx.id),
            tag("manager", &ctx.id),
            tag("owner", &ctx.id),
        ];
        if perm::allowed_any(&ctx.roles, Action::ViewAllSeals) {
            t.push(tag("unit-seals", &ctx.unit));
        }
        if perm::allowed_any(&ctx.roles, Action::ViewCloudSeals) {
            t.push(tag("unit-cloud", &ctx.unit));
        }
        t
    }

    pub(super) fn managed_seal(&self, ctx: &Ctx, id: &str) -> Result<(SealRecord, u64)> {
        let (s, v): (SealRecord, u64) = match self.load(id)? {
            Some(x) => x,
            None => return Err(PlatformError::NotFound(format!("seal {id}"))),
        };
        if !Self::may_see(ctx, &s) && !Self::may_manage(ctx, &s) {
            return Err(PlatformError::NotFound(format!("seal {id}")));
        }
        if !Self::may_manage(ctx, &s) {
            return Err(forbidden("not a manager of this seal"));
        }
        Ok((s, v))
    }

    pub(super) fn log(s: &mut SealRecord, ctx: &Ctx, action: &str, now: i64) {
        s.log.push(SealLogEntry {
            operator: ctx.name.clone(),
            action: action.to_owned(),
            time: now,
        });
    }

    /// THE seal state transition: `(s, v)` as loaded, `change` checks the state and sets the
    /// new one, the step is logged (2.2.5) under `log` and the seal is written by
    /// compare-and-set in `tx`.
    pub(super) fn seal_step(
        &self,
        ctx: &Ctx,
        tx: &mut Tx,
        (mut s, v): (SealRecord, u64),
        log: &str,
        change: impl FnOnce(&mut SealRecord, i64) -> Result<()>,
    ) -> Result<SealRecord> {
        let now = self.clock.now();
        change(&mut s, now)?;
        Self::log(&mut s, ctx, log, now);
        tx.update(&s, v)?;
        Ok(s)
    }

    /// [`Platform::seal_step`] on a seal the actor manages.
    fn managed_step(
        &self,
        ctx: &Ctx,
        tx: &mut Tx,
        id: &str,
        log: &str,
        change: impl FnOnce(&mut SealRecord, i64) -> Result<()>,
    ) -> Result<SealRecord> {
        let loaded = self.managed_seal(ctx, id)?;
        self.seal_step(ctx, tx, loaded, log, change)
    }

    /// CA review of a seal or personal signature (back office, 2.2.1): approve → 待回执 with
    /// its validity, or reject → 已否决 with a reason.
    pub fn ca_review(
        &self,
        sess: &Session,
        seal: &str,
        approve: bool,
        reason: &str,
    ) -> Result<SealRecord> {
        self.run(sess, Action::CaReview, seal, |ctx, tx| {
            let loaded = self.must::<SealRecord>(seal)?;
            let log = if approve { "审核通过" } else { "否决" };
            self.seal_step(ctx, tx, loaded, log, |s, now| {
                if s.status != SealStatus::PendingReview {
                    return Err(state(format!(
                        "seal is {:?}, not waiting for review",
                        s.status
                    )));
                }
                if approve {
                    s.status = SealStatus::AwaitingReceipt;
                    s.valid_from = Some(now);
                    s.valid_to = Some(now + DEFAULT_SEAL_VALIDITY_DAYS * 86400);
                } else {
                    s.status = SealStatus::Rejected;
                    s.reject_reason = Some(validate::check_text("reason", reason, 200)?);
                }
                Ok(())
            })
        })
    }

    /// 回执 (2.2.2): 待回执 → 有效; a cloud seal gets its key in the vault.
    pub fn receipt_seal(&self, sess: &Session, seal: &str) -> Result<SealRecord> {
        self.run(sess, Action::ReceiptSeal, seal, |ctx, tx| {
            let loaded = self.managed_seal(ctx, seal)?;
            if loaded.0.kind == SealKind::PersonalUkey {
                return Err(state("use receipt_personal_signature"));
            }
            self.receipt_step(ctx, tx, loaded)
        })
    }

    /// 回执: 待回执 → 有效. A cloud seal is made now (GB/T 38540 seal, the unit's server
    /// certificate in certList, signed by the platform's seal maker); a UKey seal is made
    /// when it is written to its UKey ([`Platform::write_seal_to_ukey`]).
    fn receipt_step(
        &self,
        ctx: &Ctx,
        tx: &mut Tx,
        loaded: (SealRecord, u64),
    ) -> Result<SealRecord> {
        let made = if loaded.0.kind == SealKind::Cloud {
            let (cert, signer) = self.unit_signer(&ctx.unit)?;
            let pk = cert.sm2_public_key()?.to_sec1_uncompressed();
            let doc = self.make_seal(&loaded.0, &cert)?;
            Some((doc, format!("{}|{}", signer_key(&signer), hex::encode(pk))))
        } else {
            None
        };
        if let Some((doc, _)) = &made {
            tx.insert(doc)?;
        }
        self.seal_step(ctx, tx, loaded, "回执", |s, now| {
            if s.status != SealStatus::AwaitingReceipt {
                return Err(state(format!(
                    "seal is {:?}, not waiting for receipt",
                    s.status
                )));
            }
            if s.valid_to.is_some_and(|t| now > t) {
                return Err(state("seal validity has ended"));
            }
            if let Some((doc, key)) = &made {
                s.document = Some(doc.id.clone());
                s.public_key = Some(key.clone());
            }
            s.status = SealStatus::Valid;
            Ok(())
        })
    }

    /// Makes the GB/T 38540 seal of record `s` for a signer certificate (certList), signed
    /// by the platform's seal maker (§6.2).
    fn make_seal(
        &self,
        s: &SealRecord,
        signer_cert: &crate::crypto::Certificate,
    ) -> Result<SealDocument> {
        let unit = self.must::<Unit>(&s.unit)?.0;
        let picture =
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &s.picture_b64)
                .map_err(|_| state("the seal picture is unreadable"))?;
        let ptype = match s.picture_format.as_str() {
            "jpeg" => "jpg",
            f => f,
        };
        let now = self.clock.now();
        let from = s.valid_from.unwrap_or(now);
        let to = s
            .valid_to
            .unwrap_or(now + DEFAULT_SEAL_VALIDITY_DAYS * 86400);
        let es_id = super::status::es_id(&unit, s);
        let seal = SealBuilder::new(&s.name, &es_id)
            .vendor_id("eseal-platform")
            .seal_type(i64::from(s.seal_type))
            .picture(ptype, picture, s.width_mm, s.height_mm)
            .created(crate::crypto::time::Time::from_unix(now))
            .valid(
                crate::crypto::time::Time::from_unix(from),
                crate::crypto::time::Time::from_unix(to),
            )
            .signer_cert(signer_cert)
            .build(self.seal_maker.as_ref())?;
        Ok(SealDocument {
            id: format!("{}:{}", s.id, new_id()?),
            seal: s.id.clone(),
            der_b64: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, seal.der()),
            made: now,
        })
    }

    /// The made seal (GB/T 38540 DER) of a seal the actor may see, once made.
    pub fn seal_der(&self, sess: &Session, id: &str) -> Result<Vec<u8>> {
        self.read(sess, Action::ViewOwnSeals, id, |ctx| {
            let s = match self.load::<SealRecord>(id)? {
                Some((s, _)) if Self::may_see(ctx, &s) => s,
                _ => return Err(PlatformError::NotFound(format!("seal {id}"))),
            };
            self.seal_der_of(&s)
        })
    }

    pub(super) fn seal_der_of(&self, s: &SealRecord) -> Result<Vec<u8>> {
        let doc_id = s
            .document
            .as_deref()
            .ok_or_else(|| state("the seal has not been made yet"))?;
        let d = self.must::<SealDocument>(doc_id)?.0;
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &d.der_b64)
            .map_err(|_| state("the stored seal is unreadable"))
    }

    pub(super) fn vault_key(s: &SealRecord) -> Option<&str> {
        s.public_key
            .as_deref()
            .and_then(|p| p.split_once('|'))
            .map(|(k, _)| k)
    }

    /// Public key of a cloud seal (SEC1 uncompressed hex).
    pub fn seal_public_key(s: &SealRecord) -> Option<&str> {
        s.public_key
            .as_deref()
            .and_then(|p| p.split_once('|'))
            .map(|(_, pk)| pk)
    }

    /// 写入UKey (2.2.2, 2.1.2.5): makes the seal for the UKey's signing certificate (it must
    /// chain to the platform's trust anchors), writes it to the UKey through the [`Token`]
    /// (application `app`, user PIN verified by the caller) and reads it back; the made seal
    /// is stored with the seal record.
    pub fn write_seal_to_ukey(
        &self,
        sess: &Session,
        seal: &str,
        token: &mut dyn Token,
        app: &str,
    ) -> Result<SealRecord> {
        let personal = matches!(self.load::<SealRecord>(seal)?, Some((ref s, _)) if s.kind == SealKind::PersonalUkey);
        let action = if personal {
            Action::ApplyPersonalUkeySignature
        } else {
            Action::WriteSealToUkey
        };
        let mut written: Option<SealDocument> = None;
        let s = self.run(sess, action, seal, |ctx, tx| {
            if matches!(
                ctx.identity,
                Identity::Staff {
                    via_ukey: false,
                    ..
                }
            ) {
                return Err(forbidden("writing to a UKey needs a UKey session"));
            }
            let loaded = self.managed_seal(ctx, seal)?;
            let now = self.clock.now();
            if loaded.0.kind == SealKind::Cloud {
                return Err(state("cloud seals are not written to a UKey"));
            }
            if loaded.0.effective_status(now) != SealStatus::Valid {
                return Err(state(format!(
                    "seal is {:?}",
                    loaded.0.effective_status(now)
                )));
            }
            let doc = match &written {
                Some(d) => d.clone(),
                None => {
                    let container = crate::ukey::find_sm2_container(token, app)?;
                    let cert = crate::crypto::Certificate::from_der(
                        &token.certificate(app, &container, true)?,
                    )?;
                    if !cert.valid_at(crate::crypto::time::Time::from_unix(now)) {
                        return Err(state("the UKey's certificate is not valid now"));
                    }
                    if !matches!(
                        crate::validation::verify_chain(&cert, &[], &self.trust),
                        crate::validation::ChainStatus::Trusted { .. }
                    ) {
                        return Err(PlatformError::VerificationFailed(
                            "the UKey's certificate does not chain to the platform's trust anchors"
                                .into(),
                        ));
                    }
                    let doc = self.make_seal(&loaded.0, &cert)?;
                    let der = base64::Engine::decode(
                        &base64::engine::general_purpose::STANDARD,
                        &doc.der_b64,
                    )
                    .map_err(|_| state("made seal unreadable"))?;
                    let file = crate::ukey::seals::seal_file_name("seal", &der);
                    crate::ukey::seals::write_seal(token, app, &file, &der)?;
                    written = Some(doc.clone());
                    doc
                }
            };
            tx.insert(&doc)?;
            self.seal_step(ctx, tx, loaded, "写入UKey", |s, _| {
                s.written_to_ukey = true;
                s.document = Some(doc.id.clone());
                Ok(())
            })
        })?;
        self.with_count(s)
    }

    /// 二次确认 of a revocation: a one-time token for this identity and seal.
    pub fn request_revocation(&self, sess: &Session, seal: &str) -> Result<String> {
        self.run(sess, Action::RevokeSeal, seal, |ctx, tx| {
            let (s, _) = self.managed_seal(ctx, seal)?;
            if !matches!(s.status, SealStatus::Valid | SealStatus::Frozen) {
                return Err(state(format!("seal is {:?}", s.status)));
            }
            let t = RevocationToken {
                id: hex::encode(random_bytes::<16>()?),
                seal: seal.to_owned(),
                actor: ctx.id.clone(),
                expires: self.clock.now() + REVOCATION_TOKEN_TTL,
                used: false,
            };
            tx.insert(&t)?;
            Ok(t.id)
        })
    }

    /// 注销 (2.2.2) with the confirmation token: 有效/冻结 → 已注销; the token is used up in
    /// the same batch. A revoked seal signs for nobody (the platform refuses it; verifiers
    /// learn it from the platform's seal status).
    pub fn revoke_seal(&self, sess: &Session, seal: &str, token: &str) -> Result<SealRecord> {
        let s = self.run(sess, Action::RevokeSeal, seal, |ctx, tx| {
            let (mut t, tv): (RevocationToken, u64) = self.load(token)?.ok_or_else(|| {
                PlatformError::VerificationFailed("unknown revocation confirmation".into())
            })?;
            if t.used || t.seal != seal || t.actor != ctx.id || self.clock.now() > t.expires {
                return Err(PlatformError::VerificationFailed(
                    "revocation confirmation is not valid".into(),
                ));
            }
            t.used = true;
            tx.update(&t, tv)?;
            let s = self.managed_step(ctx, tx, seal, "注销", |s, _| {
                if !matches!(s.status, SealStatus::Valid | SealStatus::Frozen) {
                    return Err(state(format!("seal is {:?}", s.status)));
                }
                s.status = SealStatus::Revoked;
                Ok(())
            })?;
            self.emit_seal_event(tx, &s, "seal.revoked")?;
            Ok(s)
        })?;
        self.with_count(s)
    }

    pub fn freeze_seal(&self, sess: &Session, seal: &str) -> Result<SealRecord> {
        let s = self.run(sess, Action::FreezeSeal, seal, |ctx, tx| {
            let s = self.managed_step(ctx, tx, seal, "冻结", |s, now| {
                if s.effective_status(now) != SealStatus::Valid {
                    return Err(state(format!(
                        "only a valid seal can be frozen (it is {:?})",
                        s.effective_status(now)
                    )));
                }
                s.status = SealStatus::Frozen;
                Ok(())
            })?;
            self.emit_seal_event(tx, &s, "seal.frozen")?;
            Ok(s)
        })?;
        self.with_count(s)
    }

    pub fn unfreeze_seal(&self, sess: &Session, seal: &str) -> Result<SealRecord> {
        let s = self.run(sess, Action::UnfreezeSeal, seal, |ctx, tx| {
            let s = self.managed_step(ctx, tx, seal, "解冻", |s, _| {
                if s.status != SealStatus::Frozen {
                    return Err(state(format!("seal is {:?}, not frozen", s.status)));
                }
                s.status = SealStatus::Valid;
                Ok(())
            })?;
            self.emit_seal_event(tx, &s, "seal.unfrozen")?;
            Ok(s)
        })?;
        self.with_count(s)
    }

    /// The seal list with the visibility rules of 2.2 and the filters of 2.2.6, newest
    /// first, one page.
    pub fn list_seals(&self, sess: &Session, q: &SealQuery) -> Result<Page<SealRecord>> {
        self.read(sess, Action::ViewOwnSeals, "seals", |ctx| {
            let now = self.clock.now();
            let mut sq = Query::new(Kind::Seal).unit(&ctx.unit);
            sq.tags = Self::visible_tags(ctx);
            match q.status {
                None => {}
                Some(SealStatus::Expired) => {
                    sq = sq
                        .status(seal_status_name(SealStatus::Valid))
                        .status(seal_status_name(SealStatus::Frozen));
                    sq.until_before = Some(now);
                }
                Some(st @ (SealStatus::Valid | SealStatus::Frozen)) => {
                    sq = sq.status(seal_status_name(st));
                    sq.until_from = Some(now);
                }
                Some(st) => sq = sq.status(seal_status_name(st)),
            }
            if let Some(k) = q.kind {
                sq = sq.category(super::docs::seal_kind_name(k));
            }
            sq.text = q.name.clone().filter(|n| !n.is_empty());
            let page = self.page::<SealRecord>(sq, q.page, PAGE_SIZE)?;
            let mut items = Vec::with_capacity(page.items.len());
            for s in page.items.iter().cloned() {
                items.push(self.with_count(s)?);
            }
            Ok(Page { items, ..page })
        })
    }

    pub fn seal(&self, sess: &Session, id: &str) -> Result<SealRecord> {
        self.read(sess, Action::ViewOwnSeals, id, |ctx| {
            match self.load::<SealRecord>(id)? {
                Some((s, _)) if Self::may_see(ctx, &s) => self.with_count(s),
                _ => Err(PlatformError::NotFound(format!("seal {id}"))),
            }
        })
    }

    /// The seal's operation log (2.2.5).
    pub fn seal_log(&self, sess: &Session, id: &str) -> Result<Vec<SealLogEntry>> {
        self.read(sess, Action::ViewSealLog, id, |ctx| {
            Ok(self.managed_seal(ctx, id)?.0.log)
        })
    }

    /// Adds a seal user (2.2.3): cloud seals only; an active staff member of the unit.
    pub fn add_seal_user(&self, sess: &Session, seal: &str, staff: &str) -> Result<()> {
        self.run(sess, Action::SetSealUsers, seal, |ctx, tx| {
            let (p, _) = self.unit_staff(ctx, staff)?;
            let loaded = self.managed_seal(ctx, seal)?;
            if loaded.0.users.iter().any(|u| u == staff) {
                return Ok(());
            }
            self.seal_step(
                ctx,
                tx,
                loaded,
                &format!("添加使用人-{}", p.name),
                |s, _| {
                    if s.kind != SealKind::Cloud {
                        return Err(state("only cloud seals have users"));
                    }
                    if !p.active() {
                        return Err(state("only serving staff can be seal users"));
                    }
                    s.users.push(staff.to_owned());
                    Ok(())
                },
            )
            .map(|_| ())
        })
    }

    pub fn remove_seal_user(&self, sess: &Session, seal: &str, user: &str) -> Result<()> {
        self.run(sess, Action::SetSealUsers, seal, |ctx, tx| {
            self.managed_step(ctx, tx, seal, &format!("删除使用人-{user}"), |s, _| {
                if s.kind != SealKind::Cloud {
                    return Err(state("only cloud seals have users"));
                }
                let n = s.users.len();
                s.users.retain(|u| u != user);
                if s.users.len() == n {
                    return Err(PlatformError::NotFound(format!("seal user {user}")));
                }
                Ok(())
            })
            .map(|_| ())
        })
    }

    // ---------------------------------------------------------------- personal signatures

    pub fn set_personal_signature(
        &self,
        sess: &Session,
        text: &str,
        source: SignatureSource,
    ) -> Result<PersonalSignature> {
        self.run(
            sess,
            Action::SetOwnSignature,
            "personal signature",
            |ctx, tx| {
                let text = validate::check_text("signature text", text, 20)?;
                if let SignatureSource::Uploaded {
                    format,
                    picture_b64,
                } = &source
                    && (!["jpg", "jpeg", "png", "gif"]
                        .contains(&format.to_ascii_lowercase().as_str())
                        || picture_b64.is_empty())
                {
                    return Err(PlatformError::InvalidInput(
                        "signature picture must be a jpg, jpeg, png or gif".into(),
                    ));
                }
                let p = PersonalSignature {
                    id: ctx.id.clone(),
                    text,
                    source: source.clone(),
                    updated: self.clock.now(),
                };
                let v = self.load::<PersonalSignature>(&ctx.id)?.map(|(_, v)| v);
                tx.put(&p, v)?;
                Ok(p)
            },
        )
    }

    pub fn personal_signature(&self, sess: &Session) -> Result<Option<PersonalSignature>> {
        let ctx = self.ctx(sess)?;
        Ok(self.load::<PersonalSignature>(&ctx.id)?.map(|x| x.0))
    }

    /// 申请公务人员国办签名 (2.1.2.5): switch on, personal UKey session, personal signature set.
    pub fn apply_personal_ukey_signature(
        &self,
        sess: &Session,
        a: SealApplication,
    ) -> Result<SealRecord> {
        let object = a.name.clone();
        self.run(
            sess,
            Action::ApplyPersonalUkeySignature,
            &object,
            |ctx, tx| {
                if !self.switches()?.personal_ukey_signature {
                    return Err(state(
                        "the platform does not allow personal UKey signatures",
                    ));
                }
                if !matches!(ctx.identity, Identity::Staff { via_ukey: true, .. }) {
                    return Err(forbidden("apply with a personal UKey session"));
                }
                if self.store.get(Kind::PersonalSignature, &ctx.id)?.is_none() {
                    return Err(state("set a personal signature first"));
                }
                let mut a = a.clone();
                a.kind = SealKind::PersonalUkey;
                self.new_seal(ctx, tx, &a, Some(ctx.id.clone()))
            },
        )
    }

    /// Receipt of the owner's personal UKey signature (待回执 → 有效).
    pub fn receipt_personal_signature(&self, sess: &Session, seal: &str) -> Result<SealRecord> {
        self.run(sess, Action::ApplyPersonalUkeySignature, seal, |ctx, tx| {
            let loaded = self.managed_seal(ctx, seal)?;
            if loaded.0.kind != SealKind::PersonalUkey {
                return Err(state("not a personal UKey signature"));
            }
            self.receipt_step(ctx, tx, loaded)
        })
    }

    // ---------------------------------------------------------------- grants (2.2.4)

    /// 授权应用 (2.2.4): grants a cloud seal to an app (internal: of the unit; external: by
    /// id). The grant and the seal's log entry are one batch.
    pub fn grant_seal_to_app(
        &self,
        sess: &Session,
        seal: &str,
        app: &str,
        external: bool,
    ) -> Result<Grant> {
        self.run(sess, Action::GrantSealToApp, seal, |ctx, tx| {
            let (a, _): (App, u64) = self
                .load(app)?
                .ok_or_else(|| PlatformError::NotFound(format!("app {app}")))?;
            if a.status == AppStatus::Deleted {
                return Err(state("app is deleted"));
            }
            if (a.unit == ctx.unit) == external {
                return Err(PlatformError::InvalidInput(if external {
                    "an external app belongs to another unit".into()
                } else {
                    "an internal app belongs to this unit".into()
                }));
            }
            let g = Grant {
                id: format!("{seal}:{app}"),
                unit: ctx.unit.clone(),
                seal: seal.to_owned(),
                app: app.to_owned(),
                external,
                policy: ConfirmPolicy::None,
                calls: 0,
                call_token: hex::encode(random_bytes::<16>()?),
                epoch: new_id()?,
                removed: false,
                created: self.clock.now(),
            };
            match self.load::<Grant>(&g.id)? {
                None => tx.insert(&g)?,
                Some((old, gv)) if old.removed => tx.update(&g, gv)?,
                Some(_) => {
                    return Err(PlatformError::Duplicate(format!(
                        "grant of {seal} to {app}"
                    )));
                }
            }
            self.managed_step(
                ctx,
                tx,
                seal,
                &format!("添加应用-{}", a.name),
                |s, _| {
                    if s.kind != SealKind::Cloud {
                        return Err(state("only cloud seals can be granted to apps"));
                    }
                    Ok(())
                },
            )?;
            Ok(g)
        })
    }

    /// Removes a grant: the app can no longer call the seal, nor use approved queue items.
    /// The grant and the seal's log entry are one batch.
    pub fn remove_grant(&self, sess: &Session, seal: &str, app: &str) -> Result<()> {
        self.run(sess, Action::GrantSealToApp, seal, |ctx, tx| {
            let gid = format!("{seal}:{app}");
            let (mut g, gv): (Grant, u64) = self.must(&gid)?;
            if g.removed {
                return Err(PlatformError::NotFound(format!("grant {gid}")));
            }
            g.removed = true;
            tx.update(&g, gv)?;
            let s =
                self.managed_step(ctx, tx, seal, &format!("删除应用-{app}"), |_, _| Ok(()))?;
            self.emit(
                tx,
                app,
                &s.unit,
                "grant.removed",
                serde_json::json!({"seal": s.id, "seal_name": s.name}),
            )?;
            Ok(())
        })
    }

    /// 配置签署确认 (2.2.4).
    pub fn set_confirm_policy(
        &self,
        sess: &Session,
        seal: &str,
        app: &str,
        policy: ConfirmPolicy,
    ) -> Result<()> {
        self.run(sess, Action::GrantSealToApp, seal, |ctx, tx| {
            self.managed_seal(ctx, seal)?;
            if let ConfirmPolicy::Manual { confirmers, .. } = &policy {
                if confirmers.is_empty() {
                    return Err(PlatformError::InvalidInput(
                        "manual confirmation needs confirmers".into(),
                    ));
                }
                for c in confirmers {
                    let (p, _) = self.unit_staff(ctx, c)?;
                    if !p.active() {
                        return Err(state("confirmers must be serving staff"));
                    }
                }
            }
            let gid = format!("{seal}:{app}");
            let (mut g, gv): (Grant, u64) = self.must(&gid)?;
            if g.removed {
                return Err(PlatformError::NotFound(format!("grant {gid}")));
            }
            g.policy = policy.clone();
            tx.update(&g, gv)
        })
    }

    /// A grant with its call count.
    pub fn grant(&self, sess: &Session, seal: &str, app: &str) -> Result<Grant> {
        self.read(sess, Action::GrantSealToApp, seal, |ctx| {
            self.managed_seal(ctx, seal)?;
            let mut g = self.must::<Grant>(&format!("{seal}:{app}"))?.0;
            g.calls = self.store.counter(&super::signing::calls_counter(&g))?;
            Ok(g)
        })
    }
}

fn signer_key(s: &crate::platform::vault::VaultSigner) -> String {
    s.key_id().to_owned()
}

use crate::platform::model::SealDocument;
use crate::ukey::Token;
