//! Rows of the pipeline's tables as the demo writes them, and batched inserts.

use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

/// A row of one pipeline table.
pub trait Record {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    fn bind(&self, values: &mut Separated<'_, Sqlite, &'static str>);
}

macro_rules! record {
    ($(#[$meta:meta])* $name:ident => $table:literal { $($field:ident : $ty:ty = $col:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name { $(pub $field: $ty),* }

        impl Record for $name {
            const TABLE: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$($col),*];
            fn bind(&self, values: &mut Separated<'_, Sqlite, &'static str>) {
                $(values.push_bind(self.$field.clone());)*
            }
        }
    };
}

record!(MsIndexRecord => "ms_index" {
    path: String = "path",
    start_mjd: f64 = "start_mjd",
    end_mjd: f64 = "end_mjd",
    mid_mjd: f64 = "mid_mjd",
    processed_at: Option<f64> = "processed_at",
    status: String = "status",
    stage: String = "stage",
    stage_updated_at: f64 = "stage_updated_at",
    cal_applied: i64 = "cal_applied",
    imagename: Option<String> = "imagename",
    field_name: String = "field_name",
    pointing_ra_deg: f64 = "pointing_ra_deg",
    pointing_dec_deg: f64 = "pointing_dec_deg",
    ra_deg: f64 = "ra_deg",
    dec_deg: f64 = "dec_deg",
    group_id: String = "group_id",
    created_at: f64 = "created_at",
});

record!(ImageRecord => "images" {
    path: String = "path",
    ms_path: String = "ms_path",
    created_at: f64 = "created_at",
    kind: String = "type",
    format: String = "format",
    beam_major_arcsec: Option<f64> = "beam_major_arcsec",
    beam_minor_arcsec: Option<f64> = "beam_minor_arcsec",
    beam_pa_deg: Option<f64> = "beam_pa_deg",
    noise_jy: Option<f64> = "noise_jy",
    dynamic_range: Option<f64> = "dynamic_range",
    pbcor: i64 = "pbcor",
    field_name: String = "field_name",
    center_ra_deg: Option<f64> = "center_ra_deg",
    center_dec_deg: Option<f64> = "center_dec_deg",
    imsize_x: i64 = "imsize_x",
    imsize_y: i64 = "imsize_y",
    cellsize_arcsec: f64 = "cellsize_arcsec",
    freq_ghz: f64 = "freq_ghz",
    bandwidth_mhz: f64 = "bandwidth_mhz",
    integration_sec: f64 = "integration_sec",
});

record!(PhotometryRecord => "photometry" {
    source_id: Option<String> = "source_id",
    image_path: String = "image_path",
    ra_deg: f64 = "ra_deg",
    dec_deg: f64 = "dec_deg",
    nvss_flux_mjy: f64 = "nvss_flux_mjy",
    peak_jyb: f64 = "peak_jyb",
    peak_err_jyb: f64 = "peak_err_jyb",
    measured_at: f64 = "measured_at",
    snr: f64 = "snr",
    mjd: f64 = "mjd",
    flux_jy: Option<f64> = "flux_jy",
    flux_err_jy: Option<f64> = "flux_err_jy",
    normalized_flux_jy: Option<f64> = "normalized_flux_jy",
    normalized_flux_err_jy: Option<f64> = "normalized_flux_err_jy",
    mosaic_path: Option<String> = "mosaic_path",
    sep_from_center_deg: f64 = "sep_from_center_deg",
    local_rms: f64 = "local_rms",
    rms_jy: f64 = "rms_jy",
    peak_flux_jy: f64 = "peak_flux_jy",
    quality_flag: String = "quality_flag",
    flags: i64 = "flags",
});

record!(SourceRecord => "sources" {
    id: String = "id",
    name: String = "name",
    ra_deg: f64 = "ra_deg",
    dec_deg: f64 = "dec_deg",
    catalog_match: String = "catalog_match",
    source_type: String = "source_type",
    first_detected_mjd: f64 = "first_detected_mjd",
    last_detected_mjd: f64 = "last_detected_mjd",
    detection_count: i64 = "detection_count",
});

record!(VariabilityRecord => "variability_stats" {
    source_id: String = "source_id",
    ra_deg: f64 = "ra_deg",
    dec_deg: f64 = "dec_deg",
    nvss_flux_mjy: f64 = "nvss_flux_mjy",
    n_obs: i64 = "n_obs",
    mean_flux_mjy: f64 = "mean_flux_mjy",
    std_flux_mjy: f64 = "std_flux_mjy",
    min_flux_mjy: f64 = "min_flux_mjy",
    max_flux_mjy: f64 = "max_flux_mjy",
    chi2_nu: f64 = "chi2_nu",
    sigma_deviation: f64 = "sigma_deviation",
    last_measured_at: f64 = "last_measured_at",
    last_mjd: f64 = "last_mjd",
    updated_at: f64 = "updated_at",
    eta_metric: f64 = "eta_metric",
});

record!(JobRecord => "jobs" {
    id: i64 = "id",
    kind: String = "type",
    status: String = "status",
    ms_path: String = "ms_path",
    params: String = "params",
    logs: String = "logs",
    artifacts: String = "artifacts",
    created_at: f64 = "created_at",
    started_at: Option<f64> = "started_at",
    finished_at: Option<f64> = "finished_at",
});

record!(BatchJobRecord => "batch_jobs" {
    id: i64 = "id",
    kind: String = "type",
    created_at: f64 = "created_at",
    status: String = "status",
    total_items: i64 = "total_items",
    completed_items: i64 = "completed_items",
    failed_items: i64 = "failed_items",
    params: String = "params",
});

record!(BatchItemRecord => "batch_job_items" {
    id: Option<i64> = "id",
    batch_id: i64 = "batch_id",
    ms_path: String = "ms_path",
    job_id: Option<i64> = "job_id",
    status: String = "status",
    error: Option<String> = "error",
    started_at: Option<f64> = "started_at",
    completed_at: Option<f64> = "completed_at",
});

record!(MsStateRecord => "ms_state" {
    ms_path: String = "ms_path",
    current_state: String = "current_state",
    previous_state: Option<String> = "previous_state",
    transition_time: f64 = "transition_time",
    retry_count: i64 = "retry_count",
    error_message: Option<String> = "error_message",
    checkpoint_data: String = "checkpoint_data",
    created_at: f64 = "created_at",
});

record!(CaltableRecord => "caltables" {
    set_name: String = "set_name",
    path: String = "path",
    table_type: String = "table_type",
    order_index: i64 = "order_index",
    cal_field: String = "cal_field",
    refant: String = "refant",
    valid_start_mjd: f64 = "valid_start_mjd",
    valid_end_mjd: f64 = "valid_end_mjd",
    status: String = "status",
    source_ms_path: String = "source_ms_path",
    created_at: f64 = "created_at",
});

record!(CalAppliedRecord => "calibration_applied" {
    ms_path: String = "ms_path",
    caltable_path: String = "caltable_path",
    applied_at: f64 = "applied_at",
    quality: Option<f64> = "quality",
    success: i64 = "success",
    error_message: Option<String> = "error_message",
});

/// The apply order the pipeline gives each caltable type (`database/unified.py`'s default
/// order: delays first, fluxscale last); other types go after, from 80.
pub fn caltable_order_index(table_type: &str) -> i64 {
    match table_type {
        "K" => 10,
        "BA" => 20,
        "BP" => 30,
        "GA" => 40,
        "GP" => 50,
        "2G" => 60,
        "FLUX" => 70,
        _ => 80,
    }
}

/// The pipeline's default reference antenna (`pipeline/config.py`).
pub const DEFAULT_REFANT: &str = "103";

/// How a row meets an existing one with the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// Fail: the seed writes into empty tables.
    Insert,
    /// Replace it: the simulator updates rows in place.
    Replace,
    /// Keep the existing one: rows written once.
    Ignore,
}

/// Rows per statement: well under SQLite's 32 766 bound parameters for every table here.
const ROWS_PER_STATEMENT: usize = 400;

/// Insert `rows` into their table with multi-row statements, on the caller's connection
/// (usually a transaction).
pub async fn insert_all<R: Record>(
    conn: &mut SqliteConnection,
    rows: &[R],
    verb: Verb,
) -> sqlx::Result<()> {
    let head = format!(
        "{} INTO {} ({}) ",
        match verb {
            Verb::Insert => "INSERT",
            Verb::Replace => "INSERT OR REPLACE",
            Verb::Ignore => "INSERT OR IGNORE",
        },
        R::TABLE,
        R::COLUMNS.join(", ")
    );
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut builder: QueryBuilder<Sqlite> = QueryBuilder::new(head.clone());
        builder.push_values(chunk, |mut values, row| row.bind(&mut values));
        builder.build().execute(&mut *conn).await?;
    }
    Ok(())
}
