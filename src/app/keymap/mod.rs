//! The one table of key bindings. Key handling, footer hints and the `?` help are all read
//! from it, so what the screen says is always what the keys do. Operators may remap any
//! action from the config (`action name → key strings`); conflicts are refused with a message
//! that names both actions.

use std::collections::HashMap;

use ratatui::crossterm::event::KeyEvent;
use thiserror::Error;

mod action;
mod combo;
mod defaults;

pub use action::{Action, Context};
pub use combo::KeyCombo;

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
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
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
