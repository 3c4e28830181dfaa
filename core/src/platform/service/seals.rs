//! Seals and their life cycle (manual 2.2), personal signatures (2.1.2.2, 2.1.2.5), grants to apps (2.2.4).
use super::*;

/// Application for a seal (2.2.1).
#[derive(Clone, Debug)]
pub struct SealApplication {
    pub kind: SealKind,
    pub name: String,
    pub seal_type: u32,
    pub handler_name: String,
    pub handler_phone: String,
    pub handler_id_number: String,
    pub picture: Vec<u8>,
    /// jpg, jpeg, png or gif.
    pub picture_format: String,
    /// 0 = default 42 mm.
    pub width_mm: u32,
    pub height_mm: u32,
}

#[derive(Clone, Debug, Default)]
pub struct SealQuery {
    pub status: Option<SealStatus>,
    pub kind: Option<SealKind>,
    pub name: Option<String>,
}
impl Platform {
    // ---------------------------------------------------------------- seals

    pub(super) fn require_cert(&self, unit: &str) -> Result<()> {
        if self
            .get::<Unit>(Kind::Unit, unit)?
            .0
            .cert_application
            .is_none()
        {
            return Err(state(
                "the unit must apply for its server certificate first (1.2.1.2)",
            ));
        }
        Ok(())
    }

    /// Applies for a seal (2.2.1).
    pub fn apply_seal(&self, sess: &Session, a: SealApplication) -> Result<Seal> {
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
        self.run(sess, action, &object, |ctx| {
            if a.kind == SealKind::Ukey && !ctx.is_unit_key() {
                return Err(forbidden(
                    "UKey seals are applied for with a unit UKey only",
                ));
            }
            self.require_cert(&ctx.unit)?;
            self.new_seal(ctx, a, None)
        })
    }

    pub(super) fn new_seal(
        &self,
        ctx: &Ctx,
        a: SealApplication,
        owner: Option<String>,
    ) -> Result<Seal> {
        let name = validate::check_text("seal name", &a.name, 50)?;
        let handler_name = validate::check_text("handler name", &a.handler_name, 50)?;
        validate::check_phone(&a.handler_phone)?;
        let handler_id_number = validate::check_id_number(&a.handler_id_number)?;
        let fmt = a.picture_format.to_ascii_lowercase();
        if !["jpg", "jpeg", "png", "gif"].contains(&fmt.as_str()) {
            return Err(PlatformError::InvalidInput(
                "seal picture must be jpg, jpeg, png or gif".into(),
            ));
        }
        if a.picture.is_empty() {
            return Err(PlatformError::InvalidInput("seal picture is empty".into()));
        }
        let (w, h) = match (a.width_mm, a.height_mm) {
            (0, 0) => (42, 42),
            (w, h) if (5..=200).contains(&w) && (5..=200).contains(&h) => (w, h),
            _ => {
                return Err(PlatformError::InvalidInput(
                    "seal size must be 5 to 200 mm".into(),
                ));
            }
        };
        let now = self.clock.now();
        let pending = self.switches()?.ca_review;
        let mut s = Seal {
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
                &a.picture,
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
            public_key: None,
            sign_count: 0,
            log: vec![],
            created: now,
        };
        s.log.push(SealLogEntry {
            operator: ctx.name.clone(),
            action: "申请".into(),
            time: now,
        });
        self.insert(Kind::Seal, &s.id, &s, &[])?;
        Ok(s)
    }

    /// May this actor run the life cycle of this seal (object rule on top of the matrix)?
    pub(super) fn may_manage(ctx: &Ctx, s: &Seal) -> bool {
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

    pub(super) fn may_see(ctx: &Ctx, s: &Seal) -> bool {
        if s.unit != ctx.unit {
            return false;
        }
        (s.kind != SealKind::PersonalUkey && perm::allowed_any(&ctx.roles, Action::ViewAllSeals))
            || (s.kind == SealKind::Cloud && perm::allowed_any(&ctx.roles, Action::ViewCloudSeals))
            || s.users.iter().any(|u| u == &ctx.id)
            || s.managers.iter().any(|u| u == &ctx.id)
            || s.owner.as_deref() == Some(ctx.id.as_str())
    }

    pub(super) fn managed_seal(&self, ctx: &Ctx, id: &str) -> Result<(Seal, u64)> {
        let (s, v): (Seal, u64) = match self.try_get(Kind::Seal, id)? {
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

    pub(super) fn log(s: &mut Seal, ctx: &Ctx, action: &str, now: i64) {
        s.log.push(SealLogEntry {
            operator: ctx.name.clone(),
            action: action.to_owned(),
            time: now,
        });
    }

    /// CA review of a seal or personal signature (back office, 2.2.1): approve → 待回执 with
    /// its validity, or reject → 已否决 with a reason.
    pub fn ca_review(
        &self,
        sess: &Session,
        seal: &str,
        approve: bool,
        reason: &str,
    ) -> Result<Seal> {
        self.run(sess, Action::CaReview, seal, |ctx| {
            let (mut s, v): (Seal, u64) = self.get(Kind::Seal, seal)?;
            if s.status != SealStatus::PendingReview {
                return Err(state(format!(
                    "seal is {:?}, not waiting for review",
                    s.status
                )));
            }
            let now = self.clock.now();
            if approve {
                s.status = SealStatus::AwaitingReceipt;
                s.valid_from = Some(now);
                s.valid_to = Some(now + DEFAULT_SEAL_VALIDITY_DAYS * 86400);
                Self::log(&mut s, ctx, "审核通过", now);
            } else {
                s.status = SealStatus::Rejected;
                s.reject_reason = Some(validate::check_text("reason", reason, 200)?);
                Self::log(&mut s, ctx, "否决", now);
            }
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(s)
        })
    }

    /// 回执 (2.2.2): 待回执 → 有效; a cloud seal gets its key in the vault.
    pub fn receipt_seal(&self, sess: &Session, seal: &str) -> Result<Seal> {
        self.run(sess, Action::ReceiptSeal, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.status != SealStatus::AwaitingReceipt {
                return Err(state(format!(
                    "seal is {:?}, not waiting for receipt",
                    s.status
                )));
            }
            let now = self.clock.now();
            if s.valid_to.is_some_and(|t| now > t) {
                return Err(state("seal validity has ended"));
            }
            let mut key_id = None;
            if s.kind == SealKind::Cloud {
                let kid = format!("{}:{}", s.id, new_id()?);
                let pk = self.vault.create(&kid).map_err(PlatformError::Vault)?;
                s.public_key = Some(format!("{kid}|{}", hex::encode(pk.to_sec1_uncompressed())));
                key_id = Some(kid);
            }
            s.status = SealStatus::Valid;
            Self::log(&mut s, ctx, "回执", now);
            match self.put(Kind::Seal, seal, v, &s, &[]) {
                Ok(_) => Ok(s),
                Err(e) => {
                    if let Some(k) = key_id {
                        let _ = self.vault.destroy(&k);
                    }
                    Err(e)
                }
            }
        })
    }

    pub(super) fn vault_key(s: &Seal) -> Option<&str> {
        s.public_key
            .as_deref()
            .and_then(|p| p.split_once('|'))
            .map(|(k, _)| k)
    }

    /// Public key of a cloud seal (SEC1 uncompressed hex).
    pub fn seal_public_key(s: &Seal) -> Option<&str> {
        s.public_key
            .as_deref()
            .and_then(|p| p.split_once('|'))
            .map(|(_, pk)| pk)
    }

    /// Records that a valid UKey seal (or personal UKey signature) was written to the UKey.
    pub fn write_seal_to_ukey(&self, sess: &Session, seal: &str) -> Result<Seal> {
        let action = Action::WriteSealToUkey;
        let personal = matches!(self.try_get::<Seal>(Kind::Seal, seal)?, Some((ref s, _)) if s.kind == SealKind::PersonalUkey);
        let action = if personal {
            Action::ApplyPersonalUkeySignature
        } else {
            action
        };
        self.run(sess, action, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.kind == SealKind::Cloud {
                return Err(state("cloud seals are not written to a UKey"));
            }
            if matches!(
                ctx.identity,
                Identity::Staff {
                    via_ukey: false,
                    ..
                }
            ) {
                return Err(forbidden("writing to a UKey needs a UKey session"));
            }
            let now = self.clock.now();
            if s.effective_status(now) != SealStatus::Valid {
                return Err(state(format!("seal is {:?}", s.effective_status(now))));
            }
            s.written_to_ukey = true;
            Self::log(&mut s, ctx, "写入UKey", now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(s)
        })
    }

    /// 二次确认 of a revocation: a one-time token for this identity and seal.
    pub fn request_revocation(&self, sess: &Session, seal: &str) -> Result<String> {
        self.run(sess, Action::RevokeSeal, seal, |ctx| {
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
            self.insert(Kind::RevocationToken, &t.id, &t, &[])?;
            Ok(t.id)
        })
    }

    /// 注销 (2.2.2) with the confirmation token: 有效/冻结 → 已注销; a cloud key is destroyed.
    pub fn revoke_seal(&self, sess: &Session, seal: &str, token: &str) -> Result<Seal> {
        self.run(sess, Action::RevokeSeal, seal, |ctx| {
            let (mut t, tv): (RevocationToken, u64) =
                self.try_get(Kind::RevocationToken, token)?.ok_or_else(|| {
                    PlatformError::VerificationFailed("unknown revocation confirmation".into())
                })?;
            let now = self.clock.now();
            if t.used || t.seal != seal || t.actor != ctx.id || now > t.expires {
                return Err(PlatformError::VerificationFailed(
                    "revocation confirmation is not valid".into(),
                ));
            }
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if !matches!(s.status, SealStatus::Valid | SealStatus::Frozen) {
                return Err(state(format!("seal is {:?}", s.status)));
            }
            t.used = true;
            self.put(Kind::RevocationToken, token, tv, &t, &[])?;
            s.status = SealStatus::Revoked;
            Self::log(&mut s, ctx, "注销", now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            if let Some(k) = Self::vault_key(&s) {
                self.vault.destroy(k).map_err(PlatformError::Vault)?;
            }
            Ok(s)
        })
    }

    pub fn freeze_seal(&self, sess: &Session, seal: &str) -> Result<Seal> {
        self.run(sess, Action::FreezeSeal, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            let now = self.clock.now();
            if s.effective_status(now) != SealStatus::Valid {
                return Err(state(format!(
                    "only a valid seal can be frozen (it is {:?})",
                    s.effective_status(now)
                )));
            }
            s.status = SealStatus::Frozen;
            Self::log(&mut s, ctx, "冻结", now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(s)
        })
    }

    pub fn unfreeze_seal(&self, sess: &Session, seal: &str) -> Result<Seal> {
        self.run(sess, Action::UnfreezeSeal, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.status != SealStatus::Frozen {
                return Err(state(format!("seal is {:?}, not frozen", s.status)));
            }
            let now = self.clock.now();
            s.status = SealStatus::Valid;
            Self::log(&mut s, ctx, "解冻", now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(s)
        })
    }

    /// The seal list with the visibility rules of 2.2 and the filters of 2.2.6.
    pub fn list_seals(&self, sess: &Session, q: &SealQuery) -> Result<Vec<Seal>> {
        self.run(sess, Action::ViewOwnSeals, "seals", |ctx| {
            let now = self.clock.now();
            Ok(self
                .all::<Seal>(Kind::Seal)?
                .into_iter()
                .map(|(s, _)| s)
                .filter(|s| Self::may_see(ctx, s))
                .filter(|s| q.status.is_none_or(|st| s.effective_status(now) == st))
                .filter(|s| q.kind.is_none_or(|k| s.kind == k))
                .filter(|s| q.name.as_deref().is_none_or(|n| s.name.contains(n)))
                .collect())
        })
    }

    pub fn seal(&self, sess: &Session, id: &str) -> Result<Seal> {
        self.run(sess, Action::ViewOwnSeals, id, |ctx| {
            match self.try_get::<Seal>(Kind::Seal, id)? {
                Some((s, _)) if Self::may_see(ctx, &s) => Ok(s),
                _ => Err(PlatformError::NotFound(format!("seal {id}"))),
            }
        })
    }

    /// The seal's operation log (2.2.5).
    pub fn seal_log(&self, sess: &Session, id: &str) -> Result<Vec<SealLogEntry>> {
        self.run(sess, Action::ViewSealLog, id, |ctx| {
            Ok(self.managed_seal(ctx, id)?.0.log)
        })
    }

    /// Adds a seal user (2.2.3): cloud seals only; an active staff member of the unit.
    pub fn add_seal_user(&self, sess: &Session, seal: &str, staff: &str) -> Result<()> {
        self.run(sess, Action::SetSealUsers, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.kind != SealKind::Cloud {
                return Err(state("only cloud seals have users"));
            }
            let (p, _) = self.unit_staff(ctx, staff)?;
            if !p.active() {
                return Err(state("only serving staff can be seal users"));
            }
            if !s.users.iter().any(|u| u == staff) {
                s.users.push(staff.to_owned());
                let now = self.clock.now();
                Self::log(&mut s, ctx, &format!("添加使用人-{}", p.name), now);
                self.put(Kind::Seal, seal, v, &s, &[])?;
            }
            Ok(())
        })
    }

    pub fn remove_seal_user(&self, sess: &Session, seal: &str, user: &str) -> Result<()> {
        self.run(sess, Action::SetSealUsers, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.kind != SealKind::Cloud {
                return Err(state("only cloud seals have users"));
            }
            let n = s.users.len();
            s.users.retain(|u| u != user);
            if s.users.len() == n {
                return Err(PlatformError::NotFound(format!("seal user {user}")));
            }
            let now = self.clock.now();
            Self::log(&mut s, ctx, &format!("删除使用人-{user}"), now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(())
        })
    }

    // ---------------------------------------------------------------- personal signatures

    pub fn set_personal_signature(
        &self,
        sess: &Session,
        text: &str,
        source: SignatureSource,
    ) -> Result<PersonalSignature> {
        self.run(sess, Action::SetOwnSignature, "personal signature", |ctx| {
            let text = validate::check_text("signature text", text, 20)?;
            if let SignatureSource::Uploaded {
                format,
                picture_b64,
            } = &source
                && (!["jpg", "jpeg", "png", "gif"].contains(&format.to_ascii_lowercase().as_str())
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
            match self.store.get(Kind::PersonalSignature, &ctx.id)? {
                None => self.insert(Kind::PersonalSignature, &ctx.id, &p, &[])?,
                Some(r) => {
                    self.put(Kind::PersonalSignature, &ctx.id, r.version, &p, &[])?;
                }
            }
            Ok(p)
        })
    }

    pub fn personal_signature(&self, sess: &Session) -> Result<Option<PersonalSignature>> {
        let ctx = self.ctx(sess)?;
        Ok(self.try_get(Kind::PersonalSignature, &ctx.id)?.map(|x| x.0))
    }

    /// 申请公务人员国办签名 (2.1.2.5): switch on, personal UKey session, personal signature set.
    pub fn apply_personal_ukey_signature(
        &self,
        sess: &Session,
        a: SealApplication,
    ) -> Result<Seal> {
        let object = a.name.clone();
        self.run(sess, Action::ApplyPersonalUkeySignature, &object, |ctx| {
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
            let mut a = a;
            a.kind = SealKind::PersonalUkey;
            self.new_seal(ctx, a, Some(ctx.id.clone()))
        })
    }

    /// Receipt of the owner's personal UKey signature (待回执 → 有效).
    pub fn receipt_personal_signature(&self, sess: &Session, seal: &str) -> Result<Seal> {
        self.run(sess, Action::ApplyPersonalUkeySignature, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.kind != SealKind::PersonalUkey {
                return Err(state("not a personal UKey signature"));
            }
            if s.status != SealStatus::AwaitingReceipt {
                return Err(state(format!(
                    "signature is {:?}, not waiting for receipt",
                    s.status
                )));
            }
            let now = self.clock.now();
            s.status = SealStatus::Valid;
            Self::log(&mut s, ctx, "回执", now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(s)
        })
    }

    // ---------------------------------------------------------------- grants and the queue

    /// 授权应用 (2.2.4): grants a cloud seal to an app (internal: of the unit; external: by id).
    pub fn grant_seal_to_app(
        &self,
        sess: &Session,
        seal: &str,
        app: &str,
        external: bool,
    ) -> Result<Grant> {
        self.run(sess, Action::GrantSealToApp, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            if s.kind != SealKind::Cloud {
                return Err(state("only cloud seals can be granted to apps"));
            }
            let (a, _): (App, u64) = self
                .try_get(Kind::App, app)?
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
                used_serials: vec![],
                removed: false,
                created: self.clock.now(),
            };
            match self.try_get::<Grant>(Kind::Grant, &g.id)? {
                None => self.insert(Kind::Grant, &g.id, &g, &[])?,
                Some((old, gv)) if old.removed => {
                    self.put(Kind::Grant, &g.id, gv, &g, &[])?;
                }
                Some(_) => {
                    return Err(PlatformError::Duplicate(format!(
                        "grant of {seal} to {app}"
                    )));
                }
            }
            let now = self.clock.now();
            Self::log(&mut s, ctx, &format!("添加应用-{}", a.name), now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
            Ok(g)
        })
    }

    /// Removes a grant: the app can no longer call the seal, nor use approved queue items.
    pub fn remove_grant(&self, sess: &Session, seal: &str, app: &str) -> Result<()> {
        self.run(sess, Action::GrantSealToApp, seal, |ctx| {
            let (mut s, v) = self.managed_seal(ctx, seal)?;
            let gid = format!("{seal}:{app}");
            let (mut g, gv): (Grant, u64) = self.get(Kind::Grant, &gid)?;
            if g.removed {
                return Err(PlatformError::NotFound(format!("grant {gid}")));
            }
            g.removed = true;
            self.put(Kind::Grant, &gid, gv, &g, &[])?;
            let now = self.clock.now();
            Self::log(&mut s, ctx, &format!("删除应用-{app}"), now);
            self.put(Kind::Seal, seal, v, &s, &[])?;
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
        self.run(sess, Action::GrantSealToApp, seal, |ctx| {
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
            self.modify(
                Kind::Grant,
                &gid,
                |_| vec![],
                |g: &mut Grant| {
                    if g.removed {
                        return Err(PlatformError::NotFound(format!("grant {gid}")));
                    }
                    g.policy = policy.clone();
                    Ok(true)
                },
            )
        })
    }

    pub fn grant(&self, sess: &Session, seal: &str, app: &str) -> Result<Grant> {
        self.run(sess, Action::GrantSealToApp, seal, |ctx| {
            self.managed_seal(ctx, seal)?;
            Ok(self.get::<Grant>(Kind::Grant, &format!("{seal}:{app}"))?.0)
        })
    }
}
