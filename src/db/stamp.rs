//! Whether the database can have changed since a poll, from the outside: size, modification
//! time and inode of the file and of its WAL. A committed transaction writes one of them
//! (the WAL in WAL mode, the file itself otherwise, both at a checkpoint), so equal stamps
//! taken before two polls mean the second would read what the first read. Two `stat` calls
//! cost far less than the queries they save on a database at rest.
//!
//! Modification times are only as fine as the kernel's clock tick, and a WAL restarted after a
//! checkpoint keeps its size: a commit within the same tick as the previous one, overwriting
//! the WAL from its start, leaves the stamp as it was. Callers therefore still poll for real
//! every few intervals ([`crate::services::lists`] does so every fifth).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::pool::sqlite_file::wal_path;

/// One file's identity, size and modification time (`None`: it does not exist).
type FileMark = Option<(u64, u64, i64, i64)>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStamp {
    db: FileMark,
    wal: FileMark,
}

impl FileStamp {
    /// The stamp of `db` and `db-wal` now.
    pub fn of(db: &Path) -> FileStamp {
        FileStamp {
            db: mark(db),
            wal: mark(&wal_path(db)),
        }
    }
}

fn mark(path: &Path) -> FileMark {
    let m = std::fs::metadata(path).ok()?;
    Some((m.ino(), m.len(), m.mtime(), m.mtime_nsec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_to_the_file_or_its_wal_changes_the_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("pipeline.sqlite3");
        std::fs::write(&db, b"one").unwrap();
        let first = FileStamp::of(&db);
        assert_eq!(FileStamp::of(&db), first, "nothing written");
        std::fs::write(wal_path(&db), b"frame").unwrap();
        let with_wal = FileStamp::of(&db);
        assert_ne!(with_wal, first, "the WAL appeared");
        std::fs::write(wal_path(&db), b"frame and another").unwrap();
        assert_ne!(FileStamp::of(&db), with_wal, "the WAL grew");
    }
}
