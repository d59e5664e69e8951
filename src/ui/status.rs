//! The status line: how each data source behind the current tab is doing (age of the last
//! refresh, query latency, or a STALE badge with the age of the last good data and the reason)
//! and, on the right, the tab's filter and sort.

use ratatui::text::{Line, Span};

use crate::app::App;
use crate::snapshot::{SourceHealth, Tab};
use crate::text::{fmt_duration, sanitize_line};
use crate::ui::columns::clip;
use crate::ui::theme::Theme;

/// What the Sources list's first load has done: a share of the rows read in order, or, before
/// any (a large table's preview of its newest rows), that only the newest are counted yet.
fn loading_note(done: f64) -> String {
    if done <= 0.0 {
        " reading photometry: newest rows shown first, counts still growing".to_string()
    } else {
        format!(
            " reading photometry {:.0} %, counts still growing",
            done * 100.0
        )
    }
}

/// The spans describing one source's health.
pub fn health_spans(
    label: &str,
    health: Option<&SourceHealth>,
    now: f64,
    theme: Theme,
) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(format!("{label} "), theme.muted())];
    let Some(h) = health else {
        spans.push(Span::styled("waiting for data", theme.muted()));
        return spans;
    };
    let age = |t: f64| fmt_duration((now - t).max(0.0));
    match &h.error {
        Some(error) => {
            spans.push(Span::styled(" STALE ", theme.stale_badge()));
            let data_age = match h.last_ok {
                Some(t) => format!(" data {} old: ", age(t)),
                None => " no data yet: ".to_string(),
            };
            spans.push(Span::styled(data_age, theme.warn()));
            spans.push(Span::styled(clip(&sanitize_line(error), 60), theme.error()));
        }
        None => {
            let when = match h.last_ok {
                Some(t) => format!("✓ {} ago", age(t)),
                None => "…".to_string(),
            };
            spans.push(Span::styled(when, theme.ok()));
            if let Some(latency) = h.latency {
                spans.push(Span::styled(
                    format!(" {:.0} ms", latency.as_secs_f64() * 1000.0),
                    theme.muted(),
                ));
            }
        }
    }
    if let Some(done) = h.loading {
        spans.push(Span::styled(loading_note(done), theme.warn()));
    }
    if let Some(missing) = &h.missing {
        spans.push(Span::styled(
            format!(" (missing: {})", clip(&sanitize_line(missing), 30)),
            theme.muted(),
        ));
    }
    spans
}

/// The newest unacknowledged pool saturation alert, in words, with the key that clears it.
pub fn alert_spans(app: &App, theme: Theme) -> Vec<Span<'static>> {
    let Some(alert) = app.alerts.last() else {
        return Vec::new();
    };
    let clock = |t: f64| {
        crate::text::fmt_utc(t)
            .get(11..)
            .unwrap_or_default()
            .to_string()
    };
    // One alert covers every episode of a pool until acknowledged: say when it began and
    // whether the pool is saturated right now.
    let state = match alert.ended_at {
        Some(end) => format!("last ended {}", clock(end)),
        None => "saturated now".to_string(),
    };
    let more = match app.alerts.len() {
        1 => String::new(),
        n => format!(" +{} more", n - 1),
    };
    let ack = app
        .keymap()
        .keys_for(crate::app::Context::Global, crate::app::Action::AckAlerts)
        .unwrap_or_else(|| "a".into());
    vec![
        Span::styled(" POOL SATURATED ", theme.stale_badge()),
        Span::styled(
            format!(
                " {}/{} first at {} ({state}, peak {} waiting){more} — {ack}: ack │ ",
                sanitize_line(&alert.pool.source),
                sanitize_line(&alert.pool.name),
                clock(alert.since),
                alert.peak_waiting
            ),
            theme.error(),
        ),
    ]
}

/// Left part: any pool alert, the tab's own source and the database as a whole.
pub fn status_line(app: &App) -> Line<'static> {
    let theme = Theme::new(app.cfg.no_color);
    let mut spans = alert_spans(app, theme);
    if app.tab != Tab::Pool || app.health.contains_key(&Some(Tab::Pool)) {
        spans.extend(health_spans(
            app.tab.title(),
            app.health.get(&Some(app.tab)),
            app.now,
            theme,
        ));
        spans.push(Span::styled(" │ ", theme.muted()));
    }
    spans.extend(health_spans("db", app.health.get(&None), app.now, theme));
    Line::from(spans)
}

/// Right part: filter and sort of the current list.
pub fn query_line(app: &App) -> Line<'static> {
    let theme = Theme::new(app.cfg.no_color);
    if app.tab == Tab::Pool {
        return Line::default();
    }
    let filter = app.filter_text(app.tab);
    let sort = match app.sort_of(app.tab) {
        Some(s) => format!("{} {}", s.column, if s.descending { "↓" } else { "↑" }),
        None => "newest first".to_string(),
    };
    let mut spans = Vec::new();
    if !filter.is_empty() {
        spans.push(Span::styled("filter ", theme.muted()));
        spans.push(Span::styled(clip(&sanitize_line(filter), 40), theme.warn()));
        spans.push(Span::styled(" · ", theme.muted()));
    }
    spans.push(Span::styled("sort ", theme.muted()));
    spans.push(Span::styled(sort, theme.base()));
    Line::from(spans).right_aligned()
}

#[cfg(test)]
mod tests {
    use super::loading_note;

    #[test]
    fn a_first_load_says_how_far_it_is_or_that_only_the_newest_rows_are_counted() {
        assert_eq!(
            loading_note(0.42),
            " reading photometry 42 %, counts still growing"
        );
        assert_eq!(
            loading_note(0.0),
            " reading photometry: newest rows shown first, counts still growing"
        );
    }
}
