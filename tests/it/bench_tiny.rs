//! The benchmark at its tiny scale, end to end through the binary, so it never rots: it builds
//! its database, times every measurement, runs the TUI in tmux for a moment, and writes one
//! markdown table with a figure in every row. (Targets are not asserted here: this is a debug
//! build on a shared machine; the full run is `contimg-monitor bench`, see the README.)

use std::process::Command;

/// Every measurement the table must carry a figure for (the astropy comparison is skipped
/// unless asked for, with a message saying how).
const MEASURED: &[&str] = &[
    "| tiny | build the database",
    "| tiny | Sources first load",
    "| tiny | Images refresh (first page, newest first)",
    "| tiny | Jobs refresh (first page, newest first)",
    "| tiny | MS refresh (first page, newest first)",
    "| tiny | Sources refresh (steady",
    "| tiny | Jobs failed-only (status:failed)",
    "| tiny | Jobs field:value (kind:imaging)",
    "| tiny | `once` summary",
    "| tiny | Images detail",
    "| tiny | MS detail",
    "| tiny | Jobs detail (a failed job)",
    "| tiny | Sources detail",
    "| tiny | triage grouping over 24 h",
    "| tiny | frame build at 120x40",
    "| tiny | API GROUP BY source_id (sqlite3 CLI, first page)",
    "| tiny | Sources refresh vs API GROUP BY",
    "FITS header, plain 64², uncached",
    "FITS header, plain 64², cached",
    "FITS header, 64² .fits.gz",
    "| tiny | TUI start → first frame",
    "| tiny | TUI start → all tabs filled",
    "| tiny | TUI start → every photometry row read",
    "| tiny | TUI CPU at rest",
    "| tiny | TUI peak RSS",
    "| tiny | TUI terminal output at rest",
];

fn have(tool: &str) -> bool {
    Command::new(tool).arg("-V").output().is_ok()
}

#[test]
fn the_tiny_benchmark_measures_everything_and_writes_its_table() {
    if !(have("tmux") && have("sqlite3")) {
        assert!(
            std::env::var_os("CONTIMG_REQUIRE_POSTGRES").is_none(),
            "tmux and sqlite3 are installed by .ci/run"
        );
        eprintln!("SKIPPED: the tiny benchmark needs tmux and sqlite3");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("table.md");
    let out = Command::new(env!("CARGO_BIN_EXE_contimg-monitor"))
        .args(["--config", "/dev/null", "bench", "--scales", "tiny"])
        .args(["--runs", "3", "--warmup", "1", "--process-runs", "1"])
        .args(["--tui-secs", "2", "--small-fits", "--dir"])
        .arg(dir.path())
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed: {stderr}");
    let table = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), table.trim());
    for needle in MEASURED {
        let line = table
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no row for {needle:?} in\n{table}"));
        assert!(
            !line.contains("skipped"),
            "{needle:?} was not measured: {line}\n{table}"
        );
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        assert_ne!(cells[3], "–", "{needle:?} has no figure: {line}");
    }
    assert!(
        table.contains("run with --astropy"),
        "the astropy comparison says how to run it:\n{table}"
    );
    // A second run reuses the database rather than building it again.
    let again = Command::new(env!("CARGO_BIN_EXE_contimg-monitor"))
        .args(["--config", "/dev/null", "bench", "--scales", "tiny"])
        .args(["--runs", "1", "--warmup", "0", "--process-runs", "1"])
        .args(["--tui-secs", "0", "--small-fits", "--dir"])
        .arg(dir.path())
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let table = std::fs::read_to_string(&out_file).unwrap();
    assert!(!table.contains("build the database"), "rebuilt:\n{table}");
}
