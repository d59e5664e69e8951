//! One key with its modifiers: parsed from config strings, shown in the footer and help.

use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::KeymapError;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
