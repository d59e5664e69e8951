//! `contimg-monitor fits-header` against astropy's `fitsheader` on the same files, each as a
//! whole process (start-up included: that is what an operator waits for), and their ratio.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use super::{FitsFiles, SCALE};
use crate::bench::stats::{Repeat, Samples, time_self_timed};
use crate::bench::{Row, Target, Unit};

/// One warm-up run (Python's imports and the files' pages come into the OS cache), five timed.
pub const COMPARE_REPEAT: Repeat = Repeat::new(1, 5);
const SKIP_MESSAGE: &str = "run with --astropy to install astropy into a venv";
/// How each tool's output names a file's first header (astropy prints the same line).
const FIRST_HDU_PREFIX: &str = "# HDU 0 in ";

/// Where astropy's `fitsheader` comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AstropyMode {
    /// Not compared: the rows say how to ask for it.
    Skip,
    /// Into a virtual environment (`python3 -m venv`, `pip install astropy` from PyPI),
    /// reused when it already has `fitsheader`.
    Install,
    /// An existing `fitsheader` executable.
    Use(PathBuf),
}

/// Whole-process timings of both tools on `files.many`, p50/p95 each, and astropy's p50 over
/// the monitor's. Never fails: a tool that cannot be had or run gives a skipped row and why.
pub fn compare_fitsheader(
    files: &FitsFiles,
    monitor_bin: &Path,
    astropy: AstropyMode,
    venv_dir: &Path,
) -> Vec<Row> {
    let n = files.many.len();
    let monitor_what = format!("fits-header, {n} files, whole process");
    let astropy_what = format!("astropy fitsheader, {n} files, whole process");
    let ratio_what = format!("astropy fitsheader ÷ fits-header, {n} files (p50)");

    let monitor = time_tool(
        monitor_bin,
        &[OsStr::new("fits-header")],
        &files.many,
        COMPARE_REPEAT,
    );
    let astropy = fitsheader_executable(astropy, venv_dir).and_then(|(bin, version)| {
        time_tool(&bin, &[], &files.many, COMPARE_REPEAT).map(|s| (s, version))
    });

    let runs = format!(
        "{} warm-up, {} runs, stdout piped",
        COMPARE_REPEAT.warmup, COMPARE_REPEAT.runs
    );
    let mut rows = vec![match &monitor {
        Ok(s) => Row::timed(SCALE, &monitor_what, s, None).with_note(runs.clone()),
        Err(why) => Row::skipped(SCALE, &monitor_what, why.clone()),
    }];
    rows.push(match &astropy {
        Ok((s, version)) => Row::timed(SCALE, &astropy_what, s, None).with_note(format!(
            "{runs}; {}",
            version.as_deref().unwrap_or("astropy")
        )),
        Err(why) => Row::skipped(SCALE, &astropy_what, why.clone()),
    });
    rows.push(match (&monitor, &astropy) {
        (Ok(m), Ok((a, _))) => match (m.p50(), a.p50()) {
            (Some(m), Some(a)) if !m.is_zero() => Row::single(
                SCALE,
                &ratio_what,
                Unit::Times,
                a.as_secs_f64() / m.as_secs_f64(),
                Some(Target::at_least(20.0)),
            ),
            _ => Row::skipped(SCALE, &ratio_what, "no timed runs"),
        },
        (Err(_), _) => Row::skipped(SCALE, &ratio_what, "fits-header was not timed"),
        (_, Err(why)) => Row::skipped(SCALE, &ratio_what, why.clone()),
    });
    rows
}

/// Run `program args files…` `repeat` times (warm-up included), checking every run's output.
fn time_tool(
    program: &Path,
    args: &[&OsStr],
    files: &[PathBuf],
    repeat: Repeat,
) -> Result<Samples, String> {
    if files.is_empty() {
        return Err("no files to read".to_string());
    }
    time_self_timed(repeat, || {
        let start = Instant::now();
        let output = Command::new(program)
            .args(args)
            .args(files)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        let took = start.elapsed();
        check_output(program, &output, files)?;
        Ok(took)
    })
}

/// The run succeeded and printed a header for every file: an error path is not what we time.
fn check_output(program: &Path, output: &Output, files: &[PathBuf]) -> Result<(), String> {
    let tool = program.display();
    if !output.status.success() {
        return Err(format!(
            "{tool} failed ({}): {}",
            output.status,
            last_line(&output.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let shown: HashSet<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix(FIRST_HDU_PREFIX)?.strip_suffix(':'))
        .collect();
    let missing: Vec<String> = files
        .iter()
        .map(|f| f.display().to_string())
        .filter(|f| !shown.contains(f.as_str()))
        .collect();
    match missing.first() {
        None => Ok(()),
        Some(first) => Err(format!(
            "{tool} printed no header for {} of {} files (first: {first}; {} bytes of output)",
            missing.len(),
            files.len(),
            output.stdout.len()
        )),
    }
}

/// The `fitsheader` to run and, when known, which astropy it is.
fn fitsheader_executable(
    mode: AstropyMode,
    venv_dir: &Path,
) -> Result<(PathBuf, Option<String>), String> {
    match mode {
        AstropyMode::Skip => Err(SKIP_MESSAGE.to_string()),
        AstropyMode::Use(bin) if bin.is_file() => {
            let version = bin
                .parent()
                .and_then(|d| astropy_version(&d.join("python")));
            Ok((bin, version))
        }
        AstropyMode::Use(bin) => Err(format!("{} does not exist", bin.display())),
        AstropyMode::Install => {
            let bin = install_astropy(venv_dir)?;
            Ok((bin, astropy_version(&venv_dir.join("bin").join("python"))))
        }
    }
}

/// `venv_dir/bin/fitsheader`, creating the venv and installing astropy when it is missing.
fn install_astropy(venv_dir: &Path) -> Result<PathBuf, String> {
    let bin = venv_dir.join("bin");
    let fitsheader = bin.join("fitsheader");
    if fitsheader.is_file() {
        return Ok(fitsheader);
    }
    let python = bin.join("python");
    if !python.is_file() {
        run_step(
            Command::new("python3").arg("-m").arg("venv").arg(venv_dir),
            "python3 -m venv",
        )?;
    }
    // The only progress there is to show: pip takes a minute and prints nothing with --quiet.
    eprintln!(
        "installing astropy into {} (pip, from PyPI)…",
        venv_dir.display()
    );
    run_step(
        Command::new(&python).args(["-m", "pip", "install", "--quiet", "astropy"]),
        "pip install astropy",
    )?;
    if fitsheader.is_file() {
        Ok(fitsheader)
    } else {
        Err(format!(
            "pip installed astropy but {} is missing",
            fitsheader.display()
        ))
    }
}

fn run_step(command: &mut Command, what: &str) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("{what} could not start: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}",
            output.status,
            last_line(&output.stderr)
        ))
    }
}

fn astropy_version(python: &Path) -> Option<String> {
    let output = Command::new(python)
        .args(["-c", "import astropy; print(astropy.__version__)"])
        .output()
        .ok()?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (output.status.success() && !version.is_empty()).then(|| format!("astropy {version}"))
}

/// The last non-empty line of a tool's stderr: usually the one that says why.
fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("(no message)")
        .to_string()
}
