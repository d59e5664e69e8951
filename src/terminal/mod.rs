//! The tty: entering and always leaving the alternate screen, reading keys off the async
//! runtime, and turning SIGTERM/SIGHUP/SIGINT into an orderly exit.
//!
//! Restoring happens in three places, so every exit path is covered: [`TerminalGuard`]'s
//! `Drop` (normal quit and errors), the panic hook installed by [`install_panic_hook`], and the
//! signal task, which asks the event loop to stop so the guard drops.

pub mod event_loop;
pub mod input;
pub mod signals;

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::{
    cursor, execute,
    terminal::{self, EnterAlternateScreen, LeaveAlternateScreen},
};

pub type Tui = Terminal<CrosstermBackend<io::Stdout>>;

/// Whether the TUI has changed the terminal's modes since the last restore.
static ENTERED: AtomicBool = AtomicBool::new(false);

/// Owns the terminal while the TUI runs; dropping it restores the terminal.
pub struct TerminalGuard {
    pub terminal: Tui,
}

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        terminal::enable_raw_mode()?;
        ENTERED.store(true, Ordering::SeqCst);
        let mut stdout = io::stdout();
        if let Err(e) = execute!(stdout, EnterAlternateScreen, cursor::Hide) {
            restore();
            return Err(e);
        }
        let terminal = Terminal::new(CrosstermBackend::new(stdout)).inspect_err(|_| restore())?;
        Ok(TerminalGuard { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Leave the alternate screen, show the cursor, leave raw mode. Safe to call more than once
/// and from a panic hook; errors are ignored because there is nothing better to do with them.
pub fn restore() {
    // Headless commands never touched the terminal: nothing to undo, and escape sequences
    // would only litter their output.
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut stdout = io::stdout();
    let _ = execute!(stdout, LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
    let _ = stdout.flush();
}

/// color-eyre's report for panics and errors, with the terminal restored first so the
/// report is readable and the shell is usable.
pub fn install_panic_hook() -> color_eyre::Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    eyre_hook.install()?;
    let panic_hook = panic_hook.into_panic_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        panic_hook(info);
    }));
    Ok(())
}
