//! The SQL both stores share: the document query ([`Query`] → `SELECT`) and the audit query,
//! built once with the placeholder style of each database.

use eseal::platform::{AuditQuery, Order, Query};

/// A bound value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    Text(String),
    Int(i64),
}

/// SQL text with its parameters.
pub struct Sql {
    pub text: String,
    pub params: Vec<Param>,
    /// `?1` (SQLite) or `$1` (PostgreSQL).
    dollar: bool,
}

impl Sql {
    pub fn new(dollar: bool) -> Sql {
        Sql {
            text: String::new(),
            params: Vec::new(),
            dollar,
        }
    }

    /// Appends a placeholder for `p`.
    pub fn bind(&mut self, p: Param) -> &mut Self {
        self.params.push(p);
        let n = self.params.len();
        self.text.push_str(&if self.dollar {
            format!("${n}")
        } else {
            format!("?{n}")
        });
        self
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    fn text_param(&mut self, s: &str) -> &mut Self {
        self.bind(Param::Text(s.to_owned()))
    }

    fn int_param(&mut self, v: i64) -> &mut Self {
        self.bind(Param::Int(v))
    }

    fn any_of(&mut self, column: &str, values: &[String]) {
        self.push(" AND ").push(column).push(" IN (");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.text_param(v);
        }
        self.push(")");
    }
}

/// How a database finds a substring (`instr` in SQLite, `strpos` in PostgreSQL): a plain
/// substring test, so `%` and `_` in the user's text are literal.
fn contains(sql: &mut Sql, column: &str, needle: &str) {
    let f = if sql.dollar { "strpos" } else { "instr" };
    sql.push(f).push("(").push(column).push(", ");
    sql.text_param(needle);
    sql.push(") > 0");
}

/// Text ordering by bytes (as the memory store orders).
fn collate(dollar: bool) -> &'static str {
    if dollar { " COLLATE \"C\"" } else { "" }
}

/// Does `q` filter on columns only `docs` has (so a single-tag query must join it to count)?
fn needs_docs(q: &Query) -> bool {
    q.owner.is_some() || q.text.is_some() || q.until_before.is_some() || q.until_from.is_some()
}

/// `FROM … WHERE …` of a document query over `docs d`. A single-tag query runs over `tags t`
/// instead, whose rows carry the document's unit, status, category and time (migration 4),
/// so its filters, order and count use the `tags_filter` index; `docs` is joined only for
/// the page's bodies (`join`) or for filters on columns `tags` does not carry.
fn from_where(q: &Query, sql: &mut Sql, join: bool) {
    let c = if q.tags.len() == 1 {
        if join || needs_docs(q) {
            sql.push(" FROM tags t JOIN docs d ON d.kind = t.kind AND d.id = t.id");
        } else {
            sql.push(" FROM tags t");
        }
        sql.push(" WHERE t.kind = ");
        sql.text_param(q.kind.as_str());
        sql.push(" AND t.tag = ");
        sql.text_param(&q.tags[0]);
        "t"
    } else {
        sql.push(" FROM docs d WHERE d.kind = ");
        sql.text_param(q.kind.as_str());
        if !q.tags.is_empty() {
            sql.push(" AND d.id IN (SELECT id FROM tags WHERE kind = ");
            sql.text_param(q.kind.as_str());
            sql.any_of("tag", &q.tags);
            sql.push(")");
        }
        "d"
    };
    if let Some(u) = &q.unit {
        sql.push(&format!(" AND {c}.unit = "));
        sql.text_param(u);
    }
    if !q.status.is_empty() {
        sql.any_of(&format!("{c}.status"), &q.status);
    }
    if !q.category.is_empty() {
        sql.any_of(&format!("{c}.category"), &q.category);
    }
    if let Some(f) = q.from {
        sql.push(&format!(" AND {c}.time >= "));
        sql.int_param(f);
    }
    if let Some(t) = q.to {
        sql.push(&format!(" AND {c}.time <= "));
        sql.int_param(t);
    }
    if let Some(o) = &q.owner {
        sql.push(" AND d.owner = ");
        sql.text_param(o);
    }
    if let Some(t) = &q.text {
        sql.push(" AND (");
        contains(sql, "d.name", t);
        sql.push(" OR ");
        contains(sql, "d.alt_name", t);
        sql.push(")");
    }
    if let Some(b) = q.until_before {
        sql.push(" AND d.until IS NOT NULL AND d.until < ");
        sql.int_param(b);
    }
    if let Some(f) = q.until_from {
        sql.push(" AND (d.until IS NULL OR d.until >= ");
        sql.int_param(f);
        sql.push(")");
    }
}

/// `SELECT d.id, d.version, d.body …` of one page of `q`.
pub fn select(q: &Query, dollar: bool) -> Sql {
    let mut sql = Sql::new(dollar);
    sql.push("SELECT d.id, d.version, d.body");
    from_where(q, &mut sql, true);
    let c = collate(dollar);
    let single_tag = q.tags.len() == 1;
    match q.order {
        Order::TimeDesc if single_tag => {
            sql.push(&format!(" ORDER BY t.time DESC, t.id{c} DESC"));
        }
        Order::TimeDesc => {
            sql.push(&format!(" ORDER BY d.time DESC, d.id{c} DESC"));
        }
        Order::Name => {
            sql.push(&format!(" ORDER BY d.category{c}, d.name{c}, d.id{c}"));
        }
        Order::Id => {
            sql.push(&format!(" ORDER BY d.id{c}"));
        }
    }
    sql.push(" LIMIT ");
    sql.int_param(i64::from(q.limit.min(eseal::platform::store::MAX_PAGE)));
    sql.push(" OFFSET ");
    sql.int_param(i64::try_from(q.offset).unwrap_or(i64::MAX));
    sql
}

/// The number of matches of `q`. A query on kind, unit, owner and status alone sums the
/// `doc_counts` rows (kept by triggers in the writing transaction, migration 4) instead of
/// counting a million documents; others count the rows their index finds.
pub fn count(q: &Query, dollar: bool) -> Sql {
    let mut sql = Sql::new(dollar);
    let counted = q.tags.is_empty()
        && q.category.is_empty()
        && q.text.is_none()
        && q.from.is_none()
        && q.to.is_none()
        && q.until_before.is_none()
        && q.until_from.is_none();
    if counted {
        sql.push("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM doc_counts WHERE kind = ");
        sql.text_param(q.kind.as_str());
        if let Some(u) = &q.unit {
            sql.push(" AND unit = ");
            sql.text_param(u);
        }
        if let Some(o) = &q.owner {
            sql.push(" AND owner = ");
            sql.text_param(o);
        }
        if !q.status.is_empty() {
            sql.any_of("status", &q.status);
        }
        return sql;
    }
    sql.push("SELECT COUNT(*)");
    from_where(q, &mut sql, false);
    sql
}

/// The columns of an audit row, in the order [`audit_select`] returns them.
pub const AUDIT_COLUMNS: &str =
    "chain, seq, prev, time, actor, actor_name, action, object, outcome, reason, ip, mac";

fn audit_where(q: &AuditQuery, sql: &mut Sql) {
    sql.push(" FROM audit WHERE chain = ");
    sql.text_param(&q.chain);
    if let Some(a) = &q.actor {
        sql.push(" AND (actor = ");
        sql.text_param(a);
        sql.push(" OR ");
        contains(sql, "actor_name", a);
        sql.push(")");
    }
    if let Some(a) = &q.action {
        sql.push(" AND action = ");
        sql.text_param(a);
    }
    if let Some(o) = &q.object {
        sql.push(" AND ");
        contains(sql, "object", o);
    }
    if let Some(f) = q.from {
        sql.push(" AND time >= ");
        sql.int_param(f);
    }
    if let Some(t) = q.to {
        sql.push(" AND time <= ");
        sql.int_param(t);
    }
    if q.only_failures {
        sql.push(" AND outcome <> 'ok'");
    }
}

/// One page of an audit query, newest first.
pub fn audit_select(q: &AuditQuery, dollar: bool) -> Sql {
    let mut sql = Sql::new(dollar);
    sql.push("SELECT ").push(AUDIT_COLUMNS);
    audit_where(q, &mut sql);
    sql.push(" ORDER BY seq DESC LIMIT ");
    sql.int_param(i64::from(q.limit.min(eseal::platform::store::MAX_PAGE)));
    sql.push(" OFFSET ");
    sql.int_param(i64::try_from(q.offset).unwrap_or(i64::MAX));
    sql
}

/// The number of matches of an audit query.
pub fn audit_count(q: &AuditQuery, dollar: bool) -> Sql {
    let mut sql = Sql::new(dollar);
    sql.push("SELECT COUNT(*)");
    audit_where(q, &mut sql);
    sql
}
