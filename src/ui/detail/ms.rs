//! The Measurement Set pane: what the MS is and where its state machine stands, then its
//! images, jobs and calibration as focusable lists; Enter jumps to the selected image or job.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState, Tabs};

use super::text::{ellipsize_start, fact_lines, heading, opt_utc};
use super::theme::Theme;
use crate::app::msg::DetailKey;
use crate::snapshot::{MsDetail, MsStateRow};
use crate::text::{
    fmt_dec, fmt_duration, fmt_flux_jy, fmt_opt, fmt_ra, fmt_utc, fmt_utc_short, mjd_to_unix,
    sanitize_line,
};

/// The most retries `ms_state` allows before a person has to look.
pub const MS_MAX_RETRIES: i64 = 3;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MsSection {
    #[default]
    Images,
    Jobs,
    Calibration,
}

impl MsSection {
    pub const ALL: [MsSection; 3] = [MsSection::Images, MsSection::Jobs, MsSection::Calibration];

    pub fn title(self) -> &'static str {
        match self {
            MsSection::Images => "Images",
            MsSection::Jobs => "Jobs",
            MsSection::Calibration => "Calibration",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn len(self, d: &MsDetail) -> usize {
        match self {
            MsSection::Images => d.images.len(),
            MsSection::Jobs => d.jobs.len(),
            MsSection::Calibration => super::ms_calibration::len(d),
        }
    }
}

/// Which list has focus and which row of each list is selected (kept per list, so coming
/// back to a list finds the same row).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MsPaneState {
    section: MsSection,
    selected: [usize; 3],
}

impl MsPaneState {
    pub fn section(&self) -> MsSection {
        self.section
    }

    /// The selected row of the focused list, clamped to the rows there are.
    pub fn selected(&self, d: &MsDetail) -> Option<usize> {
        self.selected_in(self.section, d)
    }

    fn selected_in(&self, section: MsSection, d: &MsDetail) -> Option<usize> {
        let n = section.len(d);
        (n > 0).then(|| self.selected[section.index()].min(n - 1))
    }

    pub fn next_section(&mut self) {
        self.section = MsSection::ALL[(self.section.index() + 1) % 3];
    }

    pub fn prev_section(&mut self) {
        self.section = MsSection::ALL[(self.section.index() + 2) % 3];
    }

    pub fn select_next(&mut self, d: &MsDetail) {
        if let Some(i) = self.selected(d) {
            let last = self.section.len(d) - 1;
            self.selected[self.section.index()] = (i + 1).min(last);
        }
    }

    pub fn select_prev(&mut self, d: &MsDetail) {
        if let Some(i) = self.selected(d) {
            self.selected[self.section.index()] = i.saturating_sub(1);
        }
    }

    /// What Enter opens: the selected image or job. Calibration rows have no detail pane.
    pub fn selected_target(&self, d: &MsDetail) -> Option<DetailKey> {
        let i = self.selected(d)?;
        match self.section {
            MsSection::Images => d.images.get(i).map(|img| DetailKey::Image {
                id: img.id,
                path: img.path.clone(),
            }),
            MsSection::Jobs => d.jobs.get(i).map(|j| DetailKey::Job(j.key.clone())),
            MsSection::Calibration => None,
        }
    }
}

fn state_style(state: &str, theme: &Theme) -> Style {
    match state {
        "failed" | "error" => theme.error(),
        "done" => theme.ok(),
        _ => theme.warn(),
    }
}

fn state_lines(s: &MsStateRow, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let current = s.current_state.as_deref().map(sanitize_line);
    let mut spans = vec![Span::styled("state ", theme.label())];
    spans.push(Span::styled(
        current.clone().unwrap_or_else(|| "?".into()),
        current
            .as_deref()
            .map_or(Style::default(), |c| state_style(c, theme)),
    ));
    if current.as_deref() == Some("error") {
        spans.push(Span::styled(" (terminal: needs a person)", theme.error()));
    }
    if let Some(prev) = &s.previous_state {
        spans.push(Span::styled("  previous ", theme.label()));
        spans.push(Span::raw(sanitize_line(prev)));
    }
    if let Some(n) = s.retry_count {
        spans.push(Span::styled("  retries ", theme.label()));
        let style = if n >= MS_MAX_RETRIES {
            theme.error()
        } else {
            Style::default()
        };
        spans.push(Span::styled(format!("{n}/{MS_MAX_RETRIES}"), style));
    }
    if let Some(t) = s.transition_time {
        spans.push(Span::styled("  since ", theme.label()));
        spans.push(Span::raw(fmt_utc(t)));
    }
    let mut lines = vec![Line::from(spans)];
    if let Some(err) = s.error_message.as_deref().filter(|e| !e.trim().is_empty()) {
        let first = crate::text::sanitize_block(err)
            .into_iter()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled("error ", theme.label()),
            Span::styled(
                super::text::ellipsize(&first, width.saturating_sub(6)),
                theme.error(),
            ),
        ]));
    }
    lines
}

fn fact_block(d: &MsDetail, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(r) = &d.row {
        let pointing = match (r.pointing_ra_deg, r.pointing_dec_deg) {
            (Some(ra), Some(dec)) => format!("{} {}", fmt_ra(ra), fmt_dec(dec)),
            _ => String::new(),
        };
        let mid = r
            .mid_mjd
            .map(|m| format!("{m:.5} ({})", fmt_utc(mjd_to_unix(m))))
            .unwrap_or_default();
        let s = |v: &Option<String>| v.as_deref().map(sanitize_line).unwrap_or_default();
        let facts = [
            ("status", s(&r.status)),
            ("stage", s(&r.stage)),
            (
                "cal",
                r.cal_applied.map_or(String::new(), |c| {
                    if c { "applied" } else { "not applied" }.to_string()
                }),
            ),
            ("group", s(&r.group_id)),
            ("field", s(&r.field_name)),
            ("pointing", pointing),
            ("mid", mid),
            ("processed", opt_utc(r.processed_at)),
        ];
        lines.extend(fact_lines(&facts, width, theme));
    } else {
        lines.push(Line::styled("not in ms_index", theme.dim()));
    }
    match &d.state {
        Some(s) => lines.extend(state_lines(s, width, theme)),
        None => lines.push(Line::styled("no ms_state row", theme.dim())),
    }
    lines.extend(super::ms_calibration::qa_lines(d, width, theme));
    lines
}

/// Header, rows and widths of one section's table.
fn section_table(
    section: MsSection,
    d: &MsDetail,
    width: u16,
    now: f64,
    theme: &Theme,
) -> (Row<'static>, Vec<Row<'static>>, Vec<Constraint>) {
    // The file column gets what the fixed columns leave; the end of a file name matters.
    let file_width = width.saturating_sub(2 + 6 + 9 + 11 + 5 + 10 + 5) as usize;
    let file = |p: &str| ellipsize_start(&sanitize_line(p), file_width.max(8));
    match section {
        MsSection::Images => (
            Row::new(["id", "type", "created", "beam″", "noise", "file"]),
            d.images
                .iter()
                .map(|i| {
                    Row::new([
                        i.id.to_string(),
                        i.kind.as_deref().map(sanitize_line).unwrap_or_default(),
                        i.created_at.map(fmt_utc_short).unwrap_or_default(),
                        fmt_opt(i.beam_major_arcsec, 1),
                        i.noise_jy.map(fmt_flux_jy).unwrap_or_else(|| "-".into()),
                        file(i.path.rsplit('/').next().unwrap_or(&i.path)),
                    ])
                })
                .collect(),
            vec![
                Constraint::Length(6),
                Constraint::Length(9),
                Constraint::Length(11),
                Constraint::Length(5),
                Constraint::Length(10),
                Constraint::Fill(1),
            ],
        ),
        MsSection::Jobs => (
            Row::new(["status", "job", "kind", "started", "took", "why"]),
            d.jobs
                .iter()
                .map(|j| {
                    Row::new([
                        Span::styled(j.status.name(), theme.status(j.status)),
                        Span::raw(sanitize_line(&j.key.to_string())),
                        Span::raw(j.kind.as_deref().map(sanitize_line).unwrap_or_default()),
                        Span::raw(j.started_at.map(fmt_utc_short).unwrap_or_default()),
                        Span::raw(j.duration(now).map(fmt_duration).unwrap_or_default()),
                        Span::raw(
                            j.error_line
                                .as_deref()
                                .map(sanitize_line)
                                .unwrap_or_default(),
                        ),
                    ])
                })
                .collect(),
            vec![
                Constraint::Length(9),
                Constraint::Length(12),
                Constraint::Length(11),
                Constraint::Length(11),
                Constraint::Length(6),
                Constraint::Fill(1),
            ],
        ),
        MsSection::Calibration => super::ms_calibration::section_table(d, width, theme),
    }
}

/// One list; `selection` is the row to highlight when this list has focus.
fn render_section(
    f: &mut Frame,
    area: Rect,
    section: MsSection,
    d: &MsDetail,
    selection: Option<Option<usize>>,
    now: f64,
    theme: &Theme,
) {
    if section.len(d) == 0 {
        let note = format!("no {} for this MS", section.title().to_lowercase());
        f.render_widget(Paragraph::new(Line::styled(note, theme.dim())), area);
        return;
    }
    let (header, rows, widths) = section_table(section, d, area.width, now, theme);
    let mut table = Table::new(rows, widths).header(header.style(theme.label()));
    let mut state = TableState::default();
    if let Some(selected) = selection {
        table = table
            .row_highlight_style(theme.selected())
            .highlight_symbol("▶ ");
        state = state.with_selected(selected);
    }
    f.render_stateful_widget(table, area, &mut state);
}

/// The MS detail pane.
pub fn render_ms_detail(
    f: &mut Frame,
    area: Rect,
    d: &MsDetail,
    st: &MsPaneState,
    now: f64,
    theme: &Theme,
) {
    let name = d
        .row
        .as_ref()
        .map(|r| sanitize_line(&r.path))
        .unwrap_or_else(|| "?".into());
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        format!(
            " MS {} ",
            ellipsize_start(&name, area.width.saturating_sub(8) as usize)
        ),
        theme.heading(),
    ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = inner.width as usize;
    let facts = fact_block(d, width, theme);
    let [facts_area, lists_area] =
        Layout::vertical([Constraint::Length(facts.len() as u16), Constraint::Fill(1)])
            .areas(inner);
    f.render_widget(Paragraph::new(facts), facts_area);

    // Tall enough for every list in full: stack them. Otherwise tabs and the focused list.
    let needs: Vec<u16> = MsSection::ALL
        .iter()
        .map(|s| 2 + s.len(d).max(1) as u16)
        .collect();
    if needs.iter().sum::<u16>() <= lists_area.height {
        let mut constraints: Vec<Constraint> =
            needs.iter().map(|n| Constraint::Length(*n)).collect();
        constraints.push(Constraint::Fill(1));
        let areas = Layout::vertical(constraints).split(lists_area);
        for (i, section) in MsSection::ALL.into_iter().enumerate() {
            let focused = section == st.section;
            let title = format!(
                "{}{} ({})",
                if focused { "▶ " } else { "" },
                section.title(),
                section.len(d)
            );
            let [head, body] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(areas[i]);
            f.render_widget(Paragraph::new(heading(&title, width, theme)), head);
            let selection = focused.then(|| st.selected_in(section, d));
            render_section(f, body, section, d, selection, now, theme);
        }
    } else {
        let [tabs_area, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(lists_area);
        let titles = MsSection::ALL.map(|s| format!("{} ({})", s.title(), s.len(d)));
        let tabs = Tabs::new(titles)
            .select(st.section.index())
            .highlight_style(theme.selected());
        f.render_widget(tabs, tabs_area);
        let selection = Some(st.selected_in(st.section, d));
        render_section(f, body, st.section, d, selection, now, theme);
    }
}
