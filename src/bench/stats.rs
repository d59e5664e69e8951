//! Repeated timings and their percentiles.

use std::future::Future;
use std::time::{Duration, Instant};

/// How many times to run a measurement: some unrecorded warm-up runs, then recorded ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    pub warmup: usize,
    pub runs: usize,
}

impl Repeat {
    pub const fn new(warmup: usize, runs: usize) -> Repeat {
        Repeat { warmup, runs }
    }
}

/// Recorded durations of one measurement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Samples(Vec<Duration>);

impl Samples {
    pub fn from_durations(mut d: Vec<Duration>) -> Samples {
        d.sort();
        Samples(d)
    }

    /// Several measurements' samples as one (e.g. one frame per tab).
    pub fn merged(parts: impl IntoIterator<Item = Samples>) -> Samples {
        Samples::from_durations(parts.into_iter().flat_map(|s| s.0).collect())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The nearest-rank percentile (`p` in 0..=100): the smallest sample with at least p % of
    /// the samples at or below it.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        if self.0.is_empty() {
            return None;
        }
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        Some(self.0[rank.clamp(1, self.0.len()) - 1])
    }

    pub fn p50(&self) -> Option<Duration> {
        self.percentile(50.0)
    }

    pub fn p95(&self) -> Option<Duration> {
        self.percentile(95.0)
    }
}

/// Time `f` `repeat.runs` times after `repeat.warmup` unrecorded runs.
pub fn time_sync<T>(repeat: Repeat, mut f: impl FnMut() -> T) -> Samples {
    for _ in 0..repeat.warmup {
        std::hint::black_box(f());
    }
    let mut d = Vec::with_capacity(repeat.runs);
    for _ in 0..repeat.runs {
        let t = Instant::now();
        std::hint::black_box(f());
        d.push(t.elapsed());
    }
    Samples::from_durations(d)
}

/// Run `f` `repeat.warmup` + `repeat.runs` times, recording the durations the timed runs
/// report; each run times itself, so a check of its output can stay out of the figure. The
/// first error stops the measurement (for whole processes: a failed run is not a timing).
pub fn time_self_timed<E>(
    repeat: Repeat,
    mut f: impl FnMut() -> Result<Duration, E>,
) -> Result<Samples, E> {
    for _ in 0..repeat.warmup {
        f()?;
    }
    let mut d = Vec::with_capacity(repeat.runs);
    for _ in 0..repeat.runs {
        d.push(f()?);
    }
    Ok(Samples::from_durations(d))
}

/// The async form of [`time_sync`]; the first error stops the measurement.
pub async fn time_async<T, E, F, Fut>(repeat: Repeat, mut f: F) -> Result<Samples, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    for _ in 0..repeat.warmup {
        std::hint::black_box(f().await?);
    }
    let mut d = Vec::with_capacity(repeat.runs);
    for _ in 0..repeat.runs {
        let t = Instant::now();
        std::hint::black_box(f().await?);
        d.push(t.elapsed());
    }
    Ok(Samples::from_durations(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Samples {
        Samples::from_durations(v.iter().map(|m| Duration::from_millis(*m)).collect())
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = ms(&(1..=20).rev().collect::<Vec<_>>());
        assert_eq!(s.p50(), Some(Duration::from_millis(10)));
        assert_eq!(s.p95(), Some(Duration::from_millis(19)));
        assert_eq!(ms(&[7]).p95(), Some(Duration::from_millis(7)));
        assert_eq!(Samples::default().p50(), None);
    }

    #[test]
    fn warm_up_runs_are_not_recorded() {
        let mut calls = 0;
        let s = time_sync(Repeat::new(3, 5), || calls += 1);
        assert_eq!((calls, s.len()), (8, 5));
    }
}
