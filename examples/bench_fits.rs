//! The FITS rows of the benchmark on their own, full size:
//!
//! ```text
//! cargo build --release && cargo run --release --example bench_fits -- --astropy
//! ```
//!
//! Files go to `/tmp/contimg-bench-fits` (kept and reused); the markdown table goes to stdout.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use contimg_monitor::bench::fits::{AstropyMode, compare_fitsheader, make_files, measure};
use contimg_monitor::bench::{Repeat, report::markdown};

#[derive(Parser)]
struct Args {
    /// Where the FITS files (and the astropy venv) live.
    #[arg(long, default_value = "/tmp/contimg-bench-fits")]
    dir: PathBuf,
    /// Install astropy into DIR/venv from PyPI (reused when present) and compare.
    #[arg(long)]
    astropy: bool,
    /// An existing astropy `fitsheader` to compare with instead.
    #[arg(long, conflicts_with = "astropy")]
    fitsheader: Option<PathBuf>,
    /// The monitor binary to time; defaults to the release build beside this example.
    #[arg(long)]
    monitor: Option<PathBuf>,
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    #[arg(long, default_value_t = 200)]
    runs: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let monitor = match args.monitor {
        Some(path) => path,
        // target/release/examples/bench_fits -> target/release/contimg-monitor
        None => std::env::current_exe()?
            .parent()
            .and_then(|examples| examples.parent())
            .context("cannot locate the target directory")?
            .join("contimg-monitor"),
    };
    anyhow::ensure!(
        monitor.is_file(),
        "{} is missing: run `cargo build --release` first or pass --monitor",
        monitor.display()
    );
    let astropy = match (args.astropy, args.fitsheader) {
        (_, Some(bin)) => AstropyMode::Use(bin),
        (true, None) => AstropyMode::Install,
        (false, None) => AstropyMode::Skip,
    };

    eprintln!("making (or reusing) the files in {}…", args.dir.display());
    let files = make_files(&args.dir)?;
    let mut rows = measure(&files, Repeat::new(args.warmup, args.runs))?;
    rows.extend(compare_fitsheader(
        &files,
        &monitor,
        astropy,
        &args.dir.join("venv"),
    ));
    print!("{}", markdown(&rows));
    Ok(())
}
