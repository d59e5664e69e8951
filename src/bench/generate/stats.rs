//! `variability_stats` and `sources` from the measurement model, without reading photometry
//! back: the rows SQLite writes are replayed in Rust ([`super::sky::measure`] with the same
//! row hashes and noise table), so each source's statistics are those of its real rows.
//!
//! The pipeline refreshes statistics now and then, so most rows are up to date and the rest
//! were computed at an earlier time (from the measurements made by then): `updated_at` is
//! spread over the whole history.

use crate::demo::rows::{SourceRecord, VariabilityRecord};

use super::mix::{Draw, RowHash};
use super::plan::MsPlan;
use super::sky::{ImagedMs, Source, measure};

const SALT_FRESH: u64 = 0x57A7;
const SALT_NAME: u64 = 0x4A4D;
/// Share of sources whose statistics include every measurement.
const FRESH_SHARE: f64 = 0.7;
/// Share of measured sources with a row (and a name) in `sources`.
const NAMED_SHARE: f64 = 0.1;
const CATALOGUES: [&str; 3] = ["FIRST", "VLASS", "WENSS"];

/// One photometry row as replayed: which source, and what the monitor reads of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Replayed {
    pub source: usize,
    pub measured_at: f64,
    pub mjd: f64,
    /// `COALESCE(flux_jy, peak_flux_jy)`, the value the monitor shows.
    pub flux_jy: f64,
    pub err_jy: f64,
}

/// Every photometry row with a source id, in id order.
pub fn replay<'a>(
    catalogue: &'a [Source],
    plans: &'a [MsPlan],
    layout: &'a [ImagedMs],
    noise: &'a [f64],
    wave: &'a [f64],
) -> impl Iterator<Item = Replayed> + 'a {
    let n_src = catalogue.len() as u64;
    layout.iter().flat_map(move |m| {
        let plan = &plans[m.plan];
        m.photometry.iter().flat_map(move |run| {
            (0..run.n).filter_map(move |q| {
                let p = run.first + q;
                let h = RowHash::of(p);
                if h.null_source() {
                    return None;
                }
                let k = ((run.src_base + q) % n_src) as usize;
                let s = &catalogue[k];
                let g = noise[h.noise_index()];
                let x = measure(s, plan.ra_deg, plan.dec_deg, plan.mid_mjd, run.rms, g, wave);
                let flux_jy = if h.null_flux() {
                    x.flux_jy * s.peak_ratio
                } else {
                    x.flux_jy
                };
                Some(Replayed {
                    source: k,
                    measured_at: run.measured_at,
                    mjd: plan.mid_mjd,
                    flux_jy,
                    err_jy: x.err_jy,
                })
            })
        })
    })
}

#[derive(Debug, Clone, Default)]
struct Acc {
    n: i64,
    sum: f64,
    sum2: f64,
    sum_w: f64,
    sum_wf: f64,
    sum_wf2: f64,
    min: f64,
    max: f64,
    first_mjd: f64,
    last_mjd: f64,
    last_at: f64,
}

impl Acc {
    fn add(&mut self, r: &Replayed) {
        let (f, e) = (r.flux_jy * 1000.0, r.err_jy * 1000.0);
        let w = 1.0 / (e * e);
        if self.n == 0 {
            self.min = f;
            self.max = f;
            self.first_mjd = r.mjd;
            self.last_mjd = r.mjd;
            self.last_at = r.measured_at;
        }
        self.n += 1;
        self.sum += f;
        self.sum2 += f * f;
        self.sum_w += w;
        self.sum_wf += w * f;
        self.sum_wf2 += w * f * f;
        self.min = self.min.min(f);
        self.max = self.max.max(f);
        // Rows come in id order; a retried photometry job can measure an older MS later.
        self.first_mjd = self.first_mjd.min(r.mjd);
        self.last_mjd = self.last_mjd.max(r.mjd);
        self.last_at = self.last_at.max(r.measured_at);
    }

    fn variability(&self, s: &Source, updated_at: f64) -> VariabilityRecord {
        let n = self.n as f64;
        let mean = self.sum / n;
        let std = ((self.sum2 - n * mean * mean) / (n - 1.0)).max(0.0).sqrt();
        // χ²/ν about the plain mean; η (Swinbank et al. 2015) about the weighted mean.
        let chi2 = (self.sum_wf2 - 2.0 * mean * self.sum_wf + mean * mean * self.sum_w) / (n - 1.0);
        let eta = (self.sum_wf2 - self.sum_wf * self.sum_wf / self.sum_w) / (n - 1.0);
        let deviation = (self.max - mean).max(mean - self.min);
        VariabilityRecord {
            source_id: s.id.clone(),
            ra_deg: s.ra_deg,
            dec_deg: s.dec_deg,
            nvss_flux_mjy: s.nvss_flux_mjy,
            n_obs: self.n,
            mean_flux_mjy: mean,
            std_flux_mjy: std,
            min_flux_mjy: self.min,
            max_flux_mjy: self.max,
            chi2_nu: chi2.max(0.0),
            sigma_deviation: if std > 0.0 { deviation / std } else { 0.0 },
            last_measured_at: self.last_at,
            last_mjd: self.last_mjd,
            updated_at,
            eta_metric: eta.max(0.0),
        }
    }
}

/// The small source tables.
#[derive(Debug, Clone, Default)]
pub struct SourceTables {
    pub sources: Vec<SourceRecord>,
    pub variability: Vec<VariabilityRecord>,
    /// Catalogue sources with at least one measurement.
    pub measured: usize,
}

/// `sources` and `variability_stats` rows for the replayed photometry, as of `now`.
pub fn source_tables<I: Iterator<Item = Replayed>>(
    catalogue: &[Source],
    rows: impl Fn() -> I,
    now: f64,
) -> SourceTables {
    // First pass: every measurement of each source, and when it was first and last measured.
    let mut totals: Vec<Acc> = vec![Acc::default(); catalogue.len()];
    let mut first_at: Vec<f64> = vec![f64::INFINITY; catalogue.len()];
    for r in rows() {
        totals[r.source].add(&r);
        first_at[r.source] = first_at[r.source].min(r.measured_at);
    }
    // When each source's statistics were last computed: now for most, else some time between
    // its first and last measurement.
    let computed_at: Vec<f64> = (0..catalogue.len())
        .map(|k| {
            let mut d = Draw::new(k as u64, SALT_FRESH);
            if d.chance(FRESH_SHARE) || totals[k].n < 2 {
                f64::INFINITY
            } else {
                first_at[k] + (totals[k].last_at - first_at[k]) * d.unit()
            }
        })
        .collect();
    let mut partial: Vec<Acc> = vec![Acc::default(); catalogue.len()];
    for r in rows() {
        if r.measured_at <= computed_at[r.source] {
            partial[r.source].add(&r);
        }
    }
    let mut out = SourceTables::default();
    for (k, s) in catalogue.iter().enumerate() {
        let total = &totals[k];
        if total.n == 0 {
            continue;
        }
        out.measured += 1;
        let mut d = Draw::new(k as u64, SALT_NAME);
        if total.n >= 2 {
            let lag = d.range(60.0, 6.0 * 3600.0);
            let (acc, updated_at) = if partial[k].n >= 2 && computed_at[k].is_finite() {
                (&partial[k], computed_at[k])
            } else {
                (total, (total.last_at + lag).min(now))
            };
            out.variability.push(acc.variability(s, updated_at));
        }
        if d.chance(NAMED_SHARE) {
            let j_name = s.id.trim_start_matches("NVSS ");
            out.sources.push(SourceRecord {
                id: s.id.clone(),
                name: format!("{} {j_name}", d.pick(&CATALOGUES)),
                ra_deg: s.ra_deg,
                dec_deg: s.dec_deg,
                catalog_match: "NVSS".to_string(),
                source_type: if s.var_amp > 0.0 {
                    "variable"
                } else if d.chance(0.15) {
                    "extended"
                } else {
                    "point"
                }
                .to_string(),
                first_detected_mjd: total.first_mjd,
                last_detected_mjd: total.last_mjd,
                detection_count: total.n,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::Scale;
    use crate::bench::generate::mix::{noise_table, wave_table};
    use crate::bench::generate::plan::{Timeframe, plan_all};
    use crate::bench::generate::sky::{catalogue, layout};

    #[test]
    fn statistics_cover_sources_measured_twice_and_some_are_stale() {
        let scale = Scale::DAY;
        let now = 1_761_056_599.0;
        let plans = plan_all(&Timeframe::new(&scale, now));
        let cat = catalogue(scale.sources);
        let l = layout(&plans, &scale);
        let (noise, wave) = (noise_table(), wave_table());
        let rows = || replay(&cat, &plans, &l, &noise, &wave);
        let replayed = rows().count() as f64;
        assert!((replayed / scale.photometry as f64 - 0.98).abs() < 0.01);
        let t = source_tables(&cat, rows, now);
        assert!(
            t.measured as f64 > 0.9 * scale.sources as f64,
            "{}",
            t.measured
        );
        let named = t.sources.len() as f64 / t.measured as f64;
        assert!((named - NAMED_SHARE).abs() < 0.02, "{named}");
        // Some statistics were computed before the source's last measurement.
        let mut last = std::collections::HashMap::new();
        for r in rows() {
            let at = last
                .entry(cat[r.source].id.clone())
                .or_insert(r.measured_at);
            *at = f64::max(*at, r.measured_at);
        }
        let stale = t
            .variability
            .iter()
            .filter(|v| v.updated_at < last[&v.source_id])
            .count();
        assert!(stale > 100, "{stale}");
        for v in &t.variability {
            assert!(v.n_obs >= 2 && v.updated_at <= now);
            assert!(v.min_flux_mjy <= v.mean_flux_mjy && v.mean_flux_mjy <= v.max_flux_mjy);
            assert!(v.std_flux_mjy >= 0.0 && v.chi2_nu.is_finite() && v.eta_metric.is_finite());
        }
        // Sources scatter by about their errors (a day has two or three measurements each).
        let median = |mut x: Vec<f64>| {
            x.sort_by(f64::total_cmp);
            x[x.len() / 2]
        };
        let chi2: Vec<f64> = t
            .variability
            .iter()
            .filter(|v| v.n_obs >= 2)
            .map(|v| v.chi2_nu)
            .collect();
        let m = median(chi2);
        assert!((0.2..3.0).contains(&m), "{m}");
    }
}
