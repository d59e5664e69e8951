//! One thread that owns every CFITSIO call (and every CASA directory read), with a small cache
//! of parsed headers.
//!
//! CFITSIO handles are neither `Send` nor `Sync` and a header read may take seconds on a busy
//! disk, so async code never calls it directly: it sends the path over a channel and awaits a
//! oneshot reply. Results are cached by (path, what was read, size, mtime), so going back to an image is
//! instant and a rewritten image is read again. Requests whose asker has gone away (the
//! operator scrolled past) are skipped without touching the disk.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::SystemTime;

use tokio::sync::oneshot;

use super::locate::locate;
use super::read::{io_error, read_header};
use super::{FitsError, HeaderDoc};

type Answer = Result<Arc<HeaderDoc>, FitsError>;
type Reply = oneshot::Sender<Answer>;
type ReadResult = Result<HeaderDoc, FitsError>;

struct Request {
    path: PathBuf,
    reply: Reply,
}

/// A handle to the FITS worker thread; cheap to clone. The thread stops when the last handle
/// is dropped.
#[derive(Clone)]
pub struct FitsWorker {
    requests: mpsc::Sender<Request>,
    disk_reads: Arc<AtomicU64>,
}

impl FitsWorker {
    /// Start the worker thread, caching up to `cache_entries` headers (0 disables the cache).
    pub fn spawn(cache_entries: usize) -> FitsWorker {
        let (requests, inbox) = mpsc::channel::<Request>();
        let disk_reads = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&disk_reads);
        let mut server = Server::new(cache_entries, move |path: &Path| {
            counter.fetch_add(1, Ordering::Relaxed);
            read_header(path)
        });
        let spawned = std::thread::Builder::new()
            .name("fits-worker".to_string())
            .spawn(move || {
                while let Ok(request) = inbox.recv() {
                    server.serve(request);
                }
            });
        if let Err(error) = spawned {
            // Without a thread every request fails with WorkerGone; say why once.
            tracing::error!("cannot start the FITS worker thread: {error}");
        }
        FitsWorker {
            requests,
            disk_reads,
        }
    }

    /// The headers of `path`, from the cache when the file has not changed.
    pub async fn header(&self, path: PathBuf) -> Result<Arc<HeaderDoc>, FitsError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request { path, reply })
            .map_err(|_| FitsError::WorkerGone)?;
        answer.await.map_err(|_| FitsError::WorkerGone)?
    }

    /// How many files the worker has actually read (cache misses), for the diagnostics pane.
    pub fn disk_reads(&self) -> u64 {
        self.disk_reads.load(Ordering::Relaxed)
    }
}

/// What identifies one version of an image: which file or directory was read for the path
/// (the row's own, or another name of the image), and its size and mtime — for a CASA
/// directory those of its `table.dat`, which casacore rewrites when the image changes (a
/// directory's own mtime changes only when entries are added or removed).
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    actual: PathBuf,
    bytes: u64,
    modified: Option<SystemTime>,
}

fn stamp(path: &Path) -> Result<FileStamp, FitsError> {
    let location = locate(path)?;
    let stamped = if location.is_dir {
        let table = location.actual.join("table.dat");
        if table.exists() {
            table
        } else {
            location.actual.clone()
        }
    } else {
        location.actual.clone()
    };
    let shown = stamped.display().to_string();
    let metadata = std::fs::metadata(&stamped).map_err(|e| io_error(&shown, &e))?;
    Ok(FileStamp {
        actual: location.actual,
        bytes: metadata.len(),
        modified: metadata.modified().ok(),
    })
}

/// The worker's loop body, separate from the thread so it can be tested directly.
struct Server<R> {
    cache: HeaderCache,
    read: R,
}

impl<R> Server<R>
where
    R: FnMut(&Path) -> ReadResult,
{
    fn new(cache_entries: usize, read: R) -> Self {
        Server {
            cache: HeaderCache::new(cache_entries),
            read,
        }
    }

    fn serve(&mut self, request: Request) {
        if request.reply.is_closed() {
            return;
        }
        let answer = self.answer(&request.path);
        // The asker may have left meanwhile; nothing to do then.
        let _ = request.reply.send(answer);
    }

    fn answer(&mut self, path: &Path) -> Answer {
        let before = stamp(path)?;
        if let Some(doc) = self.cache.get(path, &before) {
            return Ok(doc);
        }
        let read = &mut self.read;
        let doc = catch_unwind(AssertUnwindSafe(|| read(path))).unwrap_or_else(|_| {
            Err(FitsError::Corrupt(format!(
                "{}: the header reader crashed on this file",
                path.display()
            )))
        })?;
        let doc = Arc::new(doc);
        // A file still being written changes under the reader: do not cache what may be a
        // half-written header.
        if stamp(path).is_ok_and(|after| after == before) {
            self.cache
                .insert(path.to_path_buf(), before, Arc::clone(&doc));
        }
        Ok(doc)
    }
}

/// Least-recently-used cache, one entry per path (a newer version replaces the old one).
/// Capacities are tens of entries, so a linear scan beats hashing.
struct HeaderCache {
    capacity: usize,
    entries: VecDeque<(PathBuf, FileStamp, Arc<HeaderDoc>)>,
}

impl HeaderCache {
    fn new(capacity: usize) -> Self {
        HeaderCache {
            capacity,
            entries: VecDeque::with_capacity(capacity.min(1024)),
        }
    }

    fn get(&mut self, path: &Path, stamp: &FileStamp) -> Option<Arc<HeaderDoc>> {
        let position = self.entries.iter().position(|(p, _, _)| p == path)?;
        let entry = self.entries.remove(position)?;
        if &entry.1 != stamp {
            return None; // stale: the file changed since it was cached
        }
        let doc = Arc::clone(&entry.2);
        self.entries.push_back(entry);
        Some(doc)
    }

    fn insert(&mut self, path: PathBuf, stamp: FileStamp, doc: Arc<HeaderDoc>) {
        if self.capacity == 0 {
            return;
        }
        self.entries.retain(|(p, _, _)| p != &path);
        while self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back((path, stamp, doc));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fits::HeaderSummary;

    fn doc(path: &Path) -> HeaderDoc {
        HeaderDoc {
            path: path.display().to_string(),
            file_bytes: 0,
            hdus: vec![],
            summary: HeaderSummary::default(),
            note: None,
        }
    }

    fn counting_server(
        capacity: usize,
    ) -> (Server<impl FnMut(&Path) -> ReadResult>, Arc<AtomicU64>) {
        let reads = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&reads);
        let server = Server::new(capacity, move |path: &Path| {
            counter.fetch_add(1, Ordering::Relaxed);
            Ok(doc(path))
        });
        (server, reads)
    }

    fn request(path: &Path) -> (Request, oneshot::Receiver<Answer>) {
        let (reply, answer) = oneshot::channel();
        (
            Request {
                path: path.to_path_buf(),
                reply,
            },
            answer,
        )
    }

    #[test]
    fn a_worker_handle_can_be_shared_between_tasks() {
        fn shareable<T: Send + Sync + Clone + 'static>() {}
        shareable::<FitsWorker>();
    }

    #[test]
    fn a_request_nobody_waits_for_any_more_is_skipped_without_reading() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.fits");
        std::fs::write(&path, b"x").expect("write");
        let (mut server, reads) = counting_server(4);
        let (abandoned, answer) = request(&path);
        drop(answer);
        server.serve(abandoned);
        assert_eq!(reads.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn the_least_recently_used_header_is_evicted_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths: Vec<PathBuf> = (0..3)
            .map(|i| dir.path().join(format!("{i}.fits")))
            .collect();
        for path in &paths {
            std::fs::write(path, b"x").expect("write");
        }
        let (mut server, reads) = counting_server(2);
        for path in [
            &paths[0], &paths[1], &paths[0], &paths[2], &paths[0], &paths[1],
        ] {
            server.answer(path).expect("answer");
        }
        // 0, 1 read; 0 hit; 2 read (evicts 1); 0 hit; 1 read again.
        assert_eq!(reads.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn with_no_cache_every_request_reads_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.fits");
        std::fs::write(&path, b"x").expect("write");
        let (mut server, reads) = counting_server(0);
        server.answer(&path).expect("first");
        server.answer(&path).expect("second");
        assert_eq!(reads.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_reader_that_panics_gives_an_error_and_the_worker_goes_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.fits");
        std::fs::write(&path, b"x").expect("write");
        let mut server = Server::new(4, |_: &Path| -> Result<HeaderDoc, FitsError> {
            panic!("reader bug")
        });
        assert!(matches!(server.answer(&path), Err(FitsError::Corrupt(_))));
        assert!(matches!(server.answer(&path), Err(FitsError::Corrupt(_))));
    }

    #[test]
    fn a_casa_directory_is_read_again_when_its_table_dat_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let image = dir.path().join("T.img.image");
        std::fs::create_dir(&image).expect("mkdir");
        std::fs::write(image.join("table.dat"), b"first").expect("write");
        std::fs::write(image.join("table.info"), b"Type = Image\n").expect("write");
        let (mut server, reads) = counting_server(4);
        server.answer(&image).expect("first");
        server.answer(&image).expect("cached");
        assert_eq!(reads.load(Ordering::Relaxed), 1);
        let before = stamp(&image).expect("stamp");
        // Same length, later mtime: what casacore's rewrite of the keywords looks like.
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::write(image.join("table.dat"), b"again").expect("rewrite");
        std::fs::File::options()
            .write(true)
            .open(image.join("table.dat"))
            .and_then(|f| f.set_modified(later))
            .expect("touch");
        assert_ne!(stamp(&image).expect("stamp"), before);
        server.answer(&image).expect("reread");
        assert_eq!(reads.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_wsclean_file_beside_a_missing_casa_path_is_what_the_stamp_follows() {
        let dir = tempfile::tempdir().expect("tempdir");
        let casa = dir.path().join("T.img.image");
        let wsclean = dir.path().join("T.img-image.fits");
        std::fs::write(&wsclean, b"x").expect("write");
        assert_eq!(stamp(&casa).expect("stamp").actual, wsclean);
    }

    #[test]
    fn a_missing_file_is_not_found_before_any_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut server, reads) = counting_server(4);
        let missing = dir.path().join("gone.fits");
        assert!(matches!(
            server.answer(&missing),
            Err(FitsError::NotFound(_))
        ));
        assert_eq!(reads.load(Ordering::Relaxed), 0);
    }
}
