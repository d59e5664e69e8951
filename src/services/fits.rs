//! FITS header requests, latest wins: while one header is being read, newer requests replace
//! each other and only the newest is read next (scrolling through images never queues).

use tokio::sync::{mpsc, watch};

use crate::app::Msg;
use crate::fits::worker::FitsWorker;

pub fn spawn(
    worker: FitsWorker,
    mut requests: watch::Receiver<Option<String>>,
    out: mpsc::UnboundedSender<Msg>,
) {
    tokio::spawn(async move {
        while requests.changed().await.is_ok() {
            let Some(path) = requests.borrow_and_update().clone() else {
                continue;
            };
            let result = worker.header(path.clone().into()).await;
            if out.send(Msg::FitsHeader { path, result }).is_err() {
                return;
            }
        }
    });
}
