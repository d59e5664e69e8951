//! Skipping a list poll when the database is at rest: if the file and its WAL look as they
//! did just before the last good fetch of the same query ([`FileStamp`]), the fetch would read
//! the same rows, so the poller only reports the data as fresh. Every [`REAL_POLL_EVERY`]-th
//! timed poll runs anyway, for the rare commit a stamp cannot see.

use crate::app::Generation;
use crate::db::stamp::FileStamp;
use crate::query::ListQuery;

/// At least one timed poll in this many reads the database.
pub const REAL_POLL_EVERY: u32 = 5;

/// One poller's memory of its last good fetch.
#[derive(Debug, Default)]
pub struct Quiet {
    /// The stamp taken before the last good fetch, and what that fetch asked.
    last: Option<(FileStamp, Generation, ListQuery)>,
    /// Polls skipped since the last real one.
    skipped: u32,
}

impl Quiet {
    /// Whether a timed poll for `(generation, query)` can be skipped, the file's stamp being
    /// `stamp` now. Counts the skip when it says yes.
    pub fn skip(&mut self, stamp: &FileStamp, generation: Generation, query: &ListQuery) -> bool {
        let same = self
            .last
            .as_ref()
            .is_some_and(|(s, g, q)| s == stamp && *g == generation && q == query);
        if same && self.skipped + 1 < REAL_POLL_EVERY {
            self.skipped += 1;
            true
        } else {
            false
        }
    }

    /// A fetch for `(generation, query)` succeeded; `stamp` was taken just before it.
    pub fn fetched(&mut self, stamp: FileStamp, generation: Generation, query: &ListQuery) {
        self.last = Some((stamp, generation, query.clone()));
        self.skipped = 0;
    }

    /// Forget the last fetch (it failed, or the connection changed).
    pub fn forget(&mut self) {
        *self = Quiet::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_file_skips_all_but_every_fifth_poll() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("pipeline.sqlite3");
        std::fs::write(&db, b"x").unwrap();
        let stamp = FileStamp::of(&db);
        let q = ListQuery::default();
        let mut quiet = Quiet::default();
        assert!(!quiet.skip(&stamp, 1, &q), "nothing fetched yet");
        quiet.fetched(stamp.clone(), 1, &q);
        let polls: Vec<bool> = (0..REAL_POLL_EVERY)
            .map(|_| quiet.skip(&stamp, 1, &q))
            .collect();
        assert_eq!(polls, [true, true, true, true, false]);
    }

    #[test]
    fn a_new_query_or_a_written_file_is_fetched() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("pipeline.sqlite3");
        std::fs::write(&db, b"x").unwrap();
        let stamp = FileStamp::of(&db);
        let q = ListQuery::default();
        let mut quiet = Quiet::default();
        quiet.fetched(stamp.clone(), 1, &q);
        assert!(!quiet.skip(&stamp, 2, &q), "another generation");
        let narrower = ListQuery {
            limit: 10,
            ..ListQuery::default()
        };
        assert!(!quiet.skip(&stamp, 1, &narrower), "another query");
        std::fs::write(&db, b"xy").unwrap();
        assert!(
            !quiet.skip(&FileStamp::of(&db), 1, &q),
            "the file was written"
        );
        quiet.forget();
        assert!(!quiet.skip(&stamp, 1, &q), "forgotten");
    }
}
