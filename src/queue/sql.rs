//! Building SQL with bound parameters: filter terms become `COALESCE(cond, false)` clauses
//! whose values are always `$n` parameters, never spliced into the text.

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{AssertSqlSafe, Postgres};

use crate::query::{Filter, Term};

/// A value bound to a `$n` parameter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
    Float(f64),
}

/// SQL text plus its parameters, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sql {
    pub text: String,
    pub binds: Vec<Bind>,
}

impl Sql {
    /// Register a parameter and return its placeholder.
    pub fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// The query, parameters bound, ready to run.
    pub fn query(&self) -> Query<'_, Postgres, PgArguments> {
        self.binds.iter().fold(
            sqlx::query(AssertSqlSafe(self.text.as_str())),
            |q, b| match b {
                Bind::Text(s) => q.bind(s.as_str()),
                Bind::Int(i) => q.bind(*i),
                Bind::Float(f) => q.bind(*f),
            },
        )
    }

    /// The same query under `EXPLAIN`, for checking plans.
    pub fn explained(&self) -> Sql {
        Sql {
            text: format!("EXPLAIN {}", self.text),
            binds: self.binds.clone(),
        }
    }
}

/// `%value%` for ILIKE, with the pattern's own wildcards escaped.
pub(crate) fn contains_pattern(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('%');
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// One WHERE clause per filter term. `condition(term, sql)` gives the positive condition of a
/// term (binding what it needs); NULL counts as "no match", so `!field:x` keeps rows where
/// the field is NULL, as the in-memory matcher does.
pub(crate) fn filter_clauses(
    filter: &Filter,
    sql: &mut Sql,
    mut condition: impl FnMut(&Term, &mut Sql) -> String,
) -> Vec<String> {
    filter
        .terms
        .iter()
        .map(|term| {
            let cond = condition(term, sql);
            if term.negated {
                format!("NOT COALESCE(({cond}), false)")
            } else {
                format!("COALESCE(({cond}), false)")
            }
        })
        .collect()
}

/// `cond_1 AND cond_2 …`, or `TRUE` when there is none.
pub(crate) fn and_all(clauses: &[String]) -> String {
    if clauses.is_empty() {
        "TRUE".to_string()
    } else {
        clauses.join(" AND ")
    }
}

/// Read a nullable column, treating a column of an unexpected type as a query error.
pub(crate) fn get<'r, T>(row: &'r PgRow, column: &str) -> Result<Option<T>, sqlx::Error>
where
    T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    use sqlx::Row;
    row.try_get::<Option<T>, _>(column)
}

/// A UUID in its canonical text form (the only shape a task id can have), lower-cased.
pub(crate) fn canonical_uuid(text: &str) -> Option<String> {
    let text = text.trim();
    let ok = text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    ok.then(|| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_typed_by_the_operator_match_literally() {
        assert_eq!(contains_pattern("50%_done\\"), "%50\\%\\_done\\\\%");
    }

    #[test]
    fn negated_terms_keep_rows_whose_field_is_null() {
        let filter = Filter::parse("kind:imaging !worker:w1");
        let mut sql = Sql::default();
        let clauses = filter_clauses(&filter, &mut sql, |term, sql| {
            let p = sql.bind(Bind::Text(contains_pattern(&term.value)));
            format!("col ILIKE {p}")
        });
        assert_eq!(
            clauses,
            vec![
                "COALESCE((col ILIKE $1), false)".to_string(),
                "NOT COALESCE((col ILIKE $2), false)".to_string()
            ]
        );
        assert_eq!(
            sql.binds,
            vec![Bind::Text("%imaging%".into()), Bind::Text("%w1%".into())]
        );
    }

    #[test]
    fn only_canonical_uuids_pass() {
        assert_eq!(
            canonical_uuid("0B7F3C1E-8A2D-4F6B-9C3E-1D2A3B4C5D6E").as_deref(),
            Some("0b7f3c1e-8a2d-4f6b-9c3e-1d2a3b4c5d6e")
        );
        assert_eq!(canonical_uuid("1; DROP TABLE x"), None);
        assert_eq!(canonical_uuid("0b7f3c1e8a2d4f6b9c3e1d2a3b4c5d6e"), None);
    }
}
