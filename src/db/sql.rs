//! Building SQL text with bound parameters, and reading rows tolerantly.
//!
//! Values from the operator are only ever bound (`?`); the text holds nothing but names from
//! our own whitelists. Reading is tolerant because SQLite stores whatever it is given: a REAL
//! column may hold an integer or text in a drifted file, and that must not fail a page.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::query::SqlValue;

/// A value to bind to a `?`.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Int(i64),
    Real(f64),
    Text(String),
}

impl Bind {
    pub fn from_value(value: &SqlValue) -> Option<Bind> {
        match value {
            SqlValue::Null => None,
            SqlValue::Int(i) => Some(Bind::Int(*i)),
            SqlValue::Real(r) => Some(Bind::Real(*r)),
            SqlValue::Text(t) => Some(Bind::Text(t.clone())),
        }
    }
}

/// A fragment of SQL and the values its `?`s take, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqlBuf {
    pub text: String,
    pub binds: Vec<Bind>,
}

impl SqlBuf {
    pub fn new(text: impl Into<String>) -> SqlBuf {
        SqlBuf {
            text: text.into(),
            binds: Vec::new(),
        }
    }

    pub fn with(text: impl Into<String>, binds: Vec<Bind>) -> SqlBuf {
        SqlBuf {
            text: text.into(),
            binds,
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    pub fn push_buf(&mut self, other: SqlBuf) -> &mut Self {
        self.text.push_str(&other.text);
        self.binds.extend(other.binds);
        self
    }

    pub fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        self
    }
}

/// Conditions joined with AND; empty means "true".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conditions(pub Vec<SqlBuf>);

impl Conditions {
    pub fn add(&mut self, cond: SqlBuf) {
        self.0.push(cond);
    }

    /// ` WHERE a AND b` (with a leading space), or nothing.
    pub fn where_clause(&self) -> SqlBuf {
        let mut out = SqlBuf::default();
        for (i, cond) in self.0.iter().enumerate() {
            out.push(if i == 0 { " WHERE (" } else { " AND (" });
            out.push_buf(cond.clone());
            out.push(")");
        }
        out
    }
}

/// A LIKE pattern matching `needle` anywhere, with `%`, `_` and the escape itself escaped
/// (use with `ESCAPE '\'`).
pub fn like_contains(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// `IFNULL(expr,'') LIKE ? ESCAPE '\'`: a NULL column is the empty string, so a negated
/// match (`NOT (...)`) keeps rows where the column is NULL instead of dropping them.
pub fn like_condition(expr: &str, needle: &str) -> SqlBuf {
    SqlBuf::with(
        format!("IFNULL({expr},'') LIKE ? ESCAPE '\\'"),
        vec![Bind::Text(like_contains(needle))],
    )
}

/// `expr IN (?, ?, …)` for a non-empty list of texts.
pub fn in_list(expr: &str, values: &[&str]) -> SqlBuf {
    let marks = vec!["?"; values.len()].join(",");
    SqlBuf::with(
        format!("{expr} IN ({marks})"),
        values.iter().map(|v| Bind::Text(v.to_string())).collect(),
    )
}

pub fn negate(cond: SqlBuf) -> SqlBuf {
    SqlBuf::with(format!("NOT ({})", cond.text), cond.binds)
}

/// Any of the conditions (OR); `None` when there are none.
pub fn any_of(conds: Vec<SqlBuf>) -> Option<SqlBuf> {
    if conds.is_empty() {
        return None;
    }
    let mut out = SqlBuf::default();
    for (i, cond) in conds.into_iter().enumerate() {
        if i > 0 {
            out.push(" OR ");
        }
        out.push("(").push_buf(cond).push(")");
    }
    Some(out)
}

/// `COALESCE` of the expressions that exist (not `NULL`); `NULL` when none does.
pub fn coalesce(exprs: &[String]) -> String {
    let set: Vec<&str> = exprs
        .iter()
        .map(String::as_str)
        .filter(|e| *e != "NULL")
        .collect();
    match set.as_slice() {
        [] => "NULL".to_string(),
        [one] => one.to_string(),
        many => format!("COALESCE({})", many.join(", ")),
    }
}

/// A text column (numbers are shown as text rather than failing the row).
pub fn text(row: &SqliteRow, name: &str) -> Option<String> {
    if let Ok(v) = row.try_get::<Option<String>, _>(name) {
        return v;
    }
    if let Ok(v) = row.try_get::<Option<i64>, _>(name) {
        return v.map(|i| i.to_string());
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(name) {
        return v.map(|f| f.to_string());
    }
    row.try_get::<Option<Vec<u8>>, _>(name)
        .ok()
        .flatten()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// A real column; integers widen, numeric text parses, anything else is `None`.
pub fn real(row: &SqliteRow, name: &str) -> Option<f64> {
    if let Ok(v) = row.try_get::<Option<f64>, _>(name) {
        return v;
    }
    if let Ok(v) = row.try_get::<Option<i64>, _>(name) {
        return v.map(|i| i as f64);
    }
    row.try_get::<Option<String>, _>(name)
        .ok()
        .flatten()
        .and_then(|s| s.trim().parse().ok())
}

/// An integer column; whole reals narrow, numeric text parses, anything else is `None`.
pub fn int(row: &SqliteRow, name: &str) -> Option<i64> {
    if let Ok(v) = row.try_get::<Option<i64>, _>(name) {
        return v;
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(name) {
        return v
            .filter(|f| f.fract() == 0.0 && f.is_finite())
            .map(|f| f as i64);
    }
    row.try_get::<Option<String>, _>(name)
        .ok()
        .flatten()
        .and_then(|s| s.trim().parse().ok())
}

/// A 0/1 column as a boolean.
pub fn flag(row: &SqliteRow, name: &str) -> Option<bool> {
    int(row, name).map(|v| v != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_contains("5min"), "%5min%");
        assert_eq!(like_contains("a_b%c\\"), "%a\\_b\\%c\\\\%");
    }

    #[test]
    fn conditions_join_with_and_keeping_bind_order() {
        let mut c = Conditions::default();
        c.add(like_condition("path", "x"));
        c.add(negate(in_list("status", &["a", "b"])));
        let w = c.where_clause();
        assert_eq!(
            w.text,
            " WHERE (IFNULL(path,'') LIKE ? ESCAPE '\\') AND (NOT (status IN (?,?)))"
        );
        assert_eq!(
            w.binds,
            vec![
                Bind::Text("%x%".into()),
                Bind::Text("a".into()),
                Bind::Text("b".into())
            ]
        );
    }

    #[test]
    fn no_conditions_no_where() {
        assert_eq!(Conditions::default().where_clause().text, "");
        assert_eq!(any_of(vec![]), None);
    }
}
