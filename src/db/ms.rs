//! The MS list (`ms_index`), newest observation first on the `mid_mjd` index.

use sqlx::sqlite::SqliteRow;

use crate::db::filter::{FieldKind, FieldSpec, field};
use crate::db::keyset::ValueKind;
use crate::db::list::{SortSpec, TableList, row_cursor, select_list, sort};
use crate::db::sql::{self, Bind, SqlBuf};
use crate::db::{Db, DbError};
use crate::query::ListQuery;
use crate::snapshot::{MsRow, Page};

const SORTS: &[SortSpec] = &[
    sort("mjd", "mid_mjd", ValueKind::Real),
    sort("processed", "processed_at", ValueKind::Real),
    sort("stage_updated", "stage_updated_at", ValueKind::Real),
    sort("path", "path", ValueKind::Text),
    sort("status", "status", ValueKind::Text),
    sort("stage", "stage", ValueKind::Text),
];

const FIELDS: &[FieldSpec] = &[
    field("path", "path", FieldKind::Text),
    field("group", "group_id", FieldKind::Text),
    field("status", "status", FieldKind::Text),
    field("stage", "stage", FieldKind::Text),
    field("field", "field_name", FieldKind::Text),
    field("cal", "cal_applied", FieldKind::Flag),
    field("processed", "processed_at", FieldKind::Time),
];

pub const COLUMNS: &[&str] = &[
    "path",
    "group_id",
    "status",
    "stage",
    "cal_applied",
    "field_name",
    "pointing_ra_deg",
    "pointing_dec_deg",
    "mid_mjd",
    "processed_at",
    "stage_updated_at",
];

pub const LIST: TableList = TableList {
    table: "ms_index",
    key: "path",
    key_kind: ValueKind::Text,
    sorts: SORTS,
    sort_names: &[
        "mjd",
        "processed",
        "stage_updated",
        "path",
        "status",
        "stage",
    ],
    fields: FIELDS,
    field_names: &[
        "path",
        "group",
        "status",
        "stage",
        "field",
        "cal",
        "processed",
    ],
    free_columns: &["path", "group_id", "status", "stage", "field_name"],
    columns: COLUMNS,
};

pub fn ms_row(row: &SqliteRow) -> MsRow {
    MsRow {
        path: sql::text(row, "path").unwrap_or_default(),
        group_id: sql::text(row, "group_id"),
        status: sql::text(row, "status"),
        stage: sql::text(row, "stage"),
        cal_applied: sql::flag(row, "cal_applied"),
        field_name: sql::text(row, "field_name"),
        pointing_ra_deg: sql::real(row, "pointing_ra_deg"),
        pointing_dec_deg: sql::real(row, "pointing_dec_deg"),
        mid_mjd: sql::real(row, "mid_mjd"),
        processed_at: sql::real(row, "processed_at"),
        stage_updated_at: sql::real(row, "stage_updated_at"),
    }
}

impl Db {
    /// One page of Measurement Sets (default: newest observation first).
    pub(crate) async fn ms_list_now(&self, q: &ListQuery) -> Result<Page<MsRow>, DbError> {
        let schema = self.schema();
        let queries = LIST.page_queries(&schema, q)?;
        let kind = crate::db::list::resolve_sort(SORTS, LIST.sort_names, q)?
            .0
            .kind;
        let (rows, has_more) = self.fetch_page("ms_index", queries, q.limit).await?;
        Ok(Page {
            next: has_more
                .then(|| rows.last().map(|r| row_cursor(r, kind)))
                .flatten(),
            rows: rows.iter().map(ms_row).collect(),
            has_more,
            total: None,
        })
    }

    /// The `ms_index` row of one MS.
    pub(crate) async fn ms_row(&self, ms_path: &str) -> Result<Option<MsRow>, DbError> {
        let schema = self.schema();
        if !schema.has_table("ms_index") {
            return Ok(None);
        }
        let sql = SqlBuf::with(
            format!(
                "SELECT {} FROM ms_index WHERE path = ?",
                select_list(&schema, "ms_index", "", COLUMNS)
            ),
            vec![Bind::Text(ms_path.to_string())],
        );
        Ok(self.fetch("ms row", sql).await?.first().map(ms_row))
    }
}
