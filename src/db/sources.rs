//! The Sources list: per-source aggregates of `photometry`, kept in memory and grown
//! incrementally.
//!
//! `photometry` is the big table (tens of millions of rows after a year), so the monitor never
//! runs the API's `GROUP BY source_id` per poll. [`SourceAggregate`] remembers the last
//! photometry id it folded in; each [`Db::refresh_sources`] reads only newer rows, in id order
//! and bounded chunks, so a first load proceeds over several polls ([`SourceAggregate::progress`])
//! and later polls read only what the pipeline added. Where `source_id` is indexed (the
//! pipeline's schema) the first load is one read of that index instead, preceded on a large
//! table by a preview of the newest rows so the list fills at once. `variability_stats` and the names in
//! `sources` are followed the same way, by rowid and `updated_at` ([`crate::db::side_tables`]),
//! and read whole only now and then. A revision number moves whenever anything the list shows
//! changed, so a poll that found nothing new can reuse the page it built last time.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use sqlx::sqlite::SqliteRow;

use crate::db::Db;
use crate::db::error::DbError;
use crate::db::filter::check_fields;
use crate::db::schema::Schema;
use crate::db::side_tables::{SideRead, SideSync, SideTable};
use crate::db::sql::{self, Bind, SqlBuf};
use crate::query::{Cursor, ListQuery, SqlValue};
use crate::snapshot::{Page, SourceRow, Variability};

pub const SORT_NAMES: &[&str] = &["latest", "id", "detections", "flux", "chi2"];
pub const FIELD_NAMES: &[&str] = &["id", "name"];
const FREE_FIELDS: &[&str] = &["id", "name"];

/// Photometry rows folded in per `refresh_sources` call.
pub const DEFAULT_CHUNK_ROWS: i64 = 200_000;
/// Rows per statement within a call: keeps each read transaction and the memory short.
const STATEMENT_ROWS: i64 = 20_000;
/// Above this many photometry rows the first load from the index (about 0.1 s a million
/// rows: 0.92–1.07 s for a year's 10 million) is preceded by a preview of the newest rows, so
/// the list is not empty for seconds.
pub const PREVIEW_ABOVE_ROWS: i64 = 1_000_000;
/// The preview folds in this many of the newest rows (at a year the preview's refresh, with
/// the first whole read of the side tables, took 0.22–0.30 s).
pub const PREVIEW_ROWS: i64 = 20_000;
/// Rows read from the small side tables (`sources`, `variability_stats`) at most.
const SIDE_TABLE_ROWS: i64 = 500_000;

/// One photometry measurement as the aggregate needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotometryPoint {
    pub id: i64,
    pub source_id: Option<String>,
    pub mjd: Option<f64>,
    /// `flux_jy`, falling back to `peak_flux_jy`.
    pub flux_jy: Option<f64>,
    pub ra_deg: Option<f64>,
    pub dec_deg: Option<f64>,
    pub nvss_flux_mjy: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Agg {
    count: i64,
    latest_mjd: Option<f64>,
    latest_flux: Option<f64>,
    ra_deg: Option<f64>,
    dec_deg: Option<f64>,
    nvss_flux_mjy: Option<f64>,
}

impl Agg {
    fn fold(&mut self, p: &PhotometryPoint) {
        self.count += 1;
        let newer = match (p.mjd, self.latest_mjd) {
            (Some(m), Some(latest)) => m >= latest,
            (Some(_), None) => true,
            (None, _) => self.latest_mjd.is_none(),
        };
        if newer {
            if p.mjd.is_some() {
                self.latest_mjd = p.mjd;
            }
            if p.flux_jy.is_some() {
                self.latest_flux = p.flux_jy;
            }
            if p.ra_deg.is_some() && p.dec_deg.is_some() {
                self.ra_deg = p.ra_deg;
                self.dec_deg = p.dec_deg;
            }
        }
        if self.ra_deg.is_none() && p.ra_deg.is_some() {
            self.ra_deg = p.ra_deg;
            self.dec_deg = p.dec_deg;
        }
        if p.nvss_flux_mjy.is_some() {
            self.nvss_flux_mjy = p.nvss_flux_mjy;
        }
    }
}

/// How far the first load has come.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SourceProgress {
    /// Photometry rows up to this id are folded in.
    pub loaded_up_to_id: i64,
    /// The newest photometry id at the last refresh.
    pub max_id: Option<i64>,
    pub sources: usize,
}

impl SourceProgress {
    pub fn is_complete(&self) -> bool {
        self.max_id.is_none_or(|max| self.loaded_up_to_id >= max)
    }

    /// 0..=1 by ids (rows are added in id order, so ids track rows closely).
    pub fn fraction(&self) -> f64 {
        match self.max_id {
            Some(max) if max > 0 => (self.loaded_up_to_id as f64 / max as f64).clamp(0.0, 1.0),
            _ => 1.0,
        }
    }
}

/// Per-source aggregates of `photometry`, grown incrementally by [`Db::refresh_sources`].
#[derive(Debug, Clone)]
pub struct SourceAggregate {
    aggs: HashMap<String, Agg>,
    last_photometry_id: i64,
    max_photometry_id: Option<i64>,
    variability: HashMap<String, VariabilityRow>,
    names: HashMap<String, String>,
    variability_sync: SideSync,
    names_sync: SideSync,
    chunk_rows: i64,
    preview_above: i64,
    preview_rows: i64,
    /// The newest rows were folded in ahead of the first load (their counts are partial).
    previewed: bool,
    /// Moves whenever rows, variability or names change.
    revision: u64,
}

impl Default for SourceAggregate {
    fn default() -> Self {
        SourceAggregate::with_chunk(DEFAULT_CHUNK_ROWS)
    }
}

/// One `variability_stats` row: the figures plus the position and NVSS flux it carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariabilityRow {
    pub figures: Variability,
    pub ra_deg: Option<f64>,
    pub dec_deg: Option<f64>,
    pub nvss_flux_mjy: Option<f64>,
}

impl SourceAggregate {
    pub fn new() -> Self {
        SourceAggregate::default()
    }

    /// An aggregate that folds in at most `rows` photometry rows per refresh.
    pub fn with_chunk(rows: i64) -> Self {
        SourceAggregate {
            aggs: HashMap::new(),
            last_photometry_id: 0,
            max_photometry_id: None,
            variability: HashMap::new(),
            names: HashMap::new(),
            variability_sync: SideSync::default(),
            names_sync: SideSync::default(),
            chunk_rows: rows.max(1),
            preview_above: PREVIEW_ABOVE_ROWS,
            preview_rows: PREVIEW_ROWS,
            previewed: false,
            revision: 0,
        }
    }

    /// Preview the newest `rows` rows first when the table holds more than `above` rows.
    pub fn with_preview(mut self, above: i64, rows: i64) -> Self {
        self.preview_above = above;
        self.preview_rows = rows.max(1);
        self
    }

    /// Changes whenever what the list shows may have changed (equal revisions, equal pages).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn last_photometry_id(&self) -> i64 {
        self.last_photometry_id
    }

    pub fn len(&self) -> usize {
        self.aggs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.aggs.is_empty()
    }

    pub fn progress(&self) -> SourceProgress {
        SourceProgress {
            loaded_up_to_id: self.last_photometry_id,
            max_id: self.max_photometry_id,
            sources: self.aggs.len(),
        }
    }

    /// Fold in photometry rows (in id order). Rows without a source id count for progress
    /// only.
    pub fn apply<'a>(&mut self, points: impl IntoIterator<Item = &'a PhotometryPoint>) {
        for p in points {
            self.revision += 1;
            self.last_photometry_id = self.last_photometry_id.max(p.id);
            let Some(id) = p.source_id.as_deref().filter(|s| !s.is_empty()) else {
                continue;
            };
            match self.aggs.get_mut(id) {
                Some(agg) => agg.fold(p),
                None => {
                    let mut agg = Agg::default();
                    agg.fold(p);
                    self.aggs.insert(id.to_string(), agg);
                }
            }
        }
    }

    /// Fold in the newest rows ahead of the first load, leaving the progress at the start:
    /// the counts are partial until [`SourceAggregate::load_totals`] replaces them.
    fn apply_preview(&mut self, points: &[PhotometryPoint]) {
        let up_to = self.last_photometry_id;
        self.apply(points);
        self.last_photometry_id = up_to;
        self.previewed = true;
    }

    /// Start from per-source totals already aggregated up to photometry id `up_to` (the first
    /// load from the `source_id` index); rows above it are folded in later.
    fn load_totals(&mut self, totals: HashMap<String, Agg>, up_to: i64) {
        self.aggs = totals;
        self.last_photometry_id = up_to;
        self.revision += 1;
    }

    fn reset(&mut self) {
        let chunk = self.chunk_rows;
        // A reset changes the list: the revision goes on rather than back to zero.
        let revision = self.revision + 1;
        *self =
            SourceAggregate::with_chunk(chunk).with_preview(self.preview_above, self.preview_rows);
        self.revision = revision;
    }

    /// The list row of one source.
    pub fn row(&self, id: &str) -> Option<SourceRow> {
        self.aggs
            .get_key_value(id)
            .map(|(k, a)| self.build_row(k, a))
    }

    fn build_row(&self, id: &str, agg: &Agg) -> SourceRow {
        let var = self.variability.get(id);
        SourceRow {
            id: id.to_string(),
            name: self.names.get(id).cloned(),
            ra_deg: agg.ra_deg.or(var.and_then(|v| v.ra_deg)),
            dec_deg: agg.dec_deg.or(var.and_then(|v| v.dec_deg)),
            detections: agg.count,
            latest_flux_jy: agg.latest_flux,
            latest_mjd: agg.latest_mjd,
            nvss_flux_mjy: agg.nvss_flux_mjy.or(var.and_then(|v| v.nvss_flux_mjy)),
            variability: var.map(|v| v.figures.clone()),
        }
    }

    fn sort_value(&self, column: &str, id: &str, agg: &Agg) -> SortVal {
        match column {
            "id" => SortVal::Text(id.to_string()),
            "detections" => SortVal::Num(agg.count as f64),
            "flux" => agg.latest_flux.map_or(SortVal::None, SortVal::Num),
            "chi2" => self
                .variability
                .get(id)
                .and_then(|v| v.figures.chi2_nu)
                .map_or(SortVal::None, SortVal::Num),
            _ => agg.latest_mjd.map_or(SortVal::None, SortVal::Num),
        }
    }

    /// One page, filtered and sorted in memory (default: newest detection first).
    pub fn page(&self, q: &ListQuery) -> Result<Page<SourceRow>, DbError> {
        check_fields(&q.filter, FIELD_NAMES)?;
        let (column, descending) = match &q.sort {
            None => ("latest", true),
            Some(s) => (
                SORT_NAMES
                    .iter()
                    .copied()
                    .find(|n| n.eq_ignore_ascii_case(&s.column))
                    .ok_or_else(|| DbError::UnknownSort {
                        column: s.column.clone(),
                        known: SORT_NAMES,
                    })?,
                s.descending,
            ),
        };
        let mut matching: Vec<(SortVal, &str, &Agg)> = self
            .aggs
            .iter()
            .filter(|(id, _)| {
                q.filter.is_empty()
                    || q.filter.matches(
                        |f| match f {
                            "id" => Some(id.to_string()),
                            "name" => self.names.get(id.as_str()).cloned(),
                            _ => None,
                        },
                        FREE_FIELDS,
                    )
            })
            .map(|(id, agg)| (self.sort_value(column, id, agg), id.as_str(), agg))
            .collect();
        let order = |a: (&SortVal, &str), b: (&SortVal, &str)| {
            let ord = cmp_desc(a, b);
            if descending { ord } else { ord.reverse() }
        };
        matching.sort_by(|a, b| order((&a.0, a.1), (&b.0, b.1)));
        let start = match &q.after {
            None => 0,
            Some(c) => {
                let cv = SortVal::from_cursor(&c.value);
                matching.partition_point(|(v, id, _)| {
                    order((v, id), (&cv, c.key.as_str())) != Ordering::Greater
                })
            }
        };
        let limit = crate::db::page_limit(q.limit);
        let rest = &matching[start..];
        let rows: Vec<SourceRow> = rest
            .iter()
            .take(limit)
            .map(|(_, id, agg)| self.build_row(id, agg))
            .collect();
        let has_more = rest.len() > limit;
        let next = has_more
            .then(|| {
                rest.get(limit - 1).map(|(v, id, _)| Cursor {
                    value: v.to_cursor(),
                    key: id.to_string(),
                })
            })
            .flatten();
        Ok(Page {
            rows,
            has_more,
            total: Some(matching.len() as u64),
            next,
        })
    }
}

/// A sort value in memory; `None` sorts after every value when descending.
#[derive(Debug, Clone, PartialEq)]
enum SortVal {
    None,
    Num(f64),
    Text(String),
}

impl SortVal {
    fn from_cursor(v: &SqlValue) -> SortVal {
        match v {
            SqlValue::Null => SortVal::None,
            SqlValue::Int(i) => SortVal::Num(*i as f64),
            SqlValue::Real(r) => SortVal::Num(*r),
            SqlValue::Text(t) => SortVal::Text(t.clone()),
        }
    }

    fn to_cursor(&self) -> SqlValue {
        match self {
            SortVal::None => SqlValue::Null,
            SortVal::Num(n) => SqlValue::Real(*n),
            SortVal::Text(t) => SqlValue::Text(t.clone()),
        }
    }
}

fn cmp_desc(a: (&SortVal, &str), b: (&SortVal, &str)) -> Ordering {
    let by_value = match (a.0, b.0) {
        (SortVal::Num(x), SortVal::Num(y)) => y.total_cmp(x),
        (SortVal::Text(x), SortVal::Text(y)) => y.cmp(x),
        (SortVal::None, SortVal::None) => Ordering::Equal,
        (SortVal::None, _) => Ordering::Greater,
        (_, SortVal::None) => Ordering::Less,
        (SortVal::Num(_), SortVal::Text(_)) => Ordering::Less,
        (SortVal::Text(_), SortVal::Num(_)) => Ordering::Greater,
    };
    by_value.then_with(|| b.1.cmp(a.1))
}

/// The `variability_stats` columns, whichever of its two layouts the file has.
pub(crate) fn variability_select(s: &Schema) -> String {
    let c = |col: &str| s.col("variability_stats", "", col);
    let either = |a: &str, b: &str| sql::coalesce(&[c(a), c(b)]);
    [
        (c("source_id"), "source_id"),
        (either("n_obs", "n_epochs"), "n_obs"),
        (c("mean_flux_mjy"), "mean_flux_mjy"),
        (c("std_flux_mjy"), "std_flux_mjy"),
        (c("chi2_nu"), "chi2_nu"),
        (c("sigma_deviation"), "sigma_deviation"),
        (either("eta_metric", "eta"), "eta"),
        (c("v"), "v"),
        (c("ra_deg"), "ra_deg"),
        (c("dec_deg"), "dec_deg"),
        (c("nvss_flux_mjy"), "nvss_flux_mjy"),
    ]
    .iter()
    .map(|(e, a)| format!("{e} AS {a}"))
    .collect::<Vec<_>>()
    .join(", ")
}

pub(crate) fn variability_row(r: &SqliteRow) -> VariabilityRow {
    VariabilityRow {
        figures: Variability {
            n_obs: sql::int(r, "n_obs"),
            mean_flux_mjy: sql::real(r, "mean_flux_mjy"),
            std_flux_mjy: sql::real(r, "std_flux_mjy"),
            chi2_nu: sql::real(r, "chi2_nu"),
            sigma_deviation: sql::real(r, "sigma_deviation"),
            eta: sql::real(r, "eta"),
            v: sql::real(r, "v"),
        },
        ra_deg: sql::real(r, "ra_deg"),
        dec_deg: sql::real(r, "dec_deg"),
        nvss_flux_mjy: sql::real(r, "nvss_flux_mjy"),
    }
}

/// `COALESCE(flux_jy, peak_flux_jy)` with whichever exists.
pub(crate) fn flux_expr(s: &Schema) -> String {
    sql::coalesce(&[
        s.col("photometry", "", "flux_jy"),
        s.col("photometry", "", "peak_flux_jy"),
    ])
}

fn point(r: &SqliteRow) -> PhotometryPoint {
    PhotometryPoint {
        id: sql::int(r, "id").unwrap_or_default(),
        source_id: sql::text(r, "source_id"),
        mjd: sql::real(r, "mjd"),
        flux_jy: sql::real(r, "flux"),
        ra_deg: sql::real(r, "ra_deg"),
        dec_deg: sql::real(r, "dec_deg"),
        nvss_flux_mjy: sql::real(r, "nvss_flux_mjy"),
    }
}

impl Db {
    /// Fold photometry rows newer than the aggregate's last id into it (at most its chunk
    /// per call), and re-read variability figures and names. Without `photometry`, the
    /// `sources` table stands in.
    pub async fn refresh_sources(&self, agg: &mut SourceAggregate) -> Result<(), DbError> {
        match self.refresh_sources_now(agg).await {
            Err(e) if e.is_schema_drift() => {
                self.reload_schema().await?;
                self.refresh_sources_now(agg).await
            }
            other => other,
        }
    }

    async fn refresh_sources_now(&self, agg: &mut SourceAggregate) -> Result<(), DbError> {
        let schema = self.schema();
        if !schema.has_table("photometry") {
            return self.sources_table_fallback(&schema, agg).await;
        }
        let id = if schema.has_column("photometry", "id") {
            "id"
        } else {
            "rowid"
        };
        let max = self
            .scalar(
                "photometry max id",
                SqlBuf::new(format!("SELECT MAX({id}) FROM photometry")),
            )
            .await?;
        if max.unwrap_or(0) < agg.last_photometry_id {
            // Rows vanished: the file was replaced or rebuilt. Start again.
            agg.reset();
        }
        agg.max_photometry_id = max;
        let p = |c: &str| schema.col("photometry", "", c);
        let select = format!(
            "SELECT {id} AS id, {} AS source_id, {} AS mjd, {} AS flux, {} AS ra_deg, \
             {} AS dec_deg, {} AS nvss_flux_mjy FROM photometry WHERE {id} > ? ORDER BY {id} LIMIT ?",
            p("source_id"),
            p("mjd"),
            flux_expr(&schema),
            p("ra_deg"),
            p("dec_deg"),
            p("nvss_flux_mjy"),
        );
        if agg.last_photometry_id == 0
            && let Some(max) = max.filter(|m| *m > 0)
            && p("source_id") != "NULL"
            && self.source_id_is_indexed().await?
        {
            if !agg.previewed && max > agg.preview_above {
                let from = max - agg.preview_rows;
                let points = self
                    .photometry_after("photometry preview", &select, from, agg.preview_rows)
                    .await?;
                agg.apply_preview(&points);
                return self.refresh_side_tables(&schema, agg).await;
            }
            return self.first_load_from_index(&schema, id, max, agg).await;
        }
        let mut budget = agg.chunk_rows;
        while budget > 0 {
            let n = budget.min(STATEMENT_ROWS);
            let points = self
                .photometry_after("photometry chunk", &select, agg.last_photometry_id, n)
                .await?;
            agg.apply(&points);
            budget -= n;
            if (points.len() as i64) < n {
                break;
            }
        }
        self.refresh_side_tables(&schema, agg).await
    }

    /// Up to `n` photometry rows with an id above `after`, in id order (`select` binds both).
    async fn photometry_after(
        &self,
        what: &str,
        select: &str,
        after: i64,
        n: i64,
    ) -> Result<Vec<PhotometryPoint>, DbError> {
        let sql = SqlBuf::with(select.to_string(), vec![Bind::Int(after), Bind::Int(n)]);
        self.fetch_map(what, sql, |r| Some(point(&r))).await
    }

    /// [`Db::refresh_sources`] until the first load is complete, for readers that show the
    /// list once (a snapshot, the benchmark) instead of polling it while it grows.
    pub async fn load_sources(&self, agg: &mut SourceAggregate) -> Result<(), DbError> {
        loop {
            self.refresh_sources(agg).await?;
            if agg.progress().is_complete() {
                return Ok(());
            }
        }
    }

    /// Whether an index of `photometry` leads with `source_id` (the pipeline's schema has one):
    /// then per-source counts come from the index alone.
    async fn source_id_is_indexed(&self) -> Result<bool, DbError> {
        let found = self
            .scalar(
                "photometry source index",
                SqlBuf::new(
                    "SELECT COUNT(*) FROM pragma_index_list('photometry') AS l \
                     JOIN pragma_index_info(l.name) AS i \
                     WHERE i.seqno = 0 AND i.name = 'source_id'",
                ),
            )
            .await?;
        Ok(found.unwrap_or(0) > 0)
    }

    /// The first load in one statement: counts and the newest row id of every source from the
    /// `source_id` index alone, then that one row per source for its latest figures. Reading
    /// every photometry row instead costs seconds per million (a year: ~31 s through sqlx);
    /// this reads the index and one row per source (a year: ~1.5 s). Later refreshes fold in
    /// rows above `max` as usual. "Latest" here is the newest row stored for the source, which
    /// is its newest observation while the pipeline stores measurements in observation order.
    async fn first_load_from_index(
        &self,
        schema: &Schema,
        id: &str,
        max: i64,
        agg: &mut SourceAggregate,
    ) -> Result<(), DbError> {
        let p = |c: &str| schema.col("photometry", "p", c);
        let sql = format!(
            "SELECT g.source_id AS source_id, g.n AS n, {} AS mjd, {} AS flux, {} AS ra_deg, \
             {} AS dec_deg, {} AS nvss_flux_mjy \
             FROM (SELECT source_id, COUNT(*) AS n, MAX({id}) AS newest FROM photometry \
                   WHERE source_id IS NOT NULL AND source_id <> '' AND {id} <= ? GROUP BY source_id) AS g \
             JOIN photometry AS p ON p.{id} = g.newest",
            p("mjd"),
            sql::coalesce(&[p("flux_jy"), p("peak_flux_jy")]),
            p("ra_deg"),
            p("dec_deg"),
            p("nvss_flux_mjy"),
        );
        let totals = self
            .fetch_map(
                "photometry by source",
                SqlBuf::with(sql, vec![Bind::Int(max)]),
                |r| {
                    Some((
                        sql::text(&r, "source_id")?,
                        Agg {
                            count: sql::int(&r, "n").unwrap_or(0),
                            latest_mjd: sql::real(&r, "mjd"),
                            latest_flux: sql::real(&r, "flux"),
                            ra_deg: sql::real(&r, "ra_deg"),
                            dec_deg: sql::real(&r, "dec_deg"),
                            nvss_flux_mjy: sql::real(&r, "nvss_flux_mjy"),
                        },
                    ))
                },
            )
            .await?;
        agg.load_totals(totals, max);
        self.refresh_side_tables(schema, agg).await
    }

    /// Bring `map` up to date with a side table: each row read is merged in as it arrives,
    /// and after a whole read the keys it did not see are dropped. Merging in place (not
    /// building a second map to swap in) keeps a year's 50 000 variability rows from being
    /// held twice: that doubled 12 MB at every whole read. Whether anything changed.
    async fn follow_side_table<V: PartialEq>(
        &self,
        spec: &SideTable<'_>,
        sync: &mut SideSync,
        map: &mut HashMap<String, V>,
        parse: impl Fn(&SqliteRow) -> Option<(String, V)>,
    ) -> Result<bool, DbError> {
        let mut changed = false;
        let read: SideRead<HashSet<String>> = self
            .read_side_table(spec, sync, |r| {
                let (key, value) = parse(r)?;
                if map.get(&key) != Some(&value) {
                    map.insert(key.clone(), value);
                    changed = true;
                }
                Some(key)
            })
            .await?;
        if let SideRead::Whole(seen) = read {
            let before = map.len();
            map.retain(|key, _| seen.contains(key));
            changed |= map.len() != before;
        }
        Ok(changed)
    }

    async fn refresh_side_tables(
        &self,
        schema: &Schema,
        agg: &mut SourceAggregate,
    ) -> Result<(), DbError> {
        if schema.has_column("variability_stats", "source_id") {
            let spec = SideTable {
                table: "variability_stats",
                columns: variability_select(schema),
                keep: "source_id IS NOT NULL",
                updated: schema
                    .has_column("variability_stats", "updated_at")
                    .then_some("updated_at"),
                limit: SIDE_TABLE_ROWS,
            };
            let parse = |r: &SqliteRow| Some((sql::text(r, "source_id")?, variability_row(r)));
            let changed = self
                .follow_side_table(
                    &spec,
                    &mut agg.variability_sync,
                    &mut agg.variability,
                    parse,
                )
                .await?;
            agg.revision += u64::from(changed);
        } else if !agg.variability.is_empty() {
            agg.variability.clear();
            agg.variability_sync.reset();
            agg.revision += 1;
        }
        if schema.has_column("sources", "id") && schema.has_column("sources", "name") {
            let spec = SideTable {
                table: "sources",
                columns: "id, name".into(),
                keep: "name IS NOT NULL",
                updated: None,
                limit: SIDE_TABLE_ROWS,
            };
            let parse = |r: &SqliteRow| Some((sql::text(r, "id")?, sql::text(r, "name")?));
            let changed = self
                .follow_side_table(&spec, &mut agg.names_sync, &mut agg.names, parse)
                .await?;
            agg.revision += u64::from(changed);
        } else if !agg.names.is_empty() {
            agg.names.clear();
            agg.names_sync.reset();
            agg.revision += 1;
        }
        Ok(())
    }

    /// Without `photometry`, the `sources` table's own counts and dates are the list.
    async fn sources_table_fallback(
        &self,
        schema: &Schema,
        agg: &mut SourceAggregate,
    ) -> Result<(), DbError> {
        if !schema.has_column("sources", "id") {
            return Err(DbError::MissingTable("photometry".into()));
        }
        let c = |col: &str| schema.col("sources", "", col);
        let rows = self
            .fetch(
                "sources",
                SqlBuf::with(
                    format!(
                        "SELECT id, {} AS ra_deg, {} AS dec_deg, {} AS n, {} AS last_mjd \
                         FROM sources WHERE id IS NOT NULL LIMIT ?",
                        c("ra_deg"),
                        c("dec_deg"),
                        c("detection_count"),
                        c("last_detected_mjd")
                    ),
                    vec![Bind::Int(SIDE_TABLE_ROWS)],
                ),
            )
            .await?;
        // It followed photometry before (the table went away): start afresh.
        if agg.last_photometry_id != 0 || agg.max_photometry_id.is_some() {
            agg.reset();
        }
        let aggs: HashMap<String, Agg> = rows
            .iter()
            .filter_map(|r| {
                Some((
                    sql::text(r, "id")?,
                    Agg {
                        count: sql::int(r, "n").unwrap_or(0),
                        latest_mjd: sql::real(r, "last_mjd"),
                        ra_deg: sql::real(r, "ra_deg"),
                        dec_deg: sql::real(r, "dec_deg"),
                        ..Agg::default()
                    },
                ))
            })
            .collect();
        if aggs != agg.aggs {
            agg.aggs = aggs;
            agg.revision += 1;
        }
        self.refresh_side_tables(schema, agg).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{Filter, Sort};

    fn pt(id: i64, source: Option<&str>, mjd: f64, flux: f64) -> PhotometryPoint {
        PhotometryPoint {
            id,
            source_id: source.map(str::to_string),
            mjd: Some(mjd),
            flux_jy: Some(flux),
            ra_deg: Some(10.0),
            dec_deg: Some(42.0),
            nvss_flux_mjy: None,
        }
    }

    #[test]
    fn the_newest_measurement_gives_the_latest_flux_whatever_the_row_order() {
        let mut agg = SourceAggregate::new();
        agg.apply(&[
            pt(1, Some("A"), 60_001.0, 1.0),
            pt(2, Some("A"), 60_000.0, 9.0),
        ]);
        let row = agg.row("A").unwrap();
        assert_eq!(
            (row.detections, row.latest_mjd, row.latest_flux_jy),
            (2, Some(60_001.0), Some(1.0))
        );
    }

    #[test]
    fn rows_without_a_source_count_for_progress_only() {
        let mut agg = SourceAggregate::new();
        agg.apply(&[pt(7, None, 60_000.0, 1.0)]);
        assert!(agg.is_empty());
        assert_eq!(agg.last_photometry_id(), 7);
    }

    #[test]
    fn pages_follow_the_cursor_in_either_direction() {
        let mut agg = SourceAggregate::new();
        let points: Vec<_> = (0..10)
            .map(|i| pt(i, Some(&format!("S{i}")), 60_000.0 + (i % 3) as f64, 1.0))
            .collect();
        agg.apply(&points);
        for descending in [true, false] {
            let mut q = ListQuery {
                limit: 3,
                sort: Some(Sort {
                    column: "latest".into(),
                    descending,
                }),
                ..ListQuery::default()
            };
            let mut ids = Vec::new();
            loop {
                let page = agg.page(&q).unwrap();
                ids.extend(page.rows.iter().map(|r| r.id.clone()));
                if !page.has_more {
                    break;
                }
                q.after = page.next;
            }
            let mut unique = ids.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), 10, "{ids:?}");
        }
    }

    #[test]
    fn filters_in_memory_refuse_unknown_fields() {
        let mut agg = SourceAggregate::new();
        agg.apply(&[pt(1, Some("NVSS J123456+420312"), 60_000.0, 1.0)]);
        let q = |f: &str| ListQuery {
            filter: Filter::parse(f),
            ..ListQuery::default()
        };
        assert_eq!(agg.page(&q("j1234")).unwrap().rows.len(), 1);
        assert_eq!(agg.page(&q("!id:j1234")).unwrap().rows.len(), 0);
        assert!(agg.page(&q("flux:3")).is_err());
    }
}
