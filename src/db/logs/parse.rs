//! One parser for every shape the pipeline's log files take, producing typed records:
//!
//! - plain text, as the deployed worker's `logging.basicConfig` writes it:
//!   `YYYY-MM-DD HH:MM:SS,mmm - logger.name - LEVEL - message`, in the host's local time, and
//!   the `YYYY-MM-DD HH:MM:SS,mmm [LEVEL] logger: message` variant of `absurd/__main__.py`;
//! - JSON lines from `utils/logging_config.py` (`timestamp` UTC with `Z`, `level`, `logger`,
//!   `message`, `module`, `function`, `line`, extras, `exception`);
//! - CASA's tab-separated log (`time<TAB>PRIORITY<TAB>origin<TAB>message`, UTC).
//!
//! A line that starts no record (a traceback, a subprocess's output written to the same
//! stream by systemd) belongs to the record before it.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use serde_json::Value;

use crate::snapshot::{LogFormat, LogLevel, LogRecord};

/// A message or continuation line longer than this is cut (a 1 GiB line is never kept whole).
pub const LINE_MAX_CHARS: usize = 2000;
/// At most this many continuation lines are kept per record (a traceback has ~30).
pub const CONTINUATION_MAX: usize = 200;

/// Parse `text` (whole lines) into records. Lines before the first record (the end of a
/// record cut by a bounded read) are dropped. `zone` is the zone of plain-text times.
pub fn parse_records(text: &str, zone: &TimeZone) -> Vec<LogRecord> {
    let mut out: Vec<LogRecord> = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        match parse_head(line, zone) {
            Some(record) => out.push(record),
            None => {
                if let Some(last) = out.last_mut()
                    && last.continuation.len() < CONTINUATION_MAX
                {
                    last.continuation.push(cut(line));
                }
            }
        }
    }
    out
}

/// The record a line starts, or `None` for a continuation line.
pub fn parse_head(line: &str, zone: &TimeZone) -> Option<LogRecord> {
    if line.starts_with('{') {
        return parse_json(line);
    }
    let (dt, rest) = civil_prefix(line)?;
    if let Some(rest) = rest.strip_prefix('\t') {
        // CASA: PRIORITY<TAB>origin<TAB>message, times in UTC.
        let mut parts = rest.splitn(3, '\t');
        let level = parts.next().and_then(LogLevel::parse);
        let origin = parts.next().unwrap_or_default();
        let message = parts.next().unwrap_or_default();
        return Some(LogRecord {
            unix: to_unix(dt, &TimeZone::UTC),
            level,
            logger: cut(origin),
            message: cut(message),
            format: Some(LogFormat::Casa),
            ..LogRecord::default()
        });
    }
    let unix = to_unix(dt, zone);
    let text = |logger: &str, level: Option<LogLevel>, message: &str| LogRecord {
        unix,
        level,
        logger: cut(logger),
        message: cut(message),
        format: Some(LogFormat::Text),
        ..LogRecord::default()
    };
    if let Some(rest) = rest.strip_prefix(" - ") {
        // logger - LEVEL - message (a logger name never holds " - ").
        if let Some((logger, after)) = rest.split_once(" - ")
            && let Some((level, message)) = after.split_once(" - ").or(Some((after, "")))
            && let Some(level) = LogLevel::parse(level)
        {
            return Some(text(logger, Some(level), message));
        }
        return Some(text("", None, rest));
    }
    if let Some(rest) = rest.strip_prefix(" [")
        && let Some((level, after)) = rest.split_once("] ")
        && let Some(level) = LogLevel::parse(level)
    {
        let (logger, message) = after.split_once(": ").unwrap_or(("", after));
        return Some(text(logger, Some(level), message));
    }
    Some(text("", None, rest.trim_start()))
}

/// `YYYY-MM-DD HH:MM:SS` with an optional `,mmm` or `.mmm…`, and the rest of the line.
fn civil_prefix(line: &str) -> Option<(DateTime, &str)> {
    let b = line.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<i32> {
        b[r].iter().try_fold(0i32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + i32::from(c - b'0'))
        })
    };
    if b[4] != b'-' || b[7] != b'-' || (b[10] != b' ' && b[10] != b'T') || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (h, mi, s) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let mut end = 19;
    let mut nanos = 0i32;
    if b.len() > 20 && (b[19] == b',' || b[19] == b'.') && b[20].is_ascii_digit() {
        let frac_end = b[20..]
            .iter()
            .position(|c| !c.is_ascii_digit())
            .map_or(b.len(), |i| 20 + i);
        let frac = &line[20..frac_end.min(29)];
        nanos = frac.parse::<i32>().ok()? * 10i32.pow(9 - frac.len() as u32);
        end = frac_end;
    }
    let dt = DateTime::new(
        y as i16, mo as i8, d as i8, h as i8, mi as i8, s as i8, nanos,
    )
    .ok()?;
    Some((dt, &line[end..]))
}

fn to_unix(dt: DateTime, zone: &TimeZone) -> Option<f64> {
    let ts = zone.to_timestamp(dt).ok()?;
    Some(ts.as_microsecond() as f64 / 1e6)
}

/// The keys of the JSON formatter (and common spellings of other JSON loggers).
const TIME_KEYS: [&str; 4] = ["timestamp", "time", "@timestamp", "asctime"];
const LEVEL_KEYS: [&str; 3] = ["level", "levelname", "severity"];
const MESSAGE_KEYS: [&str; 3] = ["message", "msg", "event"];
const EXCEPTION_KEYS: [&str; 3] = ["exception", "exc_info", "traceback"];
const STANDARD_KEYS: [&str; 3] = ["module", "function", "line"];

fn parse_json(line: &str) -> Option<LogRecord> {
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(line.trim()) else {
        return None;
    };
    let first = |keys: &[&str]| keys.iter().find_map(|k| obj.get(*k));
    // Not a log record at all without one of these.
    first(&TIME_KEYS)
        .or_else(|| first(&LEVEL_KEYS))
        .or_else(|| first(&MESSAGE_KEYS))?;
    let unix = match first(&TIME_KEYS) {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => json_time(s),
        _ => None,
    };
    let level = first(&LEVEL_KEYS)
        .and_then(Value::as_str)
        .and_then(LogLevel::parse);
    let message = match first(&MESSAGE_KEYS) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let continuation = match first(&EXCEPTION_KEYS) {
        Some(Value::String(exc)) => exc.lines().take(CONTINUATION_MAX).map(cut).collect(),
        _ => Vec::new(),
    };
    let known = |k: &str| {
        TIME_KEYS
            .iter()
            .chain(&LEVEL_KEYS)
            .chain(&MESSAGE_KEYS)
            .chain(&EXCEPTION_KEYS)
            .chain(&STANDARD_KEYS)
            .chain(&["logger", "name"])
            .any(|x| *x == k)
    };
    let extra = obj
        .iter()
        .filter(|(k, _)| !known(k))
        .filter_map(|(k, v)| v.as_str().map(|v| (cut(k), cut(v))))
        .collect();
    let logger = obj
        .get("logger")
        .or_else(|| obj.get("name"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    Some(LogRecord {
        unix,
        level,
        logger: cut(logger),
        message: cut(&message),
        continuation,
        format: Some(LogFormat::Json),
        extra,
    })
}

/// `2025-10-21T14:23:19.500000Z` (the formatter's `isoformat() + "Z"`), an explicit offset, or
/// no zone at all (taken as UTC: the formatter converts with `utcfromtimestamp`).
fn json_time(s: &str) -> Option<f64> {
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts.as_microsecond() as f64 / 1e6);
    }
    let (dt, rest) = civil_prefix(s)?;
    rest.is_empty()
        .then(|| to_unix(dt, &TimeZone::UTC))
        .flatten()
}

fn cut(s: &str) -> String {
    match s.char_indices().nth(LINE_MAX_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacific() -> TimeZone {
        TimeZone::get("America/Los_Angeles").unwrap()
    }

    #[test]
    fn a_worker_line_in_local_time_is_a_typed_record_with_its_traceback() {
        let text = "2025-10-21 07:23:19,512 - dsa110_contimg.absurd.adapter - ERROR - \
                    [Absurd] Calibration solve failed: no antenna\n\
                    Traceback (most recent call last):\n  File \"x.py\", line 3, in f\n\
                    RuntimeError: no antenna\n\
                    2025-10-21 07:23:20,001 - __main__ - INFO - Task 1 completed successfully\n";
        let records = parse_records(text, &pacific());
        assert_eq!(records.len(), 2);
        let r = &records[0];
        // 07:23:19.512 PDT is 14:23:19.512 UTC.
        assert_eq!(r.unix, Some(1_761_056_599.512));
        assert_eq!(r.level, Some(LogLevel::Error));
        assert_eq!(r.logger, "dsa110_contimg.absurd.adapter");
        assert!(r.message.starts_with("[Absurd] Calibration solve failed"));
        assert_eq!(r.continuation.len(), 3);
        assert_eq!(r.format, Some(LogFormat::Text));
        assert_eq!(records[1].logger, "__main__");
    }

    #[test]
    fn the_other_shapes_parse_too() {
        let utc = TimeZone::UTC;
        let r = parse_head(
            "2025-10-21 14:23:19,000 [WARNING] absurd.worker: slow",
            &utc,
        )
        .unwrap();
        assert_eq!(
            (r.level, r.logger.as_str()),
            (Some(LogLevel::Warning), "absurd.worker")
        );
        let r = parse_head(
            "2025-10-21 14:23:19\tSEVERE\tgaincal::::casa\tMS has no data",
            &pacific(),
        )
        .unwrap();
        assert_eq!(r.unix, Some(1_761_056_599.0), "CASA times are UTC");
        assert_eq!(r.level, Some(LogLevel::Error));
        assert_eq!(r.format, Some(LogFormat::Casa));
        let r = parse_head(
            r#"{"timestamp": "2025-10-21T14:23:19.500000Z", "level": "ERROR", "logger": "dsa110_contimg.conversion", "message": "boom", "module": "m", "function": "f", "line": 3, "group_id": "2025-10-21T14:23:19", "exception": "Traceback (most recent call last):\nValueError: boom"}"#,
            &pacific(),
        )
        .unwrap();
        assert_eq!(r.unix, Some(1_761_056_599.5));
        assert_eq!(r.continuation.len(), 2);
        assert_eq!(
            r.extra,
            vec![("group_id".to_string(), "2025-10-21T14:23:19".to_string())]
        );
        assert!(parse_head("  File \"x.py\", line 3", &utc).is_none());
        assert!(parse_head("{not json", &utc).is_none());
    }

    #[test]
    fn lines_are_cut_and_orphans_dropped() {
        let long = "x".repeat(10_000);
        let text = format!("orphan\n2025-10-21 14:23:19,000 - a - INFO - {long}\n{long}\n");
        let r = parse_records(&text, &TimeZone::UTC);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].message.chars().count(), LINE_MAX_CHARS + 1);
        assert_eq!(r[0].continuation[0].chars().count(), LINE_MAX_CHARS + 1);
    }
}
