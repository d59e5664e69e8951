//! FITS header requests, newest first: the selected image and the rows on screen whose
//! metadata the database lacks all ask for headers; the newest request is read next, repeats
//! collapse into one, and only a bounded number wait (scrolling fast never builds a backlog).

use std::collections::VecDeque;

use tokio::sync::mpsc;

use crate::app::Msg;
use crate::fits::worker::FitsWorker;

/// Most requests kept waiting; older ones are dropped (the rows scrolled away).
const MAX_PENDING: usize = 64;

/// Put `path` first, removing an older request for it, and keep the queue bounded.
pub fn enqueue(pending: &mut VecDeque<String>, path: String) {
    pending.retain(|p| *p != path);
    pending.push_front(path);
    pending.truncate(MAX_PENDING);
}

pub fn spawn(
    worker: FitsWorker,
    mut requests: mpsc::UnboundedReceiver<String>,
    out: mpsc::UnboundedSender<Msg>,
) {
    tokio::spawn(async move {
        let mut pending = VecDeque::new();
        loop {
            if pending.is_empty() {
                match requests.recv().await {
                    Some(path) => enqueue(&mut pending, path),
                    None => return,
                }
            }
            while let Ok(path) = requests.try_recv() {
                enqueue(&mut pending, path);
            }
            let Some(path) = pending.pop_front() else {
                continue;
            };
            let result = worker.header(path.clone().into()).await;
            if out.send(Msg::FitsHeader { path, result }).is_err() {
                return;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_request_goes_first_and_repeats_collapse() {
        let mut q = VecDeque::new();
        for p in ["a", "b", "c", "a"] {
            enqueue(&mut q, p.to_string());
        }
        assert_eq!(q, ["a", "c", "b"]);
    }

    #[test]
    fn the_queue_is_bounded() {
        let mut q = VecDeque::new();
        for i in 0..(MAX_PENDING + 10) {
            enqueue(&mut q, i.to_string());
        }
        assert_eq!(q.len(), MAX_PENDING);
        assert_eq!(q.front().map(String::as_str), Some("73"));
    }
}
