//! The sizes the benchmark builds: a day, a month and a year of the pipeline at its documented
//! rate (~280 MS a day), plus a tiny one the test suite runs so the benchmark never rots.

/// Row counts of one benchmark database. Everything but `ms` follows the year's proportions
/// (pipeline-facts: ~100 000 MS, several hundred thousand images and jobs, tens of millions of
/// photometry rows a year).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    pub name: &'static str,
    pub ms: u64,
    pub images: u64,
    pub jobs: u64,
    pub ms_state: u64,
    pub photometry: u64,
    pub sources: u64,
    /// Days the data spans, ending at the build time (280 MS a day).
    pub days: u64,
}

impl Scale {
    pub const TINY: Scale = Scale::from_ms("tiny", 120);
    pub const DAY: Scale = Scale::from_ms("day", 280);
    pub const MONTH: Scale = Scale::from_ms("month", 8_500);
    pub const YEAR: Scale = Scale::from_ms("year", 100_000);

    pub const ALL: [Scale; 4] = [Scale::TINY, Scale::DAY, Scale::MONTH, Scale::YEAR];

    /// A year is 100 000 MS, 600 000 images, 400 000 jobs, 100 000 `ms_state` rows and
    /// 10 000 000 photometry rows over 50 000 sources; smaller scales keep the per-MS ratios
    /// and see fewer distinct sources (at most one per two measurements).
    pub const fn from_ms(name: &'static str, ms: u64) -> Scale {
        let photometry = ms * 100;
        let sources = if photometry / 2 < 50_000 {
            photometry / 2
        } else {
            50_000
        };
        Scale {
            name,
            ms,
            images: ms * 6,
            jobs: ms * 4,
            ms_state: ms,
            photometry,
            sources,
            days: ms.div_ceil(280),
        }
    }

    pub fn by_name(name: &str) -> Option<Scale> {
        Scale::ALL
            .into_iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_year_has_the_sizes_the_issue_names() {
        let y = Scale::YEAR;
        assert_eq!(
            (y.ms, y.images, y.jobs, y.ms_state, y.photometry, y.sources),
            (100_000, 600_000, 400_000, 100_000, 10_000_000, 50_000)
        );
        assert_eq!(Scale::DAY.days, 1);
        assert_eq!(Scale::by_name("Month"), Some(Scale::MONTH));
    }
}
