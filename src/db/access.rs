//! How the monitor reads the pipeline's database without creating, changing or re-owning any
//! file beside it.
//!
//! Every pipeline opener sets `journal_mode=WAL`, and its connections are short: when the
//! last one closes, SQLite checkpoints and deletes `-wal` and `-shm`. A `mode=ro` reader that
//! opens such an idle database *creates* both files (if it can write the directory) — owned by
//! the monitor's user, after which the pipeline's writes fail with "attempt to write a
//! readonly database" — or fails with SQLite error 1544 (if it cannot). Even as the same user
//! the two files stay behind after the monitor exits. So before any connection is opened the
//! monitor looks at the files and picks one of three ways ([`Access`]):
//!
//! - a rollback-journal database, or a WAL database whose `-wal` and `-shm` exist: `mode=ro`
//!   readers only share what is there (a `-shm` it may not write is read as a private copy);
//! - a WAL database with no `-wal`: the pipeline is idle and every commit is in the main file,
//!   so the monitor reads that file as an immutable snapshot (`immutable=1`: no locks, no side
//!   files) and checks after each read that neither the file nor its WAL changed meanwhile —
//!   when they did (the pipeline woke), the read is thrown away and done again the shared way;
//! - side files it cannot read: nothing is opened, and [`Refusal`] says why and what to do.
//!
//! What is left: between the look and SQLite's own open (microseconds) the pipeline's last
//! connection could close and delete the pair; while any monitor connection is open that
//! cannot happen (SQLite keeps the pair while another connection holds the file).

use std::fmt;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::db::stamp::FileStamp;
use crate::pool::sqlite_file::wal_path;

/// The `-shm` file SQLite keeps beside a WAL database.
pub fn shm_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push("-shm");
    PathBuf::from(name)
}

/// How the database may be read right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// `mode=ro`: a rollback-journal database, or WAL with its `-wal` and `-shm` present.
    Shared,
    /// `immutable=1`, validated by the file stamp after each read: a WAL database with no
    /// `-wal` (the pipeline idle), or a `-wal` left without its `-shm` (a writer stopped
    /// uncleanly; the snapshot is then the last checkpoint, which the status line says).
    Snapshot { wal_left_behind: bool },
    /// Nothing may be opened.
    Refused(Refusal),
}

impl Access {
    /// One or two words for the Pool tab's SQLite line.
    pub fn short(&self) -> &'static str {
        match self {
            Access::Shared => "shared",
            Access::Snapshot {
                wal_left_behind: false,
            } => "idle snapshot",
            Access::Snapshot {
                wal_left_behind: true,
            } => "last checkpoint",
            Access::Refused(_) => "REFUSED",
        }
    }

    /// Words for the status line and `once`: how the data on screen was read.
    pub fn describe(&self) -> &'static str {
        match self {
            Access::Shared => "shared read-only",
            Access::Snapshot {
                wal_left_behind: false,
            } => "pipeline idle: read as a snapshot, no files created",
            Access::Snapshot {
                wal_left_behind: true,
            } => {
                "WAL without -shm: showing the last checkpoint, newer commits when the pipeline reopens it"
            }
            Access::Refused(_) => "refused",
        }
    }
}

/// Why the monitor will not open the database, with what the operator can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub file: PathBuf,
    pub reason: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}; run the monitor as the pipeline's user or a member of its group \
             (nothing was opened, so nothing beside the database was created)",
            self.file.display(),
            self.reason
        )
    }
}

/// What [`decide`] saw: the access and the stamp a snapshot read is validated against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Look {
    pub access: Access,
    pub stamp: FileStamp,
}

/// Decide how `db` may be read, from its header and its side files. Blocking (a few `stat`
/// calls and a 20-byte read); cheap enough to run before every statement of a service task.
pub fn decide(db: &Path) -> Look {
    let stamp = FileStamp::of(db);
    let access = match is_wal(db) {
        // Not WAL (or unreadable: the open reports that with its own message).
        Some(false) | None => Access::Shared,
        Some(true) => {
            let wal = wal_path(db);
            let shm = shm_path(db);
            match (side_file(&wal), side_file(&shm)) {
                (Side::Absent, _) => Access::Snapshot {
                    wal_left_behind: false,
                },
                (Side::Readable, Side::Readable) => Access::Shared,
                (Side::Readable, Side::Absent) => Access::Snapshot {
                    wal_left_behind: true,
                },
                (Side::Unreadable(why), _) => Access::Refused(Refusal {
                    file: wal,
                    reason: why,
                }),
                (_, Side::Unreadable(why)) => Access::Refused(Refusal {
                    file: shm,
                    reason: why,
                }),
            }
        }
    };
    Look { access, stamp }
}

/// Bytes 18 and 19 of the header (file format write/read version) are 2 in WAL mode.
fn is_wal(db: &Path) -> Option<bool> {
    let mut head = [0u8; 20];
    std::fs::File::open(db).ok()?.read_exact(&mut head).ok()?;
    Some(head[18] == 2 || head[19] == 2)
}

enum Side {
    Absent,
    Readable,
    Unreadable(String),
}

fn side_file(path: &Path) -> Side {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Side::Absent,
        Err(e) => return Side::Unreadable(format!("cannot be examined: {e}")),
    };
    // Opening for reading changes nothing (not even ownership); it is the test SQLite's own
    // read-only open would make.
    match std::fs::File::open(path) {
        Ok(_) => Side::Readable,
        Err(e) => Side::Unreadable(format!(
            "is not readable by this user ({e}; owner uid {}, mode {:o})",
            meta.uid(),
            meta.mode() & 0o7777
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wal_db(dir: &Path) -> PathBuf {
        let db = dir.join("pipeline.sqlite3");
        let mut header = vec![0u8; 100];
        header[..16].copy_from_slice(b"SQLite format 3\0");
        header[18] = 2;
        header[19] = 2;
        std::fs::write(&db, header).unwrap();
        db
    }

    #[test]
    fn an_idle_wal_database_is_read_as_a_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let db = wal_db(dir.path());
        assert_eq!(
            decide(&db).access,
            Access::Snapshot {
                wal_left_behind: false
            }
        );
    }

    #[test]
    fn a_busy_wal_database_is_shared_and_a_lone_wal_is_a_checkpoint_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let db = wal_db(dir.path());
        std::fs::write(wal_path(&db), b"").unwrap();
        assert_eq!(
            decide(&db).access,
            Access::Snapshot {
                wal_left_behind: true
            }
        );
        std::fs::write(shm_path(&db), b"").unwrap();
        assert_eq!(decide(&db).access, Access::Shared);
    }

    #[test]
    fn a_rollback_journal_database_is_shared() {
        let dir = tempfile::tempdir().unwrap();
        let db = wal_db(dir.path());
        let mut bytes = std::fs::read(&db).unwrap();
        bytes[18] = 1;
        bytes[19] = 1;
        std::fs::write(&db, bytes).unwrap();
        assert_eq!(decide(&db).access, Access::Shared);
    }
}
