//! The FITS part of the benchmark on small files: it makes its files once, times every row,
//! and compares `fits-header` with a `fitsheader` without needing astropy.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use contimg_monitor::bench::fits::{
    AstropyMode, FitsFiles, compare_fitsheader, make_files_sized, measure,
};
use contimg_monitor::bench::{Repeat, Row, Unit};
use contimg_monitor::fits::read_header;

const MONITOR: &str = env!("CARGO_BIN_EXE_contimg-monitor");

fn small_files(dir: &Path) -> FitsFiles {
    make_files_sized(dir, 64, 4).expect("make files")
}

fn has_figures(row: &Row) -> bool {
    row.p50.is_some_and(|v| v > 0.0) && row.p95.is_some_and(|v| v > 0.0)
}

/// A stand-in `fitsheader`: a shell script with the given body.
fn script(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("fitsheader");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[test]
fn the_files_are_distinct_pipeline_images_and_the_gz_reads_as_the_plain_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = small_files(dir.path());
    let plain = read_header(&files.plain).expect("plain");
    let gz = read_header(&files.gz).expect("gz");
    assert_eq!(plain.summary.shape, vec![64, 64, 1, 1]);
    assert!(plain.hdus[0].cards.len() > 30, "{:?}", plain.hdus[0].cards);
    assert_eq!(gz.hdus[0].cards, plain.hdus[0].cards);
    // Noise-like pixels: gzip cannot shrink them much.
    let (plain_bytes, gz_bytes) = (
        std::fs::metadata(&files.plain).expect("plain").len(),
        std::fs::metadata(&files.gz).expect("gz").len(),
    );
    assert!(gz_bytes * 2 > plain_bytes, "{gz_bytes} of {plain_bytes}");

    let objects: std::collections::HashSet<String> = files
        .many
        .iter()
        .map(|p| {
            let doc = read_header(p).expect("many");
            assert_eq!(doc.file_bytes, plain_bytes, "same shape, same size");
            doc.summary.object.expect("OBJECT")
        })
        .collect();
    assert_eq!(objects.len(), 4);
}

#[test]
fn a_complete_set_is_reused_and_a_missing_file_is_written_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = small_files(dir.path());
    let modified = |p: &Path| {
        std::fs::metadata(p)
            .expect("stat")
            .modified()
            .expect("mtime")
    };
    let before = modified(&files.plain);
    std::fs::remove_file(&files.many[2]).expect("remove one");
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = small_files(dir.path());
    assert_eq!(again, files);
    assert_eq!(
        modified(&files.plain),
        before,
        "the plain image was rewritten"
    );
    assert!(
        files.many[2].is_file(),
        "the missing file was not written again"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn measure_times_every_header_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = small_files(dir.path());
    let rows = measure(&files, Repeat::new(1, 3)).expect("measure");
    let names: Vec<&str> = rows.iter().map(|r| r.what.as_str()).collect();
    assert_eq!(
        names,
        [
            "FITS header, plain 64², uncached",
            "FITS header, plain 64², cached",
            "FITS header, 64² .fits.gz",
            "reference: CFITSIO opens the 64² .fits.gz",
        ]
    );
    for row in &rows {
        assert!(has_figures(row), "{row:?}");
        assert_eq!(row.scale, "-");
    }
    assert!(rows[..3].iter().all(|r| r.target.is_some()));
}

#[tokio::test]
async fn measure_can_be_called_from_inside_a_runtime() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = small_files(dir.path());
    let rows = measure(&files, Repeat::new(0, 2)).expect("measure");
    assert!(has_figures(&rows[1]), "{:?}", rows[1]);
}

#[test]
fn without_astropy_the_monitor_is_timed_and_astropy_says_how_to_ask_for_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = small_files(dir.path());
    let rows = compare_fitsheader(
        &files,
        Path::new(MONITOR),
        AstropyMode::Skip,
        &dir.path().join("venv"),
    );
    assert_eq!(rows.len(), 3);
    assert!(has_figures(&rows[0]), "{:?}", rows[0]);
    assert!(rows[0].what.contains("4 files"), "{}", rows[0].what);
    for row in &rows[1..] {
        assert_eq!(row.p50, None);
        assert_eq!(
            row.note.as_deref(),
            Some("run with --astropy to install astropy into a venv")
        );
    }
    assert!(!dir.path().join("venv").exists(), "Skip installed nothing");
}

#[test]
fn a_fitsheader_that_prints_every_file_is_timed_and_the_ratio_has_a_target() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = small_files(dir.path());
    let fake = script(
        dir.path(),
        "for f in \"$@\"; do echo \"# HDU 0 in $f:\"; echo 'SIMPLE  = T'; done",
    );
    let rows = compare_fitsheader(
        &files,
        Path::new(MONITOR),
        AstropyMode::Use(fake),
        dir.path(),
    );
    assert!(has_figures(&rows[1]), "{:?}", rows[1]);
    assert_eq!(rows[2].unit, Unit::Times);
    assert!(rows[2].p50.is_some_and(|r| r > 0.0), "{:?}", rows[2]);
    assert!(rows[2].verdict().is_some());
}

#[test]
fn a_fitsheader_that_skips_a_file_or_fails_is_not_timed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = small_files(dir.path());
    let venv = dir.path().join("venv");
    let skips_last = script(
        dir.path(),
        "for f in \"$@\"; do echo \"# HDU 0 in $f:\"; shift; [ $# -eq 1 ] && break; done; true",
    );
    let rows = compare_fitsheader(
        &files,
        Path::new(MONITOR),
        AstropyMode::Use(skips_last),
        &venv,
    );
    let why = rows[1].note.as_deref().expect("a reason");
    assert!(
        rows[1].p50.is_none() && why.contains("no header for 1 of 4 files"),
        "{why}"
    );
    assert!(rows[2].p50.is_none());

    let fails = script(dir.path(), "echo 'No module named astropy' >&2; exit 1");
    let rows = compare_fitsheader(&files, Path::new(MONITOR), AstropyMode::Use(fails), &venv);
    let why = rows[1].note.as_deref().expect("a reason");
    assert!(why.contains("No module named astropy"), "{why}");

    let rows = compare_fitsheader(
        &files,
        Path::new(MONITOR),
        AstropyMode::Use(dir.path().join("nowhere")),
        &venv,
    );
    assert!(
        rows[1]
            .note
            .as_deref()
            .expect("a reason")
            .contains("does not exist")
    );
}
