//! Passwords, SMS codes, captchas and logins (manual 1.3, 2.1.2.3, 2.1.2.4).
use super::*;

/// Result of an SMS-code login.
#[derive(Clone, Debug)]
pub struct SmsLogin {
    pub session: Session,
    /// 1.3.1: a user without password is asked to set one.
    pub must_set_password: bool,
}
impl Platform {
    // ---------------------------------------------------------------- credentials

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
        self.insert(Kind::Captcha, &c.id, &c, &[])?;
        Ok((c.id, ans))
    }

    fn check_captcha(&self, id: &str, answer: &str) -> Result<()> {
        let (mut c, v): (Captcha, u64) = self
            .try_get(Kind::Captcha, id)?
            .ok_or_else(|| PlatformError::VerificationFailed("wrong captcha".into()))?;
        if c.used || self.clock.now() > c.expires {
            return Err(PlatformError::VerificationFailed("captcha expired".into()));
        }
        c.used = true; // single use, right or wrong
        self.put(Kind::Captcha, id, v, &c, &[])?;
        if hash_text(&answer.trim().to_ascii_lowercase()) != c.answer_hash {
            return Err(PlatformError::VerificationFailed("wrong captcha".into()));
        }
        Ok(())
    }

    pub(super) fn active_staff_by_phone(&self, phone: &str) -> Result<Option<Staff>> {
        match self.store.find_unique("staff.phone", phone)? {
            Some((Kind::Staff, id)) => Ok(self
                .try_get::<Staff>(Kind::Staff, &id)?
                .map(|x| x.0)
                .filter(|s| s.active())),
            _ => Ok(None),
        }
    }

    fn send_code(&self, phone: &str, purpose: SmsPurpose) -> Result<()> {
        let now = self.clock.now();
        let code = random_digits(6)?;
        let entry = SmsCodeEntry {
            purpose,
            code_hash: hash_text(&format!("{phone}:{code}")),
            expires: now + SMS_CODE_TTL,
            attempts: 0,
            used: false,
        };
        if self.store.get(Kind::SmsCode, phone)?.is_none() {
            let st = SmsState {
                id: phone.to_owned(),
                codes: vec![],
                sends: vec![],
            };
            match self.insert(Kind::SmsCode, phone, &st, &[]) {
                Ok(()) | Err(PlatformError::Duplicate(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let (mut st, v): (SmsState, u64) = self.get(Kind::SmsCode, phone)?;
        st.sends.retain(|t| now - t < 3600);
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
        st.codes.push(entry);
        self.put(Kind::SmsCode, phone, v, &st, &[])?;
        let text = format!("【电子印章平台】验证码 {code}，5分钟内有效，请勿泄露。");
        self.sms
            .send(phone, &text)
            .map_err(|e| PlatformError::Vault(format!("sms: {e}")))
    }

    pub(super) fn verify_sms(&self, phone: &str, purpose: SmsPurpose, code: &str) -> Result<()> {
        let now = self.clock.now();
        let mut outcome = Err(PlatformError::VerificationFailed("no code was sent".into()));
        self.modify(
            Kind::SmsCode,
            phone,
            |_| vec![],
            |st: &mut SmsState| {
                let Some(c) = st.codes.iter_mut().find(|c| c.purpose == purpose) else {
                    outcome = Err(PlatformError::VerificationFailed("no code was sent".into()));
                    return Ok(false);
                };
                if c.used || now > c.expires {
                    outcome = Err(PlatformError::VerificationFailed(
                        "the code has expired".into(),
                    ));
                    return Ok(false);
                }
                if c.attempts >= SMS_MAX_ATTEMPTS {
                    outcome = Err(PlatformError::VerificationFailed(
                        "too many wrong codes; ask for a new one".into(),
                    ));
                    return Ok(false);
                }
                if hash_text(&format!("{phone}:{code}")) == c.code_hash {
                    c.used = true;
                    outcome = Ok(());
                } else {
                    c.attempts += 1;
                    outcome = Err(PlatformError::VerificationFailed("wrong code".into()));
                }
                Ok(true)
            },
        )
        .or_else(|e| match e {
            PlatformError::NotFound(_) => Ok(()),
            e => Err(e),
        })?;
        outcome
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
        let r = (|| {
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
        })();
        self.audited_login(
            "SendSmsCode",
            &format!("{phone}/{}", purpose.as_str()),
            ip,
            r,
        )
    }

    /// Sends a code to the session's own phone (signing, setting a password).
    pub fn send_session_code(&self, sess: &Session, purpose: SmsPurpose) -> Result<()> {
        self.run(sess, Action::SetOwnPasswords, purpose.as_str(), |ctx| {
            let (s, _) = self.unit_staff(ctx, &ctx.id)?;
            self.send_code(&s.phone, purpose)
        })
    }

    /// Password login (1.3.2.2); five failures lock the account for 15 minutes.
    pub fn login_password(&self, phone: &str, password: &str, ip: &str) -> Result<Session> {
        let r = (|| {
            let s = self
                .active_staff_by_phone(phone)?
                .ok_or_else(|| PlatformError::LoginRefused("wrong phone or password".into()))?;
            let now = self.clock.now();
            let mut result = Err(PlatformError::LoginRefused(
                "wrong phone or password".into(),
            ));
            self.ensure_credential(&s.id)?;
            self.modify(
                Kind::Credential,
                &s.id,
                |_| vec![],
                |c: &mut Credential| {
                    if c.locked_until.is_some_and(|t| now < t) {
                        result = Err(PlatformError::LoginRefused(
                            "too many wrong passwords; try later or use an SMS code".into(),
                        ));
                        return Ok(false);
                    }
                    match &c.password_hash {
                        Some(h) if argon2_verify(password, h) => {
                            c.failed_logins = 0;
                            c.locked_until = None;
                            result = Ok(());
                        }
                        _ => {
                            c.failed_logins += 1;
                            if c.failed_logins >= MAX_FAILED_LOGINS {
                                c.locked_until = Some(now + LOCKOUT_SECS);
                                c.failed_logins = 0;
                            }
                            result = Err(PlatformError::LoginRefused(
                                "wrong phone or password".into(),
                            ));
                        }
                    }
                    Ok(true)
                },
            )?;
            result?;
            Ok((
                Session {
                    identity: Identity::Staff {
                        unit: s.unit.clone(),
                        staff: s.id.clone(),
                        via_ukey: false,
                    },
                    ip: ip.to_owned(),
                },
                s.unit,
                s.id,
            ))
        })();
        self.audited_login("LoginPassword", phone, ip, r)
    }

    /// SMS-code login (1.3.1).
    pub fn login_sms(&self, phone: &str, code: &str, ip: &str) -> Result<SmsLogin> {
        let r = (|| {
            let s = self
                .active_staff_by_phone(phone)?
                .ok_or_else(|| PlatformError::LoginRefused("no account for this phone".into()))?;
            self.verify_sms(phone, SmsPurpose::Login, code)?;
            let has_pw = self
                .try_get::<Credential>(Kind::Credential, &s.id)?
                .is_some_and(|(c, _)| c.password_hash.is_some());
            let session = Session {
                identity: Identity::Staff {
                    unit: s.unit.clone(),
                    staff: s.id.clone(),
                    via_ukey: false,
                },
                ip: ip.to_owned(),
            };
            Ok((
                SmsLogin {
                    session,
                    must_set_password: !has_pw,
                },
                s.unit,
                s.id,
            ))
        })();
        self.audited_login("LoginSms", phone, ip, r)
    }

    /// Personal UKey login (1.2.2): the certificate's ID number names the staff member.
    pub fn login_personal_ukey(&self, id_number: &str, ip: &str) -> Result<Session> {
        let r = (|| {
            let idn = validate::check_id_number(id_number)?;
            let s = match self.store.find_unique("staff.id_number", &idn)? {
                Some((Kind::Staff, id)) => self
                    .try_get::<Staff>(Kind::Staff, &id)?
                    .map(|x| x.0)
                    .filter(|s| s.active()),
                _ => None,
            }
            .ok_or_else(|| {
                PlatformError::LoginRefused("no serving staff for this certificate".into())
            })?;
            Ok((
                Session {
                    identity: Identity::Staff {
                        unit: s.unit.clone(),
                        staff: s.id.clone(),
                        via_ukey: true,
                    },
                    ip: ip.to_owned(),
                },
                s.unit,
                s.id,
            ))
        })();
        self.audited_login("LoginPersonalUkey", id_number, ip, r)
    }

    pub(super) fn ensure_credential(&self, staff: &str) -> Result<()> {
        if self.store.get(Kind::Credential, staff)?.is_none() {
            let c = Credential {
                id: staff.to_owned(),
                ..Default::default()
            };
            match self.insert(Kind::Credential, staff, &c, &[]) {
                Ok(()) | Err(PlatformError::Duplicate(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
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

    /// Sets the 6-digit signing password with an SMS code (2.1.2.4).
    pub fn set_signing_password(&self, sess: &Session, sms_code: &str, pin: &str) -> Result<()> {
        self.set_own_secret(
            sess,
            "signing password",
            sms_code,
            pin,
            validate::check_signing_password,
            |c, h| c.signing_password_hash = Some(h),
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
        store: fn(&mut Credential, String),
    ) -> Result<()> {
        self.run(sess, Action::SetOwnPasswords, what, |ctx| {
            check(secret)?;
            let (s, _) = self.unit_staff(ctx, &ctx.id)?;
            self.verify_sms(&s.phone, SmsPurpose::SetPassword, sms_code)?;
            let h = argon2_hash(secret)?;
            self.ensure_credential(&s.id)?;
            self.modify(
                Kind::Credential,
                &s.id,
                |_| vec![],
                |c: &mut Credential| {
                    store(c, h.clone());
                    Ok(true)
                },
            )
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
        let r = (|| {
            validate::check_password(new_password)?;
            let s = self
                .active_staff_by_phone(phone)?
                .ok_or_else(|| PlatformError::LoginRefused("no account for this phone".into()))?;
            self.verify_sms(phone, SmsPurpose::ResetPassword, sms_code)?;
            let h = argon2_hash(new_password)?;
            self.ensure_credential(&s.id)?;
            self.modify(
                Kind::Credential,
                &s.id,
                |_| vec![],
                |c: &mut Credential| {
                    c.password_hash = Some(h.clone());
                    c.failed_logins = 0;
                    c.locked_until = None;
                    Ok(true)
                },
            )?;
            Ok(((), s.unit, s.id))
        })();
        self.audited_login("ResetPassword", phone, ip, r)
    }
}
