//! The app centre (manual 2.9).
use super::*;

#[derive(Clone, Debug, Default)]
pub struct AppInput {
    pub name: String,
    pub contact: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub public_key_b64: Option<String>,
    pub ip_whitelist: Vec<String>,
}
impl Platform {
    // ---------------------------------------------------------------- apps

    fn check_app_input(&self, i: &AppInput) -> Result<AppInput> {
        let mut o = i.clone();
        o.name = validate::check_text("app name", &i.name, 50)?;
        if let Some(p) = &i.phone {
            validate::check_phone(p)?;
        }
        if let Some(e) = &i.email {
            validate::check_email(e)?;
        }
        if let Some(k) = &i.public_key_b64 {
            crate::platform::openapi::parse_app_public_key(k)?;
        }
        for ip in &i.ip_whitelist {
            ip.trim()
                .parse::<std::net::IpAddr>()
                .map_err(|_| PlatformError::InvalidInput(format!("'{ip}' is not an IP address")))?;
        }
        o.ip_whitelist = i.ip_whitelist.iter().map(|s| s.trim().to_owned()).collect();
        Ok(o)
    }

    /// 新增应用 (2.9.1).
    pub fn create_app(&self, sess: &Session, input: &AppInput) -> Result<App> {
        self.run(sess, Action::CreateApp, &input.name, |ctx| {
            let i = self.check_app_input(input)?;
            let a = App {
                id: new_id()?,
                unit: ctx.unit.clone(),
                name: i.name,
                contact: i.contact,
                phone: i.phone,
                email: i.email,
                public_key_b64: i.public_key_b64,
                ip_whitelist: i.ip_whitelist,
                status: if self.switches()?.app_review {
                    AppStatus::PendingReview
                } else {
                    AppStatus::Valid
                },
                access_token: hex::encode(random_bytes::<16>()?),
                access_secret: hex::encode(random_bytes::<32>()?),
                created: self.clock.now(),
            };
            self.insert(Kind::App, &a.id, &a, &uniques_app(&a))?;
            Ok(a)
        })
    }

    fn unit_app(&self, ctx: &Ctx, id: &str) -> Result<(App, u64)> {
        match self.try_get::<App>(Kind::App, id)? {
            Some((a, v)) if a.unit == ctx.unit => Ok((a, v)),
            _ => Err(PlatformError::NotFound(format!("app {id}"))),
        }
    }

    /// 修改应用 (2.9.2); a rejected app is resubmitted for review.
    pub fn edit_app(&self, sess: &Session, id: &str, input: &AppInput) -> Result<App> {
        self.run(sess, Action::EditApp, id, |ctx| {
            let i = self.check_app_input(input)?;
            let (mut a, v) = self.unit_app(ctx, id)?;
            if a.status == AppStatus::Deleted {
                return Err(state("app is deleted"));
            }
            a.name = i.name;
            a.contact = i.contact;
            a.phone = i.phone;
            a.email = i.email;
            a.public_key_b64 = i.public_key_b64;
            a.ip_whitelist = i.ip_whitelist;
            if matches!(a.status, AppStatus::Rejected { .. }) {
                a.status = AppStatus::PendingReview;
            }
            self.put(Kind::App, id, v, &a, &uniques_app(&a))?;
            Ok(a)
        })
    }

    /// 删除应用 (2.9.4): soft delete, status 已删除 stays visible.
    pub fn delete_app(&self, sess: &Session, id: &str) -> Result<()> {
        self.run(sess, Action::DeleteApp, id, |ctx| {
            let (mut a, v) = self.unit_app(ctx, id)?;
            if a.status == AppStatus::Deleted {
                return Err(state("app is already deleted"));
            }
            a.status = AppStatus::Deleted;
            self.put(Kind::App, id, v, &a, &uniques_app(&a))?;
            Ok(())
        })
    }

    /// 查看密钥 (2.9.3): (access token, secret), valid apps only.
    pub fn app_secret(&self, sess: &Session, id: &str) -> Result<(String, String)> {
        self.run(sess, Action::ViewAppSecret, id, |ctx| {
            let (a, _) = self.unit_app(ctx, id)?;
            if a.status != AppStatus::Valid {
                return Err(state(format!(
                    "app is {:?}; keys are shown for valid apps only",
                    a.status
                )));
            }
            Ok((a.access_token, a.access_secret))
        })
    }

    /// 重置密钥 (2.9.3): a new secret from the CSPRNG.
    pub fn reset_app_secret(&self, sess: &Session, id: &str) -> Result<String> {
        self.run(sess, Action::ResetAppSecret, id, |ctx| {
            let (mut a, v) = self.unit_app(ctx, id)?;
            if a.status != AppStatus::Valid {
                return Err(state(format!(
                    "app is {:?}; keys are reset for valid apps only",
                    a.status
                )));
            }
            a.access_secret = hex::encode(random_bytes::<32>()?);
            self.put(Kind::App, id, v, &a, &uniques_app(&a))?;
            Ok(a.access_secret)
        })
    }

    /// The unit's apps (secrets blanked: they are read with [`Platform::app_secret`]).
    pub fn list_apps(&self, sess: &Session) -> Result<Vec<App>> {
        self.run(sess, Action::ViewApps, "apps", |ctx| {
            Ok(self
                .all::<App>(Kind::App)?
                .into_iter()
                .map(|(mut a, _)| {
                    a.access_secret.clear();
                    a
                })
                .filter(|a| a.unit == ctx.unit)
                .collect())
        })
    }

    /// 应用详情 (2.9.6): the app (secret blanked) and the seals granted to it.
    pub fn app_details(&self, sess: &Session, id: &str) -> Result<(App, Vec<Seal>)> {
        self.run(sess, Action::ViewAppDetails, id, |ctx| {
            let (mut a, _) = self.unit_app(ctx, id)?;
            a.access_secret.clear();
            let seal_ids: Vec<String> = self
                .all::<Grant>(Kind::Grant)?
                .into_iter()
                .filter(|(g, _)| g.app == id)
                .map(|(g, _)| g.seal)
                .collect();
            let seals = self
                .all::<Seal>(Kind::Seal)?
                .into_iter()
                .map(|(s, _)| s)
                .filter(|s| seal_ids.contains(&s.id))
                .collect();
            Ok((a, seals))
        })
    }

    /// 审核应用 (2.9.5, back office).
    pub fn review_app(&self, sess: &Session, id: &str, approve: bool, reason: &str) -> Result<App> {
        self.run(sess, Action::ReviewApp, id, |_| {
            let (mut a, v): (App, u64) = self.get(Kind::App, id)?;
            if a.status != AppStatus::PendingReview {
                return Err(state(format!(
                    "app is {:?}, not waiting for review",
                    a.status
                )));
            }
            a.status = if approve {
                AppStatus::Valid
            } else {
                AppStatus::Rejected {
                    reason: validate::check_text("reason", reason, 200)?,
                }
            };
            self.put(Kind::App, id, v, &a, &uniques_app(&a))?;
            Ok(a)
        })
    }

    pub(crate) fn app_by_token(&self, token: &str) -> Result<Option<App>> {
        match self.store.find_unique("app.token", token)? {
            Some((Kind::App, id)) => Ok(self.try_get::<App>(Kind::App, &id)?.map(|x| x.0)),
            _ => Ok(None),
        }
    }

    pub(crate) fn claim_nonce(&self, nonce: &str) -> Result<bool> {
        match self.store.insert(Kind::Nonce, nonce, "{}", &[]) {
            Ok(()) => Ok(true),
            Err(StoreError::DuplicateId { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn audit_app(
        &self,
        app: &str,
        unit: &str,
        action: &str,
        object: &str,
        r: &std::result::Result<(), String>,
        ip: &str,
    ) -> Result<()> {
        self.audit_anon(unit, &format!("app:{app}"), action, object, r, ip)
    }
}
