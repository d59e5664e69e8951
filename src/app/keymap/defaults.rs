//! The default bindings: the one table the footer, the help and key handling read.

use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use super::{Action, Binding, Context, KeyCombo, Keymap};

fn k(c: char) -> KeyCombo {
    KeyCombo::plain(KeyCode::Char(c))
}

fn code(c: KeyCode) -> KeyCombo {
    KeyCombo::plain(c)
}

fn ctrl(c: char) -> KeyCombo {
    KeyCombo::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

impl Default for Keymap {
    fn default() -> Keymap {
        use Action as A;
        use Context as C;
        let b = |action, keys: Vec<KeyCombo>, context, help, footer| Binding {
            action,
            keys,
            context,
            help,
            footer,
        };
        let movement = |ctx: Context| {
            vec![
                b(A::Up, vec![k('k'), code(KeyCode::Up)], ctx, "move up", None),
                b(
                    A::Down,
                    vec![k('j'), code(KeyCode::Down)],
                    ctx,
                    "move down",
                    Some("move"),
                ),
                b(A::PageUp, vec![code(KeyCode::PageUp)], ctx, "page up", None),
                b(
                    A::PageDown,
                    vec![code(KeyCode::PageDown)],
                    ctx,
                    "page down",
                    None,
                ),
                b(
                    A::Top,
                    vec![k('g'), code(KeyCode::Home)],
                    ctx,
                    "go to the top",
                    None,
                ),
                b(
                    A::Bottom,
                    vec![k('G'), code(KeyCode::End)],
                    ctx,
                    "go to the bottom",
                    None,
                ),
            ]
        };
        let mut bindings = vec![
            b(
                A::Quit,
                vec![k('q'), ctrl('c')],
                C::Global,
                "quit",
                Some("quit"),
            ),
            b(
                A::Help,
                vec![k('?')],
                C::Global,
                "show or hide this help",
                Some("help"),
            ),
            b(A::TabImages, vec![k('1')], C::Global, "Images tab", None),
            b(A::TabSources, vec![k('2')], C::Global, "Sources tab", None),
            b(A::TabJobs, vec![k('3')], C::Global, "Jobs tab", None),
            b(A::TabMs, vec![k('4')], C::Global, "MS tab", None),
            b(A::TabPool, vec![k('5')], C::Global, "Pool tab", None),
            b(
                A::NextTab,
                vec![code(KeyCode::Tab)],
                C::Global,
                "next tab",
                Some("tab"),
            ),
            b(
                A::PrevTab,
                vec![code(KeyCode::BackTab)],
                C::Global,
                "previous tab",
                None,
            ),
            b(
                A::Freeze,
                vec![k('p')],
                C::Global,
                "freeze; again: show newest",
                Some("freeze"),
            ),
            b(
                A::SlowerRefresh,
                vec![k('+')],
                C::Global,
                "refresh less often",
                None,
            ),
            b(
                A::FasterRefresh,
                vec![k('-')],
                C::Global,
                "refresh more often",
                None,
            ),
            b(
                A::ToggleLog,
                vec![k('L')],
                C::Global,
                "show the monitor's own log",
                None,
            ),
            b(A::Refresh, vec![k('r')], C::Global, "refresh now", None),
            b(
                A::Triage,
                vec![k('t')],
                C::Global,
                "triage: failures by error, stuck work",
                Some("triage"),
            ),
            b(
                A::AckAlerts,
                vec![k('a')],
                C::Global,
                "acknowledge pool saturation alerts",
                None,
            ),
        ];
        bindings.extend(movement(C::Move));
        bindings.extend([
            b(
                A::Open,
                vec![code(KeyCode::Enter)],
                C::List,
                "open the detail pane",
                Some("open"),
            ),
            b(
                A::Filter,
                vec![k('/')],
                C::List,
                "filter (field:value, !not)",
                Some("filter"),
            ),
            b(
                A::CycleSort,
                vec![k('s')],
                C::List,
                "sort by the next column",
                Some("sort"),
            ),
            b(
                A::ReverseSort,
                vec![k('S')],
                C::List,
                "reverse the sort order",
                None,
            ),
            b(
                A::FailedOnly,
                vec![k('f')],
                C::Jobs,
                "Jobs: failed only",
                Some("failed"),
            ),
        ]);
        bindings.extend([
            b(
                A::Back,
                vec![code(KeyCode::Esc)],
                C::Detail,
                "close / go back",
                Some("back"),
            ),
            b(
                A::JumpMs,
                vec![k('m')],
                C::Detail,
                "jump to its MS",
                Some("→MS"),
            ),
            b(
                A::JumpImage,
                vec![k('i')],
                C::Detail,
                "jump to an image of it",
                Some("→image"),
            ),
            b(
                A::JumpJob,
                vec![k('J')],
                C::Detail,
                "jump to a job of this MS",
                Some("→job"),
            ),
            b(
                A::Open,
                vec![code(KeyCode::Enter)],
                C::Detail,
                "open selected image/job",
                Some("open"),
            ),
            b(
                A::FollowLog,
                vec![k('F')],
                C::Detail,
                "job: follow the log (stay at the end)",
                Some("follow"),
            ),
            b(
                A::NextSection,
                vec![k(']')],
                C::Detail,
                "next list / HDU",
                Some("next list"),
            ),
            b(
                A::PrevSection,
                vec![k('[')],
                C::Detail,
                "previous list / HDU",
                None,
            ),
            b(
                A::ToggleRaw,
                vec![k('v')],
                C::Detail,
                "header: raw or parsed",
                Some("raw"),
            ),
            b(
                A::ToggleComments,
                vec![k('c')],
                C::Detail,
                "header: COMMENT/HISTORY",
                None,
            ),
            b(
                A::Search,
                vec![k('/')],
                C::Detail,
                "header: search",
                Some("search"),
            ),
            b(
                A::NextMatch,
                vec![k('n')],
                C::Detail,
                "header: next match",
                None,
            ),
            b(
                A::PrevMatch,
                vec![k('N')],
                C::Detail,
                "header: previous match",
                None,
            ),
        ]);
        bindings.extend([
            b(
                A::Open,
                vec![code(KeyCode::Enter)],
                C::Triage,
                "show the group's jobs",
                Some("jobs"),
            ),
            b(
                A::OpenExample,
                vec![k('e')],
                C::Triage,
                "open the group's example job",
                Some("example"),
            ),
            b(
                A::TriageWindow,
                vec![k('w')],
                C::Triage,
                "window: 1 h, 6 h, 24 h, 7 d",
                Some("window"),
            ),
            b(
                A::ToggleIngest,
                vec![k('i')],
                C::Triage,
                "ingestion groups / failure groups",
                Some("ingest"),
            ),
            b(
                A::Back,
                vec![code(KeyCode::Esc)],
                C::Triage,
                "close the triage view",
                Some("close"),
            ),
        ]);
        bindings.extend([
            b(
                A::FilterApply,
                vec![code(KeyCode::Enter)],
                C::FilterInput,
                "apply the filter",
                Some("apply"),
            ),
            b(
                A::FilterCancel,
                vec![code(KeyCode::Esc)],
                C::FilterInput,
                "cancel editing",
                Some("cancel"),
            ),
        ]);
        Keymap { bindings }
    }
}
