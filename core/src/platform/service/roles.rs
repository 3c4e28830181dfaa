//! Roles (manual 2.4).

use super::docs::tag;
use super::*;

impl Platform {
    /// Gives a role to an active staff member of the unit (2.4).
    pub fn grant_role(&self, sess: &Session, staff: &str, role: Role) -> Result<()> {
        self.run(sess, Action::ManageRoles, staff, |ctx, tx| {
            if !Role::ASSIGNABLE.contains(&role) {
                return Err(forbidden(format!("{role:?} cannot be given to staff")));
            }
            let (mut s, v) = self.unit_staff(ctx, staff)?;
            if !s.active() {
                return Err(state("only serving staff can be given roles"));
            }
            if !s.roles.contains(&role) {
                s.roles.push(role);
                s.roles.sort();
            }
            tx.update(&s, v)?;
            Ok(())
        })
    }

    /// Takes a role away; the unit UKey super administrator cannot be removed from any role.
    pub fn revoke_role(&self, sess: &Session, member: &str, role: Role) -> Result<()> {
        self.run(sess, Action::ManageRoles, member, |ctx, tx| {
            if let Some((k, _)) = self.load::<UnitKey>(member)?
                && k.unit == ctx.unit
            {
                return Err(forbidden("the unit UKey cannot be removed from a role"));
            }
            let (mut s, v) = self.unit_staff(ctx, member)?;
            s.roles.retain(|r| *r != role);
            tx.update(&s, v)?;
            Ok(())
        })
    }

    /// Members of a role: the unit's UKeys (always) and the serving staff holding it.
    pub fn role_members(&self, sess: &Session, role: Role) -> Result<Vec<String>> {
        self.read(sess, Action::ManageRoles, &format!("{role:?}"), |ctx| {
            let mut v: Vec<String> = self
                .find_all::<UnitKey>(Query::new(Kind::UnitKey).unit(&ctx.unit))?
                .into_iter()
                .filter(|(k, _)| k.super_admin || role == Role::SystemAdmin)
                .map(|(k, _)| k.id)
                .collect();
            let holders = Query::new(Kind::Staff)
                .unit(&ctx.unit)
                .status("active")
                .tag(tag("role", &format!("{role:?}")))
                .order(super::super::store::Order::Name);
            v.extend(
                self.find_all::<Staff>(holders)?
                    .into_iter()
                    .map(|(s, _)| s.id),
            );
            Ok(v)
        })
    }
}
