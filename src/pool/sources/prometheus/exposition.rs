//! Prometheus' text exposition format (0.0.4), read strictly enough to refuse garbage.
//!
//! Written here rather than taken from a crate: the crates available either split labels
//! on `,` and `=` without unescaping (`prometheus-parse` cuts `a="x,y"` in two and keeps
//! `\"` as is) or are single unmaintained releases. The format is small; this covers all
//! of it plus the parts of OpenMetrics a scrape may bring (`# EOF`, exemplars, float
//! timestamps, quoted UTF-8 names such as `{"pool.name"="x"}`).

use std::collections::HashMap;

use thiserror::Error;

/// What `# TYPE` says a family is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Untyped,
}

impl MetricType {
    fn parse(word: &str) -> MetricType {
        match word {
            "counter" => MetricType::Counter,
            "gauge" => MetricType::Gauge,
            "histogram" | "gaugehistogram" => MetricType::Histogram,
            "summary" => MetricType::Summary,
            _ => MetricType::Untyped,
        }
    }
}

/// One line of data: a series and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
    pub timestamp_ms: Option<i64>,
}

impl Sample {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A whole scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition {
    pub samples: Vec<Sample>,
    /// `# TYPE` by family name.
    pub types: HashMap<String, MetricType>,
    /// `# HELP` by family name, unescaped.
    pub help: HashMap<String, String>,
}

impl Exposition {
    /// The declared type of the family `name` belongs to (`x_bucket` → `x`, `x_total` → `x`…).
    pub fn type_of(&self, sample_name: &str) -> MetricType {
        if let Some(t) = self.types.get(sample_name) {
            return *t;
        }
        ["_bucket", "_sum", "_count", "_total", "_created"]
            .iter()
            .filter_map(|suffix| sample_name.strip_suffix(suffix))
            .find_map(|family| self.types.get(family).copied())
            .unwrap_or(MetricType::Untyped)
    }
}

/// Why a scrape is not valid exposition text.
#[derive(Debug, Clone, Error, PartialEq)]
#[error("not Prometheus text format: line {line}: {reason} (near {excerpt:?})")]
pub struct ExpositionError {
    pub line: usize,
    pub reason: String,
    pub excerpt: String,
}

pub fn parse(text: &str) -> Result<Exposition, ExpositionError> {
    let mut out = Exposition::default();
    for (index, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.is_empty() {
            continue;
        }
        let fail = |reason: &str, at: usize| ExpositionError {
            line: index + 1,
            reason: reason.to_string(),
            excerpt: trimmed.chars().skip(at).take(40).collect(),
        };
        if let Some(comment) = trimmed.strip_prefix('#') {
            read_comment(comment, &mut out).map_err(|(reason, _)| fail(&reason, 0))?;
        } else {
            let sample = LineReader::new(trimmed)
                .sample()
                .map_err(|(reason, at)| fail(&reason, at))?;
            out.samples.push(sample);
        }
    }
    Ok(out)
}

/// `# HELP name text`, `# TYPE name type`, or any other comment (ignored).
fn read_comment(comment: &str, out: &mut Exposition) -> Result<(), (String, usize)> {
    let comment = comment.trim_start_matches([' ', '\t']);
    let (keyword, rest) = split_token(comment);
    if keyword != "HELP" && keyword != "TYPE" {
        return Ok(());
    }
    let (name, rest) = split_token(rest);
    if name.is_empty() {
        return Err((format!("# {keyword} without a metric name"), 0));
    }
    let name = name.trim_matches('"').to_string();
    if keyword == "TYPE" {
        let (word, _) = split_token(rest);
        out.types.insert(name, MetricType::parse(word));
    } else {
        out.help.insert(name, unescape_help(rest));
    }
    Ok(())
}

fn split_token(s: &str) -> (&str, &str) {
    let s = s.trim_start_matches([' ', '\t']);
    match s.find([' ', '\t']) {
        Some(end) => (&s[..end], s[end..].trim_start_matches([' ', '\t'])),
        None => (s, ""),
    }
}

fn unescape_help(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

type Fail = (String, usize);

/// A cursor over one sample line. Errors carry the byte offset where reading stopped.
struct LineReader<'a> {
    line: &'a str,
    pos: usize,
}

impl<'a> LineReader<'a> {
    fn new(line: &'a str) -> Self {
        LineReader { line, pos: 0 }
    }

    fn fail<T>(&self, reason: impl Into<String>) -> Result<T, Fail> {
        Err((reason.into(), self.line[..self.pos].chars().count()))
    }

    fn peek(&self) -> Option<char> {
        self.line[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_blanks(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn sample(mut self) -> Result<Sample, Fail> {
        let mut name = if self.peek() == Some('{') {
            None
        } else {
            Some(self.identifier(true)?)
        };
        let mut labels = Vec::new();
        if self.peek() == Some('{') {
            self.bump();
            self.labels(&mut name, &mut labels)?;
        }
        let Some(name) = name else {
            return self.fail("the series has no metric name");
        };
        if !self.skip_blanks() {
            return self.fail("expected a blank before the value");
        }
        let value_text = self.token();
        let value = parse_value(value_text)
            .map_or_else(|| self.fail(format!("{value_text:?} is not a number")), Ok)?;
        self.skip_blanks();
        let mut timestamp_ms = None;
        if !matches!(self.peek(), None | Some('#')) {
            let text = self.token();
            timestamp_ms = Some(
                parse_timestamp_ms(text)
                    .map_or_else(|| self.fail(format!("{text:?} is not a timestamp")), Ok)?,
            );
            self.skip_blanks();
        }
        // OpenMetrics exemplars (`# {trace_id="…"} 1.0`) follow a `#`; we have no use for them.
        if !matches!(self.peek(), None | Some('#')) {
            return self.fail("unexpected text after the value");
        }
        Ok(Sample {
            name,
            labels,
            value,
            timestamp_ms,
        })
    }

    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while !matches!(self.peek(), None | Some(' ' | '\t')) {
            self.bump();
        }
        &self.line[start..self.pos]
    }

    /// A metric (`colons`) or label name, bare.
    fn identifier(&mut self, colons: bool) -> Result<String, Fail> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            let ok = c.is_ascii_alphabetic()
                || c == '_'
                || (colons && c == ':')
                || (self.pos > start && c.is_ascii_digit());
            if !ok {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            let what = if colons {
                "a metric name"
            } else {
                "a label name"
            };
            return self.fail(format!("expected {what}"));
        }
        Ok(self.line[start..self.pos].to_string())
    }

    fn labels(
        &mut self,
        name: &mut Option<String>,
        labels: &mut Vec<(String, String)>,
    ) -> Result<(), Fail> {
        loop {
            self.skip_blanks();
            match self.peek() {
                Some('}') => {
                    self.bump();
                    return Ok(());
                }
                None => return self.fail("unclosed '{'"),
                _ => {}
            }
            let key = if self.peek() == Some('"') {
                self.bump();
                self.quoted()?
            } else {
                self.identifier(false)?
            };
            self.skip_blanks();
            if matches!(self.peek(), Some(',' | '}')) && name.is_none() {
                // UTF-8 form: `{"metric.name", label="v"}`.
                *name = Some(key);
            } else {
                if self.bump() != Some('=') {
                    return self.fail(format!("expected '=' after label {key:?}"));
                }
                self.skip_blanks();
                if self.bump() != Some('"') {
                    return self.fail(format!("the value of label {key:?} must be quoted"));
                }
                let value = self.quoted()?;
                labels.push((key, value));
            }
            self.skip_blanks();
            match self.bump() {
                Some(',') => {}
                Some('}') => return Ok(()),
                _ => return self.fail("expected ',' or '}' between labels"),
            }
        }
    }

    /// The rest of a quoted string whose opening quote was read; unescapes `\\ \" \n`.
    fn quoted(&mut self) -> Result<String, Fail> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return self.fail("unterminated quoted string"),
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some('\\') => out.push('\\'),
                    Some('"') => out.push('"'),
                    Some('n') => out.push('\n'),
                    Some(other) => return self.fail(format!("invalid escape \\{other}")),
                    None => return self.fail("unterminated quoted string"),
                },
                Some(c) => out.push(c),
            }
        }
    }
}

/// Go's float syntax as Prometheus writes it: decimals, exponents, `NaN`, `+Inf`, `-Inf`.
fn parse_value(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ if text
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') =>
        {
            None
        }
        _ => text.parse().ok(),
    }
}

/// Milliseconds since the epoch (Prometheus) or float seconds (OpenMetrics).
fn parse_timestamp_ms(text: &str) -> Option<i64> {
    if let Ok(ms) = text.parse::<i64>() {
        return Some(ms);
    }
    let seconds = parse_value(text).filter(|s| s.is_finite())?;
    Some((seconds * 1e3).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRAPE: &str = r#"# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000

# A plain comment, then an escaped label value and odd numbers.
msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9
metric_without_timestamp_and_labels 12.47
something_weird{problem="division by zero"} +Inf -3982045
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.05"} 24054
http_request_duration_seconds_bucket{le="+Inf"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds_count 2693
"#;

    #[test]
    fn a_documented_scrape_reads_whole() {
        let e = parse(SCRAPE).expect("valid");
        assert_eq!(e.samples.len(), 11);
        let first = &e.samples[0];
        assert_eq!(first.name, "http_requests_total");
        assert_eq!(first.label("code"), Some("200"));
        assert_eq!(
            (first.value, first.timestamp_ms),
            (1027.0, Some(1395066363000))
        );
        assert_eq!(e.samples[1].value, 3.0);
        assert_eq!(
            e.help["http_requests_total"],
            "The total number of HTTP requests."
        );
        assert_eq!(e.type_of("http_requests_total"), MetricType::Counter);
        assert_eq!(
            e.type_of("http_request_duration_seconds_bucket"),
            MetricType::Histogram
        );
        assert_eq!(e.type_of("rpc_duration_seconds_count"), MetricType::Summary);
        assert_eq!(
            e.type_of("metric_without_timestamp_and_labels"),
            MetricType::Untyped
        );
        let weird = e.samples.iter().find(|s| s.name == "something_weird");
        assert_eq!(
            weird.map(|s| (s.value, s.timestamp_ms)),
            Some((f64::INFINITY, Some(-3982045)))
        );
    }

    #[test]
    fn escaped_quotes_backslashes_and_newlines_in_label_values_come_back_raw() {
        let e = parse(SCRAPE).expect("valid");
        let s = e
            .samples
            .iter()
            .find(|s| s.name == "msdos_file_access_time_seconds")
            .expect("present");
        assert_eq!(s.label("path"), Some(r"C:\DIR\FILE.TXT"));
        assert_eq!(s.label("error"), Some("Cannot find file:\n\"FILE.TXT\""));
        assert_eq!(s.value, 1.458255915e9);
    }

    #[test]
    fn commas_braces_and_equals_inside_values_do_not_split_labels() {
        let e = parse(r#"pool_up{pool="a,b}=c",db="x"} 1"#).expect("valid");
        assert_eq!(e.samples[0].label("pool"), Some("a,b}=c"));
        assert_eq!(e.samples[0].label("db"), Some("x"));
    }

    #[test]
    fn quoted_utf8_names_and_openmetrics_extras_are_understood() {
        let text = "{\"db.client.connection.count\", \"pool.name\"=\"api\",state=\"used\",} 3 1700000000.5 # {trace_id=\"x\"} 1\n# EOF\n";
        let e = parse(text).expect("valid");
        let s = &e.samples[0];
        assert_eq!(s.name, "db.client.connection.count");
        assert_eq!(s.label("pool.name"), Some("api"));
        assert_eq!((s.value, s.timestamp_ms), (3.0, Some(1700000000500)));
    }

    #[test]
    fn nan_and_negative_infinity_are_values() {
        let e = parse("a NaN\nb -Inf\r\nc 1e-3\n").expect("valid");
        assert!(e.samples[0].value.is_nan());
        assert_eq!(e.samples[1].value, f64::NEG_INFINITY);
        assert_eq!(e.samples[2].value, 0.001);
    }

    #[test]
    fn an_html_error_page_is_refused_with_the_line_and_reason() {
        let err = parse("<html><body>502 Bad Gateway</body></html>").expect_err("garbage");
        assert_eq!(err.line, 1);
        assert!(err.to_string().contains("expected a metric name"), "{err}");
    }

    #[test]
    fn json_and_broken_lines_are_refused() {
        assert!(parse(r#"{"status":"ok"}"#).is_err());
        let err = parse("ok 1\nbad{x=\"1} 2\n").expect_err("unterminated");
        assert_eq!(err.line, 2);
        assert!(err.reason.contains("unterminated"), "{err}");
        let err = parse("x{a=\"\\q\"} 1").expect_err("escape");
        assert!(err.reason.contains("invalid escape"), "{err}");
        let err = parse("x one").expect_err("value");
        assert!(err.reason.contains("not a number"), "{err}");
        let err = parse("x 1 2 3").expect_err("trailing");
        assert!(err.reason.contains("unexpected text"), "{err}");
    }
}
