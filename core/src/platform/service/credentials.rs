//! Passwords, SMS codes, captchas and account logins (manual 1.3, 2.1.2.3, 2.1.2.4).

use super::*;

/// Result of an SMS-code login.
#[derive(Clone, Debug)]
pub struct SmsLogin {
    pub session: Session,
    /// 1.3.1: a user without password is asked to set one.
    pub must_set_password: bool,
}

fn staff_session(s: &Staff, ip: &str, via_ukey: bool) -> Session {
    Session {
        identity: Identity::Staff {
            unit: s.unit.clone(),
            staff: s.id.clone(),
            via_ukey,
        },
        ip: ip.to_owned(),
    }
}

impl Platform {
    /// Issues an image captcha: (id, answer). The server renders `answer` as an image.
    pub fn issue_captcha(&self) -> Result<(String, String)> {
        const ALPHA: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
        let mut ans = String::new();
        for b in random_bytes::<5>()? {
            ans.push(char::from(ALPHA[usize::from(b) % ALPHA.len()]));
        }
        let c = Captcha {
            id: hex::encode(random_bytes::<16>()?),
            answer_hash: hash_text(&ans),
            expires: self.clock.now() + CAPTCHA_TTL,
            used: false,
        };
        self.apply(|tx| tx.insert(&c))?;
        Ok((c.id, ans))
    }

    /// Single use, right or wrong; expired ones refused (and pruned later).
    fn check_captcha(&self, id: &str, answer: &str) -> Result<()> {
        let now = self.clock.now();
        self.apply(|tx| {
            let Some((mut c, v)) = self.load::<Captcha>(id)? else {
                return Ok(Err(PlatformError::VerificationFailed(
                    "wrong captcha".into(),
                )));
            };
            if c.used || now > c.expires {
                return Ok(Err(PlatformError::VerificationFailed(
                    "captcha expired".into(),
                )));
            }
            c.used = true;
            tx.update(&c, v)?;
            Ok(
                if hash_text(&answer.trim().to_ascii_lowercase()) != c.answer_hash {
                    Err(PlatformError::VerificationFailed("wrong captcha".into()))
                } else {
                    Ok(())
                },
            )
        })?
    }

    pub(super) fn active_staff_by_phone(&self, phone: &str) -> Result<Option<Staff>> {
        match self.store.find_unique("staff.phone", phone)? {
            Some((Kind::Staff, id)) => {
                Ok(self.load::<Staff>(&id)?.map(|x| x.0).filter(|s| s.active()))
            }
            _ => Ok(None),
        }
    }

    /// Makes a code for `phone` (rate limits: one per 60 s, five per hour) and sends it.
    fn send_code(&self, phone: &str, purpose: SmsPurpose) -> Result<()> {
        let now = self.clock.now();
        let code = random_digits(6)?;
        self.apply(|tx| {
            let (mut st, v) = match self.load::<SmsState>(phone)? {
                Some((s, v)) => (s, Some(v)),
                None => (
                    SmsState {
                        id: phone.to_owned(),
                        codes: vec![],
                        sends: vec![],
                    },
                    None,
                ),
            };
            st.sends.retain(|t| now - t < 3600);
            st.codes.retain(|c| c.expires >= now);
            if st
                .sends
                .last()
                .is_some_and(|t| now - t < SMS_RESEND_INTERVAL)
            {
                return Err(PlatformError::RateLimited(
                    "wait 60 seconds before asking for another code".into(),
                ));
            }
            if st.sends.len() >= SMS_MAX_SENDS_PER_HOUR {
                return Err(PlatformError::RateLimited(
                    "too many codes for this phone in the last hour".into(),
                ));
            }
            st.sends.push(now);
            st.codes.retain(|c| c.purpose != purpose);
            st.codes.push(SmsCodeEntry {
                purpose,
                code_hash: hash_text(&format!("{phone}:{code}")),
                expires: now + SMS_CODE_TTL,
                attempts: 0,
                used: false,
            });
            tx.put(&st, v)
        })?;
        let text = format!("【电子印章平台】验证码 {code}，5分钟内有效，请勿泄露。");
        Ok(self.sms.send(phone, &text)?)
    }

    /// Checks a code; attempts and use are kept whatever the operation then does.
    pub(super) fn verify_sms(&self, phone: &str, purpose: SmsPurpose, code: &str) -> Result<()> {
        self.check_sms(phone, purpose, code, true)
    }

    /// Checks a code: a wrong one is counted; a right one is used up when `consume` (an
    /// operation that needs two codes checks both before it uses either).
    fn check_sms(&self, phone: &str, purpose: SmsPurpose, code: &str, consume: bool) -> Result<()> {
        let now = self.clock.now();
        let no_code = || PlatformError::VerificationFailed("no code was sent".into());
        self.apply(|tx| {
            let Some((mut st, v)) = self.load::<SmsState>(phone)? else {
                return Ok(Err(no_code()));
            };
            let Some(c) = st.codes.iter_mut().find(|c| c.purpose == purpose) else {
                return Ok(Err(no_code()));
            };
            if c.used || now > c.expires {
                return Ok(Err(PlatformError::VerificationFailed(
                    "the code has expired".into(),
                )));
            }
            if c.attempts >= SMS_MAX_ATTEMPTS {
                return Ok(Err(PlatformError::VerificationFailed(
                    "too many wrong codes; ask for a new one".into(),
                )));
            }
            let r = if hash_text(&format!("{phone}:{code}")) == c.code_hash {
                if !consume {
                    return Ok(Ok(()));
                }
                c.used = true;
                Ok(())
            } else {
                c.attempts += 1;
                Err(PlatformError::VerificationFailed("wrong code".into()))
            };
            tx.update(&st, v)?;
            Ok(r)
        })?
    }

    /// Sends a login or password-reset code after the image captcha (1.3.1, 1.3.2.3).
    pub fn send_sms_code(
        &self,
        phone: &str,
        purpose: SmsPurpose,
        captcha_id: &str,
        captcha_answer: &str,
        ip: &str,
    ) -> Result<()> {
        let object = format!("{phone}/{}", purpose.as_str());
        self.run_anon("SendSmsCode", &object, ip, ("", "anonymous"), |_| {
            if !matches!(purpose, SmsPurpose::Login | SmsPurpose::ResetPassword) {
                return Err(PlatformError::InvalidInput(
                    "this code is sent from a session".into(),
                ));
            }
            self.check_captcha(captcha_id, captcha_answer)?;
            validate::check_phone(phone)?;
            let s = self
                .active_staff_by_phone(phone)?
                .ok_or_else(|| PlatformError::LoginRefused("no account for this phone".into()))?;
            self.send_code(phone, purpose)?;
            Ok(((), s.unit, s.id))
        })
    }

    /// Sends a code to the session's own phone (signing, setting a password).
    pub fn send_session_code(&self, sess: &Session, purpose: SmsPurpose) -> Result<()> {
        self.run(sess, Action::SetOwnPasswords, purpose.as_str(), |ctx, _| {
            let (s, _) = self.unit_staff(ctx, &ctx.id)?;
            self.send_code(&s.phone, purpose)
        })
    }

    /// Password login (1.3.2.2); five failures lock the account for 15 minutes.
    pub fn login_password(&self, phone: &str, password: &str, ip: &str) -> Result<Session> {
        self.run_anon("LoginPassword", phone, ip, ("", "anonymous"), |_| {
            let s = self
                .active_staff_by_phone(phone)?
                .ok_or_else(|| PlatformError::LoginRefused("wrong phone or password".into()))?;
            let now = self.clock.now();
            self.apply(|tx| {
                let (mut c, v) = self.credential(&s.id)?;
                if c.locked_until.is_some_and(|t| now < t) {
                    return Ok(Err(PlatformError::LoginRefused(
                        "too many wrong passwords; try later or use an SMS code".into(),
                    )));
                }
                let r = match &c.password_hash {
                    Some(h) if argon2_verify(password, h) => {
                        if c.failed_logins == 0 && c.locked_until.is_none() {
                            return Ok(Ok(()));
                        }
                        c.failed_logins = 0;
                        c.locked_until = None;
                        Ok(())
                    }
                    _ => {
                        c.failed_logins += 1;
                        if c.failed_logins >= MAX_FAILED_LOGINS {
                            c.locked_until = Some(now + LOCKOUT_SECS);
                            c.failed_logins = 0;
                        }
                        Err(PlatformError::LoginRefused(
                            "wrong phone or password".into(),
                        ))
                    }
                };
                tx.put(&c, v)?;
                Ok(r)
            })??;
            Ok((staff_session(&s, ip, false), s.unit, s.id))
        })
    }

    /// SMS-code login (1.3.1).
    pub fn login_sms(&self, phone: &str, code: &str, ip: &str) -> Result<SmsLogin> {
        self.run_anon("LoginSms", phone, ip, ("", "anonymous"), |_| {
            let s = self
                .active_staff_by_phone(phone)?
                .ok_or_else(|| PlatformError::LoginRefused("no account for this phone".into()))?;
            self.verify_sms(phone, SmsPurpose::Login, code)?;
            let has_pw = self
                .load::<PasswordRecord>(&s.id)?
                .is_some_and(|(c, _)| c.password_hash.is_some());
            let l = SmsLogin {
                session: staff_session(&s, ip, false),
                must_set_password: !has_pw,
            };
            Ok((l, s.unit, s.id))
        })
    }

    /// The credential document of a staff member (a fresh one, not yet stored, if none).
    fn credential(&self, staff: &str) -> Result<(PasswordRecord, Option<u64>)> {
        Ok(match self.load::<PasswordRecord>(staff)? {
            Some((c, v)) => (c, Some(v)),
            None => (
                PasswordRecord {
                    id: staff.to_owned(),
                    ..Default::default()
                },
                None,
            ),
        })
    }

    /// Sets or changes the login password with an SMS code (1.3.2.1, 2.1.2.3).
    pub fn set_password(&self, sess: &Session, sms_code: &str, new_password: &str) -> Result<()> {
        self.set_own_secret(
            sess,
            "password",
            sms_code,
            new_password,
            validate::check_password,
            |c, h| c.password_hash = Some(h),
        )
    }

    /// Sets the 6-digit signing password with an SMS code (2.1.2.4); it also lifts a
    /// signing-password lock.
    pub fn set_signing_password(&self, sess: &Session, sms_code: &str, pin: &str) -> Result<()> {
        self.set_own_secret(
            sess,
            "signing password",
            sms_code,
            pin,
            validate::check_signing_password,
            |c, h| {
                c.signing_password_hash = Some(h);
                c.failed_signing = 0;
                c.signing_locked_until = None;
            },
        )
    }

    /// Checks `secret` with `check`, verifies the SMS code sent to the caller's phone, and
    /// stores the secret's argon2id hash with `store` (login and signing passwords alike).
    fn set_own_secret(
        &self,
        sess: &Session,
        what: &str,
        sms_code: &str,
        secret: &str,
        check: fn(&str) -> Result<()>,
        store: fn(&mut PasswordRecord, String),
    ) -> Result<()> {
        let mut verified = None;
        self.run(sess, Action::SetOwnPasswords, what, |ctx, tx| {
            check(secret)?;
            let (s, _) = self.unit_staff(ctx, &ctx.id)?;
            let h = match &verified {
                Some(h) => String::clone(h),
                None => {
                    self.verify_sms(&s.phone, SmsPurpose::SetPassword, sms_code)?;
                    let h = argon2_hash(secret)?;
                    verified = Some(h.clone());
                    h
                }
            };
            let (mut c, v) = self.credential(&s.id)?;
            store(&mut c, h);
            tx.put(&c, v)
        })
    }

    /// 重设密码 (1.3.2.3): the code sent after the captcha, and the new password.
    pub fn reset_password(
        &self,
        phone: &str,
        sms_code: &str,
        new_password: &str,
        ip: &str,
    ) -> Result<()> {
        let mut verified = None;
        self.run_anon("ResetPassword", phone, ip, ("", "anonymous"), |tx| {
            validate::check_password(new_password)?;
            let s = self
                .active_staff_by_phone(phone)?
                .ok_or_else(|| PlatformError::LoginRefused("no account for this phone".into()))?;
            let h = match &verified {
                Some(h) => String::clone(h),
                None => {
                    self.verify_sms(phone, SmsPurpose::ResetPassword, sms_code)?;
                    let h = argon2_hash(new_password)?;
                    verified = Some(h.clone());
                    h
                }
            };
            let (mut c, v) = self.credential(&s.id)?;
            c.password_hash = Some(h);
            c.failed_logins = 0;
            c.locked_until = None;
            tx.put(&c, v)?;
            Ok(((), s.unit, s.id))
        })
    }

    /// 修改手机号 (2.1.2 个人中心, "手机号: … | 修改手机号"), step 1: a code to the new phone,
    /// which no serving staff member may hold. The phone is a sign-in credential (1.3.1), so
    /// changing it is checked like the passwords ([`Action::SetOwnPasswords`]).
    pub fn send_new_phone_code(&self, sess: &Session, new_phone: &str) -> Result<()> {
        self.run(sess, Action::SetOwnPasswords, "phone", |ctx, _| {
            self.unit_staff(ctx, &ctx.id)?;
            validate::check_phone(new_phone)?;
            if self.store.find_unique("staff.phone", new_phone)?.is_some() {
                return Err(PlatformError::Duplicate(
                    "this phone number belongs to another account".into(),
                ));
            }
            self.send_code(new_phone, SmsPurpose::ChangePhone)
        })
    }

    /// 修改手机号, step 2: the code sent to the current phone
    /// ([`Platform::send_session_code`] with [`SmsPurpose::ChangePhone`]) and the code sent to
    /// the new one ([`Platform::send_new_phone_code`]) — both phones proved — then the
    /// account's phone (its unique key: a phone taken meanwhile is [`PlatformError::Duplicate`]) changes in
    /// one batch.
    pub fn change_phone(
        &self,
        sess: &Session,
        current_code: &str,
        new_phone: &str,
        new_code: &str,
    ) -> Result<Staff> {
        let mut verified = false;
        self.run(sess, Action::SetOwnPasswords, "phone", |ctx, tx| {
            validate::check_phone(new_phone)?;
            let (mut s, v) = self.unit_staff(ctx, &ctx.id)?;
            if !verified {
                // Both checked before either is used: one wrong code spends neither.
                self.check_sms(&s.phone, SmsPurpose::ChangePhone, current_code, false)?;
                self.check_sms(new_phone, SmsPurpose::ChangePhone, new_code, false)?;
                self.verify_sms(&s.phone, SmsPurpose::ChangePhone, current_code)?;
                self.verify_sms(new_phone, SmsPurpose::ChangePhone, new_code)?;
                verified = true;
            }
            s.phone = new_phone.to_owned();
            tx.update(&s, v)?;
            Ok(s)
        })
    }

    /// Personal UKey login (1.2.2) from the ID number of a certificate
    /// [`Platform::login_ukey`] verified: the serving staff member with that ID number.
    pub(super) fn login_personal_ukey(&self, id_number: &str, ip: &str) -> Result<Session> {
        self.run_anon(
            "LoginPersonalUkey",
            id_number,
            ip,
            ("", "anonymous"),
            |_| {
                let s = self.staff_by_id_number(id_number)?;
                Ok((staff_session(&s, ip, true), s.unit, s.id))
            },
        )
    }

    pub(super) fn staff_by_id_number(&self, id_number: &str) -> Result<Staff> {
        let idn = validate::check_id_number(id_number)?;
        match self.store.find_unique("staff.id_number", &idn)? {
            Some((Kind::Staff, id)) => self.load::<Staff>(&id)?.map(|x| x.0).filter(|s| s.active()),
            _ => None,
        }
        .ok_or_else(|| PlatformError::LoginRefused("no serving staff for this certificate".into()))
    }
}
