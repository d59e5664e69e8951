//! The SQL side of the build: the pipeline schema without its indexes (they are created after
//! the rows, from the same migration), small helper tables in `temp`, and the two big inserts
//! (`images`, `photometry`) that SQLite generates itself by joining those helper tables, so
//! ten million rows never cross the driver.

use sqlx::query_builder::Separated;
use sqlx::{AssertSqlSafe, Sqlite, SqliteConnection};

use crate::demo::rows::{Record, Verb, insert_all};
use crate::demo::schema::PIPELINE_SQL;

use super::mix::RowHash;
use super::plan::{IMAGES_DIR, MsPlan};
use super::sky::{ImagedMs, MEASURE_SQL, Source};

/// The migration split in two: everything but the indexes, and the `CREATE INDEX` statements.
pub fn split_migration() -> (String, Vec<String>) {
    // Comments first: they may hold a ';'.
    let code: String = PIPELINE_SQL
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut tables = String::new();
    let mut indexes = Vec::new();
    for statement in code.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let head = statement.to_ascii_uppercase();
        if head.starts_with("CREATE INDEX") || head.starts_with("CREATE UNIQUE INDEX") {
            indexes.push(statement.to_string());
        } else {
            tables.push_str(statement);
            tables.push_str(";\n");
        }
    }
    (tables, indexes)
}

pub async fn exec(conn: &mut SqliteConnection, sql: &str) -> sqlx::Result<()> {
    sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

/// The helper tables; `temp`, so nothing of them is left in the file.
const HELPER_TABLES: &str = "
CREATE TEMP TABLE g_src (k INTEGER PRIMARY KEY, id TEXT, ra REAL, dec REAL, nvss REAL,
    peak_ratio REAL, var_amp REAL, var_period REAL, var_phase REAL);
CREATE TEMP TABLE g_ims (j INTEGER PRIMARY KEY, ms_path TEXT, gid TEXT, field_name TEXT,
    ra REAL, dec REAL, mid_mjd REAL, images_at REAL, n_img INTEGER, bmaj REAL, bmin REAL,
    bpa REAL, measured_at REAL, n_phot INTEGER, first_phot INTEGER, src_base INTEGER,
    rms REAL, norm REAL);
CREATE TEMP TABLE g_noise (k INTEGER PRIMARY KEY, g REAL);
CREATE TEMP TABLE g_wave (k INTEGER PRIMARY KEY, f REAL);
CREATE TEMP TABLE g_seq (q INTEGER PRIMARY KEY);
CREATE TEMP TABLE g_kind (k INTEGER PRIMARY KEY, type TEXT, suffix TEXT, imsize INTEGER,
    integration REAL, pbcor INTEGER, beam INTEGER);
";

pub const DROP_HELPER_TABLES: &str = "DROP TABLE temp.g_src; DROP TABLE temp.g_ims; \
     DROP TABLE temp.g_noise; DROP TABLE temp.g_wave; DROP TABLE temp.g_seq; DROP TABLE temp.g_kind;";

/// The images WSClean leaves for one MS, in the order they are written: (type, file suffix,
/// size, integration, beam columns filled when the MS has them). The seventh goes to about
/// half the MS, so the table holds exactly `scale.images` rows.
const KINDS: [(&str, &str, i64, f64, bool); 7] = [
    ("pbcor", ".img-image-pbcor.fits", 5040, 309.0, true),
    ("5min", ".5min.img-image.fits", 2048, 300.0, true),
    ("image", ".img-image.fits", 5040, 309.0, true),
    ("residual", ".img-residual.fits", 5040, 309.0, false),
    ("dirty", ".img-dirty.fits", 5040, 309.0, false),
    ("clean", ".img-model.fits", 5040, 309.0, false),
    ("psf", ".img-psf.fits", 5040, 309.0, false),
];

struct SrcRow<'a>(i64, &'a Source);
struct ImsRow<'a>(i64, &'a ImagedMs, &'a MsPlan);
struct Noise(i64, f64);
struct Wave(i64, f64);
struct Seq(i64);
struct KindRow(i64);

impl Record for SrcRow<'_> {
    const TABLE: &'static str = "g_src";
    const COLUMNS: &'static [&'static str] = &[
        "k",
        "id",
        "ra",
        "dec",
        "nvss",
        "peak_ratio",
        "var_amp",
        "var_period",
        "var_phase",
    ];
    fn bind(&self, v: &mut Separated<'_, Sqlite, &'static str>) {
        let s = self.1;
        v.push_bind(self.0);
        v.push_bind(s.id.clone());
        v.push_bind(s.ra_deg);
        v.push_bind(s.dec_deg);
        v.push_bind(s.nvss_flux_mjy);
        v.push_bind(s.peak_ratio);
        v.push_bind(s.var_amp);
        v.push_bind(s.var_period_days);
        v.push_bind(s.var_phase);
    }
}

impl Record for ImsRow<'_> {
    const TABLE: &'static str = "g_ims";
    const COLUMNS: &'static [&'static str] = &[
        "j",
        "ms_path",
        "gid",
        "field_name",
        "ra",
        "dec",
        "mid_mjd",
        "images_at",
        "n_img",
        "bmaj",
        "bmin",
        "bpa",
        "measured_at",
        "n_phot",
        "first_phot",
        "src_base",
        "rms",
        "norm",
    ];
    fn bind(&self, v: &mut Separated<'_, Sqlite, &'static str>) {
        let (m, p) = (self.1, self.2);
        let run = m.photometry;
        v.push_bind(self.0);
        v.push_bind(p.ms_path.clone());
        v.push_bind(p.group_id.clone());
        v.push_bind(p.field_name.clone());
        v.push_bind(p.ra_deg);
        v.push_bind(p.dec_deg);
        v.push_bind(p.mid_mjd);
        v.push_bind(m.images_at);
        v.push_bind(m.n_images as i64);
        v.push_bind(m.beam.map(|b| b.0));
        v.push_bind(m.beam.map(|b| b.1));
        v.push_bind(m.beam.map(|b| b.2));
        v.push_bind(run.map(|r| r.measured_at));
        v.push_bind(run.map_or(0, |r| r.n as i64));
        v.push_bind(run.map_or(0, |r| r.first as i64));
        v.push_bind(run.map_or(0, |r| r.src_base as i64));
        v.push_bind(run.map_or(0.0, |r| r.rms));
        v.push_bind(run.map_or(1.0, |r| r.norm));
    }
}

impl Record for Noise {
    const TABLE: &'static str = "g_noise";
    const COLUMNS: &'static [&'static str] = &["k", "g"];
    fn bind(&self, v: &mut Separated<'_, Sqlite, &'static str>) {
        v.push_bind(self.0);
        v.push_bind(self.1);
    }
}

impl Record for Wave {
    const TABLE: &'static str = "g_wave";
    const COLUMNS: &'static [&'static str] = &["k", "f"];
    fn bind(&self, v: &mut Separated<'_, Sqlite, &'static str>) {
        v.push_bind(self.0);
        v.push_bind(self.1);
    }
}

impl Record for Seq {
    const TABLE: &'static str = "g_seq";
    const COLUMNS: &'static [&'static str] = &["q"];
    fn bind(&self, v: &mut Separated<'_, Sqlite, &'static str>) {
        v.push_bind(self.0);
    }
}

impl Record for KindRow {
    const TABLE: &'static str = "g_kind";
    const COLUMNS: &'static [&'static str] = &[
        "k",
        "type",
        "suffix",
        "imsize",
        "integration",
        "pbcor",
        "beam",
    ];
    fn bind(&self, v: &mut Separated<'_, Sqlite, &'static str>) {
        let (kind, suffix, size, integration, beam) = KINDS[self.0 as usize];
        v.push_bind(self.0);
        v.push_bind(kind);
        v.push_bind(suffix);
        v.push_bind(size);
        v.push_bind(integration);
        v.push_bind(i64::from(kind == "pbcor"));
        v.push_bind(i64::from(beam));
    }
}

/// Fill the helper tables the two big inserts join.
pub async fn fill_helpers(
    conn: &mut SqliteConnection,
    catalogue: &[Source],
    layout: &[ImagedMs],
    plans: &[MsPlan],
    noise: &[f64],
    wave: &[f64],
) -> sqlx::Result<()> {
    exec(conn, HELPER_TABLES).await?;
    let src: Vec<SrcRow> = catalogue
        .iter()
        .enumerate()
        .map(|(k, s)| SrcRow(k as i64, s))
        .collect();
    insert_all(conn, &src, Verb::Insert).await?;
    let ims: Vec<ImsRow> = layout
        .iter()
        .enumerate()
        .map(|(j, m)| ImsRow(j as i64, m, &plans[m.plan]))
        .collect();
    insert_all(conn, &ims, Verb::Insert).await?;
    let noise: Vec<Noise> = (0..).zip(noise).map(|(k, g)| Noise(k, *g)).collect();
    insert_all(conn, &noise, Verb::Insert).await?;
    let wave: Vec<Wave> = (0..).zip(wave).map(|(k, f)| Wave(k, *f)).collect();
    insert_all(conn, &wave, Verb::Insert).await?;
    let longest = layout
        .iter()
        .map(|m| m.photometry.map_or(0, |r| r.n).max(m.n_images))
        .max()
        .unwrap_or(0);
    let seq: Vec<Seq> = (0..longest as i64).map(Seq).collect();
    insert_all(conn, &seq, Verb::Insert).await?;
    let kinds: Vec<KindRow> = (0..KINDS.len() as i64).map(KindRow).collect();
    insert_all(conn, &kinds, Verb::Insert).await
}

/// `images`: for each imaged MS its first `n_img` kinds, in time order (ids follow time).
/// Noise, dynamic range and centre are NULL, as in production; the beam is there when the
/// pipeline filled it.
pub fn images_sql() -> String {
    format!(
        "INSERT INTO images (path, ms_path, created_at, type, format, beam_major_arcsec, \
         beam_minor_arcsec, beam_pa_deg, noise_jy, dynamic_range, pbcor, field_name, \
         center_ra_deg, center_dec_deg, imsize_x, imsize_y, cellsize_arcsec, freq_ghz, \
         bandwidth_mhz, integration_sec) \
         SELECT '{IMAGES_DIR}/' || m.gid || t.suffix, m.ms_path, m.images_at + 2.0 * t.k, \
         t.type, 'fits', CASE WHEN t.beam THEN m.bmaj END, CASE WHEN t.beam THEN m.bmin END, \
         CASE WHEN t.beam THEN m.bpa END, NULL, NULL, t.pbcor, m.field_name, NULL, NULL, \
         t.imsize, t.imsize, 2.5, 1.405, 187.5, t.integration \
         FROM g_ims AS m JOIN g_kind AS t ON t.k < m.n_img ORDER BY m.j, t.k"
    )
}

/// Keeps SQLite from flattening a nested select into its parent (which would copy each
/// column's expression into every place that uses it): a subquery with an OFFSET is run as
/// a co-routine, each column computed once per row.
const FENCE: &str = "LIMIT -1 OFFSET 0";

/// `photometry`: for each measured MS its `n_phot` rows, source `src_base + q` of the
/// catalogue, alternately on its pbcor and 5-minute image, in time order. The measurement
/// columns are [`MEASURE_SQL`]; the row hashes decide the missing source ids and fluxes.
pub fn photometry_sql(sources: u64) -> String {
    let (h1, h2) = RowHash::sql("m.first_phot + q.q");
    let mut inner = format!(
        "SELECT m.j AS j, q.q AS q, s.id AS id, s.nvss AS nvss, s.peak_ratio AS peak_ratio, \
         s.var_amp AS var_amp, s.var_period AS var_period, s.var_phase AS var_phase, \
         s.ra AS sra, s.dec AS sdec, m.ra AS mra, m.dec AS mdec, m.mid_mjd AS mid_mjd, \
         m.rms AS rms, m.norm AS norm, m.measured_at AS measured_at, \
         '{IMAGES_DIR}/' || m.gid || CASE q.q % 2 WHEN 0 THEN '.img-image-pbcor.fits' \
         ELSE '.5min.img-image.fits' END AS image_path, \
         {h1} AS h1, {h2} AS h2, n.g AS g \
         FROM g_ims AS m JOIN g_seq AS q ON q.q < m.n_phot \
         JOIN g_src AS s ON s.k = (m.src_base + q.q) % {sources} \
         JOIN g_noise AS n ON n.k = {noise} \
         WHERE m.n_phot > 0 ORDER BY m.j, q.q {FENCE}",
        noise = RowHash::noise_index_sql(&h1),
        sources = sources.max(1),
    );
    for group in MEASURE_SQL {
        let columns: Vec<String> = group
            .iter()
            .map(|(name, expr)| format!("{expr} AS {name}"))
            .collect();
        inner = format!("SELECT *, {} FROM ({inner}) {FENCE}", columns.join(", "));
    }
    let null_src = RowHash::null_source_sql("h1");
    let null_flux = RowHash::null_flux_sql("h2");
    let edge = 0.85 * super::sky::FIELD_RADIUS_DEG;
    format!(
        "INSERT INTO photometry (source_id, image_path, ra_deg, dec_deg, nvss_flux_mjy, \
         peak_jyb, peak_err_jyb, measured_at, snr, mjd, flux_jy, flux_err_jy, \
         normalized_flux_jy, normalized_flux_err_jy, mosaic_path, sep_from_center_deg, \
         local_rms, rms_jy, peak_flux_jy, quality_flag, flags) \
         SELECT CASE WHEN {null_src} THEN NULL ELSE id END, image_path, \
         sra + ((h2 & 255) - 127.5) * 2.4e-6, sdec + (((h2 >> 8) & 255) - 127.5) * 2.4e-6, \
         nvss, peak, err, measured_at, peak / local_rms, mid_mjd, \
         CASE WHEN {null_flux} THEN NULL ELSE flux END, \
         CASE WHEN {null_flux} THEN NULL ELSE err END, \
         CASE WHEN {null_flux} THEN NULL ELSE flux * norm END, \
         CASE WHEN {null_flux} THEN NULL ELSE err * norm END, \
         NULL, sep, local_rms, rms, peak, \
         CASE WHEN peak / local_rms < 5.0 THEN 'low_snr' WHEN sep > {edge} THEN 'edge' ELSE 'good' END, \
         CASE WHEN peak / local_rms < 5.0 THEN 1 WHEN sep > {edge} THEN 2 ELSE 0 END \
         FROM (SELECT *, flux * peak_ratio AS peak FROM ({inner}) {FENCE})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_migration_splits_into_tables_and_the_pipelines_indexes() {
        let (tables, indexes) = split_migration();
        assert!(tables.contains("CREATE TABLE IF NOT EXISTS photometry"));
        assert!(!tables.to_ascii_uppercase().contains("CREATE INDEX"));
        assert_eq!(indexes.len(), PIPELINE_SQL.matches("CREATE INDEX").count());
        assert!(
            indexes
                .iter()
                .any(|i| i.contains("idx_jobs_created ON jobs(created_at DESC)"))
        );
    }
}
