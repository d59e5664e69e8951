//! SIGTERM (kill), SIGHUP (the SSH session dropped) and SIGINT become a quit request, so the
//! event loop ends and the terminal guard restores the screen.

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// Resolves (sets the flag) on the first of SIGTERM, SIGHUP or SIGINT.
pub fn spawn() -> std::io::Result<watch::Receiver<Option<&'static str>>> {
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    let (tx, rx) = watch::channel(None);
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = hup.recv() => "SIGHUP",
            _ = int.recv() => "SIGINT",
        };
        let _ = tx.send(Some(name));
    });
    Ok(rx)
}
