//! Which files the log directory holds, and bounded reads of them. The files are appended to
//! for months (systemd's `append:`, no rotation of the `.log` files), so nothing is read
//! whole: a job's time window is found by bisecting the file on its records' times, and at
//! most a budget of bytes is read from there; without a window, the file's tail.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use jiff::tz::TimeZone;

use super::parse::parse_head;

/// What writes a file, by its name: decides the order files are searched in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    /// `absurd-worker.log`, `absurd-worker-{i}.log`: the task UUID lines.
    Worker,
    /// `absurd-scheduler.log`, `pointing-monitor.log`, `mosaic-nightly.log`, any other
    /// service's `*.log`.
    Service,
    /// `utils/logging_config.py`'s files (`pipeline.log`, `error.log`, the per-area logs) and
    /// their rotations (`pipeline.log.1`).
    Json,
    /// `casa/casa-YYYYMMDD-HHMMSS.log`.
    Casa,
}

/// The names `utils/logging_config.py` gives its files.
const JSON_NAMES: [&str; 8] = [
    "pipeline",
    "error",
    "conversion",
    "streaming",
    "calibration",
    "imaging",
    "api",
    "database",
];

/// A file found in the log directory.
#[derive(Debug, Clone)]
pub struct LogFile {
    pub path: PathBuf,
    /// Relative to the log directory, `/`-separated.
    pub name: String,
    pub kind: FileKind,
    /// Last written (unix seconds).
    pub mtime: Option<f64>,
    /// For CASA logs, the time in the file's name (when CASA started).
    pub started: Option<f64>,
}

/// The kind of a top-level file by its name; `None` for files that are no log (and for
/// `job-*.log`, read only as a job's own run log).
pub fn kind_of(name: &str) -> Option<FileKind> {
    let base = match name.strip_suffix(".log") {
        Some(base) => base,
        None => {
            // A rotation: `pipeline.log.1`.
            let (base, n) = name.rsplit_once(".log.")?;
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            base
        }
    };
    if base.is_empty() || base.starts_with("job-") || base.starts_with('.') {
        return None;
    }
    if base == "absurd-worker" || base.starts_with("absurd-worker-") {
        Some(FileKind::Worker)
    } else if JSON_NAMES.contains(&base) {
        Some(FileKind::Json)
    } else {
        Some(FileKind::Service)
    }
}

/// The start time in a CASA log's name (`casa-20251021-142319.log`, UTC).
pub fn casa_started(name: &str) -> Option<f64> {
    let stamp = name.strip_prefix("casa-")?.strip_suffix(".log")?;
    let (d, t) = stamp.split_once('-')?;
    if d.len() != 8 || t.len() != 6 || !(d.bytes().chain(t.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |s: &str| s.parse::<i32>().ok();
    let dt = jiff::civil::DateTime::new(
        n(&d[0..4])? as i16,
        n(&d[4..6])? as i8,
        n(&d[6..8])? as i8,
        n(&t[0..2])? as i8,
        n(&t[2..4])? as i8,
        n(&t[4..6])? as i8,
        0,
    )
    .ok()?;
    let ts = TimeZone::UTC.to_timestamp(dt).ok()?;
    Some(ts.as_second() as f64)
}

/// Every log file under `dir` (top level and `casa/`), workers first, then services, the
/// JSON files, CASA's newest first.
pub fn discover(dir: &Path) -> Vec<LogFile> {
    let mut out = Vec::new();
    let mtime = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs_f64())
    };
    let names = |d: &Path| -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(d) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect()
    };
    for name in names(dir) {
        if let Some(kind) = kind_of(&name) {
            let path = dir.join(&name);
            out.push(LogFile {
                mtime: mtime(&path),
                path,
                name,
                kind,
                started: None,
            });
        }
    }
    let casa = dir.join("casa");
    for name in names(&casa) {
        if let Some(started) = casa_started(&name) {
            let path = casa.join(&name);
            out.push(LogFile {
                mtime: mtime(&path),
                path,
                name: format!("casa/{name}"),
                kind: FileKind::Casa,
                started: Some(started),
            });
        }
    }
    out.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then_with(|| {
                b.started
                    .unwrap_or(0.0)
                    .total_cmp(&a.started.unwrap_or(0.0))
            })
            .then_with(|| a.name.cmp(&b.name))
    });
    out
}

/// What a bounded read gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chunk {
    /// Whole lines.
    pub text: String,
    /// The budget ended the read before the window (or the file) did.
    pub truncated: bool,
}

/// How far one bisection probe looks for a record's time before giving up on its spot.
const PROBE_BYTES: usize = 64 * 1024;

/// The lines of `path` around the window `from..to` (unix seconds), at most `budget` bytes:
/// the whole file when it is smaller, else from the first record at or after `from` (found
/// by bisection on the records' times) on.
pub fn read_window(
    path: &Path,
    window: Option<(f64, f64)>,
    zone: &TimeZone,
    budget: u64,
) -> io::Result<Chunk> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let start = match window {
        _ if len <= budget => 0,
        None => len - budget,
        Some((from, _)) => seek_time(&mut file, len, from, zone)?,
    };
    let (text, more) = read_from(&mut file, start, budget)?;
    let truncated = more
        && match window {
            // More past the budget matters only when it may still be inside the window.
            Some((_, to)) => last_time(&text, zone).is_none_or(|t| t <= to),
            None => false,
        };
    Ok(Chunk {
        text,
        truncated: truncated || (window.is_none() && start > 0),
    })
}

/// The last `max` bytes of a file as text, starting at a whole line.
pub fn read_tail(path: &Path, max: u64) -> io::Result<String> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    Ok(read_from(&mut file, len.saturating_sub(max), max)?.0)
}

/// Up to `max` bytes from `start`, beginning at a whole line and ending at one; whether the
/// file went on past them.
fn read_from(file: &mut File, start: u64, max: u64) -> io::Result<(String, bool)> {
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity(max.min(len - start.min(len)) as usize);
    file.take(max).read_to_end(&mut bytes)?;
    let more = start + (bytes.len() as u64) < len;
    if start > 0 {
        // The first line was cut by the seek (or starts exactly here: then one line is lost,
        // the one before the window).
        let cut = bytes
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |i| i + 1);
        bytes.drain(..cut);
    }
    if more {
        // The last line was cut by the budget.
        let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(keep);
    }
    Ok((String::from_utf8_lossy(&bytes).into_owned(), more))
}

/// The offset of a line at or before the first record at or after `from`: bisection over the
/// file, each probe reading at most [`PROBE_BYTES`]. A probe that finds no record time (one
/// huge line, binary junk) counts as "not yet", so the read starts earlier rather than later.
fn seek_time(file: &mut File, len: u64, from: f64, zone: &TimeZone) -> io::Result<u64> {
    let (mut lo, mut hi) = (0u64, len);
    let mut buf = vec![0u8; PROBE_BYTES];
    while hi - lo > PROBE_BYTES as u64 {
        let mid = lo + (hi - lo) / 2;
        file.seek(SeekFrom::Start(mid))?;
        let n = read_up_to(file, &mut buf)?;
        let chunk = String::from_utf8_lossy(&buf[..n]);
        let time = chunk
            .split('\n')
            .skip(1)
            .filter_map(|l| parse_head(l, zone))
            .find_map(|r| r.unix);
        match time {
            Some(t) if t < from => lo = mid,
            _ => hi = mid,
        }
    }
    // Within the last span, start at the line before the first record at or after `from`
    // (a read from an offset drops the line it lands in).
    file.seek(SeekFrom::Start(lo))?;
    let n = read_up_to(file, &mut buf)?;
    let chunk = &buf[..n];
    let mut at = 0usize;
    for line in chunk.split(|b| *b == b'\n') {
        let skip_first = lo > 0 && at == 0;
        if !skip_first
            && let Some(t) = parse_head(&String::from_utf8_lossy(line), zone).and_then(|r| r.unix)
            && t >= from
        {
            return Ok((lo + at as u64).saturating_sub(1));
        }
        at += line.len() + 1;
        if at >= chunk.len() {
            break;
        }
    }
    Ok(lo)
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn last_time(text: &str, zone: &TimeZone) -> Option<f64> {
    text.lines()
        .rev()
        .take(1000)
        .filter_map(|l| parse_head(l, zone))
        .find_map(|r| r.unix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_names() {
        assert_eq!(kind_of("absurd-worker.log"), Some(FileKind::Worker));
        assert_eq!(kind_of("absurd-worker-3.log"), Some(FileKind::Worker));
        assert_eq!(kind_of("absurd-scheduler.log"), Some(FileKind::Service));
        assert_eq!(kind_of("mosaic-nightly.log"), Some(FileKind::Service));
        assert_eq!(kind_of("pipeline.log"), Some(FileKind::Json));
        assert_eq!(kind_of("pipeline.log.3"), Some(FileKind::Json));
        assert_eq!(kind_of("job-2025-10-21-142319.log"), None);
        assert_eq!(kind_of("absurd-worker.out"), None);
        assert_eq!(kind_of("notes.txt"), None);
        assert_eq!(
            casa_started("casa-20251021-142319.log"),
            Some(1_761_056_599.0)
        );
        assert_eq!(casa_started("casa.log"), None);
    }

    #[test]
    fn a_window_is_found_by_bisection_and_read_within_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absurd-worker.log");
        // 20 000 records one second apart from 2025-10-21 00:00:00 UTC, ~1.2 MB.
        let base = 1_761_004_800.0;
        let mut text = String::new();
        for i in 0..20_000u32 {
            let (h, m, s) = (i / 3600, i / 60 % 60, i % 60);
            text.push_str(&format!(
                "2025-10-21 {h:02}:{m:02}:{s:02},000 - w - INFO - record {i}\n"
            ));
        }
        std::fs::write(&path, &text).unwrap();
        let from = base + 15_000.0;
        let read = read_window(&path, Some((from, from + 60.0)), &TimeZone::UTC, 8192).unwrap();
        let first = read.text.lines().next().unwrap();
        let n: u32 = first.rsplit(' ').next().unwrap().parse().unwrap();
        assert_eq!(n, 15_000, "starts at the window: {first}");
        assert!(read.text.len() <= 8192);
        // Everything up to the window's end fits? Not from so early with 8 KiB: truncated.
        let whole = read_window(&path, Some((from, from + 10.0)), &TimeZone::UTC, 1 << 20);
        let whole = whole.unwrap();
        assert!(whole.text.contains("record 15000\n") && !whole.truncated);
    }

    #[test]
    fn one_huge_line_is_never_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absurd-worker.log");
        let mut text = String::from("2025-10-21 00:00:00,000 - w - INFO - start\n");
        text.push_str(&"y".repeat(4 << 20));
        text.push_str("\n2025-10-21 00:00:05,000 - w - ERROR - after\n");
        std::fs::write(&path, &text).unwrap();
        let read = read_window(
            &path,
            Some((1_761_004_803.0, 1_761_004_806.0)),
            &TimeZone::UTC,
            1 << 20,
        )
        .unwrap();
        assert!(read.text.len() <= 1 << 20);
        let tail = read_tail(&path, 1 << 16).unwrap();
        assert_eq!(tail, "2025-10-21 00:00:05,000 - w - ERROR - after\n");
    }
}
