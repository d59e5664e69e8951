//! Keys: what each action does to the state, given the context the keymap resolved.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::keymap::Action;
use crate::app::msg::{Command, DetailData, DetailKey};
use crate::app::sorting::{cycle_sort, reverse_sort};
use crate::app::state::{App, DetailView, InputTarget, PaneState};
use crate::app::update::failed_term;
use crate::snapshot::Tab;

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        if self.filter_input.is_some() {
            return self.on_filter_key(key);
        }
        let action = self.cfg.keymap.lookup(self.context(), key);
        if self.show_help {
            // Any key closes the help; quitting still quits.
            self.show_help = false;
            return match action {
                Some(Action::Quit) => self.do_action(Action::Quit),
                _ => Vec::new(),
            };
        }
        match action {
            Some(action) => self.do_action(action),
            None => Vec::new(),
        }
    }

    pub(super) fn on_filter_key(&mut self, key: KeyEvent) -> Vec<Command> {
        match self.cfg.keymap.lookup(self.context(), key) {
            Some(Action::FilterApply) => {
                let text = self.filter_input.take().unwrap_or_default();
                match self.input_target {
                    InputTarget::Filter => self.apply_filter_text(self.tab, text),
                    InputTarget::HeaderSearch => {
                        if let Some(PaneState::Image(view)) = self.open_pane_mut() {
                            view.set_search(text.trim());
                        }
                        Vec::new()
                    }
                }
            }
            Some(Action::FilterCancel) => {
                self.filter_input = None;
                Vec::new()
            }
            _ => {
                if let Some(input) = &mut self.filter_input {
                    match key.code {
                        KeyCode::Backspace => {
                            input.pop();
                        }
                        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                            input.clear();
                        }
                        KeyCode::Char(c)
                            if !key
                                .modifiers
                                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                        {
                            input.push(c);
                        }
                        _ => {}
                    }
                }
                Vec::new()
            }
        }
    }

    pub(super) fn do_action(&mut self, action: Action) -> Vec<Command> {
        if let Some(commands) = self.on_triage_action(action) {
            return commands;
        }
        match action {
            Action::Quit => {
                self.quit = true;
                vec![Command::Quit]
            }
            Action::Help => {
                self.show_help = true;
                Vec::new()
            }
            Action::TabImages => self.switch_tab(Tab::Images),
            Action::TabSources => self.switch_tab(Tab::Sources),
            Action::TabJobs => self.switch_tab(Tab::Jobs),
            Action::TabMs => self.switch_tab(Tab::Ms),
            Action::TabPool => self.switch_tab(Tab::Pool),
            Action::NextTab => self.switch_tab(Tab::ALL[(self.tab.index() + 1) % Tab::ALL.len()]),
            Action::PrevTab => {
                self.switch_tab(Tab::ALL[(self.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()])
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.on_move(action),
            Action::Open if self.open_detail().is_some() => self.open_from_pane(),
            Action::Open => self.open_selected(),
            Action::Back => self.close_detail(),
            Action::Filter => {
                if self.tab != Tab::Pool {
                    self.filter_input = Some(self.filter_text(self.tab).to_string());
                    self.input_target = InputTarget::Filter;
                }
                Vec::new()
            }
            Action::Search => {
                if let Some(PaneState::Image(view)) = self.open_pane_mut() {
                    let current = view.search().to_string();
                    self.filter_input = Some(current);
                    self.input_target = InputTarget::HeaderSearch;
                }
                Vec::new()
            }
            Action::NextSection
            | Action::PrevSection
            | Action::ToggleRaw
            | Action::ToggleComments
            | Action::NextMatch
            | Action::PrevMatch => {
                self.on_pane_action(action);
                Vec::new()
            }
            Action::CycleSort => {
                let tab = self.tab;
                let sort = cycle_sort(tab, self.sort_of(tab));
                on_list!(self, tab, l => l.sort = sort);
                self.restart_query(tab).into_iter().collect()
            }
            Action::ReverseSort => {
                let tab = self.tab;
                let sort = reverse_sort(tab, self.sort_of(tab));
                on_list!(self, tab, l => l.sort = sort);
                self.restart_query(tab).into_iter().collect()
            }
            Action::FailedOnly => {
                if self.tab != Tab::Jobs {
                    return Vec::new();
                }
                let term = failed_term();
                let filter = if self.jobs.filter.terms.contains(&term) {
                    self.jobs.filter.without_term(&term)
                } else {
                    self.jobs.filter.with_term(term)
                };
                self.set_filter(Tab::Jobs, filter)
            }
            Action::Freeze => self.toggle_freeze(),
            Action::SlowerRefresh => self.step_refresh(1),
            Action::FasterRefresh => self.step_refresh(-1),
            Action::ToggleLog => {
                self.show_log = !self.show_log;
                self.scroll_current();
                Vec::new()
            }
            Action::Refresh => self.refresh_now(),
            Action::AckAlerts => self.acknowledge_alerts(),
            Action::JumpMs => self.jump_to_ms(),
            Action::JumpImage => self.jump_to_image(),
            Action::JumpJob => self.jump_to_job(),
            Action::Triage => self.toggle_triage(),
            Action::FollowLog => {
                self.follow_log = !self.follow_log;
                if self.follow_log
                    && let Some(PaneState::Job(st)) = self.open_pane_mut()
                {
                    st.scroll_bottom();
                }
                Vec::new()
            }
            Action::TriageWindow | Action::OpenExample | Action::ToggleIngest => Vec::new(),
            Action::FilterApply | Action::FilterCancel => Vec::new(),
        }
    }

    /// Show `tab` (what the tab keys do), for the headless commands.
    pub fn select_tab(&mut self, tab: Tab) -> Vec<Command> {
        self.switch_tab(tab)
    }

    pub(super) fn switch_tab(&mut self, tab: Tab) -> Vec<Command> {
        if tab == self.tab {
            return Vec::new();
        }
        self.tab = tab;
        let mut commands = Vec::new();
        // A manual tab switch leaves any detail pane behind: stop refreshing it.
        if !self.details.is_empty() {
            self.details.clear();
            commands.push(Command::CloseDetail);
        }
        commands.extend(self.after_selection_change());
        commands
    }

    /// The open pane's view state, for keys that drive it.
    pub(super) fn open_pane_mut(&mut self) -> Option<&mut PaneState> {
        let tab = self.tab;
        self.details
            .last_mut()
            .filter(|d| d.tab == tab)
            .map(|d| &mut d.pane)
    }

    /// Movement keys go to the open pane, the Pool tab or the list, whichever is in front.
    pub(super) fn on_move(&mut self, action: Action) -> Vec<Command> {
        if self.open_detail().is_some() {
            self.move_in_pane(action);
            return Vec::new();
        }
        if self.tab == Tab::Pool {
            if let Some(snapshot) = &self.pool {
                match action {
                    Action::Up | Action::PageUp | Action::Top => self.pool_state.select_prev(),
                    _ => self.pool_state.select_next(snapshot),
                }
            }
            return Vec::new();
        }
        let screen = self.list_viewport_rows() as isize;
        let delta = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -screen,
            Action::PageDown => screen,
            Action::Top => isize::MIN / 2,
            _ => isize::MAX / 2,
        };
        self.move_selection(delta)
    }

    pub(super) fn move_in_pane(&mut self, action: Action) {
        let tab = self.tab;
        let Some(view) = self.details.last_mut().filter(|d| d.tab == tab) else {
            return;
        };
        let DetailView { data, pane, .. } = view;
        let data = data.as_ref().and_then(|r| r.as_ref().ok());
        match (pane, data) {
            (PaneState::Job(st), _) => match action {
                Action::Up => st.scroll_up(),
                Action::Down => st.scroll_down(),
                Action::PageUp => st.page_up(),
                Action::PageDown => st.page_down(),
                Action::Top => st.scroll_top(),
                _ => st.scroll_bottom(),
            },
            (PaneState::Image(st), _) => match action {
                Action::Up => st.scroll_up(),
                Action::Down => st.scroll_down(),
                Action::PageUp => st.page_up(),
                Action::PageDown => st.page_down(),
                Action::Top => st.scroll_top(),
                _ => st.scroll_bottom(),
            },
            (PaneState::Ms(st), Some(DetailData::Ms(d))) => match action {
                Action::Up | Action::PageUp | Action::Top => st.select_prev(d),
                _ => st.select_next(d),
            },
            (PaneState::Source(st), Some(DetailData::Source(d))) => match action {
                Action::Up | Action::PageUp => st.select_prev(d),
                Action::Down | Action::PageDown => st.select_next(d),
                Action::Top => st.select_first(),
                _ => st.select_last(d),
            },
            _ => {}
        }
    }

    /// Section, header-view and search-match keys of the open pane.
    pub(super) fn on_pane_action(&mut self, action: Action) {
        let tab = self.tab;
        let Some(view) = self.details.last_mut().filter(|d| d.tab == tab) else {
            return;
        };
        match (&mut view.pane, &view.key) {
            (PaneState::Ms(st), _) => match action {
                Action::NextSection => st.next_section(),
                Action::PrevSection => st.prev_section(),
                _ => {}
            },
            (PaneState::Image(st), DetailKey::Image { path, .. }) => {
                let Some(doc) = self.headers.header(path) else {
                    return;
                };
                match action {
                    Action::NextSection => st.next_hdu(doc),
                    Action::PrevSection => st.prev_hdu(doc),
                    Action::ToggleRaw => st.toggle_raw(),
                    Action::ToggleComments => st.toggle_commentary(),
                    Action::NextMatch => st.next_match(doc),
                    Action::PrevMatch => st.prev_match(doc),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    pub(super) fn move_selection(&mut self, delta: isize) -> Vec<Command> {
        let tab = self.tab;
        let changed = on_list!(self, tab, l => l.move_by(delta)).unwrap_or(false);
        self.scroll_current();
        let mut commands = self.load_more_if_needed(tab);
        if changed {
            commands.extend(self.after_selection_change());
        }
        commands
    }
}
