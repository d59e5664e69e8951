//! The whole benchmark in one run: databases at each scale, the in-process timings, the FITS
//! reads, the TUI in tmux on the largest scale, the comparisons, and one markdown table.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use super::fits::AstropyMode;
use super::report::{Row, Target, Unit, markdown};
use super::stats::Repeat;
use super::{compare, fits, frame, generate, refresh, tui};
use crate::bench::scale::Scale;

/// The FITS files' size: the pipeline's (5040², 200 files to compare on) or a quick check's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitsSize {
    Full,
    Small,
}

impl FitsSize {
    fn naxis_and_files(self) -> (usize, usize) {
        match self {
            FitsSize::Full => (fits::FULL_NAXIS, fits::COMPARE_FILES),
            FitsSize::Small => (64, 20),
        }
    }
}

/// A year-scale refresh may cost at most this many times its day-scale figure.
pub const DAY_TO_YEAR: f64 = 2.0;

#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Databases, FITS files, the venv and the results live here (reused between runs).
    pub dir: PathBuf,
    pub scales: Vec<Scale>,
    pub repeat: Repeat,
    /// Runs of the sqlite3 `GROUP BY` comparison (the FITS tools run
    /// [`fits::COMPARE_REPEAT`]).
    pub process_repeat: Repeat,
    /// The TUI's window at rest on the largest scale; `None` skips the TUI run.
    pub tui_rest: Option<Duration>,
    pub fits: FitsSize,
    pub astropy: AstropyMode,
    /// The markdown table is written here.
    pub out: PathBuf,
    /// The monitor binary run by the TUI and `fits-header` measurements.
    pub monitor_bin: PathBuf,
}

/// Everything one run produced.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub rows: Vec<Row>,
    pub markdown: String,
}

/// Run it all; progress goes to stderr, the table is returned and written to `opts.out`.
pub async fn run(opts: &BenchOptions) -> anyhow::Result<BenchReport> {
    std::fs::create_dir_all(&opts.dir)
        .with_context(|| format!("creating {}", opts.dir.display()))?;
    let mut rows = Vec::new();
    let mut largest: Option<(Scale, PathBuf)> = None;
    for scale in &opts.scales {
        eprintln!("bench: {} — database", scale.name);
        let built = generate::ensure(&opts.dir, scale).await?;
        match built.built_in {
            Some(d) => rows.push(Row::single(
                scale.name,
                &format!(
                    "build the database ({} MS, {} photometry rows)",
                    scale.ms, scale.photometry
                ),
                Unit::Seconds,
                d.as_secs_f64(),
                None,
            )),
            None => eprintln!("bench: {} — reusing {}", scale.name, built.path.display()),
        }
        eprintln!(
            "bench: {} — refreshes, filters, details, triage",
            scale.name
        );
        let probe =
            refresh::measure(&built.path, scale.name, built.newest_unix, opts.repeat).await?;
        if let Some(load) = probe.sources_first_load {
            rows.push(
                Row::single(
                    scale.name,
                    "Sources first load (every photometry row, in process)",
                    Unit::Seconds,
                    load.as_secs_f64(),
                    None,
                )
                .with_note(format!("{} sources", probe.distinct_sources)),
            );
        }
        let sources_p50 = probe
            .rows
            .iter()
            .find(|r| r.what.starts_with("Sources refresh"))
            .and_then(|r| r.p50);
        rows.extend(probe.rows);
        eprintln!("bench: {} — frame build", scale.name);
        rows.push(frame::measure(&built.path, scale.name, built.newest_unix, opts.repeat).await?);
        eprintln!("bench: {} — sqlite3 GROUP BY comparison", scale.name);
        rows.extend(compare::rows(
            scale.name,
            &built.path,
            opts.process_repeat,
            sources_p50,
        ));
        if largest.as_ref().is_none_or(|(s, _)| s.ms < scale.ms) {
            largest = Some((*scale, built.path.clone()));
        }
    }
    rows.extend(day_to_year(&rows));

    eprintln!("bench: FITS headers");
    let (naxis, n_files) = opts.fits.naxis_and_files();
    let files = fits::make_files_sized(&opts.dir.join("fits"), naxis, n_files)?;
    rows.extend(fits::measure(&files, opts.repeat)?);
    rows.extend(fits::compare_fitsheader(
        &files,
        &opts.monitor_bin,
        opts.astropy.clone(),
        &opts.dir.join("venv"),
    ));

    if let (Some(rest), Some((scale, db))) = (opts.tui_rest, &largest) {
        eprintln!(
            "bench: {} — the TUI in tmux (start-up, first load, then {} s at rest)",
            scale.name,
            rest.as_secs()
        );
        rows.extend(tui::measure(
            &tui::TuiRun {
                bin: &opts.monitor_bin,
                db,
                work: &opts.dir.join("tui"),
                rest,
            },
            scale.name,
        ));
    }

    let markdown = format!("{}\n{}", header(opts), markdown(&rows));
    std::fs::write(&opts.out, &markdown)
        .with_context(|| format!("writing {}", opts.out.display()))?;
    Ok(BenchReport { rows, markdown })
}

/// For every timed refresh measured at both day and year scale: the year's p95 over the
/// day's. Sub-millisecond figures are noted, since a ratio of two tiny times says little.
pub fn day_to_year(rows: &[Row]) -> Vec<Row> {
    let find = |scale: &str, what: &str| {
        rows.iter()
            .find(|r| r.scale == scale && r.what == what && r.unit == Unit::Seconds)
    };
    rows.iter()
        .filter(|r| r.scale == Scale::DAY.name && r.unit == Unit::Seconds && r.target.is_some())
        .filter_map(|day| {
            let year = find(Scale::YEAR.name, &day.what)?;
            let (d, y) = (day.p95?, year.p95?);
            let row = Row::single(
                "day→year",
                &format!("{} (year p95 / day p95)", day.what),
                Unit::Times,
                y / d.max(1e-9),
                Some(Target::below(DAY_TO_YEAR)),
            );
            Some(if y < 1e-3 {
                row.with_note("both under 1 ms")
            } else {
                row
            })
        })
        .collect()
}

fn header(opts: &BenchOptions) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "# contimg-monitor benchmark\n\n\
         contimg-monitor {} ({} build), {} × {}, {}; {} warm-up + {} timed runs in process, \
         {} + {} whole-process runs.\n",
        env!("CARGO_PKG_VERSION"),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        cores,
        cpu,
        crate::demo::names::iso_timestamp(crate::services::now_unix()),
        opts.repeat.warmup,
        opts.repeat.runs,
        opts.process_repeat.warmup,
        opts.process_repeat.runs,
    )
}

/// Where the bench keeps its files by default: the XDG cache dir (databases are gigabytes).
pub fn default_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "contimg-monitor")
        .map(|d| d.cache_dir().join("bench"))
        .unwrap_or_else(|| std::env::temp_dir().join("contimg-monitor-bench"))
}

/// The results file's default place.
pub fn default_out(dir: &Path) -> PathBuf {
    dir.join("results.md")
}
