//! `EXPLAIN QUERY PLAN` of the statements a list page runs: how tests (and a curious
//! operator with `--explain`) check that the default pages stay on an index.

use crate::db::sql::{Bind, SqlBuf};
use crate::db::{Db, DbError, images, ms};
use crate::query::ListQuery;
use crate::snapshot::Tab;

impl Db {
    /// The plan lines (`detail` column) of every statement `tab`'s page would run for `q`.
    pub async fn query_plan(&self, tab: Tab, q: &ListQuery) -> Result<Vec<String>, DbError> {
        let schema = self.schema();
        let statements: Vec<SqlBuf> = match tab {
            Tab::Images => images::LIST.page_queries(&schema, q)?,
            Tab::Ms => ms::LIST.page_queries(&schema, q)?,
            Tab::Jobs => self
                .job_queries(q, None)?
                .0
                .into_iter()
                .flat_map(|(_, qs)| qs)
                .collect(),
            Tab::Sources | Tab::Pool => Vec::new(),
        };
        let mut lines = Vec::new();
        for mut statement in statements {
            statement.push(" LIMIT ?");
            statement.bind(Bind::Int(crate::db::page_limit(q.limit) as i64 + 1));
            let explain = SqlBuf::with(
                format!("EXPLAIN QUERY PLAN {}", statement.text),
                statement.binds,
            );
            for row in self.fetch("explain", explain).await? {
                if let Some(detail) = crate::db::sql::text(&row, "detail") {
                    lines.push(detail);
                }
            }
        }
        Ok(lines)
    }
}

/// A plan line that reads a whole table without an index (`SCAN t` alone).
pub fn is_full_scan(line: &str) -> bool {
    line.starts_with("SCAN ") && !line.contains(" USING ")
}
