//! The triage view's state and keys: open and close it, move between failure groups, change
//! the window, and go from a group to its jobs (Enter) or its example job (e).

use crate::app::keymap::Action;
use crate::app::msg::{Command, DetailKey};
use crate::app::state::App;
use crate::app::update::failed_term;
use crate::query::{Filter, Term};
use crate::snapshot::Tab;
use crate::triage::{FailureGroup, TriageReport, narrowing_text, next_window};

/// The triage view while it is open.
#[derive(Debug, Clone, PartialEq)]
pub struct TriageView {
    pub window_s: f64,
    /// The newest report for this window; `None` until the first arrives.
    pub report: Option<Box<TriageReport>>,
    /// Why the last refresh failed, while older data stays on screen.
    pub error: Option<String>,
    /// The selected failure group.
    pub selected: usize,
    /// Show the ingestion groups in place of the failure groups (`i`; small screens).
    pub show_ingest: bool,
}

impl TriageView {
    pub fn new(window_s: f64) -> TriageView {
        TriageView {
            window_s,
            report: None,
            error: None,
            selected: 0,
            show_ingest: false,
        }
    }

    pub fn selected_group(&self) -> Option<&FailureGroup> {
        self.report.as_ref()?.groups.get(self.selected)
    }

    fn group_count(&self) -> usize {
        self.report.as_ref().map_or(0, |r| r.groups.len())
    }

    fn move_by(&mut self, delta: isize) {
        let n = self.group_count();
        if n == 0 {
            self.selected = 0;
            return;
        }
        let next = (self.selected as isize).saturating_add(delta);
        self.selected = next.clamp(0, n as isize - 1) as usize;
    }
}

/// The Jobs filter that shows one group: failed jobs whose error holds the group's longest
/// literal text (every member's error does). A group of errors with no literal text to
/// search shows all failed jobs.
pub fn group_filter(group: &FailureGroup) -> Filter {
    let mut terms = vec![failed_term()];
    if let Some(text) = narrowing_text(&group.signature) {
        terms.push(Term {
            field: Some("error".into()),
            value: text,
            negated: false,
        });
    }
    Filter { terms }
}

impl App {
    /// `t`: open the triage view (or close it when open).
    pub(super) fn toggle_triage(&mut self) -> Vec<Command> {
        match self.triage.take() {
            Some(_) => vec![Command::Triage(None)],
            None => {
                let window = self.cfg.triage_window_s;
                self.triage = Some(TriageView::new(window));
                vec![Command::Triage(Some(window))]
            }
        }
    }

    /// Keys while the triage view is open; `None` passes the action on (tabs, quit, help).
    pub(super) fn on_triage_action(&mut self, action: Action) -> Option<Vec<Command>> {
        let view = self.triage.as_mut()?;
        let commands = match action {
            Action::Up => {
                view.move_by(-1);
                Vec::new()
            }
            Action::Down => {
                view.move_by(1);
                Vec::new()
            }
            Action::PageUp => {
                view.move_by(-10);
                Vec::new()
            }
            Action::PageDown => {
                view.move_by(10);
                Vec::new()
            }
            Action::Top => {
                view.move_by(isize::MIN / 2);
                Vec::new()
            }
            Action::Bottom => {
                view.move_by(isize::MAX / 2);
                Vec::new()
            }
            Action::ToggleIngest => {
                view.show_ingest = !view.show_ingest;
                Vec::new()
            }
            Action::TriageWindow => {
                let window = next_window(view.window_s);
                let show_ingest = view.show_ingest;
                *view = TriageView {
                    show_ingest,
                    ..TriageView::new(window)
                };
                vec![Command::Triage(Some(window))]
            }
            Action::Back | Action::Triage => {
                self.triage = None;
                vec![Command::Triage(None)]
            }
            Action::Open => {
                let Some(filter) = view.selected_group().map(group_filter) else {
                    return Some(Vec::new());
                };
                self.triage = None;
                let mut commands = vec![Command::Triage(None)];
                commands.extend(self.show_jobs(filter));
                commands
            }
            Action::OpenExample => {
                let Some(group) = view.selected_group() else {
                    return Some(Vec::new());
                };
                let key = DetailKey::Job(group.example.key.clone());
                let filter = group_filter(group);
                self.triage = None;
                let mut commands = vec![Command::Triage(None)];
                commands.extend(self.show_jobs(filter));
                commands.extend(self.push_detail(Tab::Jobs, key));
                commands
            }
            // Tab keys leave the view for that tab.
            Action::TabImages
            | Action::TabSources
            | Action::TabJobs
            | Action::TabMs
            | Action::TabPool
            | Action::NextTab
            | Action::PrevTab => {
                self.triage = None;
                let mut commands = vec![Command::Triage(None)];
                commands.extend(self.do_action(action));
                commands
            }
            _ => return None,
        };
        Some(commands)
    }

    /// The Jobs tab, filtered, with no pane over it.
    fn show_jobs(&mut self, filter: Filter) -> Vec<Command> {
        let mut commands = Vec::new();
        if !self.details.is_empty() {
            self.details.clear();
            commands.push(Command::CloseDetail);
        }
        self.tab = Tab::Jobs;
        commands.extend(self.set_filter(Tab::Jobs, filter));
        commands
    }

    /// A triage report arrived: kept when it answers the window on screen.
    pub(super) fn on_triage(
        &mut self,
        window_s: f64,
        result: Result<Box<TriageReport>, String>,
    ) -> Vec<Command> {
        let Some(view) = self.triage.as_mut().filter(|v| v.window_s == window_s) else {
            return Vec::new();
        };
        match result {
            Ok(report) => {
                view.report = Some(report);
                view.error = None;
                let n = view.group_count();
                view.selected = view.selected.min(n.saturating_sub(1));
            }
            Err(e) => view.error = Some(e),
        }
        Vec::new()
    }
}
