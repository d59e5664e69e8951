//! The one table of key bindings. Key handling, footer hints and the `?` help are all read
//! from it, so what the screen says is always what the keys do. Operators may remap any
//! action from the config (`action name → key strings`); conflicts are refused with a message
//! that names both actions.

use std::collections::HashMap;
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use thiserror::Error;

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
}

impl Action {
    pub const ALL: [Action; 38] = [
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
}

impl Context {
    pub const ALL: [Context; 7] = [
        Context::Global,
        Context::Move,
        Context::List,
        Context::Jobs,
        Context::Detail,
        Context::Pool,
        Context::FilterInput,
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
            // Typing must not quit or switch tabs: nothing global applies.
            Context::FilterInput => &[Context::FilterInput],
        }
    }
}

/// One key with its modifiers, normalised so `G` and `shift-g` are the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyCombo {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeyCombo {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyCombo {
        // Terminals disagree on whether a typed `G` carries SHIFT and whether BackTab does;
        // the character itself already says it, so SHIFT is dropped for both.
        let mods = match code {
            KeyCode::Char(_) | KeyCode::BackTab => mods - KeyModifiers::SHIFT,
            _ => mods,
        };
        KeyCombo { code, mods }
    }

    pub fn plain(code: KeyCode) -> KeyCombo {
        KeyCombo::new(code, KeyModifiers::NONE)
    }

    pub fn from_event(ev: &KeyEvent) -> KeyCombo {
        KeyCombo::new(ev.code, ev.modifiers)
    }

    /// Parse `j`, `G`, `ctrl-r`, `F5`, `shift-tab`, `PgDn`, `enter`, `?`, `space`, `alt-x`.
    pub fn parse(text: &str) -> Result<KeyCombo, KeymapError> {
        let bad = || KeymapError::BadKey(text.to_string());
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(bad());
        }
        // A lone `-` is a key, not a separator; `ctrl--` is ctrl and `-`.
        let (mod_part, key_part) = if let Some(mods) = trimmed.strip_suffix("--") {
            (mods, "-")
        } else {
            match trimmed.rfind('-') {
                Some(i) if i > 0 && i + 1 < trimmed.len() => (&trimmed[..i], &trimmed[i + 1..]),
                _ => ("", trimmed),
            }
        };
        let mut mods = KeyModifiers::NONE;
        for m in mod_part.split('-').filter(|m| !m.is_empty()) {
            mods |= match m.to_ascii_lowercase().as_str() {
                "ctrl" | "c" | "control" => KeyModifiers::CONTROL,
                "alt" | "a" | "meta" | "m" => KeyModifiers::ALT,
                "shift" | "s" => KeyModifiers::SHIFT,
                _ => return Err(bad()),
            };
        }
        let lower = key_part.to_ascii_lowercase();
        let code = match lower.as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pgdown" | "pagedown" => KeyCode::PageDown,
            "minus" => KeyCode::Char('-'),
            "plus" => KeyCode::Char('+'),
            f if f.len() >= 2
                && f.starts_with('f')
                && f[1..].chars().all(|c| c.is_ascii_digit()) =>
            {
                let n: u8 = f[1..].parse().map_err(|_| bad())?;
                if !(1..=24).contains(&n) {
                    return Err(bad());
                }
                KeyCode::F(n)
            }
            _ => {
                let mut chars = key_part.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        // `shift-g` means `G`.
                        if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_lowercase() {
                            KeyCode::Char(c.to_ascii_uppercase())
                        } else {
                            KeyCode::Char(c)
                        }
                    }
                    _ => return Err(bad()),
                }
            }
        };
        Ok(KeyCombo::new(code, mods))
    }
}

impl fmt::Display for KeyCombo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("S-Tab"),
            KeyCode::Backspace => f.write_str("Bksp"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One action's keys in one context, with its help and (optional) footer hint.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub action: Action,
    pub keys: Vec<KeyCombo>,
    pub context: Context,
    pub help: &'static str,
    /// Short hint shown in the footer; `None` keeps the footer short.
    pub footer: Option<&'static str>,
}

#[derive(Debug, Clone, Error, PartialEq)]
pub enum KeymapError {
    #[error("unknown action `{0}` in the key bindings (known: {known})", known = known_actions())]
    UnknownAction(String),
    #[error("cannot read key `{0}` (examples: j, G, ctrl-r, F5, shift-tab, PgDn, enter)")]
    BadKey(String),
    #[error("action `{0}` has no key left")]
    NoKeys(String),
    #[error(
        "key `{key}` is bound to both `{first}` and `{second}` in context {context}; \
         remap one of them"
    )]
    Conflict {
        key: String,
        first: &'static str,
        second: &'static str,
        context: &'static str,
    },
}

fn known_actions() -> String {
    Action::ALL.map(Action::name).join(", ")
}

/// One row of the help overlay.
#[derive(Debug, Clone, PartialEq)]
pub struct HelpRow {
    pub keys: String,
    pub help: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

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

impl Keymap {
    /// The defaults with some actions' keys replaced. Every binding of a named action gets
    /// the new keys, in every context it appears in.
    pub fn with_overrides(overrides: &HashMap<String, Vec<String>>) -> Result<Keymap, KeymapError> {
        let mut map = Keymap::default();
        // Sorted so the first error reported does not depend on hash order.
        let mut names: Vec<&String> = overrides.keys().collect();
        names.sort();
        for name in names {
            let action =
                Action::parse(name).ok_or_else(|| KeymapError::UnknownAction(name.clone()))?;
            let keys = overrides[name]
                .iter()
                .map(|k| KeyCombo::parse(k))
                .collect::<Result<Vec<_>, _>>()?;
            if keys.is_empty() {
                return Err(KeymapError::NoKeys(name.clone()));
            }
            for binding in map.bindings.iter_mut().filter(|b| b.action == action) {
                binding.keys = keys.clone();
            }
        }
        map.check_conflicts()?;
        Ok(map)
    }

    /// Two actions reachable with the same key from one context is a conflict: the more
    /// specific one would silently hide the other.
    fn check_conflicts(&self) -> Result<(), KeymapError> {
        for leaf in Context::ALL {
            let mut seen: HashMap<KeyCombo, Action> = HashMap::new();
            for ctx in leaf.chain() {
                for binding in self.bindings.iter().filter(|b| b.context == *ctx) {
                    for key in &binding.keys {
                        match seen.get(key) {
                            Some(other) if *other != binding.action => {
                                return Err(KeymapError::Conflict {
                                    key: key.to_string(),
                                    first: other.name(),
                                    second: binding.action.name(),
                                    context: leaf.title(),
                                });
                            }
                            _ => {
                                seen.insert(*key, binding.action);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    pub fn lookup(&self, context: Context, key: KeyEvent) -> Option<Action> {
        let combo = KeyCombo::from_event(&key);
        context.chain().iter().find_map(|ctx| {
            self.bindings
                .iter()
                .find(|b| b.context == *ctx && b.keys.contains(&combo))
                .map(|b| b.action)
        })
    }

    /// The keys bound to `action` in `context` (or its parents), as the help shows them.
    pub fn keys_for(&self, context: Context, action: Action) -> Option<String> {
        context.chain().iter().find_map(|ctx| {
            self.bindings
                .iter()
                .find(|b| b.context == *ctx && b.action == action)
                .map(|b| keys_text(&b.keys))
        })
    }

    /// Footer hints for `context`, most specific context first: (keys, hint).
    pub fn footer(&self, context: Context) -> Vec<(String, &'static str)> {
        self.footer_actions(context)
            .into_iter()
            .map(|(_, keys, hint)| (keys, hint))
            .collect()
    }

    /// Footer hints with their actions, so the caller can leave out what does not apply.
    pub fn footer_actions(&self, context: Context) -> Vec<(Action, String, &'static str)> {
        let mut hints = Vec::new();
        for ctx in context.chain() {
            for binding in self.bindings.iter().filter(|b| b.context == *ctx) {
                if let (Some(hint), Some(first)) = (binding.footer, binding.keys.first()) {
                    hints.push((binding.action, first.to_string(), hint));
                }
            }
        }
        hints
    }

    /// Every binding grouped by context, in the order of `Context::ALL`.
    pub fn help(&self) -> Vec<(Context, Vec<HelpRow>)> {
        Context::ALL
            .into_iter()
            .map(|ctx| {
                let rows = self
                    .bindings
                    .iter()
                    .filter(|b| b.context == ctx)
                    .map(|b| HelpRow {
                        keys: keys_text(&b.keys),
                        help: b.help,
                    })
                    .collect::<Vec<_>>();
                (ctx, rows)
            })
            .filter(|(_, rows)| !rows.is_empty())
            .collect()
    }
}

fn keys_text(keys: &[KeyCombo]) -> String {
    keys.iter()
        .map(KeyCombo::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn key_strings_parse_the_way_operators_write_them() {
        assert_eq!(
            KeyCombo::parse("ctrl-r").unwrap(),
            KeyCombo::new(KeyCode::Char('r'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            KeyCombo::parse("F5").unwrap(),
            KeyCombo::plain(KeyCode::F(5))
        );
        assert_eq!(
            KeyCombo::parse("shift-g").unwrap(),
            KeyCombo::plain(KeyCode::Char('G'))
        );
        assert_eq!(
            KeyCombo::parse("shift-tab").unwrap(),
            KeyCombo::plain(KeyCode::BackTab)
        );
        assert_eq!(
            KeyCombo::parse("-").unwrap(),
            KeyCombo::plain(KeyCode::Char('-'))
        );
        assert_eq!(
            KeyCombo::parse("ctrl--").unwrap(),
            KeyCombo::new(KeyCode::Char('-'), KeyModifiers::CONTROL)
        );
        assert_eq!(
            KeyCombo::parse("PgDn").unwrap(),
            KeyCombo::plain(KeyCode::PageDown)
        );
        assert!(KeyCombo::parse("hyper-x").is_err());
        assert!(KeyCombo::parse("F99").is_err());
        assert!(KeyCombo::parse("").is_err());
        for odd in ["é-", "-é", "--", "---", "ctrl-", "ctrl-é", "F", "f0", "ß"] {
            let _ = KeyCombo::parse(odd);
        }
        assert_eq!(
            KeyCombo::parse("ß").unwrap(),
            KeyCombo::plain(KeyCode::Char('ß'))
        );
    }

    #[test]
    fn a_capital_letter_matches_with_or_without_shift_reported() {
        let map = Keymap::default();
        assert_eq!(
            map.lookup(Context::List, ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            map.lookup(Context::List, ev(KeyCode::Char('G'), KeyModifiers::NONE)),
            Some(Action::Bottom)
        );
        assert_eq!(
            map.lookup(Context::List, ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevTab)
        );
    }

    #[test]
    fn typing_a_filter_does_not_quit() {
        let map = Keymap::default();
        assert_eq!(
            map.lookup(
                Context::FilterInput,
                ev(KeyCode::Char('q'), KeyModifiers::NONE)
            ),
            None
        );
        assert_eq!(
            map.lookup(Context::FilterInput, ev(KeyCode::Enter, KeyModifiers::NONE)),
            Some(Action::FilterApply)
        );
    }

    #[test]
    fn the_default_keymap_has_no_conflicts() {
        Keymap::default().check_conflicts().unwrap();
    }

    #[test]
    fn display_and_parse_round_trip_for_every_default_key() {
        for b in Keymap::default().bindings() {
            for key in &b.keys {
                let text = key.to_string();
                if matches!(
                    key.code,
                    KeyCode::Up | KeyCode::Down | KeyCode::Left | KeyCode::Right
                ) {
                    continue;
                }
                let text = text.replace("S-Tab", "shift-tab");
                assert_eq!(KeyCombo::parse(&text).unwrap(), *key, "{text}");
            }
        }
    }
}
