//! The vocabulary of key bindings: what a key can do (`Action`) and where (`Context`).

/// Everything a key can ask the app to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    TabImages,
    TabSources,
    TabJobs,
    TabMs,
    TabPool,
    NextTab,
    PrevTab,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Filter,
    CycleSort,
    ReverseSort,
    FailedOnly,
    Freeze,
    SlowerRefresh,
    FasterRefresh,
    ToggleLog,
    Refresh,
    AckAlerts,
    JumpMs,
    JumpImage,
    JumpJob,
    NextSection,
    PrevSection,
    ToggleRaw,
    ToggleComments,
    Search,
    NextMatch,
    PrevMatch,
    FilterApply,
    FilterCancel,
    Triage,
    TriageWindow,
    OpenExample,
    FollowLog,
    ToggleIngest,
}

impl Action {
    pub const ALL: [Action; 44] = [
        Action::Quit,
        Action::Help,
        Action::TabImages,
        Action::TabSources,
        Action::TabJobs,
        Action::TabMs,
        Action::TabPool,
        Action::NextTab,
        Action::PrevTab,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Open,
        Action::Back,
        Action::Filter,
        Action::CycleSort,
        Action::ReverseSort,
        Action::FailedOnly,
        Action::Freeze,
        Action::SlowerRefresh,
        Action::FasterRefresh,
        Action::ToggleLog,
        Action::Refresh,
        Action::AckAlerts,
        Action::JumpMs,
        Action::JumpImage,
        Action::JumpJob,
        Action::NextSection,
        Action::PrevSection,
        Action::ToggleRaw,
        Action::ToggleComments,
        Action::Search,
        Action::NextMatch,
        Action::PrevMatch,
        Action::FilterApply,
        Action::FilterCancel,
        Action::Triage,
        Action::TriageWindow,
        Action::OpenExample,
        Action::FollowLog,
        Action::ToggleIngest,
    ];

    /// The name used in the config file.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::TabImages => "tab_images",
            Action::TabSources => "tab_sources",
            Action::TabJobs => "tab_jobs",
            Action::TabMs => "tab_ms",
            Action::TabPool => "tab_pool",
            Action::NextTab => "next_tab",
            Action::PrevTab => "prev_tab",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Open => "open",
            Action::Back => "back",
            Action::Filter => "filter",
            Action::CycleSort => "cycle_sort",
            Action::ReverseSort => "reverse_sort",
            Action::FailedOnly => "failed_only",
            Action::Freeze => "freeze",
            Action::SlowerRefresh => "slower_refresh",
            Action::FasterRefresh => "faster_refresh",
            Action::ToggleLog => "toggle_log",
            Action::Refresh => "refresh",
            Action::AckAlerts => "ack_alerts",
            Action::JumpMs => "jump_ms",
            Action::JumpImage => "jump_image",
            Action::JumpJob => "jump_job",
            Action::NextSection => "next_section",
            Action::PrevSection => "prev_section",
            Action::ToggleRaw => "toggle_raw",
            Action::ToggleComments => "toggle_comments",
            Action::Search => "search",
            Action::NextMatch => "next_match",
            Action::PrevMatch => "prev_match",
            Action::FilterApply => "filter_apply",
            Action::FilterCancel => "filter_cancel",
            Action::Triage => "triage",
            Action::TriageWindow => "triage_window",
            Action::OpenExample => "open_example",
            Action::FollowLog => "follow_log",
            Action::ToggleIngest => "toggle_ingest",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        let name = name.trim().to_ascii_lowercase().replace('-', "_");
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Where a binding applies. Lookups walk from the specific context to `Global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    /// Moving a selection or scrolling: shared by lists, detail panes and the Pool tab.
    Move,
    /// Any of the four list tabs.
    List,
    /// The Jobs list only.
    Jobs,
    /// A detail pane is open.
    Detail,
    /// The Pool tab.
    Pool,
    /// Typing a filter: only these bindings apply; other printable keys are text.
    FilterInput,
    /// The triage view is open.
    Triage,
}

impl Context {
    pub const ALL: [Context; 8] = [
        Context::Global,
        Context::Move,
        Context::List,
        Context::Jobs,
        Context::Detail,
        Context::Pool,
        Context::FilterInput,
        Context::Triage,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Move => "Moving",
            Context::List => "Lists",
            Context::Jobs => "Jobs list",
            Context::Detail => "Detail pane",
            Context::Pool => "Pool tab",
            Context::FilterInput => "Typing a filter",
            Context::Triage => "Triage view",
        }
    }

    /// The contexts searched, most specific first.
    pub fn chain(self) -> &'static [Context] {
        match self {
            Context::Global => &[Context::Global],
            Context::Move => &[Context::Move, Context::Global],
            Context::List => &[Context::List, Context::Move, Context::Global],
            Context::Jobs => &[Context::Jobs, Context::List, Context::Move, Context::Global],
            Context::Detail => &[Context::Detail, Context::Move, Context::Global],
            Context::Pool => &[Context::Pool, Context::Move, Context::Global],
            Context::Triage => &[Context::Triage, Context::Move, Context::Global],
            // Typing must not quit or switch tabs: nothing global applies.
            Context::FilterInput => &[Context::FilterInput],
        }
    }
}
