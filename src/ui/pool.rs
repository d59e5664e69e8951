//! The Pool tab: one row per connection pool with its saturation figures, a chart of the
//! selected pool's recent history, and the SQLite file panel (sizes, WAL, who holds it open).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Block, Borders, Cell, Chart, Dataset, GraphType, Paragraph, Row, Table, TableState, Wrap,
};

use crate::snapshot::{PoolSample, PoolSnapshot, PoolStats, SqliteFileView};
use crate::text::{fmt_bytes, fmt_duration, sanitize_line};
use crate::ui::detail::Theme;
use crate::ui::detail::text::ellipsize_start;

/// The runbook's alarm: a WAL over 100 MB means checkpoints are not keeping up.
pub const WAL_WARN_BYTES: u64 = 100 * 1000 * 1000;

/// Which pool row is selected; the chart follows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolTabState {
    selected: usize,
}

impl PoolTabState {
    pub fn selected(&self) -> usize {
        self.selected
    }
    pub fn select_next(&mut self, snap: &PoolSnapshot) {
        let n = snap.pools.len();
        if n > 0 {
            self.selected = (self.selected.min(n - 1) + 1).min(n - 1);
        }
    }
    pub fn select_prev(&mut self) {
        self.selected = self.selected.saturating_sub(1);
    }
    /// The selected pool, clamped to the pools there are now.
    pub fn selected_pool<'s>(&self, snap: &'s PoolSnapshot) -> Option<&'s PoolStats> {
        snap.pools.get(self.selected).or_else(|| snap.pools.last())
    }
    fn index(&self, snap: &PoolSnapshot) -> usize {
        self.selected.min(snap.pools.len().saturating_sub(1))
    }
}

/// BUSY: every connection is in use. SATURATED: and someone is waiting for one.
pub fn pool_state_word(p: &PoolStats) -> &'static str {
    if p.stale.is_some() {
        "STALE"
    } else if p.is_saturated() {
        "SATURATED"
    } else if p.is_busy() {
        "BUSY"
    } else {
        "ok"
    }
}

/// Columns of the pool table. Lower priority numbers survive narrower screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolColumn {
    Source,
    Name,
    State,
    Max,
    Open,
    InUse,
    Idle,
    Waiting,
    Saturation,
    WaitP50,
    WaitP95,
    WaitMax,
    Timeouts,
    Errors,
    Age,
}

impl PoolColumn {
    pub const ALL: [PoolColumn; 15] = [
        PoolColumn::Source,
        PoolColumn::Name,
        PoolColumn::State,
        PoolColumn::Max,
        PoolColumn::Open,
        PoolColumn::InUse,
        PoolColumn::Idle,
        PoolColumn::Waiting,
        PoolColumn::Saturation,
        PoolColumn::WaitP50,
        PoolColumn::WaitP95,
        PoolColumn::WaitMax,
        PoolColumn::Timeouts,
        PoolColumn::Errors,
        PoolColumn::Age,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PoolColumn::Source => "source",
            PoolColumn::Name => "name",
            PoolColumn::State => "state",
            PoolColumn::Max => "max",
            PoolColumn::Open => "open",
            PoolColumn::InUse => "in use",
            PoolColumn::Idle => "idle",
            PoolColumn::Waiting => "wait",
            PoolColumn::Saturation => "sat%",
            PoolColumn::WaitP50 => "p50 ms",
            PoolColumn::WaitP95 => "p95 ms",
            PoolColumn::WaitMax => "max ms",
            PoolColumn::Timeouts => "t/o",
            PoolColumn::Errors => "err",
            PoolColumn::Age => "age",
        }
    }

    fn width(self) -> u16 {
        match self {
            PoolColumn::Source => 12,
            PoolColumn::Name => 12,
            PoolColumn::State => 9,
            PoolColumn::Max | PoolColumn::Open | PoolColumn::Idle | PoolColumn::Waiting => 4,
            PoolColumn::Errors | PoolColumn::Timeouts => 5,
            PoolColumn::InUse => 6,
            PoolColumn::Saturation | PoolColumn::Age => 5,
            PoolColumn::WaitP50 | PoolColumn::WaitP95 => 7,
            PoolColumn::WaitMax => 8,
        }
    }

    fn priority(self) -> u8 {
        match self {
            PoolColumn::Name
            | PoolColumn::State
            | PoolColumn::InUse
            | PoolColumn::Max
            | PoolColumn::Waiting => 0,
            PoolColumn::Source | PoolColumn::Saturation | PoolColumn::WaitP95 => 1,
            PoolColumn::Timeouts | PoolColumn::Errors => 2,
            PoolColumn::WaitMax | PoolColumn::Age => 3,
            PoolColumn::Open | PoolColumn::Idle | PoolColumn::WaitP50 => 4,
        }
    }

    fn cell(self, p: &PoolStats, now: f64) -> String {
        let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
        match self {
            PoolColumn::Source => sanitize_line(&p.source),
            PoolColumn::Name => sanitize_line(&p.name),
            PoolColumn::State => pool_state_word(p).to_string(),
            PoolColumn::Max => p.max.to_string(),
            PoolColumn::Open => p.open.to_string(),
            PoolColumn::InUse => p.in_use.to_string(),
            PoolColumn::Idle => p.idle.to_string(),
            PoolColumn::Waiting => p.waiting.to_string(),
            PoolColumn::Saturation => p
                .saturation()
                .map_or("-".to_string(), |s| format!("{:.0}", s * 100.0)),
            PoolColumn::WaitP50 => ms(p.wait_p50_ms),
            PoolColumn::WaitP95 => ms(p.wait_p95_ms),
            PoolColumn::WaitMax => ms(p.wait_max_ms),
            PoolColumn::Timeouts => p.timeouts.to_string(),
            PoolColumn::Errors => p.errors.to_string(),
            PoolColumn::Age => fmt_duration((now - p.sampled_at).max(0.0)),
        }
    }
}

/// The columns that fit in `width`, most important first to claim space, shown in table order.
pub fn pool_columns(width: u16) -> Vec<PoolColumn> {
    let mut by_priority = PoolColumn::ALL.to_vec();
    by_priority.sort_by_key(|c| c.priority());
    let mut used = 0u16;
    let mut chosen = Vec::new();
    for col in by_priority {
        let need = col.width() + u16::from(!chosen.is_empty());
        if used + need <= width {
            used += need;
            chosen.push(col);
        }
    }
    PoolColumn::ALL
        .into_iter()
        .filter(|c| chosen.contains(c))
        .collect()
}

fn state_style(p: &PoolStats, theme: &Theme) -> Style {
    if p.is_saturated() {
        theme.error()
    } else if p.is_busy() {
        theme.warn()
    } else {
        theme.ok()
    }
}

fn render_table(
    f: &mut Frame,
    area: Rect,
    snap: &PoolSnapshot,
    st: &PoolTabState,
    now: f64,
    theme: &Theme,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" Connection pools ", theme.heading()));
    if snap.pools.is_empty() {
        let note = Line::styled("No pools registered yet.", theme.dim());
        f.render_widget(Paragraph::new(note).block(block), area);
        return;
    }
    let columns = pool_columns(block.inner(area).width.saturating_sub(2));
    let header = Row::new(columns.iter().map(|c| Cell::from(c.title()))).style(theme.heading());
    let rows = snap.pools.iter().map(|p| {
        Row::new(columns.iter().map(|c| {
            let text = c.cell(p, now);
            if *c == PoolColumn::State {
                Cell::from(Span::styled(text, state_style(p, theme)))
            } else {
                Cell::from(text)
            }
        }))
    });
    let widths = columns.iter().map(|c| {
        if *c == PoolColumn::Name {
            Constraint::Min(c.width())
        } else {
            Constraint::Length(c.width())
        }
    });
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .row_highlight_style(theme.selected())
        .highlight_symbol("▶ ");
    let mut state = TableState::default().with_selected(Some(st.index(snap)));
    f.render_stateful_widget(table, area, &mut state);
}

/// How far back the chart looks: the shortest of 1, 5, 15 or 60 minutes that holds the data.
pub fn chart_window(samples: &[PoolSample], now: f64) -> f64 {
    let span = samples.first().map_or(0.0, |s| now - s.at);
    [60.0, 300.0, 900.0, 3600.0]
        .into_iter()
        .find(|w| span <= *w)
        .unwrap_or(3600.0)
}

/// `-5m`, `-2m30s`, `-45s`: how long ago, for the time axis.
pub fn fmt_ago(seconds: f64) -> String {
    let s = seconds.abs().round() as u64;
    match s {
        0 => "now".into(),
        1..=59 => format!("-{s}s"),
        _ if s.is_multiple_of(60) => format!("-{}m", s / 60),
        _ => format!("-{}m{:02}s", s / 60, s % 60),
    }
}

/// The sample with the most demand (in use + waiting); the latest one wins a tie.
pub fn peak_sample(samples: &[PoolSample]) -> Option<&PoolSample> {
    // `max_by_key` keeps the last of equal maxima, which is the latest sample.
    samples
        .iter()
        .max_by_key(|s| (s.in_use + s.waiting, s.in_use))
}

fn render_chart(
    f: &mut Frame,
    area: Rect,
    snap: &PoolSnapshot,
    st: &PoolTabState,
    now: f64,
    theme: &Theme,
) {
    let selected = st.selected_pool(snap);
    let samples: &[PoolSample] = snap
        .history
        .get(st.index(snap))
        .map_or(&[], |h| h.as_slice());
    let title = selected.map_or(" History ".to_string(), |p| {
        format!(
            " History of {}/{} ",
            sanitize_line(&p.source),
            sanitize_line(&p.name)
        )
    });
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.heading()));
    // Since when it is saturated, and why its figures may be old or partial.
    let index = st.index(snap);
    if let Some(since) = snap.saturated_since.get(index).copied().flatten() {
        block = block.title(Span::styled(
            format!(
                " SATURATED since {} ({}) ",
                crate::text::fmt_utc(since).get(11..).unwrap_or_default(),
                crate::text::fmt_duration((now - since).max(0.0))
            ),
            theme.error(),
        ));
    }
    if let Some(p) = selected {
        let why = p
            .stale
            .as_deref()
            .map(|s| format!(" stale: {} ", sanitize_line(s)))
            .or_else(|| p.note.as_deref().map(|n| format!(" {} ", sanitize_line(n))));
        if let Some(why) = why {
            block = block.title_bottom(Span::styled(why, theme.warn()));
        }
    }
    let window = chart_window(samples, now);
    let recent: Vec<&PoolSample> = samples.iter().filter(|s| now - s.at <= window).collect();
    if recent.is_empty() {
        let note = Line::styled("No samples yet for this pool.", theme.dim());
        f.render_widget(Paragraph::new(note).block(block), area);
        return;
    }
    let points = |value: fn(&PoolSample) -> u32| -> Vec<(f64, f64)> {
        recent
            .iter()
            .map(|s| (s.at - now, f64::from(value(s))))
            .collect()
    };
    let in_use = points(|s| s.in_use);
    let waiting = points(|s| s.waiting);
    let max_line = points(|s| s.max);
    let peak = peak_sample(samples).filter(|p| now - p.at <= window);
    let peak_point: Vec<(f64, f64)> = peak
        .map(|p| vec![(p.at - now, f64::from(p.in_use + p.waiting))])
        .unwrap_or_default();
    // The legend lives in the border: a boxed legend would hide the newest samples.
    block = block.title_bottom(Line::styled(
        " ─ max  ⠤ in use  • waiting  ▲ peak ",
        theme.dim(),
    ));
    if let Some(p) = peak {
        block = block.title_bottom(
            Line::from(format!(
                " peak {} in use + {} waiting, {} ",
                p.in_use,
                p.waiting,
                fmt_ago(now - p.at).trim_start_matches('-').to_string() + " ago"
            ))
            .right_aligned(),
        );
    }
    let top = recent
        .iter()
        .map(|s| s.max.max(s.in_use + s.waiting))
        .max()
        .unwrap_or(1)
        .max(1);
    let y_max = f64::from(top) * 1.15 + 0.5;
    let datasets = vec![
        Dataset::default()
            .name("max")
            .graph_type(GraphType::Line)
            .marker(Marker::Custom('─'))
            .style(theme.series(Color::DarkGray))
            .data(&max_line),
        Dataset::default()
            .name("in use")
            .graph_type(GraphType::Line)
            .marker(Marker::Braille)
            .style(theme.series(Color::Cyan))
            .data(&in_use),
        Dataset::default()
            .name("waiting")
            .graph_type(GraphType::Line)
            .marker(Marker::Dot)
            .style(theme.series(Color::Red))
            .data(&waiting),
        Dataset::default()
            .name("peak")
            .graph_type(GraphType::Scatter)
            .marker(Marker::Custom('▲'))
            .style(theme.warn())
            .data(&peak_point),
    ];
    let x_labels = [-window, -window / 2.0, 0.0].map(|x| Span::styled(fmt_ago(x), theme.dim()));
    let y_labels = [0.0, f64::from(top)].map(|y| Span::styled(format!("{y:.0}"), theme.dim()));
    let chart = Chart::new(datasets)
        .block(block)
        .x_axis(Axis::default().bounds([-window, 0.0]).labels(x_labels))
        .y_axis(Axis::default().bounds([0.0, y_max]).labels(y_labels))
        .legend_position(None);
    f.render_widget(chart, area);
}

/// The lines of the SQLite panel. Pure, so the wording can be tested.
pub fn sqlite_lines(
    view: Option<&SqliteFileView>,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let Some(v) = view else {
        return vec![Line::styled("No SQLite database watched.", theme.dim())];
    };
    let label = |s: &str| Span::styled(format!("{s} "), theme.label());
    let mut lines = vec![Line::from(vec![
        label("db"),
        Span::raw(ellipsize_start(
            &sanitize_line(&v.db_path),
            width.saturating_sub(3),
        )),
    ])];
    let mut sizes = vec![
        label("size"),
        Span::raw(v.db_bytes.map_or("?".into(), fmt_bytes)),
        Span::raw("  "),
        label("WAL"),
    ];
    let wal_big = v.wal_bytes.is_some_and(|b| b > WAL_WARN_BYTES);
    let wal_style = if wal_big {
        theme.warn()
    } else {
        Style::default()
    };
    sizes.push(Span::styled(
        v.wal_bytes.map_or("none".into(), fmt_bytes),
        wal_style,
    ));
    if let Some(g) = v.wal_growth_per_s {
        let sign = if g < 0.0 { "-" } else { "+" };
        sizes.push(Span::raw(format!(
            " ({sign}{}/s)",
            fmt_bytes(g.abs() as u64)
        )));
    }
    if !v.access.is_empty() {
        sizes.push(Span::raw("  "));
        sizes.push(label("read"));
        sizes.push(Span::raw(sanitize_line(&v.access)));
    }
    lines.push(Line::from(sizes));
    if wal_big {
        lines.push(Line::styled(
            "! WAL over 100 MB: a long reader may be blocking checkpoints",
            theme.warn(),
        ));
    }
    if v.holders.is_empty() {
        lines.push(Line::styled(
            "no readable process holds it open",
            theme.dim(),
        ));
    } else {
        lines.push(Line::styled("held open by:", theme.label()));
        for h in &v.holders {
            lines.push(Line::from(format!(
                "{:>7} {}",
                h.pid,
                sanitize_line(&h.command)
            )));
        }
    }
    if v.hidden_processes > 0 {
        lines.push(Line::styled(
            format!(
                "{} processes not readable (run as the pipeline user to see them)",
                v.hidden_processes
            ),
            theme.dim(),
        ));
    }
    lines
}

fn render_sqlite(f: &mut Frame, area: Rect, snap: &PoolSnapshot, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" SQLite ", theme.heading()));
    let lines = sqlite_lines(
        snap.sqlite.as_ref(),
        block.inner(area).width as usize,
        theme,
    );
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

/// The Pool tab.
pub fn render_pool_tab(
    f: &mut Frame,
    area: Rect,
    snap: &PoolSnapshot,
    st: &PoolTabState,
    now: f64,
    theme: &Theme,
) {
    let table_height = (snap.pools.len().max(1) as u16 + 3)
        .min(area.height / 3)
        .max(4);
    let [table_area, rest] =
        Layout::vertical([Constraint::Length(table_height), Constraint::Fill(1)]).areas(area);
    render_table(f, table_area, snap, st, now, theme);
    let sqlite_height = sqlite_lines(snap.sqlite.as_ref(), 60, theme).len() as u16 + 2;
    if rest.width >= 140 {
        let [chart, sqlite] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Fill(1)]).areas(rest);
        render_chart(f, chart, snap, st, now, theme);
        render_sqlite(f, sqlite, snap, theme);
    } else {
        let sqlite_height = sqlite_height.min(rest.height / 2);
        let [chart, sqlite] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(sqlite_height)]).areas(rest);
        render_chart(f, chart, snap, st, now, theme);
        render_sqlite(f, sqlite, snap, theme);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_screens_keep_the_saturation_columns() {
        let narrow = pool_columns(76);
        for col in [
            PoolColumn::Name,
            PoolColumn::State,
            PoolColumn::InUse,
            PoolColumn::Max,
            PoolColumn::Waiting,
        ] {
            assert!(narrow.contains(&col), "{col:?} in {narrow:?}");
        }
        assert!(!narrow.contains(&PoolColumn::Idle));
        assert_eq!(pool_columns(200).len(), PoolColumn::ALL.len());
    }

    #[test]
    fn time_axis_labels_read_as_time_ago() {
        assert_eq!(fmt_ago(0.0), "now");
        assert_eq!(fmt_ago(-45.0), "-45s");
        assert_eq!(fmt_ago(-300.0), "-5m");
        assert_eq!(fmt_ago(-150.0), "-2m30s");
    }

    #[test]
    fn the_peak_is_the_latest_moment_of_most_demand() {
        let s = |at, in_use, waiting| PoolSample {
            at,
            in_use,
            waiting,
            max: 4,
        };
        let samples = [s(1.0, 4, 2), s(2.0, 4, 2), s(3.0, 1, 0)];
        assert_eq!(peak_sample(&samples).map(|p| p.at), Some(2.0));
    }
}
