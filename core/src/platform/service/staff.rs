//! Staff (manual 2.3).

use super::docs::tag;
use super::*;

/// The staff list's filters (2.3.4) and page.
#[derive(Clone, Debug, Default)]
pub struct StaffQuery {
    /// Pinyin initial of the surname (the letter bar).
    pub initial: Option<char>,
    /// 离职状态.
    pub resigned: Option<bool>,
    /// Name or phone fragment.
    pub text: Option<String>,
    /// Page from 1 ([`PAGE_SIZE`] a page); 0 is the first.
    pub page: usize,
}

impl Platform {
    /// Adds a staff member (2.3.1).
    pub fn add_staff(
        &self,
        sess: &Session,
        name: &str,
        phone: &str,
        id_number: &str,
    ) -> Result<Staff> {
        self.run(sess, Action::AddStaff, phone, |ctx, tx| {
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
            tx.insert(&s)?;
            Ok(s)
        })
    }

    /// A staff member of the actor's unit who has not been removed.
    pub(super) fn unit_staff(&self, ctx: &Ctx, id: &str) -> Result<(Staff, u64)> {
        match self.load::<Staff>(id)? {
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
        self.run(sess, Action::EditStaff, id, |ctx, tx| {
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
            tx.update(&s, v)?;
            Ok(s)
        })
    }

    /// Removes a staff member (2.3.3): no login, no roles, no seal-user or confirmer rights —
    /// all in one batch with the removal.
    pub fn remove_staff(&self, sess: &Session, id: &str) -> Result<()> {
        self.run(sess, Action::RemoveStaff, id, |ctx, tx| {
            let (mut s, v) = self.unit_staff(ctx, id)?;
            s.removed = true;
            s.roles.clear();
            tx.update(&s, v)?;
            let seals = Query::new(Kind::Seal)
                .unit(&ctx.unit)
                .tag(tag("user", id))
                .tag(tag("manager", id));
            for (mut seal, sv) in self.find_all::<SealRecord>(seals)? {
                seal.users.retain(|u| u != id);
                seal.managers.retain(|u| u != id);
                tx.update(&seal, sv)?;
            }
            let grants = Query::new(Kind::Grant)
                .unit(&ctx.unit)
                .tag(tag("confirmer", id));
            for (mut g, gv) in self.find_all::<Grant>(grants)? {
                if let ConfirmPolicy::Manual { confirmers, .. } = &mut g.policy {
                    confirmers.retain(|c| c != id);
                }
                tx.update(&g, gv)?;
            }
            Ok(())
        })
    }

    /// Lists and searches the unit's staff (2.3.4, 2.3.5), removed staff excluded, ordered by
    /// surname initial and name, one page.
    pub fn search_staff(&self, sess: &Session, q: &StaffQuery) -> Result<Page<Staff>> {
        self.read(sess, Action::SearchStaff, "staff", |ctx| {
            let mut sq = Query::new(Kind::Staff).unit(&ctx.unit).order(Order::Name);
            sq = match q.resigned {
                None => sq.status("active").status("resigned"),
                Some(true) => sq.status("resigned"),
                Some(false) => sq.status("active"),
            };
            if let Some(c) = q.initial {
                sq = sq.category(&c.to_ascii_uppercase().to_string());
            }
            sq.text = q.text.clone().filter(|t| !t.is_empty());
            self.page(sq, q.page, PAGE_SIZE)
        })
    }

    pub fn staff(&self, sess: &Session, id: &str) -> Result<Staff> {
        self.read(sess, Action::ViewStaff, id, |ctx| {
            Ok(self.unit_staff(ctx, id)?.0)
        })
    }
}

use super::super::store::Order;
