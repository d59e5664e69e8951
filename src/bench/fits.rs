//! FITS header reads: the monitor's reader on a full-size plain image (its own cache bypassed,
//! then a cache hit), on the same image gzipped, CFITSIO inflating the gzipped file for
//! reference, and `fits-header` against astropy's `fitsheader` as whole processes.

mod compare;
mod files;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};

pub use compare::{AstropyMode, COMPARE_REPEAT, compare_fitsheader};
pub use files::{COMPARE_FILES, FULL_NAXIS, FitsFiles, make_files, make_files_sized};

use super::stats::{Repeat, Samples, time_async, time_sync};
use super::{Row, Target};
use crate::config::Config;
use crate::fits::{FitsWorker, HeaderDoc, read_header};

/// Rows that belong to no database scale.
const SCALE: &str = "-";
/// CFITSIO inflating the whole `.gz` is timed again only when one run is this cheap.
const CHEAP_REFERENCE: Duration = Duration::from_secs(5);
/// Runs of the CFITSIO reference when it is cheap: a figure for scale, not a distribution.
const REFERENCE_RUNS: usize = 3;

/// The header-read rows: plain uncached and cached, gzip, and CFITSIO on the gzip file.
pub fn measure(files: &FitsFiles, repeat: Repeat) -> anyhow::Result<Vec<Row>> {
    let n = files.naxis;
    let plain = checked_read(&files.plain)?;
    let gz = checked_read(&files.gz)?;
    // The gzip fast path must give the primary header CFITSIO gives, or it times something else.
    ensure!(
        gz.hdus.first().map(|h| &h.cards) == plain.hdus.first().map(|h| &h.cards),
        "{} and {} give different primary headers",
        files.gz.display(),
        files.plain.display()
    );

    let uncached = timed_reads(&files.plain, repeat)?;
    let cached = cached_lookups(&files.plain, repeat)?;
    let gzip = timed_reads(&files.gz, repeat)?;
    let mut rows = vec![
        Row::timed(
            SCALE,
            &format!("FITS header, plain {n}², uncached"),
            &uncached,
            Some(Target::p50_below(Duration::from_millis(1))),
        )
        .with_note(
            "read_header, the worker's cache-miss path, every time; OS page cache warm after \
             warm-up",
        ),
        Row::timed(
            SCALE,
            &format!("FITS header, plain {n}², cached"),
            &cached,
            Some(Target::p50_below(Duration::from_micros(50))),
        )
        .with_note("FitsWorker::header hit, as the UI asks: channel, stat, LRU lookup, reply"),
        Row::timed(
            SCALE,
            &format!("FITS header, {n}² .fits.gz"),
            &gzip,
            Some(Target::p95_below(Duration::from_millis(50))),
        )
        .with_note("inflates only up to END; OS page cache warm after warm-up"),
    ];
    rows.push(cfitsio_whole_gz(files)?);
    Ok(rows)
}

fn checked_read(path: &Path) -> anyhow::Result<HeaderDoc> {
    let doc = read_header(path).with_context(|| format!("cannot read {}", path.display()))?;
    ensure!(
        doc.hdus.first().is_some_and(|h| !h.cards.is_empty()),
        "{} has no header cards",
        path.display()
    );
    Ok(doc)
}

/// `read_header` timed; a failed read fails the measurement instead of timing an error path.
fn timed_reads(path: &Path, repeat: Repeat) -> anyhow::Result<Samples> {
    let mut failed = None;
    let samples = time_sync(repeat, || {
        let read = read_header(path);
        if let Err(e) = &read {
            failed.get_or_insert_with(|| e.clone());
        }
        read
    });
    match failed {
        Some(e) => Err(e).with_context(|| format!("reading {} while timing", path.display())),
        None => Ok(samples),
    }
}

/// Cache hits through the worker the UI uses, with its configured cache size. The disk-read
/// counter proves every timed request was a hit. Runs its own runtime on its own thread, so
/// `measure` may be called from inside a tokio runtime (the `bench` command's) too.
fn cached_lookups(path: &Path, repeat: Repeat) -> anyhow::Result<Samples> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| cached_lookups_here(path, repeat))
            .join()
            .unwrap_or_else(|_| bail!("the cache-hit measurement panicked"))
    })
}

fn cached_lookups_here(path: &Path, repeat: Repeat) -> anyhow::Result<Samples> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start a tokio runtime")?;
    let worker = FitsWorker::spawn(Config::defaults().fits.cache_entries);
    let path = PathBuf::from(path);
    runtime.block_on(async {
        worker
            .header(path.clone())
            .await
            .with_context(|| format!("cannot read {}", path.display()))?;
        let reads = worker.disk_reads();
        let samples = time_async(repeat, || worker.header(path.clone())).await?;
        if worker.disk_reads() != reads {
            bail!(
                "the worker read {} from disk while hits were timed: its cache is off",
                path.display()
            );
        }
        Ok(samples)
    })
}

/// How long plain fitsio (CFITSIO) takes to open the `.gz`: it inflates the whole file before
/// the header can be read. Timed once, and a few more times only when that is cheap.
fn cfitsio_whole_gz(files: &FitsFiles) -> anyhow::Result<Row> {
    let open = || -> anyhow::Result<Duration> {
        let start = Instant::now();
        let mut file = fitsio::FitsFile::open(&files.gz)
            .with_context(|| format!("CFITSIO cannot open {}", files.gz.display()))?;
        file.primary_hdu()
            .with_context(|| format!("CFITSIO cannot read {}", files.gz.display()))?;
        Ok(start.elapsed())
    };
    let first = open()?;
    let mut runs = vec![first];
    if first < CHEAP_REFERENCE {
        for _ in 1..REFERENCE_RUNS {
            runs.push(open()?);
        }
    }
    let samples = Samples::from_durations(runs);
    Ok(Row::timed(
        SCALE,
        &format!("reference: CFITSIO opens the {}² .fits.gz", files.naxis),
        &samples,
        None,
    )
    .with_note(format!(
        "fitsio::FitsFile::open inflates the whole file first; {} run(s), no warm-up",
        samples.len()
    )))
}
