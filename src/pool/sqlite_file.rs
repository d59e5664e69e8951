//! The SQLite side of the Pool tab: how big the database and its WAL are, how fast the WAL
//! grows (a WAL that only grows means a reader is blocking checkpoints), and which processes
//! hold the files open. Runs every second in a blocking task, so it reads only metadata and
//! `/proc/*/fd` links, nothing of the files themselves.

use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::snapshot::{FileHolder, SqliteFileView};

/// Longest command line kept for a holder.
const COMMAND_MAX_CHARS: usize = 160;

/// Sample the database file `db` now; `prev` (taken `elapsed` ago) gives the WAL growth.
pub fn sqlite_file_view(
    db: &Path,
    prev: Option<&SqliteFileView>,
    elapsed: Duration,
) -> SqliteFileView {
    let wal = wal_path(db);
    let db_bytes = std::fs::metadata(db).ok().map(|m| m.len());
    let wal_bytes = std::fs::metadata(&wal).ok().map(|m| m.len());
    let wal_growth_per_s = match (prev.and_then(|p| p.wal_bytes), wal_bytes) {
        (Some(before), Some(now)) if elapsed > Duration::ZERO => {
            Some((now as f64 - before as f64) / elapsed.as_secs_f64())
        }
        // The WAL appeared (or vanished after a checkpoint) between samples.
        (None, Some(now)) if prev.is_some() && elapsed > Duration::ZERO => {
            Some(now as f64 / elapsed.as_secs_f64())
        }
        _ => None,
    };
    let canonical = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_path_buf());
    let targets = [canonical.clone(), wal_path(&canonical)];
    let (holders, hidden_processes) = holders_in(Path::new("/proc"), &targets);
    SqliteFileView {
        db_path: db.display().to_string(),
        db_bytes,
        wal_bytes,
        wal_growth_per_s,
        holders,
        hidden_processes,
        access: crate::db::access::decide(db).access.short().to_string(),
    }
}

/// `<db>-wal`.
pub fn wal_path(db: &Path) -> PathBuf {
    let mut name: OsString = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Processes under `proc_root` with a descriptor open on one of `targets`, one entry per
/// process, by pid; and how many processes we were not allowed to look into.
pub fn holders_in(proc_root: &Path, targets: &[PathBuf]) -> (Vec<FileHolder>, usize) {
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return (Vec::new(), 0);
    };
    let mut holders = Vec::new();
    let mut hidden = 0;
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let proc_dir = entry.path();
        let fds = match std::fs::read_dir(proc_dir.join("fd")) {
            Ok(fds) => fds,
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                hidden += 1;
                continue;
            }
            // The process exited while we looked, or is a kernel thread: nothing to see.
            Err(_) => continue,
        };
        let holds = fds
            .flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .any(|link| targets.contains(&link));
        if holds {
            holders.push(FileHolder {
                pid,
                command: command_of(&proc_dir),
            });
        }
    }
    holders.sort_by_key(|h| h.pid);
    (holders, hidden)
}

/// The command line (arguments joined by spaces), else the short `comm` name.
fn command_of(proc_dir: &Path) -> String {
    let cmdline = std::fs::read(proc_dir.join("cmdline"))
        .ok()
        .map(|raw| {
            raw.split(|b| *b == 0)
                .filter(|arg| !arg.is_empty())
                .map(|arg| String::from_utf8_lossy(arg).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|c| !c.is_empty());
    let command = cmdline.unwrap_or_else(|| {
        std::fs::read_to_string(proc_dir.join("comm"))
            .map(|c| c.trim().to_string())
            .unwrap_or_default()
    });
    if command.chars().count() > COMMAND_MAX_CHARS {
        let mut cut: String = command.chars().take(COMMAND_MAX_CHARS - 1).collect();
        cut.push('…');
        cut
    } else {
        command
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_wal_growth_come_from_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("pipeline.sqlite3");
        std::fs::write(&db, vec![0u8; 4096]).unwrap();
        std::fs::write(wal_path(&db), vec![0u8; 1000]).unwrap();
        let first = sqlite_file_view(&db, None, Duration::ZERO);
        assert_eq!((first.db_bytes, first.wal_bytes), (Some(4096), Some(1000)));
        assert_eq!(first.wal_growth_per_s, None);
        std::fs::write(wal_path(&db), vec![0u8; 5000]).unwrap();
        let second = sqlite_file_view(&db, Some(&first), Duration::from_secs(2));
        assert_eq!(second.wal_growth_per_s, Some(2000.0));
    }

    #[test]
    fn this_process_is_seen_holding_the_database_open() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("pipeline.sqlite3");
        std::fs::write(&db, b"x").unwrap();
        let _held = std::fs::File::open(&db).unwrap();
        let view = sqlite_file_view(&db, None, Duration::ZERO);
        let me = std::process::id();
        assert!(
            view.holders
                .iter()
                .any(|h| h.pid == me && !h.command.is_empty()),
            "{view:?}"
        );
    }

    #[test]
    fn a_fake_proc_tree_names_the_holder_by_its_command_line() {
        let root = tempfile::tempdir().unwrap();
        let db = PathBuf::from("/data/state/db/pipeline.sqlite3");
        let pid_dir = root.path().join("4242");
        std::fs::create_dir_all(pid_dir.join("fd")).unwrap();
        std::os::unix::fs::symlink(wal_path(&db), pid_dir.join("fd/7")).unwrap();
        std::os::unix::fs::symlink("/dev/null", pid_dir.join("fd/0")).unwrap();
        std::fs::write(pid_dir.join("cmdline"), b"python\0-m\0dsa110_contimg.api\0").unwrap();
        std::fs::create_dir_all(root.path().join("99/fd")).unwrap();
        std::fs::create_dir_all(root.path().join("self")).unwrap();
        let (holders, hidden) = holders_in(root.path(), &[db.clone(), wal_path(&db)]);
        assert_eq!(
            holders,
            vec![FileHolder {
                pid: 4242,
                command: "python -m dsa110_contimg.api".into()
            }]
        );
        assert_eq!(hidden, 0);
    }
}
