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
        self.run(sess, Action::CreateApp, &input.name, |ctx, tx| {
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
            tx.insert(&a)?;
            Ok(a)
        })
    }

    fn unit_app(&self, ctx: &Ctx, id: &str) -> Result<(App, u64)> {
        match self.load::<App>(id)? {
            Some((a, v)) if a.unit == ctx.unit => Ok((a, v)),
            _ => Err(PlatformError::NotFound(format!("app {id}"))),
        }
    }

    /// 修改应用 (2.9.2); a rejected app is resubmitted for review.
    pub fn edit_app(&self, sess: &Session, id: &str, input: &AppInput) -> Result<App> {
        self.run(sess, Action::EditApp, id, |ctx, tx| {
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
            tx.update(&a, v)?;
            Ok(a)
        })
    }

    /// 删除应用 (2.9.4): soft delete, status 已删除 stays visible.
    pub fn delete_app(&self, sess: &Session, id: &str) -> Result<()> {
        self.run(sess, Action::DeleteApp, id, |ctx, tx| {
            let (mut a, v) = self.unit_app(ctx, id)?;
            if a.status == AppStatus::Deleted {
                return Err(state("app is already deleted"));
            }
            a.status = AppStatus::Deleted;
            tx.update(&a, v)?;
            Ok(())
        })
    }

    /// 查看密钥 (2.9.3): (access token, secret), valid apps only.
    pub fn app_secret(&self, sess: &Session, id: &str) -> Result<(String, String)> {
        self.run(sess, Action::ViewAppSecret, id, |ctx, _| {
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
        self.run(sess, Action::ResetAppSecret, id, |ctx, tx| {
            let (mut a, v) = self.unit_app(ctx, id)?;
            if a.status != AppStatus::Valid {
                return Err(state(format!(
                    "app is {:?}; keys are reset for valid apps only",
                    a.status
                )));
            }
            a.access_secret = hex::encode(random_bytes::<32>()?);
            tx.update(&a, v)?;
            Ok(a.access_secret)
        })
    }

    /// Blanks the keys of an app for a viewer who may not see them: the secret always (it is
    /// read with [`Platform::app_secret`], which is audited), the access token unless the
    /// viewer may view the secret (2.9.3: 普通用户只有查看应用的权限).
    fn shown(ctx: &Ctx, mut a: App) -> App {
        a.access_secret.clear();
        if !perm::allowed_any(&ctx.roles, Action::ViewAppSecret) {
            a.access_token.clear();
        }
        a
    }

    /// The unit's apps, newest first (keys blanked, see [`Platform::app_secret`]).
    pub fn list_apps(&self, sess: &Session) -> Result<Vec<App>> {
        self.read(sess, Action::ViewApps, "apps", |ctx| {
            Ok(self
                .find_all::<App>(Query::new(Kind::App).unit(&ctx.unit))?
                .into_iter()
                .map(|(a, _)| Self::shown(ctx, a))
                .collect())
        })
    }

    /// 应用详情 (2.9.6): the app (keys blanked) and the seals granted to it.
    pub fn app_details(&self, sess: &Session, id: &str) -> Result<(App, Vec<SealRecord>)> {
        self.read(sess, Action::ViewAppDetails, id, |ctx| {
            let (a, _) = self.unit_app(ctx, id)?;
            let grants = Query::new(Kind::Grant).owner(id).status("active");
            let mut seals = Vec::new();
            for (g, _) in self.find_all::<Grant>(grants)? {
                if let Some((s, _)) = self.load::<SealRecord>(&g.seal)? {
                    seals.push(self.with_count(s)?);
                }
            }
            Ok((Self::shown(ctx, a), seals))
        })
    }

    /// 审核应用 (2.9.5, back office).
    pub fn review_app(&self, sess: &Session, id: &str, approve: bool, reason: &str) -> Result<App> {
        self.run(sess, Action::ReviewApp, id, |_, tx| {
            let (mut a, v): (App, u64) = self.must(id)?;
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
            tx.update(&a, v)?;
            Ok(a)
        })
    }

    pub(crate) fn app_by_token(&self, token: &str) -> Result<Option<App>> {
        match self.store.find_unique("app.token", token)? {
            Some((Kind::App, id)) => Ok(self.load::<App>(&id)?.map(|x| x.0)),
            _ => Ok(None),
        }
    }

    /// Claims a replay nonce kept until `expires`; false when it was seen before.
    pub(crate) fn claim_nonce(&self, nonce: &str, expires: i64) -> Result<bool> {
        let n = Expiring {
            id: nonce.to_owned(),
            expires,
        };
        match self.apply(|tx| tx.insert(&n)) {
            Ok(()) => Ok(true),
            Err(PlatformError::Duplicate(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Audits one open-API request (in the app's unit chain, or the platform's when the
    /// caller is unknown).
    pub(crate) fn audit_app(
        &self,
        app: &str,
        unit: &str,
        action: &str,
        object: &str,
        r: &std::result::Result<(), String>,
        ip: &str,
    ) -> Result<()> {
        let mut e = self.entry(unit, &format!("app:{app}"), "", action);
        e.object = object.to_owned();
        e.ip = ip.to_owned();
        e.outcome = match r {
            Ok(()) => Outcome::Ok,
            Err(m) => Outcome::Denied(m.clone()),
        };
        self.audit_only(e)
    }
}
