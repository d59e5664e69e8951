//! The pipeline's own log lines about one MS, from `PIPELINE_LOG_DIR`: the per-run file
//! `{run_id}.log` when the run has one, else the lines of `pipeline.log` / `error.log` whose
//! JSON names the MS (`ms_path`) or its group (`group_id`). Blocking file I/O: call it from
//! `spawn_blocking`. Reads are bounded (the last 2 MiB of a file, at most 200 lines) because
//! these files grow for months.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::snapshot::LogTail;

/// At most this much of the end of a log file is read.
pub const TAIL_BYTES: u64 = 2 * 1024 * 1024;
/// At most this many lines are kept.
pub const TAIL_LINES: usize = 200;
/// The shared logs searched, in order, when a run has no file of its own.
pub const SHARED_LOGS: [&str; 2] = ["pipeline.log", "error.log"];

/// The group id of an MS: its file stem (`/stage/.../2025-10-21T14:23:19.ms` →
/// `2025-10-21T14:23:19`).
pub fn group_id(ms_path: &str) -> Option<&str> {
    let name = ms_path.trim_end_matches('/').rsplit('/').next()?;
    let stem = name.strip_suffix(".ms").unwrap_or(name);
    (!stem.is_empty()).then_some(stem)
}

/// The API's run id for an MS: `job-YYYY-MM-DD-HHMMSS` from the timestamp in its name.
pub fn run_id(ms_path: &str) -> Option<String> {
    let stem = group_id(ms_path)?;
    let (date, time) = stem.split_once('T')?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let mut d = date.split('-');
    let (y, m, day) = (d.next()?, d.next()?, d.next()?);
    let mut t = time.split(':');
    let (h, min, s) = (t.next()?, t.next()?, t.next()?);
    let s = s.split('.').next()?;
    let ok = digits(y, 4) && digits(m, 2) && digits(day, 2) && digits(h, 2) && digits(min, 2);
    (ok && digits(s, 2) && d.next().is_none() && t.next().is_none())
        .then(|| format!("job-{y}-{m}-{day}-{h}{min}{s}"))
}

/// The log lines that belong to `ms_path`, or `None` when no file mentions it.
pub fn find_log_tail(log_dir: &Path, ms_path: &str) -> Option<LogTail> {
    if let Some(run) = run_id(ms_path) {
        let path = log_dir.join(format!("{run}.log"));
        if let Ok(text) = read_tail(&path, TAIL_BYTES) {
            return Some(LogTail {
                path: path.display().to_string(),
                lines: last_lines(text.lines(), TAIL_LINES),
            });
        }
    }
    let group = group_id(ms_path);
    SHARED_LOGS.iter().find_map(|name| {
        let path = log_dir.join(name);
        let text = read_tail(&path, TAIL_BYTES).ok()?;
        let lines = last_lines(
            text.lines().filter(|l| line_is_about(l, ms_path, group)),
            TAIL_LINES,
        );
        (!lines.is_empty()).then(|| LogTail {
            path: path.display().to_string(),
            lines,
        })
    })
}

/// A JSON log line whose `ms_path` is the MS or whose `group_id` is its group; failing JSON
/// (older or third-party logs in plain text), a line that names the whole MS path.
pub fn line_is_about(line: &str, ms_path: &str, group: Option<&str>) -> bool {
    // Cheap test first: most lines are about other observations.
    let needle = group.unwrap_or(ms_path);
    if !line.contains(needle) {
        return false;
    }
    let Ok(serde_json::Value::Object(obj)) = serde_json::from_str::<serde_json::Value>(line) else {
        return line.contains(ms_path);
    };
    let field = |k: &str| obj.get(k).and_then(|v| v.as_str());
    field("ms_path") == Some(ms_path) || (group.is_some() && field("group_id") == group)
}

fn last_lines<'a>(lines: impl Iterator<Item = &'a str>, n: usize) -> Vec<String> {
    let mut ring = std::collections::VecDeque::with_capacity(n);
    for line in lines {
        if ring.len() == n {
            ring.pop_front();
        }
        ring.push_back(line.to_string());
    }
    ring.into()
}

/// The last `max` bytes of a file as text, starting at a whole line.
pub fn read_tail(path: &Path, max: u64) -> io::Result<String> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let start = len.saturating_sub(max);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity((len - start) as usize);
    file.take(max).read_to_end(&mut bytes)?;
    if start > 0 {
        // The first line was cut by the seek: drop it.
        let cut = bytes
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |i| i + 1);
        bytes.drain(..cut);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_id_comes_from_the_ms_timestamp() {
        assert_eq!(
            run_id("/stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms").as_deref(),
            Some("job-2025-10-21-142319")
        );
        assert_eq!(run_id("/stage/ms/calibrator_3C286.ms"), None);
        assert_eq!(
            group_id("/stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms/"),
            Some("2025-10-21T14:23:19")
        );
    }

    #[test]
    fn only_json_lines_naming_the_ms_or_its_group_belong_to_it() {
        let ms = "/stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms";
        let g = Some("2025-10-21T14:23:19");
        assert!(line_is_about(
            &format!(r#"{{"level":"error","ms_path":"{ms}","msg":"x"}}"#),
            ms,
            g
        ));
        assert!(line_is_about(
            r#"{"group_id":"2025-10-21T14:23:19","msg":"collecting"}"#,
            ms,
            g
        ));
        assert!(!line_is_about(
            r#"{"group_id":"2025-10-21T14:28:28","note":"after 2025-10-21T14:23:19"}"#,
            ms,
            g
        ));
        assert!(!line_is_about("plain text 2025-10-21T14:23:19", ms, g));
        assert!(line_is_about(
            &format!("2025-10-21 14:30:02 ERROR imaging of {ms} failed: MemoryError"),
            ms,
            g
        ));
    }

    #[test]
    fn a_tail_starts_at_a_whole_line_and_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&path, &text).unwrap();
        let tail = read_tail(&path, 100).unwrap();
        assert!(tail.starts_with("line "), "{tail}");
        assert!(tail.ends_with("line 999\n"));
        let kept = last_lines(tail.lines(), 3);
        assert_eq!(kept, vec!["line 997", "line 998", "line 999"]);
    }
}
