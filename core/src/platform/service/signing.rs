//! Signing with a seal (manual 2.5) and app signing calls (2.2.4).

use super::seals::sign_counter;
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
    pub seal: SealRecord,
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

/// What the rules of an app call need to know about it (an [`AppCall`] or a document).
#[derive(Clone, Debug)]
pub(super) struct CallMeta<'a> {
    pub file_name: &'a str,
    pub file_type: FileFormat,
    pub pages: u32,
    pub serial: Option<&'a str>,
    pub token: Option<&'a str>,
}

impl<'a> CallMeta<'a> {
    fn of(c: &'a AppCall) -> Self {
        CallMeta {
            file_name: &c.file_name,
            file_type: c.file_type,
            pages: c.pages,
            serial: c.serial.as_deref(),
            token: c.token.as_deref(),
        }
    }
}

/// An app call's outcome: signed (`S`: a signature or a document), or queued for manual
/// confirmation.
pub(super) enum AppOutcome<S> {
    Signed(S),
    Queued(Box<QueueItem>),
}

#[derive(Clone, Debug)]
pub enum AppSignOutcome {
    Signed(sm2::Signature),
    /// Waiting for manual confirmation in the queue (item id).
    Queued(String),
}

/// The store counter of a grant's calls (its epoch: a fresh grant counts from 0).
pub(super) fn calls_counter(g: &Grant) -> String {
    format!("grant-calls:{}:{}", g.id, g.epoch)
}

impl Platform {
    /// Commits `f`'s writes on their own (no audit entry): state a check must keep even when
    /// the operation it belongs to fails (a wrong password counted, a code used up).
    pub(super) fn apply<R>(&self, mut f: impl FnMut(&mut Tx) -> Result<R>) -> Result<R> {
        for _ in 0..RETRIES {
            let mut tx = Tx::default();
            let r = f(&mut tx)?;
            match self.store.commit(
                &Batch {
                    writes: tx.writes,
                    audit: vec![],
                },
                &self.mac,
            ) {
                Ok(()) => return Ok(r),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(PlatformError::ConcurrentChange(
            "too many concurrent changes".into(),
        ))
    }

    /// Checks the signing password; wrong ones are counted and lock password signing for
    /// [`LOCKOUT_SECS`] after [`MAX_FAILED_SIGNING_PASSWORDS`] (an SMS code still works).
    fn check_signing_password(&self, staff: &str, pw: &str) -> Result<()> {
        let now = self.clock.now();
        self.apply(|tx| {
            let (mut c, v) = match self.load::<PasswordRecord>(staff)? {
                Some((c, v)) => (c, Some(v)),
                None => (
                    PasswordRecord {
                        id: staff.to_owned(),
                        ..Default::default()
                    },
                    None,
                ),
            };
            let Some(h) = c.signing_password_hash.clone() else {
                return Ok(Err(state("no signing password set; sign with an SMS code")));
            };
            if c.signing_locked_until.is_some_and(|t| now < t) {
                return Ok(Err(PlatformError::VerificationFailed(
                    "too many wrong signing passwords; try later or sign with an SMS code".into(),
                )));
            }
            let r = if argon2_verify(pw, &h) {
                if c.failed_signing == 0 && c.signing_locked_until.is_none() {
                    return Ok(Ok(()));
                }
                c.failed_signing = 0;
                c.signing_locked_until = None;
                Ok(())
            } else {
                c.failed_signing += 1;
                if c.failed_signing >= MAX_FAILED_SIGNING_PASSWORDS {
                    c.signing_locked_until = Some(now + LOCKOUT_SECS);
                    c.failed_signing = 0;
                }
                Err(PlatformError::VerificationFailed(
                    "wrong signing password".into(),
                ))
            };
            tx.put(&c, v)?;
            Ok(r)
        })?
    }

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
            ) => self.check_signing_password(staff, pw),
            (
                Identity::Staff {
                    staff,
                    via_ukey: false,
                    ..
                },
                SignCredential::SmsCode(code),
            ) => {
                let (s, _): (Staff, u64) = self.must(staff)?;
                self.verify_sms(&s.phone, SmsPurpose::Sign, code)
            }
            _ => Err(forbidden("UKey sessions sign with the UKey")),
        }
    }

    /// The seal `id` of the actor's unit, if the actor may sign with it (2.2.3, 2.5).
    pub(super) fn usable_seal(&self, ctx: &Ctx, id: &str) -> Result<(SealRecord, u64)> {
        let (s, v): (SealRecord, u64) = match self.load::<SealRecord>(id)? {
            Some(x) if x.0.unit == ctx.unit => x,
            _ => return Err(PlatformError::NotFound(format!("seal {id}"))),
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
        Ok((s, v))
    }

    /// A use of seal `(s, v)` in `tx`: the seal must be valid now and still be at version `v`
    /// when the batch commits (a revocation or freeze that commits first wins), and its
    /// counter grows by one. Concurrent signers of one seal do not conflict with each other.
    pub(super) fn seal_use(&self, tx: &mut Tx, s: &SealRecord, v: u64) -> Result<()> {
        match s.effective_status(self.clock.now()) {
            SealStatus::Valid => {}
            SealStatus::Revoked => return Err(state("seal has been revoked")),
            SealStatus::Frozen => return Err(state("seal is frozen")),
            SealStatus::Expired => return Err(state("seal has expired")),
            other => return Err(state(format!("seal is not usable ({other:?})"))),
        }
        tx.check(Kind::Seal, &s.id, v);
        tx.count(sign_counter(&s.id), None);
        Ok(())
    }

    /// The vault signs `e` with a cloud seal's key.
    pub(super) fn vault_sign(&self, s: &SealRecord, e: &[u8; 32]) -> Result<sm2::Signature> {
        let k = Self::vault_key(s).ok_or_else(|| state("cloud seal has no key"))?;
        Ok(self.vault.sign_digest(k, e)?)
    }

    /// Uses a seal for one signature (2.5): permission and object rules, the credential, the
    /// seal's state; then the use is committed. For a cloud seal the key vault signs `e`
    /// (= SM3(Z‖M)); UKey seals are signed on the UKey by the caller.
    pub fn sign_with_seal(
        &self,
        sess: &Session,
        seal: &str,
        e: &[u8; 32],
        cred: &SignCredential,
    ) -> Result<SealUse> {
        let mut checked = false;
        let u = self.run(sess, Action::SignWithSeal, seal, |ctx, tx| {
            let (s, v) = self.usable_seal(ctx, seal)?;
            self.require_cert(&ctx.unit)?;
            if !checked {
                // Once per call, also when a lost race makes the batch run again.
                self.check_sign_credential(ctx, cred)?;
                checked = true;
            }
            self.seal_use(tx, &s, v)?;
            let signature = match s.kind {
                SealKind::Cloud => Some(self.vault_sign(&s, e)?),
                _ => None,
            };
            Ok(SealUse { seal: s, signature })
        })?;
        Ok(SealUse {
            seal: self.with_count(u.seal)?,
            signature: u.signature,
        })
    }

    /// One signing call of an app (after [`crate::platform::openapi::check_request`]
    /// authenticated it), audited in the seal's unit.
    pub fn app_sign(
        &self,
        app_id: &str,
        seal: &str,
        call: &AppCall,
        ip: &str,
    ) -> Result<AppSignOutcome> {
        let unit = self
            .load::<SealRecord>(seal)?
            .map(|x| x.0.unit)
            .unwrap_or_default();
        let actor = format!("app:{app_id}");
        let meta = CallMeta::of(call);
        let (out, notify) = self.run_anon("AppSign", seal, ip, (&unit, &actor), |tx| {
            let (r, notify) = self.app_sign_inner(tx, app_id, seal, &meta, &mut |_, _, s| {
                self.vault_sign(s, &call.digest)
            })?;
            let r = match r {
                AppOutcome::Signed(sig) => AppSignOutcome::Signed(sig),
                AppOutcome::Queued(q) => AppSignOutcome::Queued(q.id),
            };
            Ok(((r, notify), unit.clone(), actor.clone()))
        })?;
        self.send_notices(notify)?;
        Ok(out)
    }

    /// Sends the SMS notices of a queued call (after its batch committed).
    pub(super) fn send_notices(&self, notify: Option<(Vec<String>, String)>) -> Result<()> {
        if let Some((phones, text)) = notify {
            for p in phones {
                self.sms.send(&p, &text)?;
            }
        }
        Ok(())
    }

    /// The rules of one app call in `tx` (2.2.4): the app valid, the seal granted to it, the
    /// grant's confirmation policy. When the policy lets the call through, `sign` makes the
    /// signature (or the signed document) in the same batch that counts the call; a manual
    /// policy queues the call instead. Also returns the SMS notices to send after commit.
    #[allow(clippy::type_complexity)] // the outcome and the SMS notices to send
    pub(super) fn app_sign_inner<S>(
        &self,
        tx: &mut Tx,
        app_id: &str,
        seal: &str,
        call: &CallMeta<'_>,
        sign: &mut dyn FnMut(&mut Tx, &App, &SealRecord) -> Result<S>,
    ) -> Result<(AppOutcome<S>, Option<(Vec<String>, String)>)> {
        let (app, _): (App, u64) = self.must(app_id)?;
        if app.status != AppStatus::Valid {
            return Err(PlatformError::RequestRefused(format!(
                "app is {:?}",
                app.status
            )));
        }
        let gid = format!("{seal}:{app_id}");
        let (g, gv): (Grant, u64) = self
            .load(&gid)?
            .ok_or_else(|| forbidden("the seal is not granted to this app"))?;
        if g.removed {
            return Err(forbidden("the seal is not granted to this app"));
        }
        let (s, sv): (SealRecord, u64) = self.must(seal)?;
        validate::check_text("file name", call.file_name, 200)?;
        match g.policy.clone() {
            ConfirmPolicy::None => {
                self.app_commit(tx, &g, gv, &s, sv, None)?;
                Ok((AppOutcome::Signed(sign(tx, &app, &s)?), None))
            }
            ConfirmPolicy::SystemCheck {
                call_limit,
                token_check,
            } => {
                if token_check {
                    let serial = call.serial.unwrap_or("");
                    let token_ok = call.token.is_some_and(|t| {
                        t.len() == g.call_token.len()
                            && t.bytes()
                                .zip(g.call_token.bytes())
                                .fold(0u8, |a, (x, y)| a | (x ^ y))
                                == 0
                    });
                    if serial.is_empty() || !token_ok {
                        return Err(PlatformError::VerificationFailed(
                            "serial number and token required".into(),
                        ));
                    }
                    validate::check_text("serial number", serial, 128)?;
                    let used = UsedSerial {
                        id: format!("{}|{}|{serial}", g.id, g.epoch),
                        grant: g.id.clone(),
                        expires: self.clock.now().saturating_add(SERIAL_RETENTION),
                    };
                    if self.store.get(Kind::Serial, &used.id)?.is_some() {
                        return Err(PlatformError::VerificationFailed(
                            "serial number already used".into(),
                        ));
                    }
                    // Inserted with the signature: a racing call with the same serial loses.
                    tx.insert(&used)?;
                }
                self.app_commit(tx, &g, gv, &s, sv, call_limit)?;
                Ok((AppOutcome::Signed(sign(tx, &app, &s)?), None))
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
                    file_name: call.file_name.to_owned(),
                    file_type: call.file_type,
                    pages: call.pages,
                    time: self.clock.now(),
                    status: QueueStatus::Pending,
                    confirmers: confirmers.clone(),
                    decided_by: None,
                    decided_at: None,
                };
                tx.insert(&item)?;
                let mut notify = None;
                if sms_notice {
                    let mut phones = Vec::new();
                    for c in &confirmers {
                        if let Some((p, _)) = self.load::<Staff>(c)? {
                            phones.push(p.phone);
                        }
                    }
                    let text = format!(
                        "【电子印章平台】应用{}请求使用印章{}签署《{}》，请在签署授权页面确认。",
                        app.name, s.name, call.file_name
                    );
                    notify = Some((phones, text));
                }
                Ok((AppOutcome::Queued(Box::new(item)), notify))
            }
        }
    }

    /// The use of a seal by an app call: the grant unchanged, its call counter within
    /// `limit`, the seal used (the caller then signs in the same batch).
    fn app_commit(
        &self,
        tx: &mut Tx,
        g: &Grant,
        gv: u64,
        s: &SealRecord,
        sv: u64,
        limit: Option<u64>,
    ) -> Result<()> {
        if s.kind != SealKind::Cloud {
            return Err(state("only cloud seals sign for apps"));
        }
        if let Some(l) = limit
            && self.store.counter(&calls_counter(g))? >= l
        {
            return Err(PlatformError::RateLimited(
                "the app's call limit for this seal is used up".into(),
            ));
        }
        tx.check(Kind::Grant, &g.id, gv);
        tx.count(calls_counter(g), limit);
        self.seal_use(tx, s, sv)
    }

    /// Signs an approved queue item (once): the item is used up in the same batch as the
    /// signature is counted, so an approval gives exactly one signature.
    pub fn app_sign_approved(
        &self,
        app_id: &str,
        item: &str,
        e: &[u8; 32],
        ip: &str,
    ) -> Result<sm2::Signature> {
        let unit = self
            .load::<QueueItem>(item)?
            .map(|x| x.0.unit)
            .unwrap_or_default();
        let actor = format!("app:{app_id}");
        self.run_anon("AppSignApproved", item, ip, (&unit, &actor), |tx| {
            let (_, s) = self.approved_use(tx, app_id, item)?;
            let sig = self.vault_sign(&s, e)?;
            Ok((sig, unit.clone(), actor.clone()))
        })
    }

    /// The use of an approved queue item in `tx`: the item becomes used, the grant and seal
    /// are checked and the use counted; returns the app and the seal to sign with.
    pub(super) fn approved_use(
        &self,
        tx: &mut Tx,
        app_id: &str,
        item: &str,
    ) -> Result<(App, SealRecord)> {
        let (mut q, qv): (QueueItem, u64) = self.must(item)?;
        if q.app != app_id {
            return Err(PlatformError::NotFound(format!("queue item {item}")));
        }
        match q.status {
            QueueStatus::Approved => {}
            QueueStatus::Pending => return Err(state("waiting for confirmation")),
            QueueStatus::Rejected => return Err(state("the confirmer rejected this call")),
            QueueStatus::Used => return Err(state("this confirmation was used already")),
        }
        let (app, _): (App, u64) = self.must(app_id)?;
        if app.status != AppStatus::Valid {
            return Err(PlatformError::RequestRefused(format!(
                "app is {:?}",
                app.status
            )));
        }
        let (g, gv): (Grant, u64) = self.must(&q.grant)?;
        if g.removed {
            return Err(forbidden("the seal is no longer granted to this app"));
        }
        q.status = QueueStatus::Used;
        tx.update(&q, qv)?;
        let (s, sv): (SealRecord, u64) = self.must(&q.seal)?;
        self.app_commit(tx, &g, gv, &s, sv, None)?;
        Ok((app, s))
    }
}
