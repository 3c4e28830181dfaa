//! Roles (manual 2.4).
use super::*;

impl Platform {
    // ---------------------------------------------------------------- roles

    /// Gives a role to an active staff member of the unit (2.4).
    pub fn grant_role(&self, sess: &Session, staff: &str, role: Role) -> Result<()> {
        self.run(sess, Action::ManageRoles, staff, |ctx| {
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
            self.put(Kind::Staff, staff, v, &s, &uniques_staff(&s))?;
            Ok(())
        })
    }

    /// Takes a role away; the unit UKey super administrator cannot be removed from any role.
    pub fn revoke_role(&self, sess: &Session, member: &str, role: Role) -> Result<()> {
        self.run(sess, Action::ManageRoles, member, |ctx| {
            if let Some((k, _)) = self.try_get::<UnitKey>(Kind::UnitKey, member)?
                && k.unit == ctx.unit
            {
                return Err(forbidden("the unit UKey cannot be removed from a role"));
            }
            let (mut s, v) = self.unit_staff(ctx, member)?;
            s.roles.retain(|r| *r != role);
            self.put(Kind::Staff, member, v, &s, &uniques_staff(&s))?;
            Ok(())
        })
    }

    /// Members of a role: the unit's UKeys (always) and the staff holding it.
    pub fn role_members(&self, sess: &Session, role: Role) -> Result<Vec<String>> {
        self.run(sess, Action::ManageRoles, &format!("{role:?}"), |ctx| {
            let mut v: Vec<String> = self
                .all::<UnitKey>(Kind::UnitKey)?
                .into_iter()
                .filter(|(k, _)| k.unit == ctx.unit && (k.super_admin || role == Role::SystemAdmin))
                .map(|(k, _)| k.id)
                .collect();
            v.extend(
                self.all::<Staff>(Kind::Staff)?
                    .into_iter()
                    .filter(|(s, _)| s.unit == ctx.unit && s.active() && s.roles.contains(&role))
                    .map(|(s, _)| s.id),
            );
            Ok(v)
        })
    }
}
