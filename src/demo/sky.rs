//! The demo sky: NVSS-like sources along the declination strip the telescope drifts over,
//! a few of them variable, and the pointing of a transit instrument at a given time.

use rand::Rng;

use super::names::nvss_name;

/// OVRO's longitude, east positive.
const OVRO_LON_DEG: f64 = -118.2817;

/// How a variable source's flux changes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Variation {
    /// A flare: flux × (1 + amplitude) at `peak_mjd`, Gaussian in time.
    Flare {
        amplitude: f64,
        peak_mjd: f64,
        width_days: f64,
    },
    /// A slow sinusoid of relative `amplitude`.
    Periodic {
        amplitude: f64,
        period_days: f64,
        phase: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SkySource {
    pub id: String,
    pub ra_deg: f64,
    pub dec_deg: f64,
    pub nvss_flux_mjy: f64,
    pub variation: Option<Variation>,
}

impl SkySource {
    /// The true flux in Jy at `mjd`.
    pub fn flux_jy(&self, mjd: f64) -> f64 {
        let base = self.nvss_flux_mjy / 1000.0;
        match self.variation {
            None => base,
            Some(Variation::Flare {
                amplitude,
                peak_mjd,
                width_days,
            }) => {
                let x = (mjd - peak_mjd) / width_days;
                base * (1.0 + amplitude * (-0.5 * x * x).exp())
            }
            Some(Variation::Periodic {
                amplitude,
                period_days,
                phase,
            }) => {
                base * (1.0 + amplitude * (std::f64::consts::TAU * mjd / period_days + phase).sin())
            }
        }
    }
}

/// Where sources are drawn and how many vary.
#[derive(Debug, Clone, Copy)]
pub struct SkyPlan {
    pub n_sources: usize,
    pub ra_range_deg: (f64, f64),
    pub dec_centre_deg: f64,
    pub dec_half_width_deg: f64,
    pub n_variables: usize,
    /// Flares peak inside this MJD range.
    pub mjd_range: (f64, f64),
}

#[derive(Debug, Clone, Default)]
pub struct Sky {
    /// Sorted by RA.
    pub sources: Vec<SkySource>,
}

impl Sky {
    pub fn generate(plan: &SkyPlan, rng: &mut impl Rng) -> Sky {
        let (ra0, ra1) = plan.ra_range_deg;
        let mut sources: Vec<SkySource> = Vec::with_capacity(plan.n_sources);
        let mut names = std::collections::HashSet::new();
        while sources.len() < plan.n_sources {
            let ra_deg = (ra0 + rng.random::<f64>() * (ra1 - ra0)).rem_euclid(360.0);
            let dec_deg =
                plan.dec_centre_deg + (rng.random::<f64>() * 2.0 - 1.0) * plan.dec_half_width_deg;
            // Log-uniform between 1 mJy and 1 Jy.
            let nvss_flux_mjy = 10f64.powf(rng.random::<f64>() * 3.0);
            let id = nvss_name(ra_deg, dec_deg);
            if names.insert(id.clone()) {
                sources.push(SkySource {
                    id,
                    ra_deg,
                    dec_deg,
                    nvss_flux_mjy,
                    variation: None,
                });
            }
        }
        // Variables are bright enough to be seen changing.
        let mut bright: Vec<usize> = (0..sources.len())
            .filter(|&i| sources[i].nvss_flux_mjy > 20.0)
            .collect();
        for k in 0..plan.n_variables.min(bright.len()) {
            let pick = rng.random_range(0..bright.len());
            let i = bright.swap_remove(pick);
            let (m0, m1) = plan.mjd_range;
            sources[i].variation = Some(if k % 2 == 0 {
                Variation::Flare {
                    amplitude: rng.random_range(3.0..8.0),
                    peak_mjd: m0 + (m1 - m0) * rng.random_range(0.3..0.7),
                    width_days: ((m1 - m0) * 0.12).max(0.01),
                }
            } else {
                Variation::Periodic {
                    amplitude: rng.random_range(0.4..0.7),
                    period_days: ((m1 - m0) * 0.5).max(0.02),
                    phase: rng.random_range(0.0..std::f64::consts::TAU),
                }
            });
        }
        sources.sort_by(|a, b| a.ra_deg.total_cmp(&b.ra_deg));
        Sky { sources }
    }

    /// Sources within `radius_deg` of a field centre, with their separation.
    pub fn in_field(
        &self,
        ra_deg: f64,
        dec_deg: f64,
        radius_deg: f64,
    ) -> impl Iterator<Item = (&SkySource, f64)> {
        let cos_dec = dec_deg.to_radians().cos().max(0.05);
        self.sources.iter().filter_map(move |s| {
            let mut dra = (s.ra_deg - ra_deg).rem_euclid(360.0);
            if dra > 180.0 {
                dra -= 360.0;
            }
            let sep = ((dra * cos_dec).powi(2) + (s.dec_deg - dec_deg).powi(2)).sqrt();
            (sep <= radius_deg).then_some((s, sep))
        })
    }
}

/// The RA on the meridian at OVRO at `mjd` (local sidereal time), in degrees.
pub fn meridian_ra_deg(mjd: f64) -> f64 {
    let jd = mjd + 2_400_000.5;
    let gmst = 280.460_618_37 + 360.985_647_366_29 * (jd - 2_451_545.0);
    (gmst + OVRO_LON_DEG).rem_euclid(360.0)
}

/// A normal deviate (Box–Muller), so the demo needs no extra crate.
pub fn gaussian(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn the_sky_has_distinct_named_sources_and_the_asked_variables() {
        let plan = SkyPlan {
            n_sources: 500,
            ra_range_deg: (0.0, 360.0),
            dec_centre_deg: 41.5,
            dec_half_width_deg: 1.75,
            n_variables: 5,
            mjd_range: (60960.0, 60963.0),
        };
        let sky = Sky::generate(&plan, &mut StdRng::seed_from_u64(3));
        assert_eq!(sky.sources.len(), 500);
        assert_eq!(
            sky.sources.iter().filter(|s| s.variation.is_some()).count(),
            5
        );
        assert!(
            sky.sources
                .iter()
                .all(|s| (1.0..=1000.0).contains(&s.nvss_flux_mjy))
        );
        let flare = sky
            .sources
            .iter()
            .find_map(|s| match s.variation {
                Some(Variation::Flare { peak_mjd, .. }) => Some((s, peak_mjd)),
                _ => None,
            })
            .unwrap();
        assert!(flare.0.flux_jy(flare.1) > 3.0 * flare.0.flux_jy(60960.0));
    }

    #[test]
    fn a_field_sees_sources_across_ra_zero() {
        let sky = Sky {
            sources: vec![SkySource {
                id: "a".into(),
                ra_deg: 359.5,
                dec_deg: 41.0,
                nvss_flux_mjy: 10.0,
                variation: None,
            }],
        };
        assert_eq!(sky.in_field(0.3, 41.0, 1.75).count(), 1);
        assert_eq!(sky.in_field(10.0, 41.0, 1.75).count(), 0);
    }
}
