//! Keys and resizes, read on a plain thread (crossterm's `read` blocks) and forwarded into the
//! async event channel. The thread polls with a timeout so it notices when the app has gone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ratatui::crossterm::event::{self, Event, KeyEventKind};
use tokio::sync::mpsc::UnboundedSender;

use crate::app::Msg;

/// Stops the input thread when dropped.
pub struct InputThread {
    stop: Arc<AtomicBool>,
}

impl Drop for InputThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

pub fn spawn(tx: UnboundedSender<Msg>) -> InputThread {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match event::poll(Duration::from_millis(200)) {
                    Ok(false) => continue,
                    Ok(true) => {}
                    Err(_) => break,
                }
                let msg = match event::read() {
                    // Key release/repeat events (kitty protocol, Windows) would double keys.
                    Ok(Event::Key(key)) if key.kind == KeyEventKind::Press => Msg::Key(key),
                    Ok(Event::Resize(cols, rows)) => Msg::Resize(cols, rows),
                    Ok(_) => continue,
                    Err(_) => break,
                };
                if tx.send(msg).is_err() {
                    break;
                }
            }
        })
        .expect("spawning the input thread");
    InputThread { stop }
}
