//! Units and their UKeys (manual 1.2.1, 2.1.1, 2.4.7).
use super::*;

impl Platform {
    // ---------------------------------------------------------------- units and unit UKeys

    pub(super) fn admit(u: &Unit, k: &UnitKey) -> Result<()> {
        match &u.main_key {
            None => Ok(()),
            Some(main) if main == &k.id => Ok(()),
            Some(_) if u.whitelist.contains(&k.device_id) => Ok(()),
            Some(_) => Err(PlatformError::LoginRefused(
                "the unit has a main UKey; this UKey is not on the whitelist".into(),
            )),
        }
    }

    /// Unit UKey login (1.2.1): the certificate names the unit (name, credit code); the first
    /// UKey of a new unit creates it and becomes its super administrator.
    pub fn login_unit_key(
        &self,
        unit_name: &str,
        credit_code: &str,
        cert_serial: &str,
        cert_subject: &str,
        device_id: &str,
        ip: &str,
    ) -> Result<Session> {
        let r =
            self.login_unit_key_inner(unit_name, credit_code, cert_serial, cert_subject, device_id);
        self.audited_login(
            "LoginUnitKey",
            &format!("{credit_code}/{device_id}"),
            ip,
            r.map(|(u, k)| {
                (
                    Session {
                        identity: Identity::UnitKey {
                            unit: u.clone(),
                            key: k.clone(),
                        },
                        ip: ip.to_owned(),
                    },
                    u,
                    k,
                )
            }),
        )
    }

    fn login_unit_key_inner(
        &self,
        unit_name: &str,
        code: &str,
        serial: &str,
        subject: &str,
        device: &str,
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
        for _ in 0..10 {
            // The unit.
            let unit_id = match self.store.find_unique("unit.code", code)? {
                Some((_, id)) => id,
                None => {
                    let id = new_id()?;
                    let u = Unit {
                        id: id.clone(),
                        name: unit_name.clone(),
                        credit_code: code.to_owned(),
                        main_key: None,
                        whitelist: vec![],
                        cert_application: None,
                        avatar: None,
                        created: now,
                    };
                    match self.insert(Kind::Unit, &id, &u, &[UniqueKey::new("unit.code", code)]) {
                        Ok(()) => id,
                        Err(PlatformError::Duplicate(_)) => continue,
                        Err(e) => return Err(e),
                    }
                }
            };
            let (unit, _): (Unit, u64) = self.get(Kind::Unit, &unit_id)?;
            // The key.
            let kk = key_of_unit_key(&serial, &device);
            let key = match self.store.find_unique("unit_key", &kk)? {
                Some((_, id)) => self.get::<UnitKey>(Kind::UnitKey, &id)?.0,
                None => {
                    // The super administrator is the unit's first key: claim "unit.first" atomically.
                    let first = self
                        .store
                        .find_unique("unit.first_key", &unit_id)?
                        .is_none();
                    let k = UnitKey {
                        id: new_id()?,
                        unit: unit_id.clone(),
                        cert_serial: serial.clone(),
                        cert_subject: subject.to_owned(),
                        device_id: device.clone(),
                        super_admin: first,
                        created: now,
                    };
                    Self::admit(&unit, &k)?;
                    let mut keys = vec![UniqueKey::new("unit_key", kk.clone())];
                    if first {
                        keys.push(UniqueKey::new("unit.first_key", unit_id.clone()));
                    }
                    match self.insert(Kind::UnitKey, &k.id, &k, &keys) {
                        Ok(()) => k,
                        Err(PlatformError::Duplicate(_)) => continue,
                        Err(e) => return Err(e),
                    }
                }
            };
            if key.unit != unit_id {
                return Err(PlatformError::LoginRefused(
                    "this UKey belongs to another unit".into(),
                ));
            }
            Self::admit(&unit, &key)?;
            return Ok((unit_id, key.id));
        }
        Err(PlatformError::ConcurrentChange(
            "unit login: too many retries".into(),
        ))
    }

    pub fn unit(&self, sess: &Session) -> Result<Unit> {
        let ctx = self.ctx(sess)?;
        Ok(self.get::<Unit>(Kind::Unit, &ctx.unit)?.0)
    }

    pub fn unit_keys(&self, sess: &Session) -> Result<Vec<UnitKey>> {
        let ctx = self.ctx(sess)?;
        Ok(self
            .all::<UnitKey>(Kind::UnitKey)?
            .into_iter()
            .map(|(k, _)| k)
            .filter(|k| k.unit == ctx.unit)
            .collect())
    }

    fn unit_uniques(u: &Unit) -> Vec<UniqueKey> {
        vec![UniqueKey::new("unit.code", u.credit_code.clone())]
    }

    /// Sets the main UKey (1.2.1.1); it joins the whitelist.
    pub fn set_main_key(&self, sess: &Session, key_id: &str) -> Result<()> {
        self.run(sess, Action::SetMainKey, key_id, |ctx| {
            let (k, _): (UnitKey, u64) = self.get(Kind::UnitKey, key_id)?;
            if k.unit != ctx.unit {
                return Err(PlatformError::NotFound(format!("unit key {key_id}")));
            }
            self.modify(Kind::Unit, &ctx.unit, Self::unit_uniques, |u: &mut Unit| {
                u.main_key = Some(k.id.clone());
                if !u.whitelist.contains(&k.device_id) {
                    u.whitelist.push(k.device_id.clone());
                }
                Ok(true)
            })
        })
    }

    /// Adds a device id (通用实体唯一标识) to the whitelist (2.4.7).
    pub fn whitelist_add(&self, sess: &Session, device_id: &str) -> Result<()> {
        self.run(sess, Action::ManageKeyWhitelist, device_id, |ctx| {
            let d = validate::check_text("device id", device_id, 128)?;
            self.modify(Kind::Unit, &ctx.unit, Self::unit_uniques, |u: &mut Unit| {
                if u.whitelist.contains(&d) {
                    return Ok(false);
                }
                u.whitelist.push(d.clone());
                Ok(true)
            })
        })
    }

    /// Removes a device id from the whitelist; the main key's device stays.
    pub fn whitelist_remove(&self, sess: &Session, device_id: &str) -> Result<()> {
        self.run(sess, Action::ManageKeyWhitelist, device_id, |ctx| {
            let main_dev = match self.get::<Unit>(Kind::Unit, &ctx.unit)?.0.main_key {
                Some(m) => Some(self.get::<UnitKey>(Kind::UnitKey, &m)?.0.device_id),
                None => None,
            };
            if main_dev.as_deref() == Some(device_id) {
                return Err(state("the main UKey cannot leave the whitelist"));
            }
            self.modify(Kind::Unit, &ctx.unit, Self::unit_uniques, |u: &mut Unit| {
                let n = u.whitelist.len();
                u.whitelist.retain(|d| d != device_id);
                Ok(u.whitelist.len() != n)
            })
        })
    }

    /// Server certificate application (1.2.1.2).
    pub fn apply_unit_cert(
        &self,
        sess: &Session,
        handler_name: &str,
        id_number: &str,
        phone: &str,
        email: &str,
        agreement_accepted: bool,
    ) -> Result<()> {
        self.run(sess, Action::ApplyUnitCert, "unit certificate", |ctx| {
            let name = validate::check_text("handler name", handler_name, 50)?;
            let idn = validate::check_id_number(id_number)?;
            validate::check_phone(phone)?;
            validate::check_email(email)?;
            if !agreement_accepted {
                return Err(PlatformError::InvalidInput(
                    "the subscriber agreement must be accepted".into(),
                ));
            }
            let app = CertApplication {
                handler_name: name,
                handler_id_number: idn,
                handler_phone: phone.to_owned(),
                handler_email: email.to_owned(),
                agreement_accepted,
                applied: self.clock.now(),
            };
            self.modify(Kind::Unit, &ctx.unit, Self::unit_uniques, |u: &mut Unit| {
                u.cert_application = Some(app.clone());
                Ok(true)
            })
        })
    }

    /// The unit's certificate application (2.1.1.2).
    pub fn unit_cert_application(&self, sess: &Session) -> Result<Option<CertApplication>> {
        self.run(sess, Action::ViewUnitCert, "unit certificate", |ctx| {
            Ok(self.get::<Unit>(Kind::Unit, &ctx.unit)?.0.cert_application)
        })
    }

    /// 设置头像 (2.1.1.1, 2.1.2.1): a reference to the stored, cropped picture.
    pub fn set_avatar(&self, sess: &Session, picture_ref: &str) -> Result<()> {
        self.run(sess, Action::SetOwnAvatar, picture_ref, |ctx| {
            let r = validate::check_text("avatar", picture_ref, 500)?;
            match ctx.identity {
                Identity::UnitKey { .. } => {
                    self.modify(Kind::Unit, &ctx.unit, Self::unit_uniques, |u: &mut Unit| {
                        u.avatar = Some(r.clone());
                        Ok(true)
                    })
                }
                _ => self.modify(Kind::Staff, &ctx.id, uniques_staff, |s: &mut Staff| {
                    s.avatar = Some(r.clone());
                    Ok(true)
                }),
            }
        })
    }
}
