//! Signing with a seal (manual 2.5) and app signing calls (2.2.4).
use super::*;

/// How a signer proves intent (2.5.1, 2.5.2).
#[derive(Clone, Debug)]
pub enum SignCredential {
    SigningPassword(String),
    SmsCode(String),
    /// The session itself is a UKey session (the UKey PIN was checked by the UKey).
    Ukey,
}

/// The result of using a seal: the seal as committed and, for cloud seals, the signature made
/// by the key vault (UKey seals are signed on the UKey).
#[derive(Clone, Debug)]
pub struct SealUse {
    pub seal: Seal,
    pub signature: Option<sm2::Signature>,
}

/// One open API signing call (2.2.4).
#[derive(Clone, Debug)]
pub struct AppCall {
    pub file_name: String,
    pub file_type: FileFormat,
    pub pages: u32,
    /// 流水号 (system check with token check).
    pub serial: Option<String>,
    pub token: Option<String>,
    /// e = SM3(Z‖M) to sign.
    pub digest: [u8; 32],
}

#[derive(Clone, Debug)]
pub enum AppSignOutcome {
    Signed(sm2::Signature),
    /// Waiting for manual confirmation in the queue (item id).
    Queued(String),
}
impl Platform {
    // ---------------------------------------------------------------- signing credentials

    pub(super) fn check_sign_credential(&self, ctx: &Ctx, cred: &SignCredential) -> Result<()> {
        match (&ctx.identity, cred) {
            (Identity::UnitKey { .. }, SignCredential::Ukey) => Ok(()),
            (Identity::Staff { via_ukey: true, .. }, SignCredential::Ukey) => Ok(()),
            (_, SignCredential::Ukey) => Err(forbidden(
                "an account session signs with a signing password or SMS code",
            )),
            (
                Identity::Staff {
                    staff,
                    via_ukey: false,
                    ..
                },
                SignCredential::SigningPassword(pw),
            ) => {
                let c = self
                    .try_get::<Credential>(Kind::Credential, staff)?
                    .map(|x| x.0)
                    .unwrap_or_default();
                match c.signing_password_hash {
                    None => Err(state("no signing password set; sign with an SMS code")),
                    Some(h) if argon2_verify(pw, &h) => Ok(()),
                    Some(_) => Err(PlatformError::VerificationFailed(
                        "wrong signing password".into(),
                    )),
                }
            }
            (
                Identity::Staff {
                    staff,
                    via_ukey: false,
                    ..
                },
                SignCredential::SmsCode(code),
            ) => {
                let (s, _): (Staff, u64) = self.get(Kind::Staff, staff)?;
                self.verify_sms(&s.phone, SmsPurpose::Sign, code)
            }
            _ => Err(forbidden("UKey sessions sign with the UKey")),
        }
    }

    /// Uses a seal for one signature (2.5): permission and object rules, the credential, the
    /// seal's state; then the use is committed by compare-and-set on the seal. For a cloud seal
    /// the key vault signs `e` (= SM3(Z‖M)); UKey seals are signed on the UKey by the caller.
    pub fn sign_with_seal(
        &self,
        sess: &Session,
        seal: &str,
        e: &[u8; 32],
        cred: &SignCredential,
    ) -> Result<SealUse> {
        self.run(sess, Action::SignWithSeal, seal, |ctx| {
            let (s, v): (Seal, u64) = match self.try_get::<Seal>(Kind::Seal, seal)? {
                Some(x) if x.0.unit == ctx.unit => x,
                _ => return Err(PlatformError::NotFound(format!("seal {seal}"))),
            };
            let may_use = match s.kind {
                SealKind::Cloud => s.users.iter().any(|u| u == &ctx.id),
                SealKind::Ukey => ctx.is_unit_key(),
                SealKind::PersonalUkey => {
                    s.owner.as_deref() == Some(ctx.id.as_str())
                        && matches!(ctx.identity, Identity::Staff { via_ukey: true, .. })
                }
            };
            if !may_use {
                return Err(forbidden("not a user of this seal"));
            }
            self.require_cert(&ctx.unit)?;
            self.check_sign_credential(ctx, cred)?;
            self.commit_seal_use(s, v, e, &ctx.name)
        })
    }

    pub(super) fn commit_seal_use(
        &self,
        mut s: Seal,
        v: u64,
        e: &[u8; 32],
        _who: &str,
    ) -> Result<SealUse> {
        let now = self.clock.now();
        match s.effective_status(now) {
            SealStatus::Valid => {}
            SealStatus::Revoked => return Err(state("seal has been revoked")),
            SealStatus::Frozen => return Err(state("seal is frozen")),
            SealStatus::Expired => return Err(state("seal has expired")),
            other => return Err(state(format!("seal is not usable ({other:?})"))),
        }
        let signature = if s.kind == SealKind::Cloud {
            let k = Self::vault_key(&s).ok_or_else(|| state("cloud seal has no key"))?;
            Some(self.vault.sign_digest(k, e).map_err(PlatformError::Vault)?)
        } else {
            None
        };
        s.sign_count += 1;
        // The commit: fails if the seal changed (e.g. revoked or frozen) since it was read.
        self.put(Kind::Seal, &s.id.clone(), v, &s, &[])?;
        Ok(SealUse { seal: s, signature })
    }

    /// One signing call of an app (after [`crate::platform::openapi::check_request`] authenticated it).
    pub fn app_sign(
        &self,
        app_id: &str,
        seal: &str,
        call: &AppCall,
        ip: &str,
    ) -> Result<AppSignOutcome> {
        let r = self.app_sign_inner(app_id, seal, call);
        let unit = self
            .try_get::<Seal>(Kind::Seal, seal)?
            .map(|x| x.0.unit)
            .unwrap_or_default();
        self.audit_app(
            app_id,
            &unit,
            "AppSign",
            seal,
            &r.as_ref().map(|_| ()).map_err(|e| e.to_string()),
            ip,
        )?;
        r
    }

    fn app_sign_inner(&self, app_id: &str, seal: &str, call: &AppCall) -> Result<AppSignOutcome> {
        let (app, _): (App, u64) = self.get(Kind::App, app_id)?;
        if app.status != AppStatus::Valid {
            return Err(PlatformError::RequestRefused(format!(
                "app is {:?}",
                app.status
            )));
        }
        let gid = format!("{seal}:{app_id}");
        let (mut g, gv): (Grant, u64) = self
            .try_get(Kind::Grant, &gid)?
            .ok_or_else(|| forbidden("the seal is not granted to this app"))?;
        if g.removed {
            return Err(forbidden("the seal is not granted to this app"));
        }
        let (s, sv): (Seal, u64) = self.get(Kind::Seal, seal)?;
        validate::check_text("file name", &call.file_name, 200)?;
        match g.policy.clone() {
            ConfirmPolicy::None => Ok(AppSignOutcome::Signed(self.app_commit(
                &mut g,
                gv,
                s,
                sv,
                &call.digest,
            )?)),
            ConfirmPolicy::SystemCheck {
                call_limit,
                token_check,
            } => {
                if call_limit.is_some_and(|l| g.calls >= l) {
                    return Err(PlatformError::RateLimited(
                        "the app's call limit for this seal is used up".into(),
                    ));
                }
                if token_check {
                    let serial = call.serial.as_deref().unwrap_or("");
                    if serial.is_empty() || call.token.as_deref() != Some(g.call_token.as_str()) {
                        return Err(PlatformError::VerificationFailed(
                            "serial number and token required".into(),
                        ));
                    }
                    if g.used_serials.iter().any(|x| x == serial) {
                        return Err(PlatformError::VerificationFailed(
                            "serial number already used".into(),
                        ));
                    }
                    g.used_serials.push(serial.to_owned());
                }
                Ok(AppSignOutcome::Signed(self.app_commit(
                    &mut g,
                    gv,
                    s,
                    sv,
                    &call.digest,
                )?))
            }
            ConfirmPolicy::Manual {
                confirmers,
                sms_notice,
            } => {
                let item = QueueItem {
                    id: new_id()?,
                    unit: s.unit.clone(),
                    grant: gid,
                    seal: seal.to_owned(),
                    seal_name: s.name.clone(),
                    app: app_id.to_owned(),
                    app_name: app.name.clone(),
                    file_name: call.file_name.clone(),
                    file_type: call.file_type,
                    pages: call.pages,
                    time: self.clock.now(),
                    status: QueueStatus::Pending,
                    decided_by: None,
                    decided_at: None,
                };
                self.insert(Kind::QueueItem, &item.id, &item, &[])?;
                if sms_notice {
                    for c in &confirmers {
                        if let Some((p, _)) = self.try_get::<Staff>(Kind::Staff, c)? {
                            let text = format!(
                                "【电子印章平台】应用{}请求使用印章{}签署《{}》，请在签署授权页面确认。",
                                app.name, s.name, call.file_name
                            );
                            self.sms
                                .send(&p.phone, &text)
                                .map_err(PlatformError::Vault)?;
                        }
                    }
                }
                Ok(AppSignOutcome::Queued(item.id))
            }
        }
    }

    fn app_commit(
        &self,
        g: &mut Grant,
        gv: u64,
        s: Seal,
        sv: u64,
        e: &[u8; 32],
    ) -> Result<sm2::Signature> {
        if s.kind != SealKind::Cloud {
            return Err(state("only cloud seals sign for apps"));
        }
        let used = self.commit_seal_use(s, sv, e, "app")?;
        g.calls += 1;
        self.put(Kind::Grant, &g.id.clone(), gv, g, &[])?;
        used.signature.ok_or_else(|| state("no signature"))
    }

    /// Signs an approved queue item (once).
    pub fn app_sign_approved(
        &self,
        app_id: &str,
        item: &str,
        e: &[u8; 32],
        ip: &str,
    ) -> Result<sm2::Signature> {
        let r = (|| {
            let (mut q, qv): (QueueItem, u64) = self.get(Kind::QueueItem, item)?;
            if q.app != app_id {
                return Err(PlatformError::NotFound(format!("queue item {item}")));
            }
            match q.status {
                QueueStatus::Approved => {}
                QueueStatus::Pending => return Err(state("waiting for confirmation")),
                QueueStatus::Rejected => return Err(state("the confirmer rejected this call")),
                QueueStatus::Used => return Err(state("this confirmation was used already")),
            }
            let (app, _): (App, u64) = self.get(Kind::App, app_id)?;
            if app.status != AppStatus::Valid {
                return Err(PlatformError::RequestRefused(format!(
                    "app is {:?}",
                    app.status
                )));
            }
            if self.get::<Grant>(Kind::Grant, &q.grant)?.0.removed {
                return Err(forbidden("the seal is no longer granted to this app"));
            }
            // Exactly once: the approval is consumed first (a signing that then fails, e.g.
            // because the seal was revoked meanwhile, does not give the approval back).
            q.status = QueueStatus::Used;
            self.put(Kind::QueueItem, item, qv, &q, &[])?;
            let (mut g, gv): (Grant, u64) = self.get(Kind::Grant, &q.grant)?;
            let (s, sv): (Seal, u64) = self.get(Kind::Seal, &q.seal)?;
            self.app_commit(&mut g, gv, s, sv, e)
        })();
        self.audit_app(
            app_id,
            "",
            "AppSignApproved",
            item,
            &r.as_ref().map(|_| ()).map_err(|e| e.to_string()),
            ip,
        )?;
        r
    }
}
