//! The Images list (`images` table), newest first on the `created_at` index.

use sqlx::sqlite::SqliteRow;

use crate::db::filter::{FieldKind, FieldSpec, field};
use crate::db::keyset::ValueKind;
use crate::db::list::{SortSpec, TableList, row_cursor, select_list, sort};
use crate::db::sql::{self, Bind, SqlBuf};
use crate::db::{Db, DbError};
use crate::query::ListQuery;
use crate::snapshot::{ImageRow, Page};

const SORTS: &[SortSpec] = &[
    sort("created", "created_at", ValueKind::Real),
    sort("id", "id", ValueKind::Int),
    sort("type", "type", ValueKind::Text),
    sort("ms", "ms_path", ValueKind::Text),
    sort("noise", "noise_jy", ValueKind::Real),
    sort("path", "path", ValueKind::Text),
];

const FIELDS: &[FieldSpec] = &[
    field("id", "id", FieldKind::Int),
    field("path", "path", FieldKind::Text),
    field("ms", "ms_path", FieldKind::Text),
    field("type", "type", FieldKind::Text),
    field("field", "field_name", FieldKind::Text),
    field("format", "format", FieldKind::Text),
    field("created", "created_at", FieldKind::Time),
];

pub const COLUMNS: &[&str] = &[
    "id",
    "path",
    "ms_path",
    "created_at",
    "type",
    "field_name",
    "beam_major_arcsec",
    "beam_minor_arcsec",
    "beam_pa_deg",
    "noise_jy",
    "dynamic_range",
    "imsize_x",
    "imsize_y",
    "cellsize_arcsec",
    "freq_ghz",
    "center_ra_deg",
    "center_dec_deg",
];

pub const LIST: TableList = TableList {
    table: "images",
    key: "id",
    key_kind: ValueKind::Int,
    sorts: SORTS,
    sort_names: &["created", "id", "type", "ms", "noise", "path"],
    fields: FIELDS,
    field_names: &["id", "path", "ms", "type", "field", "format", "created"],
    free_columns: &["path", "ms_path", "type", "field_name"],
    columns: COLUMNS,
};

/// Most images of one MS a detail pane shows (a run makes a handful).
const IMAGES_PER_MS: i64 = 200;

pub fn image_row(row: &SqliteRow) -> ImageRow {
    ImageRow {
        id: sql::int(row, "id").unwrap_or_default(),
        path: sql::text(row, "path").unwrap_or_default(),
        ms_path: sql::text(row, "ms_path"),
        created_at: sql::real(row, "created_at"),
        kind: sql::text(row, "type"),
        field_name: sql::text(row, "field_name"),
        beam_major_arcsec: sql::real(row, "beam_major_arcsec"),
        beam_minor_arcsec: sql::real(row, "beam_minor_arcsec"),
        beam_pa_deg: sql::real(row, "beam_pa_deg"),
        noise_jy: sql::real(row, "noise_jy"),
        dynamic_range: sql::real(row, "dynamic_range"),
        imsize_x: sql::int(row, "imsize_x"),
        imsize_y: sql::int(row, "imsize_y"),
        cellsize_arcsec: sql::real(row, "cellsize_arcsec"),
        freq_ghz: sql::real(row, "freq_ghz"),
        center_ra_deg: sql::real(row, "center_ra_deg"),
        center_dec_deg: sql::real(row, "center_dec_deg"),
    }
}

impl Db {
    /// One page of images (default: newest `created_at` first).
    pub(crate) async fn images_now(&self, q: &ListQuery) -> Result<Page<ImageRow>, DbError> {
        let schema = self.schema();
        let queries = LIST.page_queries(&schema, q)?;
        let kind = crate::db::list::resolve_sort(SORTS, LIST.sort_names, q)?
            .0
            .kind;
        let (rows, has_more) = self.fetch_page("images", queries, q.limit).await?;
        Ok(Page {
            next: has_more
                .then(|| rows.last().map(|r| row_cursor(r, kind)))
                .flatten(),
            rows: rows.iter().map(image_row).collect(),
            has_more,
            total: None,
        })
    }

    /// One image by id.
    pub(crate) async fn image_now(&self, id: i64) -> Result<Option<ImageRow>, DbError> {
        let schema = self.schema();
        if !schema.has_table("images") {
            return Err(DbError::MissingTable("images".into()));
        }
        let sql = SqlBuf::with(
            format!(
                "SELECT {} FROM images WHERE id = ?",
                select_list(&schema, "images", "", COLUMNS)
            ),
            vec![Bind::Int(id)],
        );
        Ok(self.fetch("image", sql).await?.first().map(image_row))
    }

    /// Images made from one MS, newest first (uses the `ms_path` index).
    pub(crate) async fn images_of_ms(&self, ms_path: &str) -> Result<Vec<ImageRow>, DbError> {
        let schema = self.schema();
        if !schema.has_table("images") || !schema.has_column("images", "ms_path") {
            return Ok(Vec::new());
        }
        let sql = SqlBuf::with(
            format!(
                "SELECT {} FROM images WHERE ms_path = ? ORDER BY {} DESC, id DESC LIMIT ?",
                select_list(&schema, "images", "", COLUMNS),
                schema.col("images", "", "created_at"),
            ),
            vec![Bind::Text(ms_path.to_string()), Bind::Int(IMAGES_PER_MS)],
        );
        Ok(self
            .fetch("images of ms", sql)
            .await?
            .iter()
            .map(image_row)
            .collect())
    }
}
