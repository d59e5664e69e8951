//! The benchmark sky and what the pipeline measures of it: a catalogue of NVSS-like sources
//! along the declination strip the array drifts over (a few percent variable), which MS
//! produced images and photometry (exactly `scale.images` and `scale.photometry` rows, spread
//! over the MS that got that far), which sources each MS measured (those around its pointing),
//! and the measurement model.
//!
//! The photometry rows are made by SQLite (`bulk::photometry_sql`); [`measure`] is the same
//! model in Rust, so the variability statistics can be computed without a `GROUP BY` over ten
//! million rows. The two must stay identical: the SQL is [`MEASURE_SQL`], right below, and
//! `tests/it/bench_generate.rs` checks the statistics against the rows of a built database.

use crate::bench::Scale;
use crate::demo::names::nvss_name;

use super::mix::{Draw, WAVE_TABLE};
use super::plan::{MsPlan, POINTING_DEC_DEG};

/// Sources within this distance of the pointing are measured.
pub const FIELD_RADIUS_DEG: f64 = 1.75;
/// cos(declination) of the strip, rounded to a value SQLite and Rust both hold exactly (the
/// separation is an approximation anyway).
pub const COS_DEC: f64 = 0.75;

const SALT_SKY: u64 = 0x5C7;
const SALT_PHOT: u64 = 0xF07;

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// `NVSS J123456.7+420312`
    pub id: String,
    pub ra_deg: f64,
    pub dec_deg: f64,
    pub nvss_flux_mjy: f64,
    /// Peak over integrated flux (slightly resolved sources), fixed per source.
    pub peak_ratio: f64,
    /// Relative amplitude of a sinusoidal variation; 0 for a steady source.
    pub var_amp: f64,
    pub var_period_days: f64,
    pub var_phase: f64,
}

/// `n` sources sorted by RA, evenly along the strip, within a field radius of its centre in
/// declination. Flux follows a steep power law from 5 mJy (the NVSS sources forced photometry
/// is worth doing on: most are detected, some at low SNR); ~3 % vary.
pub fn catalogue(n: u64) -> Vec<Source> {
    let mut seen = std::collections::HashSet::new();
    (0..n)
        .map(|k| {
            let mut d = Draw::new(k, SALT_SKY);
            let ra_deg = 360.0 * (k as f64 + d.unit()) / n as f64;
            let mut dec_deg = POINTING_DEC_DEG + (d.unit() - 0.5) * 2.0 * FIELD_RADIUS_DEG * 0.9;
            let mut id = nvss_name(ra_deg, dec_deg);
            // Two sources in one 0.1 s × 1″ cell would share a name: move the second by 1″.
            while !seen.insert(id.clone()) {
                dec_deg += 1.0 / 3600.0;
                id = nvss_name(ra_deg, dec_deg);
            }
            let nvss_flux_mjy = (5.0 * (1.0 - d.unit()).powf(-1.0 / 1.2)).min(5_000.0);
            let variable = d.chance(0.03);
            Source {
                id,
                ra_deg,
                dec_deg,
                nvss_flux_mjy: (nvss_flux_mjy * 10.0).round() / 10.0,
                peak_ratio: d.range(0.93, 1.0),
                var_amp: if variable { d.range(0.1, 0.6) } else { 0.0 },
                var_period_days: d.range(3.0, 120.0),
                var_phase: d.unit(),
            }
        })
        .collect()
}

/// The photometry of one MS: rows `first..first + n` (0-based), sources from `src_base` on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhotRun {
    pub measured_at: f64,
    pub first: u64,
    pub n: u64,
    pub src_base: u64,
    /// Image noise of this MS (Jy/beam).
    pub rms: f64,
    /// The flux-scale correction `normalized_flux_jy` applies.
    pub norm: f64,
}

/// An MS with images in the database.
#[derive(Debug, Clone, PartialEq)]
pub struct ImagedMs {
    /// Index into the plans.
    pub plan: usize,
    pub images_at: f64,
    /// Its images are rows `first_image..first_image + n_images` (0-based).
    pub first_image: u64,
    pub n_images: u64,
    pub beam: Option<(f64, f64, f64)>,
    pub photometry: Option<PhotRun>,
}

/// `total` rows spread over `n` owners as evenly as integers allow: owner `j` gets rows
/// `first(j)..first(j + 1)`.
fn first_of(j: u64, n: u64, total: u64) -> u64 {
    (j * total) / n.max(1)
}

/// Which MS have images and photometry, and which rows of each are theirs.
pub fn layout(plans: &[MsPlan], scale: &Scale) -> Vec<ImagedMs> {
    let imaged: Vec<usize> = (0..plans.len())
        .filter(|&k| plans[k].images_at.is_some())
        .collect();
    let measured = imaged
        .iter()
        .filter(|&&k| plans[k].photometry_at.is_some())
        .count() as u64;
    let n_imaged = imaged.len() as u64;
    let mut jp = 0u64;
    imaged
        .iter()
        .enumerate()
        .map(|(j, &k)| {
            let p = &plans[k];
            let j = j as u64;
            let mut d = Draw::new(p.i, SALT_PHOT);
            let first_image = first_of(j, n_imaged, scale.images);
            let n_images = first_of(j + 1, n_imaged, scale.images) - first_image;
            // The pipeline filled the beam columns for about a third of the MS.
            let bmaj = d.range(14.0, 19.0);
            let beam = d
                .chance(0.3)
                .then(|| (bmaj, bmaj * d.range(0.65, 0.85), d.range(-90.0, 90.0)));
            let photometry = p.photometry_at.map(|at| {
                let first = first_of(jp, measured, scale.photometry);
                let n = first_of(jp + 1, measured, scale.photometry) - first;
                jp += 1;
                let centre = (p.ra_deg / 360.0 * scale.sources as f64).floor() as u64;
                PhotRun {
                    measured_at: at,
                    first,
                    n,
                    src_base: (centre + scale.sources - (n / 2) % scale.sources.max(1))
                        % scale.sources.max(1),
                    rms: d.range(0.0005, 0.0011),
                    norm: 1.0 + 0.03 * d.gaussian(),
                }
            });
            ImagedMs {
                plan: k,
                images_at: p.images_at.unwrap_or(p.discovered_at),
                first_image,
                n_images,
                beam,
                photometry,
            }
        })
        .collect()
}

/// One measurement: the flux the pipeline finds, its error, the separation from the pointing
/// and the local noise there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    pub flux_jy: f64,
    pub err_jy: f64,
    pub sep_deg: f64,
    pub local_rms: f64,
}

/// The measurement model: the true flux (with the source's variation, from the sine table),
/// noise growing towards the field edge plus 5 % calibration error, and the deviate `g` drawn
/// for this row. Every operation mirrors [`MEASURE_SQL`] in order, so both give the same bits.
pub fn measure(
    s: &Source,
    ms_ra: f64,
    ms_dec: f64,
    mid_mjd: f64,
    rms: f64,
    g: f64,
    wave: &[f64],
) -> Measurement {
    let factor = if s.var_amp > 0.0 {
        let k = ((mid_mjd / s.var_period_days + s.var_phase) * 1024.0) as i64 % 1024;
        1.0 + s.var_amp * wave[k as usize]
    } else {
        1.0
    };
    let truth = s.nvss_flux_mjy / 1000.0 * factor;
    let dra = s.ra_deg - ms_ra;
    let dra = if dra > 180.0 {
        s.ra_deg - ms_ra - 360.0
    } else if dra < -180.0 {
        s.ra_deg - ms_ra + 360.0
    } else {
        dra
    };
    let dx = dra.abs() * COS_DEC;
    let dy = (s.dec_deg - ms_dec).abs();
    let sep = dx.max(dy) + 0.375 * dx.min(dy);
    let x = sep / FIELD_RADIUS_DEG;
    let local_rms = rms * (1.0 + x * x);
    let err = local_rms + 0.0625 * truth;
    Measurement {
        flux_jy: truth + g * err,
        err_jy: err,
        sep_deg: sep,
        local_rms,
    }
}

const _: () = assert!(
    WAVE_TABLE == 1024,
    "MEASURE_SQL and measure() index a 1024-entry table"
);

/// [`measure`] in SQL: the columns the photometry insert adds, over the base columns `nvss`,
/// `var_amp`, `var_period`, `var_phase`, `sra`, `sdec` (the source), `mra`, `mdec`, `mid_mjd`,
/// `rms` (the MS) and `g` (the deviate). One nested select per group: a group uses only
/// columns of the groups before it (a short subexpression is repeated rather than given a
/// level of its own; repeating it computes the same bits).
pub const MEASURE_SQL: [&[(&str, &str)]; 4] = [
    &[
        (
            "factor",
            "CASE WHEN var_amp > 0.0 THEN 1.0 + var_amp * (SELECT w.f FROM g_wave AS w \
             WHERE w.k = CAST((mid_mjd / var_period + var_phase) * 1024.0 AS INTEGER) % 1024) \
             ELSE 1.0 END",
        ),
        (
            "dx",
            "abs(CASE WHEN sra - mra > 180.0 THEN sra - mra - 360.0 \
             WHEN sra - mra < -180.0 THEN sra - mra + 360.0 ELSE sra - mra END) * 0.75",
        ),
        ("dy", "abs(sdec - mdec)"),
    ],
    &[
        ("truth", "nvss / 1000.0 * factor"),
        ("sep", "max(dx, dy) + 0.375 * min(dx, dy)"),
    ],
    &[
        ("local_rms", "rms * (1.0 + (sep / 1.75) * (sep / 1.75))"),
        (
            "err",
            "rms * (1.0 + (sep / 1.75) * (sep / 1.75)) + 0.0625 * truth",
        ),
    ],
    &[("flux", "truth + g * err")],
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::generate::plan::{Outcome, Timeframe, plan_all};

    #[test]
    fn the_catalogue_is_sorted_named_and_unique() {
        let cat = catalogue(50_000);
        assert!(cat.windows(2).all(|w| w[0].ra_deg <= w[1].ra_deg));
        let ids: std::collections::HashSet<&str> = cat.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids.len(), cat.len());
        assert!(cat.iter().all(|s| s.id.starts_with("NVSS J")));
        let variable = cat.iter().filter(|s| s.var_amp > 0.0).count();
        assert!((1000..2000).contains(&variable), "{variable}");
        let median = {
            let mut f: Vec<f64> = cat.iter().map(|s| s.nvss_flux_mjy).collect();
            f.sort_by(f64::total_cmp);
            f[f.len() / 2]
        };
        assert!((6.0..15.0).contains(&median), "{median}");
    }

    #[test]
    fn rows_are_spread_exactly_over_the_ms_that_got_that_far() {
        let scale = Scale::DAY;
        let plans = plan_all(&Timeframe::new(&scale, 1_761_056_599.0));
        let l = layout(&plans, &scale);
        // Done MS, and those whose photometry failed after imaging.
        let imaged = plans.iter().filter(|p| match p.outcome {
            Outcome::Done { .. } => true,
            Outcome::Failed { stage, .. } => stage == crate::demo::errors::Stage::Photometry,
            _ => false,
        });
        assert_eq!(l.len(), imaged.count());
        assert_eq!(l.iter().map(|m| m.n_images).sum::<u64>(), scale.images);
        assert!(l.iter().all(|m| m.n_images >= 6));
        let runs: Vec<&PhotRun> = l.iter().filter_map(|m| m.photometry.as_ref()).collect();
        assert_eq!(runs.iter().map(|r| r.n).sum::<u64>(), scale.photometry);
        assert!(runs.windows(2).all(|w| w[0].first + w[0].n == w[1].first));
        assert!(
            runs.iter()
                .all(|r| r.n >= 100 && r.src_base < scale.sources)
        );
    }

    #[test]
    fn measurements_are_noisy_around_the_truth_and_worse_at_the_edge() {
        let s = Source {
            id: "NVSS J000000.0+413000".into(),
            ra_deg: 10.0,
            dec_deg: 41.5,
            nvss_flux_mjy: 100.0,
            peak_ratio: 1.0,
            var_amp: 0.0,
            var_period_days: 10.0,
            var_phase: 0.0,
        };
        let wave = super::super::mix::wave_table();
        let centre = measure(&s, 10.0, 41.5, 60_000.0, 0.001, 0.0, &wave);
        assert_eq!(centre.flux_jy, 0.1);
        assert_eq!(centre.sep_deg, 0.0);
        let edge = measure(&s, 11.5, 42.5, 60_000.0, 0.001, 1.0, &wave);
        assert!(edge.local_rms > centre.local_rms && edge.flux_jy > 0.1);
        // RA wraps around 0/360.
        let across = Source {
            ra_deg: 359.9,
            ..s.clone()
        };
        assert!(measure(&across, 0.1, 41.5, 60_000.0, 0.001, 0.0, &wave).sep_deg < 0.2);
    }
}
