//! Units and their UKeys (manual 1.2.1, 2.1.1, 2.4.7).

use super::super::authority::CertRequest;
use super::super::vault::VaultSigner;
use super::*;
use crate::crypto::Certificate;

impl Platform {
    /// May this unit key log in? Before a main key is set every key of the unit may
    /// (1.2.1.1); after, the main key and whitelisted devices (2.4.7). The super
    /// administrator (the unit's first key) is always admitted: no later key can lock it out.
    pub(super) fn admit(u: &Unit, k: &UnitKey) -> Result<()> {
        match &u.main_key {
            _ if k.super_admin => Ok(()),
            None => Ok(()),
            Some(main) if main == &k.id => Ok(()),
            Some(_) if u.whitelist.contains(&k.device_id) => Ok(()),
            Some(_) => Err(PlatformError::LoginRefused(
                "the unit has a main UKey; this UKey is not on the whitelist".into(),
            )),
        }
    }

    /// Unit UKey login (1.2.1) from the fields of a certificate [`Platform::login_ukey`]
    /// verified: the certificate names the unit (name, credit code); the first UKey of a new
    /// unit creates it and becomes its super administrator.
    #[allow(clippy::too_many_arguments)] // the fields of one verified certificate
    pub(super) fn login_unit_key(
        &self,
        unit_name: &str,
        credit_code: &str,
        cert_serial: &str,
        cert_subject: &str,
        device_id: &str,
        cert_der: &[u8],
        ip: &str,
    ) -> Result<Session> {
        let object = format!("{credit_code}/{device_id}");
        self.run_anon("LoginUnitKey", &object, ip, ("", "anonymous"), |tx| {
            let (u, k) = self.unit_key_identity(
                tx,
                unit_name,
                credit_code,
                cert_serial,
                cert_subject,
                device_id,
                Some(cert_der),
            )?;
            let sess = Session {
                identity: Identity::UnitKey {
                    unit: u.clone(),
                    key: k.clone(),
                },
                ip: ip.to_owned(),
            };
            Ok((sess, u, k))
        })
    }

    /// The unit and key ids of a unit UKey; makes the unit and the key on first sight (in
    /// `tx`). `cert_der` is the key's verified signing certificate, kept with the key.
    #[allow(clippy::too_many_arguments)] // the fields of one certificate
    pub(super) fn unit_key_identity(
        &self,
        tx: &mut Tx,
        unit_name: &str,
        code: &str,
        serial: &str,
        subject: &str,
        device: &str,
        cert_der: Option<&[u8]>,
    ) -> Result<(String, String)> {
        let unit_name = validate::check_text("unit name", unit_name, 100)?;
        if code.len() != 18 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(PlatformError::InvalidInput(
                "unified social credit code must be 18 letters or digits".into(),
            ));
        }
        let serial = validate::check_text("certificate serial", serial, 128)?;
        let device = validate::check_text("device id", device, 128)?;
        let now = self.clock.now();
        let (unit, new_unit) = match self.store.find_unique("unit.code", code)? {
            Some((_, id)) => (self.must::<Unit>(&id)?.0, false),
            None => {
                let u = Unit {
                    id: new_id()?,
                    name: unit_name.clone(),
                    credit_code: code.to_owned(),
                    main_key: None,
                    whitelist: vec![],
                    cert_application: None,
                    certificate: None,
                    avatar: None,
                    created: now,
                };
                tx.insert(&u)?;
                (u, true)
            }
        };
        let kk = format!("{serial}|{device}");
        let key = match self.store.find_unique("unit_key", &kk)? {
            Some((_, id)) => self.must::<UnitKey>(&id)?.0,
            None => {
                // The super administrator is the unit's first key: "unit.first_key" is a
                // unique key, so two first logins racing end with one super administrator.
                let first = new_unit
                    || self
                        .store
                        .find_unique("unit.first_key", &unit.id)?
                        .is_none();
                let k = UnitKey {
                    id: new_id()?,
                    unit: unit.id.clone(),
                    cert_serial: serial.clone(),
                    cert_subject: subject.to_owned(),
                    device_id: device.clone(),
                    super_admin: first,
                    certificate: cert_der.map(|d| b64().encode(d)),
                    created: now,
                };
                Self::admit(&unit, &k)?;
                tx.insert(&k)?;
                k
            }
        };
        if key.unit != unit.id {
            return Err(PlatformError::LoginRefused(
                "this UKey belongs to another unit".into(),
            ));
        }
        Self::admit(&unit, &key)?;
        Ok((unit.id, key.id))
    }

    pub fn unit(&self, sess: &Session) -> Result<Unit> {
        let ctx = self.ctx(sess)?;
        Ok(self.must::<Unit>(&ctx.unit)?.0)
    }

    /// The unit's UKeys.
    pub fn unit_keys(&self, sess: &Session) -> Result<Vec<UnitKey>> {
        let ctx = self.ctx(sess)?;
        Ok(self
            .find_all::<UnitKey>(Query::new(Kind::UnitKey).unit(&ctx.unit))?
            .into_iter()
            .map(|(k, _)| k)
            .collect())
    }

    /// Changes the unit document with `f` (compare-and-set in `tx`).
    fn change_unit(
        &self,
        tx: &mut Tx,
        unit: &str,
        f: impl FnOnce(&mut Unit) -> Result<()>,
    ) -> Result<()> {
        let (mut u, v) = self.must::<Unit>(unit)?;
        f(&mut u)?;
        tx.update(&u, v)
    }

    /// Sets the main UKey (1.2.1.1); it joins the whitelist. Only the super administrator or
    /// the current main key may move it (a later, whitelisted key cannot take it over).
    pub fn set_main_key(&self, sess: &Session, key_id: &str) -> Result<()> {
        self.run(sess, Action::SetMainKey, key_id, |ctx, tx| {
            let (k, _): (UnitKey, u64) = self.must(key_id)?;
            if k.unit != ctx.unit {
                return Err(PlatformError::NotFound(format!("unit key {key_id}")));
            }
            self.change_unit(tx, &ctx.unit, |u| {
                let holds_main = u.main_key.as_deref() == Some(ctx.id.as_str());
                if !ctx.has(Role::SuperAdmin) && !holds_main {
                    return Err(forbidden(
                        "only the super administrator or the main UKey sets the main UKey",
                    ));
                }
                u.main_key = Some(k.id.clone());
                if !u.whitelist.contains(&k.device_id) {
                    u.whitelist.push(k.device_id.clone());
                }
                Ok(())
            })
        })
    }

    /// Adds a device id (通用实体唯一标识) to the whitelist (2.4.7).
    pub fn whitelist_add(&self, sess: &Session, device_id: &str) -> Result<()> {
        self.run(sess, Action::ManageKeyWhitelist, device_id, |ctx, tx| {
            let d = validate::check_text("device id", device_id, 128)?;
            self.change_unit(tx, &ctx.unit, |u| {
                if !u.whitelist.contains(&d) {
                    u.whitelist.push(d.clone());
                }
                Ok(())
            })
        })
    }

    /// Removes a device id from the whitelist; the main key's device stays.
    pub fn whitelist_remove(&self, sess: &Session, device_id: &str) -> Result<()> {
        self.run(sess, Action::ManageKeyWhitelist, device_id, |ctx, tx| {
            let unit = self.must::<Unit>(&ctx.unit)?.0;
            if let Some(m) = &unit.main_key
                && self.must::<UnitKey>(m)?.0.device_id == device_id
            {
                return Err(state("the main UKey cannot leave the whitelist"));
            }
            self.change_unit(tx, &ctx.unit, |u| {
                u.whitelist.retain(|d| d != device_id);
                Ok(())
            })
        })
    }

    /// Server certificate application (1.2.1.2): checks the application, makes the unit's
    /// key in the key vault and has the platform's CA issue its certificate (subject: the
    /// unit's name, its credit code as serialNumber). A unit applies once; the certificate
    /// is what its cloud seals sign with.
    pub fn apply_unit_cert(
        &self,
        sess: &Session,
        handler_name: &str,
        id_number: &str,
        phone: &str,
        email: &str,
        agreement_accepted: bool,
    ) -> Result<UnitCertificate> {
        self.run(
            sess,
            Action::ApplyUnitCert,
            "unit certificate",
            |ctx, tx| {
                let name = validate::check_text("handler name", handler_name, 50)?;
                let idn = validate::check_id_number(id_number)?;
                validate::check_phone(phone)?;
                validate::check_email(email)?;
                if !agreement_accepted {
                    return Err(PlatformError::InvalidInput(
                        "the subscriber agreement must be accepted".into(),
                    ));
                }
                let now = self.clock.now();
                let (mut u, v) = self.must::<Unit>(&ctx.unit)?;
                if u.certificate.as_ref().is_some_and(|c| c.valid_at(now)) {
                    return Err(state("the unit has a valid server certificate already"));
                }
                let key_id = format!("unit:{}:{}", u.id, new_id()?);
                let pk = self.vault.create(&key_id)?;
                tx.made_keys.push(key_id.clone());
                let cert = self.authority.issue(&CertRequest {
                    subject: vec![
                        ("C".into(), "CN".into()),
                        ("O".into(), u.name.clone()),
                        ("CN".into(), u.name.clone()),
                        ("serialNumber".into(), u.credit_code.clone()),
                    ],
                    public_key: pk,
                    not_before: now,
                    not_after: now.saturating_add(UNIT_CERT_VALIDITY_DAYS * 86400),
                })?;
                let shown = UnitCertificate {
                    der_b64: b64().encode(cert.der()),
                    vault_key: key_id,
                    subject: cert.subject_string(),
                    issuer: cert.issuer_string(),
                    serial: cert.serial_hex().to_ascii_uppercase(),
                    id_number: u.credit_code.clone(),
                    not_before: cert.not_before().unix(),
                    not_after: cert.not_after().unix(),
                };
                u.cert_application = Some(CertApplication {
                    handler_name: name,
                    handler_id_number: idn,
                    handler_phone: phone.to_owned(),
                    handler_email: email.to_owned(),
                    agreement_accepted,
                    applied: now,
                });
                u.certificate = Some(shown.clone());
                tx.update(&u, v)?;
                Ok(shown)
            },
        )
    }

    /// The unit's server certificate as the portal shows it (2.1.1.2), if issued.
    pub fn unit_certificate(&self, sess: &Session) -> Result<Option<UnitCertificate>> {
        self.read(sess, Action::ViewUnitCert, "unit certificate", |ctx| {
            Ok(self.must::<Unit>(&ctx.unit)?.0.certificate)
        })
    }

    /// The unit's server certificate and a signer for its vault key.
    pub(super) fn unit_signer(&self, unit: &str) -> Result<(Certificate, VaultSigner)> {
        let u = self.must::<Unit>(unit)?.0;
        let c = u.certificate.ok_or_else(|| {
            state("the unit must apply for its server certificate first (1.2.1.2)")
        })?;
        let der = b64()
            .decode(&c.der_b64)
            .map_err(|_| state("the unit certificate is unreadable"))?;
        let cert = Certificate::from_der(&der)?;
        let signer = VaultSigner::new(self.vault.clone(), &c.vault_key, cert.clone());
        Ok((cert, signer))
    }

    /// The unit's certificate application (2.1.1.2).
    pub fn unit_cert_application(&self, sess: &Session) -> Result<Option<CertApplication>> {
        self.read(sess, Action::ViewUnitCert, "unit certificate", |ctx| {
            Ok(self.must::<Unit>(&ctx.unit)?.0.cert_application)
        })
    }

    /// 设置头像 (2.1.1.1, 2.1.2.1): a reference to the stored, cropped picture.
    pub fn set_avatar(&self, sess: &Session, picture_ref: &str) -> Result<()> {
        self.run(sess, Action::SetOwnAvatar, picture_ref, |ctx, tx| {
            let r = validate::check_text("avatar", picture_ref, 500)?;
            match ctx.identity {
                Identity::UnitKey { .. } => self.change_unit(tx, &ctx.unit, |u| {
                    u.avatar = Some(r.clone());
                    Ok(())
                }),
                _ => {
                    let (mut s, v) = self.must::<Staff>(&ctx.id)?;
                    s.avatar = Some(r.clone());
                    tx.update(&s, v)
                }
            }
        })
    }
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

use base64::Engine;
