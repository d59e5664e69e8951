//! Wait-time figures from cumulative histogram buckets, and the change between two scrapes.
//!
//! A histogram counts since the process started, so after an hour its percentiles barely
//! move when the pool saturates. Subtracting the previous scrape gives the waits of the
//! last interval only, which is what the operator wants to see now.

/// The wait-time series of one pool at one scrape. Values are in the metric's own unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WaitSeries {
    /// Cumulative `(le, count)` pairs, sorted by `le`; the last is usually `+Inf`.
    pub buckets: Vec<(f64, f64)>,
    pub sum: Option<f64>,
    pub count: Option<f64>,
    /// Summary quantiles `(q, value)` where the exporter computes them itself.
    pub quantiles: Vec<(f64, f64)>,
    /// A running maximum (Micrometer's `_max`).
    pub max: Option<f64>,
}

/// Percentiles, mean and max in the metric's unit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WaitFigures {
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub mean: Option<f64>,
    pub max: Option<f64>,
}

impl WaitSeries {
    /// Add a bucket, merging series of one pool that differ in other labels.
    pub fn add_bucket(&mut self, le: f64, count: f64) {
        match self.buckets.iter_mut().find(|(b, _)| *b == le) {
            Some((_, c)) => *c += count,
            None => {
                self.buckets.push((le, count));
                self.buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
        }
    }

    /// The waits between `previous` and `self`, when both are from the same process: a
    /// counter that went down means the exporter restarted, and then `self` stands alone.
    pub fn since(&self, previous: &WaitSeries) -> Option<WaitSeries> {
        let count = self.count? - previous.count?;
        if count < 0.0 || self.buckets.len() != previous.buckets.len() {
            return None;
        }
        let mut buckets = Vec::with_capacity(self.buckets.len());
        for ((le, now), (le_before, before)) in self.buckets.iter().zip(&previous.buckets) {
            if le != le_before || now < before {
                return None;
            }
            buckets.push((*le, now - before));
        }
        Some(WaitSeries {
            buckets,
            sum: self.sum.zip(previous.sum).map(|(a, b)| a - b),
            count: Some(count),
            // Summary quantiles and maxima are already windowed by the exporter.
            quantiles: self.quantiles.clone(),
            max: self.max,
        })
    }

    pub fn figures(&self) -> WaitFigures {
        let from_summary = |q: f64| {
            self.quantiles
                .iter()
                .find(|(at, _)| (*at - q).abs() < 1e-9)
                .map(|(_, v)| *v)
                .filter(|v| v.is_finite())
        };
        let mean = match (self.sum, self.count) {
            (Some(sum), Some(count)) if count > 0.0 => Some(sum / count),
            _ => None,
        };
        WaitFigures {
            p50: bucket_quantile(0.50, &self.buckets).or_else(|| from_summary(0.50)),
            p95: bucket_quantile(0.95, &self.buckets).or_else(|| from_summary(0.95)),
            mean,
            max: self.max.filter(|m| m.is_finite()),
        }
    }
}

/// Estimate the `q` quantile from cumulative buckets the way PromQL's `histogram_quantile`
/// does: find the bucket holding the rank and interpolate linearly inside it. A rank that
/// falls in the `+Inf` bucket answers the highest finite bound (all we know is "above it").
pub fn bucket_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    let total = buckets.last()?.1;
    if total.is_nan() || total <= 0.0 || !(0.0..=1.0).contains(&q) {
        return None;
    }
    let rank = q * total;
    let mut lower_bound = 0.0;
    let mut lower_count = 0.0;
    for &(le, count) in buckets {
        if count >= rank {
            if le.is_infinite() {
                return Some(lower_bound);
            }
            if count == lower_count {
                return Some(le);
            }
            let start = if lower_bound > le { 0.0 } else { lower_bound };
            return Some(start + (le - start) * (rank - lower_count) / (count - lower_count));
        }
        lower_bound = le;
        lower_count = count;
    }
    Some(lower_bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(buckets: &[(f64, f64)], sum: f64) -> WaitSeries {
        WaitSeries {
            buckets: buckets.to_vec(),
            sum: Some(sum),
            count: buckets.last().map(|b| b.1),
            ..Default::default()
        }
    }

    #[test]
    fn quantiles_interpolate_inside_the_bucket_that_holds_the_rank() {
        let b = [
            (0.1, 50.0),
            (0.5, 90.0),
            (1.0, 100.0),
            (f64::INFINITY, 100.0),
        ];
        assert_eq!(bucket_quantile(0.5, &b), Some(0.1));
        let p95 = bucket_quantile(0.95, &b).expect("some");
        assert!((p95 - 0.75).abs() < 1e-9, "{p95}");
        assert_eq!(bucket_quantile(0.5, &[(f64::INFINITY, 0.0)]), None);
    }

    #[test]
    fn waits_beyond_the_last_bound_report_that_bound() {
        let b = [(0.1, 1.0), (5.0, 2.0), (f64::INFINITY, 10.0)];
        assert_eq!(bucket_quantile(0.95, &b), Some(5.0));
    }

    #[test]
    fn the_last_interval_shows_a_saturation_that_the_totals_hide() {
        // An hour of fast acquisitions…
        let before = series(
            &[(0.01, 10_000.0), (1.0, 10_000.0), (f64::INFINITY, 10_000.0)],
            20.0,
        );
        // …then ten slow ones.
        let now = series(
            &[(0.01, 10_000.0), (1.0, 10_000.0), (f64::INFINITY, 10_010.0)],
            70.0,
        );
        let total = now.figures();
        assert!(total.p95.expect("p95") <= 0.01);
        let recent = now.since(&before).expect("same process").figures();
        assert_eq!(recent.p95, Some(1.0));
        assert_eq!(recent.mean, Some(5.0));
    }

    #[test]
    fn a_restarted_exporter_is_not_subtracted() {
        let before = series(&[(1.0, 50.0), (f64::INFINITY, 60.0)], 9.0);
        let now = series(&[(1.0, 2.0), (f64::INFINITY, 2.0)], 0.5);
        assert_eq!(now.since(&before), None);
    }

    #[test]
    fn a_summary_gives_its_own_quantiles() {
        let s = WaitSeries {
            quantiles: vec![(0.5, 0.002), (0.95, 0.3)],
            sum: Some(3.0),
            count: Some(10.0),
            max: Some(1.2),
            ..Default::default()
        };
        let f = s.figures();
        assert_eq!(
            (f.p50, f.p95, f.mean, f.max),
            (Some(0.002), Some(0.3), Some(0.3), Some(1.2))
        );
    }
}
