//! The interactive loop: one channel of messages (keys, resizes, data, ticks); the screen is
//! redrawn only after a message that changed it ([`App::take_redraw`]), never on a fixed frame
//! rate. Bursts of messages are applied together and drawn once. Frames are wrapped in
//! synchronized output to avoid flicker over SSH.

use std::io::Write;

use ratatui::crossterm::{
    execute,
    terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate},
};
use tokio::sync::{mpsc, watch};

use crate::app::{App, Command, Msg};
use crate::services::Services;
use crate::snapshot::Tab;
use crate::terminal::Tui;

/// Most messages applied before a redraw is forced, so input stays responsive under a flood.
const MAX_BATCH: usize = 256;

/// Why the loop ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Exit {
    Quit,
    Signal(&'static str),
    ChannelClosed,
}

pub async fn run(
    terminal: &mut Tui,
    mut app: App,
    services: &Services,
    mut messages: mpsc::UnboundedReceiver<Msg>,
    mut signals: watch::Receiver<Option<&'static str>>,
) -> anyhow::Result<Exit> {
    // The app pages and reads ahead by the screen's size: tell it before the first frame.
    let size = terminal.size()?;
    for command in app.update(Msg::Resize(size.width, size.height)) {
        services.dispatch(command);
    }
    app.take_redraw();
    draw(terminal, &app)?;
    tracing::info!(
        "first frame after {} ms",
        crate::cli::run::since_start().as_millis()
    );
    let mut all_filled = false;
    let mut sources_complete = false;
    loop {
        let first = tokio::select! {
            msg = messages.recv() => match msg {
                Some(msg) => msg,
                None => return Ok(Exit::ChannelClosed),
            },
            _ = signals.changed() => {
                let name = signals.borrow().unwrap_or("signal");
                tracing::info!("{name} received; exiting");
                return Ok(Exit::Signal(name));
            }
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match messages.try_recv() {
                Ok(msg) => batch.push(msg),
                Err(_) => break,
            }
        }
        for msg in batch {
            for command in app.update(msg) {
                match command {
                    Command::Quit => return Ok(Exit::Quit),
                    Command::Bell => {
                        let _ = terminal.backend_mut().write_all(b"\x07");
                    }
                    command => services.dispatch(command),
                }
            }
        }
        if app.should_quit() {
            return Ok(Exit::Quit);
        }
        if app.take_redraw() {
            draw(terminal, &app)?;
        }
        // A tab's first rows are always drawn at once, so this is when the operator sees them.
        if !all_filled
            && app.images.loaded
            && app.sources.loaded
            && app.jobs.loaded
            && app.ms.loaded
        {
            all_filled = true;
            tracing::info!(
                "all tabs filled after {} ms",
                crate::cli::run::since_start().as_millis()
            );
        }
        if !sources_complete
            && app.sources.loaded
            && app
                .health
                .get(&Some(Tab::Sources))
                .is_some_and(|h| h.loading.is_none() && h.error.is_none())
        {
            sources_complete = true;
            tracing::info!(
                "Sources: every photometry row read after {} ms",
                crate::cli::run::since_start().as_millis()
            );
        }
    }
}

fn draw(terminal: &mut Tui, app: &App) -> anyhow::Result<()> {
    // The monitor's own log records wait in tui-logger's intake until moved; no thread of its
    // own polls for them (see `cli::run::init_tui_logging`). Every frame (at least one a
    // second, with the clock) moves them, so the log pane is as fresh as the screen.
    tui_logger::move_events();
    execute!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    terminal.draw(|frame| crate::ui::draw(frame, app))?;
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    terminal.backend_mut().flush()?;
    Ok(())
}
