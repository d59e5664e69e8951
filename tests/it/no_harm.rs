//! The monitor leaves the pipeline's files alone: run as another OS user (`nobody`) against a
//! WAL database owned by the pipeline's user (`daemon` here), it creates, changes and re-owns
//! nothing beside the database, shows the data wherever that is safe, says why not where it
//! is not, and the pipeline's own writes still succeed afterwards.
//!
//! These need root (to switch users with `runuser`); elsewhere they print SKIPPED, and
//! `CONTIMG_REQUIRE_POSTGRES=1` (set by `.ci/run`) turns that into a failure.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const PIPELINE_USER: &str = "daemon";
const MONITOR_USER: &str = "nobody";

fn can_switch_users() -> bool {
    let root = unsafe { libc::geteuid() } == 0;
    let runuser = Command::new("runuser").arg("--help").output().is_ok();
    if !(root && runuser) {
        assert!(
            std::env::var_os("CONTIMG_REQUIRE_POSTGRES").is_none(),
            "the second-user tests need root and runuser here"
        );
        eprintln!("SKIPPED: the second-user tests need root and runuser");
    }
    root && runuser
}

/// Every file beside the database: name → (owner uid, size, mtime ns, mode).
fn listing(dir: &Path) -> BTreeMap<String, (u32, u64, i128, u32)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            let mtime = m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128;
            (
                e.file_name().to_string_lossy().into_owned(),
                (m.uid(), m.len(), mtime, m.mode()),
            )
        })
        .collect()
}

struct Site {
    _tmp: tempfile::TempDir,
    /// The pipeline's `state/db` directory.
    db_dir: PathBuf,
    db: PathBuf,
    /// A copy of the monitor's binary that the other user may run.
    bin: PathBuf,
    /// The monitor user's own home (its XDG directories).
    home: PathBuf,
}

/// A pipeline database written by the pipeline's user in WAL mode, left idle (no -wal/-shm),
/// in a directory of `mode`.
fn site(dir_mode: u32) -> Site {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let db_dir = tmp.path().join("state/db");
    std::fs::create_dir_all(&db_dir).unwrap();
    std::fs::set_permissions(
        tmp.path().join("state"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    chown(&db_dir, PIPELINE_USER);
    let db = db_dir.join("pipeline.sqlite3");
    let sql = "PRAGMA journal_mode=WAL; \
               CREATE TABLE images (id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL UNIQUE, \
                 ms_path TEXT, created_at REAL, type TEXT, format TEXT DEFAULT 'fits'); \
               CREATE INDEX idx_images_created_at ON images(created_at); \
               INSERT INTO images (path, ms_path, created_at, type) VALUES \
                 ('/stage/dsa110-contimg/images/2025-10-21T14:23:19.img.image.pbcor', \
                  '/stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms', 1761056599.0, 'pbcor');";
    let out = as_user(PIPELINE_USER, "sqlite3", &[db.to_str().unwrap(), sql]);
    assert!(out.status.success(), "sqlite3: {}", text(&out.stderr));
    std::fs::set_permissions(&db_dir, std::fs::Permissions::from_mode(dir_mode)).unwrap();
    let bin_dir = tmp.path().join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    std::fs::set_permissions(&bin_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = bin_dir.join("contimg-monitor");
    std::fs::copy(env!("CARGO_BIN_EXE_contimg-monitor"), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir(&home).unwrap();
    chown(&home, MONITOR_USER);
    assert!(
        !listing(&db_dir)
            .keys()
            .any(|k| k.ends_with("-wal") || k.ends_with("-shm")),
        "an idle pipeline leaves no -wal/-shm: {:?}",
        listing(&db_dir)
    );
    Site {
        _tmp: tmp,
        db_dir,
        db,
        bin,
        home,
    }
}

fn chown(path: &Path, user: &str) {
    let status = Command::new("chown").arg(user).arg(path).status().unwrap();
    assert!(status.success());
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn as_user(user: &str, program: &str, args: &[&str]) -> Output {
    Command::new("runuser")
        .args(["-u", user, "--", program])
        .args(args)
        .output()
        .unwrap()
}

impl Site {
    /// The monitor, as the other user, with its own home and nothing else configured.
    fn monitor(&self, args: &[&str]) -> Output {
        let home = self.home.to_str().unwrap();
        Command::new("runuser")
            .args(["-u", MONITOR_USER, "--", "env", "-i"])
            .arg(format!("HOME={home}"))
            .arg("PATH=/usr/bin:/bin")
            .arg(&self.bin)
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .output()
            .unwrap()
    }

    /// The pipeline writes a row, as its own user, the way it always does.
    fn pipeline_writes(&self, path: &str) -> Output {
        let sql = format!(
            "PRAGMA journal_mode=WAL; INSERT INTO images (path, created_at, type) \
             VALUES ('{path}', 1761056700.0, 'image');"
        );
        as_user(
            PIPELINE_USER,
            "sqlite3",
            &["-cmd", ".timeout 5000", self.db.to_str().unwrap(), &sql],
        )
    }

    /// A pipeline process that commits a row and keeps its connection open (its -wal and
    /// -shm stay), until killed.
    fn busy_pipeline(&self) -> Child {
        let script = format!(
            "import sqlite3, time\n\
             c = sqlite3.connect({db:?})\n\
             c.execute('PRAGMA journal_mode=WAL')\n\
             c.execute(\"INSERT INTO images (path, created_at, type) VALUES ('only-in-the-wal', 1761056800.0, 'image')\")\n\
             c.commit()\n\
             print('ready', flush=True)\n\
             time.sleep(120)\n",
            db = self.db.to_str().unwrap()
        );
        let mut child = Command::new("runuser")
            .args(["-u", PIPELINE_USER, "--", "python3", "-c", &script])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let wal = self.db_dir.join("pipeline.sqlite3-wal");
        while !wal.exists() {
            assert!(
                Instant::now() < deadline,
                "the pipeline process never opened its WAL"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // Wait for the commit, not only the open.
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        child
    }
}

fn once_json(site: &Site) -> serde_json::Value {
    let out = site.monitor(&["once", "--format", "json"]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.code() != Some(1),
        "once failed: {stdout}\n{}",
        text(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn images_count(report: &serde_json::Value) -> i64 {
    report["images"]["count"]
        .as_i64()
        .or_else(|| report["images"]["total"].as_i64())
        .unwrap_or_else(|| panic!("no image count in {report}"))
}

#[test]
fn an_idle_pipelines_database_is_read_by_another_user_without_creating_its_wal() {
    if !can_switch_users() {
        return;
    }
    // A directory the monitor's user may write: today's mode=ro would create -wal/-shm there,
    // owned by `nobody`, and the pipeline's next write would fail.
    let site = site(0o1777);
    let before = listing(&site.db_dir);
    let report = once_json(&site);
    assert_eq!(images_count(&report), 1, "{report}");
    let frame = site.monitor(&["snapshot", "--tab", "images", "--size", "120x40"]);
    assert!(frame.status.success(), "{}", text(&frame.stderr));
    assert!(
        text(&frame.stdout).contains("pbcor"),
        "{}",
        text(&frame.stdout)
    );
    assert_eq!(
        listing(&site.db_dir),
        before,
        "no file beside the database was created, changed or re-owned"
    );
    let write = site.pipeline_writes("after-the-monitor");
    assert!(
        write.status.success() && write.stderr.is_empty(),
        "the pipeline's own write failed after the monitor read: {}",
        text(&write.stderr)
    );
}

#[test]
fn a_database_in_a_directory_the_monitor_cannot_write_is_read_all_the_same() {
    if !can_switch_users() {
        return;
    }
    // SQLite's mode=ro fails here with error 1544 (it cannot create the -shm it wants).
    let site = site(0o755);
    let before = listing(&site.db_dir);
    let report = once_json(&site);
    assert_eq!(images_count(&report), 1, "{report}");
    assert_eq!(listing(&site.db_dir), before);
}

#[test]
fn a_busy_pipelines_wal_is_shared_and_its_newest_commit_is_seen() {
    if !can_switch_users() {
        return;
    }
    let site = site(0o1777);
    let mut pipeline = site.busy_pipeline();
    let before = listing(&site.db_dir);
    let report = once_json(&site);
    // The second row is only in the WAL (not yet checkpointed): reading it proves the WAL
    // was shared, not ignored.
    assert_eq!(images_count(&report), 2, "{report}");
    let after = listing(&site.db_dir);
    pipeline.kill().unwrap();
    pipeline.wait().unwrap();
    let owners = |l: &BTreeMap<String, (u32, u64, i128, u32)>| -> Vec<(String, u32)> {
        l.iter().map(|(k, v)| (k.clone(), v.0)).collect()
    };
    assert_eq!(
        owners(&after),
        owners(&before),
        "no file created or re-owned"
    );
    let write = site.pipeline_writes("after-the-monitor");
    assert!(write.status.success(), "{}", text(&write.stderr));
}

#[test]
fn side_files_the_monitor_cannot_read_are_refused_with_what_to_do() {
    if !can_switch_users() {
        return;
    }
    let site = site(0o1777);
    let mut pipeline = site.busy_pipeline();
    for side in ["pipeline.sqlite3-wal", "pipeline.sqlite3-shm"] {
        std::fs::set_permissions(
            site.db_dir.join(side),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    let before = listing(&site.db_dir);
    let out = site.monitor(&["once", "--format", "json"]);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    pipeline.kill().unwrap();
    pipeline.wait().unwrap();
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("not readable by this user"), "{said}");
    assert!(
        said.contains("pipeline's user or a member of its group"),
        "{said}"
    );
    assert_eq!(
        listing(&site.db_dir),
        before,
        "nothing opened, nothing created"
    );
}
