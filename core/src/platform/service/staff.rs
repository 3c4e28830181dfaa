//! Staff (manual 2.3).
use super::*;

#[derive(Clone, Debug, Default)]
pub struct StaffQuery {
    pub initial: Option<char>,
    pub resigned: Option<bool>,
    /// Name or phone fragment.
    pub text: Option<String>,
}
impl Platform {
    // ---------------------------------------------------------------- staff

    /// Adds a staff member (2.3.1).
    pub fn add_staff(
        &self,
        sess: &Session,
        name: &str,
        phone: &str,
        id_number: &str,
    ) -> Result<Staff> {
        self.run(sess, Action::AddStaff, phone, |ctx| {
            let name = validate::check_text("name", name, 50)?;
            validate::check_phone(phone)?;
            let idn = validate::check_id_number(id_number)?;
            let s = Staff {
                id: new_id()?,
                unit: ctx.unit.clone(),
                initial: validate::name_initial(&name),
                name,
                phone: phone.to_owned(),
                id_number: idn,
                resigned: false,
                removed: false,
                roles: vec![],
                avatar: None,
                created: self.clock.now(),
            };
            self.insert(Kind::Staff, &s.id, &s, &uniques_staff(&s))?;
            Ok(s)
        })
    }

    pub(super) fn unit_staff(&self, ctx: &Ctx, id: &str) -> Result<(Staff, u64)> {
        match self.try_get::<Staff>(Kind::Staff, id)? {
            Some((s, v)) if s.unit == ctx.unit && !s.removed => Ok((s, v)),
            _ => Err(PlatformError::NotFound(format!("staff {id}"))),
        }
    }

    /// Edits name, phone, ID number and resigned status (2.3.2). Unit UKeys are not staff.
    pub fn edit_staff(
        &self,
        sess: &Session,
        id: &str,
        name: &str,
        phone: &str,
        id_number: &str,
        resigned: bool,
    ) -> Result<Staff> {
        self.run(sess, Action::EditStaff, id, |ctx| {
            if self.store.get(Kind::UnitKey, id)?.is_some() {
                return Err(forbidden("unit UKey identities cannot be edited"));
            }
            let (mut s, v) = self.unit_staff(ctx, id)?;
            s.name = validate::check_text("name", name, 50)?;
            s.initial = validate::name_initial(&s.name);
            validate::check_phone(phone)?;
            s.phone = phone.to_owned();
            s.id_number = validate::check_id_number(id_number)?;
            if resigned && !s.resigned {
                s.roles.clear();
            }
            s.resigned = resigned;
            self.put(Kind::Staff, id, v, &s, &uniques_staff(&s))?;
            Ok(s)
        })
    }

    /// Removes a staff member (2.3.3): no login, no roles, no seal-user or confirmer rights.
    pub fn remove_staff(&self, sess: &Session, id: &str) -> Result<()> {
        self.run(sess, Action::RemoveStaff, id, |ctx| {
            let (mut s, v) = self.unit_staff(ctx, id)?;
            s.removed = true;
            s.roles.clear();
            self.put(Kind::Staff, id, v, &s, &uniques_staff(&s))?;
            for (seal, _) in self.all::<Seal>(Kind::Seal)? {
                if seal.unit == ctx.unit
                    && (seal.users.iter().any(|u| u == id) || seal.managers.iter().any(|u| u == id))
                {
                    self.modify(
                        Kind::Seal,
                        &seal.id,
                        |_| vec![],
                        |x: &mut Seal| {
                            x.users.retain(|u| u != id);
                            x.managers.retain(|u| u != id);
                            Ok(true)
                        },
                    )?;
                }
            }
            for (g, _) in self.all::<Grant>(Kind::Grant)? {
                if let ConfirmPolicy::Manual { confirmers, .. } = &g.policy
                    && g.unit == ctx.unit
                    && confirmers.iter().any(|c| c == id)
                {
                    self.modify(
                        Kind::Grant,
                        &g.id,
                        |_| vec![],
                        |x: &mut Grant| {
                            if let ConfirmPolicy::Manual { confirmers, .. } = &mut x.policy {
                                confirmers.retain(|c| c != id);
                            }
                            Ok(true)
                        },
                    )?;
                }
            }
            Ok(())
        })
    }

    /// Lists and searches the unit's staff (2.3.4, 2.3.5), removed staff excluded.
    pub fn search_staff(&self, sess: &Session, q: &StaffQuery) -> Result<Vec<Staff>> {
        self.run(sess, Action::SearchStaff, "staff", |ctx| {
            let mut v: Vec<Staff> = self
                .all::<Staff>(Kind::Staff)?
                .into_iter()
                .map(|(s, _)| s)
                .filter(|s| s.unit == ctx.unit && !s.removed)
                .filter(|s| {
                    q.initial
                        .is_none_or(|c| s.initial == c.to_ascii_uppercase())
                })
                .filter(|s| q.resigned.is_none_or(|r| s.resigned == r))
                .filter(|s| {
                    q.text
                        .as_deref()
                        .is_none_or(|t| s.name.contains(t) || s.phone.contains(t))
                })
                .collect();
            v.sort_by(|a, b| (a.initial, &a.name).cmp(&(b.initial, &b.name)));
            Ok(v)
        })
    }

    pub fn staff(&self, sess: &Session, id: &str) -> Result<Staff> {
        self.run(sess, Action::ViewStaff, id, |ctx| {
            Ok(self.unit_staff(ctx, id)?.0)
        })
    }
}
