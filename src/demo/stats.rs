//! Variability statistics of a source from its photometry, as the pipeline's
//! `variability_stats` table holds them.

use super::rows::{PhotometryRecord, VariabilityRecord};

/// One measurement: flux and error in mJy (falling back to the peak, as the pipeline's API
/// does), observation MJD and processing time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub flux_mjy: f64,
    pub err_mjy: f64,
    pub mjd: f64,
    pub measured_at: f64,
}

impl Point {
    pub fn of(p: &PhotometryRecord) -> Point {
        Point {
            flux_mjy: p.flux_jy.unwrap_or(p.peak_flux_jy) * 1000.0,
            err_mjy: (p.flux_err_jy.unwrap_or(p.peak_err_jyb) * 1000.0).max(1e-6),
            mjd: p.mjd,
            measured_at: p.measured_at,
        }
    }
}

/// Where the source is and what NVSS says of it.
#[derive(Debug, Clone, Copy)]
pub struct SourceInfo<'a> {
    pub id: &'a str,
    pub ra_deg: f64,
    pub dec_deg: f64,
    pub nvss_flux_mjy: f64,
}

/// The statistics of `points`, or `None` with fewer than three (no variance to speak of).
pub fn variability(source: SourceInfo<'_>, points: &[Point]) -> Option<VariabilityRecord> {
    let n = points.len();
    if n < 3 {
        return None;
    }
    let nf = n as f64;
    let fluxes = || points.iter().map(|p| p.flux_mjy);
    let mean = fluxes().sum::<f64>() / nf;
    let std = (fluxes().map(|f| (f - mean).powi(2)).sum::<f64>() / (nf - 1.0)).sqrt();
    let weights: Vec<f64> = points
        .iter()
        .map(|p| 1.0 / (p.err_mjy * p.err_mjy))
        .collect();
    let wsum: f64 = weights.iter().sum();
    let wmean = fluxes().zip(&weights).map(|(f, w)| f * w).sum::<f64>() / wsum;
    let chi2 = fluxes()
        .zip(&weights)
        .map(|(f, w)| (f - wmean).powi(2) * w)
        .sum::<f64>();
    let max_dev = fluxes().map(|f| (f - mean).abs()).fold(0.0, f64::max);
    let last = points.iter().max_by(|a, b| a.mjd.total_cmp(&b.mjd))?;
    Some(VariabilityRecord {
        source_id: source.id.to_string(),
        ra_deg: source.ra_deg,
        dec_deg: source.dec_deg,
        nvss_flux_mjy: source.nvss_flux_mjy,
        n_obs: n as i64,
        mean_flux_mjy: mean,
        std_flux_mjy: std,
        min_flux_mjy: fluxes().fold(f64::INFINITY, f64::min),
        max_flux_mjy: fluxes().fold(f64::NEG_INFINITY, f64::max),
        chi2_nu: chi2 / (nf - 1.0),
        sigma_deviation: if std > 0.0 { max_dev / std } else { 0.0 },
        last_measured_at: last.measured_at,
        last_mjd: last.mjd,
        updated_at: last.measured_at + 5.0,
        eta_metric: chi2 / (nf - 1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(flux_mjy: f64, mjd: f64) -> Point {
        Point {
            flux_mjy,
            err_mjy: 1.0,
            mjd,
            measured_at: 1000.0 + mjd,
        }
    }

    const SRC: SourceInfo<'static> = SourceInfo {
        id: "NVSS J123456.7+420312",
        ra_deg: 188.7,
        dec_deg: 42.05,
        nvss_flux_mjy: 10.0,
    };

    #[test]
    fn a_steady_source_has_chi2_near_zero_and_a_flaring_one_stands_out() {
        let steady =
            variability(SRC, &[point(10.0, 1.0), point(10.0, 2.0), point(10.0, 3.0)]).unwrap();
        assert_eq!(steady.chi2_nu, 0.0);
        assert_eq!(steady.last_mjd, 3.0);
        let flare =
            variability(SRC, &[point(10.0, 1.0), point(50.0, 2.0), point(10.0, 3.0)]).unwrap();
        assert!(flare.chi2_nu > 100.0);
        assert_eq!((flare.min_flux_mjy, flare.max_flux_mjy), (10.0, 50.0));
        assert!(variability(SRC, &[point(1.0, 1.0), point(1.0, 2.0)]).is_none());
    }
}
