//! Hand-built values for the pane tests, shaped like what the pipeline really stores.
#![allow(dead_code)]

use std::sync::Arc;

use contimg_monitor::fits::{Card, FitsError, Hdu, HeaderDoc, HeaderSummary};
use contimg_monitor::snapshot::{
    CalibrationApplied, FileHolder, ImageRow, JobDetail, JobKey, JobRow, JobSource, JobStatus,
    LightPoint, LogFormat, LogLevel, LogLine, LogMatch, LogRecord, LogSearched, LogTail, MsDetail,
    MsRow, MsStateRow, PoolSample, PoolSnapshot, PoolStats, SourceDetail, SourceRow,
    SqliteFileView, Variability,
};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// 2025-10-21 14:23:19 UTC.
pub const T0: f64 = 1_761_056_599.0;
pub const MS: &str = "/stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms";

/// The screen as text, one string per row, trailing blanks trimmed.
pub fn buffer_lines(buf: &Buffer) -> Vec<String> {
    let area = buf.area;
    (area.top()..area.bottom())
        .map(|y| {
            (area.left()..area.right())
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect()
}

pub fn buffer_text(buf: &Buffer) -> String {
    buffer_lines(buf).join("\n")
}

/// Draw with `draw` on a `w`x`h` test terminal and return the buffer.
pub fn draw(w: u16, h: u16, draw: impl FnOnce(&mut ratatui::Frame)) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    terminal.draw(draw).expect("draw");
    terminal.backend().buffer().clone()
}

pub fn card(raw: &str) -> Card {
    let key = raw.get(..8).unwrap_or(raw).trim().to_string();
    let rest = raw.get(8..).unwrap_or("");
    let (value, comment) = if let Some(v) = rest.strip_prefix("= ") {
        let (v, c) = match v.find(" /") {
            Some(i) => (&v[..i], Some(v[i + 2..].trim().to_string())),
            None => (v, None),
        };
        (Some(v.trim().trim_matches('\'').trim().to_string()), c)
    } else {
        (
            None,
            Some(rest.trim().to_string()).filter(|c| !c.is_empty()),
        )
    };
    Card {
        raw: raw.trim_end().to_string(),
        key,
        value,
        comment,
    }
}

pub fn header_doc() -> HeaderDoc {
    let raw = [
        "SIMPLE  =                    T / conforms to FITS standard",
        "BITPIX  =                  -32 / array data type",
        "NAXIS   =                    4 / number of array dimensions",
        "NAXIS1  =                 5040",
        "NAXIS2  =                 5040",
        "NAXIS3  =                    1",
        "NAXIS4  =                    1",
        "BSCALE  =                   1.",
        "BUNIT   = 'JY/BEAM '           / Units are in Jansky per beam",
        "BMAJ    =  0.00341666666666667",
        "BMIN    =  0.00272222222222222",
        "BPA     =                   45.",
        "CTYPE1  = 'RA---SIN'",
        "CRPIX1  =                2521.",
        "CRVAL1  =                187.5",
        "CDELT1  = -0.000694444444444444",
        "CUNIT1  = 'deg     '",
        "CTYPE2  = 'DEC--SIN'",
        "CRVAL2  =               42.052",
        "CTYPE3  = 'FREQ    '",
        "CRVAL3  =        1405000000.",
        "TELESCOP= 'OVRO    '",
        "OBJECT  = '2025-10-21T14:23:19'",
        "DATE-OBS= '2025-10-21T14:23:19.000'",
        "WSCCMD  = 'wsclean -size 5040 5040 -scale 2.5asec -weight briggs 0 -niter &'",
        "CONTINUE  '10000 -mgain 0.8 -auto-threshold 3 -name /stage/dsa110-contimg/&'",
        "CONTINUE  'images/2025-10-21T14:23:19.img'",
        "HISTORY imaged by dsa110-contimg imaging stage",
        "HISTORY wsclean version 3.4",
        "COMMENT primary beam not applied",
    ];
    let mut cards: Vec<Card> = raw.iter().map(|r| card(r)).collect();
    // The FITS module joins CONTINUE strings into the first card's value.
    if let Some(cmd) = cards.iter_mut().find(|c| c.key == "WSCCMD") {
        cmd.value = Some(
            "wsclean -size 5040 5040 -scale 2.5asec -weight briggs 0 -niter 10000 -mgain 0.8 \
             -auto-threshold 3 -name /stage/dsa110-contimg/images/2025-10-21T14:23:19.img"
                .into(),
        );
    }
    HeaderDoc {
        path: "/stage/dsa110-contimg/images/2025-10-21T14:23:19.img-image-pbcor.fits".into(),
        file_bytes: 101_606_400,
        note: None,
        hdus: vec![Hdu {
            index: 0,
            kind: "PRIMARY".into(),
            name: None,
            cards,
        }],
        summary: HeaderSummary {
            shape: vec![5040, 5040, 1, 1],
            bunit: Some("JY/BEAM".into()),
            bmaj_arcsec: Some(12.3),
            bmin_arcsec: Some(9.8),
            bpa_deg: Some(45.0),
            cell_arcsec: Some(2.5),
            centre_ra_deg: Some(187.5),
            centre_dec_deg: Some(42.052),
            freq_hz: Some(1.405e9),
            date_obs: Some("2025-10-21T14:23:19.000".into()),
            telescope: Some("OVRO".into()),
            object: Some("2025-10-21T14:23:19".into()),
        },
    }
}

/// The same file with a second (table) HDU.
pub fn two_hdu_doc() -> HeaderDoc {
    let mut doc = header_doc();
    doc.hdus.push(Hdu {
        index: 1,
        kind: "BINTABLE".into(),
        name: Some("AIPS CC".into()),
        cards: vec![
            card("XTENSION= 'BINTABLE'           / binary table extension"),
            card("EXTNAME = 'AIPS CC '"),
            card("NAXIS2  =                  312 / number of clean components"),
        ],
    });
    doc
}

pub fn fits_error() -> FitsError {
    FitsError::Corrupt(
        "/stage/dsa110-contimg/images/2025-10-21T14:23:19.img-image.fits: header ends early".into(),
    )
}

pub fn job_row(status: JobStatus, raw: &str) -> JobRow {
    JobRow {
        key: JobKey {
            source: JobSource::Jobs,
            id: "4127".into(),
        },
        kind: Some("imaging".into()),
        status,
        raw_status: raw.into(),
        target: Some(MS.into()),
        created_at: Some(T0),
        started_at: Some(T0 + 11.0),
        finished_at: Some(T0 + 203.0),
        attempts: Some(1),
        max_attempts: Some(3),
        error_line: None,
    }
}

pub fn failed_job() -> JobDetail {
    let mut logs: Vec<String> = (0..30)
        .map(|i| {
            format!(
                "2025-10-21 14:23:{:02} INFO imaging: step {i} of 30 ok",
                30 + i % 30
            )
        })
        .collect();
    logs.extend(
        [
            "2025-10-21 14:26:42 ERROR imaging failed for 2025-10-21T14:23:19.ms",
            "Traceback (most recent call last):",
            "  File \"/opt/dsa110-contimg/pipeline/stages/imaging.py\", line 212, in run",
            "    self._run_wsclean(ms_path, out_prefix)",
            "  File \"/opt/dsa110-contimg/pipeline/stages/imaging.py\", line 388, in _run_wsclean",
            "    raise FileNotFoundError(errno.ENOENT, 'No such file or directory', ms_path)",
            "FileNotFoundError: [Errno 2] No such file or directory: '/stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms'",
        ]
        .map(String::from),
    );
    let mut row = job_row(JobStatus::Failed, "failed");
    row.error_line = contimg_monitor::snapshot::jobs::error_one_liner(&logs.join("\n"));
    JobDetail {
        row,
        error_full: None,
        logs,
        log_file: Some(LogTail {
            lines: vec![
                LogLine {
                    file: "absurd-worker-1.log".into(),
                    record: LogRecord {
                        unix: Some(1_761_056_800.5),
                        level: Some(LogLevel::Info),
                        logger: "dsa110_contimg.absurd.adapter".into(),
                        message: "[Absurd] Creating image from: /stage/dsa110-contimg/ms/2025-10-21T14:23:19.ms".into(),
                        format: Some(LogFormat::Text),
                        ..LogRecord::default()
                    },
                    how: LogMatch::MsPath,
                },
                LogLine {
                    file: "absurd-worker-1.log".into(),
                    record: LogRecord {
                        unix: Some(1_761_056_802.0),
                        level: Some(LogLevel::Error),
                        logger: "dsa110_contimg.absurd.adapter".into(),
                        message: "[Absurd] Imaging failed: ms not found".into(),
                        continuation: vec![
                            "Traceback (most recent call last):".into(),
                            "FileNotFoundError: ms not found".into(),
                        ],
                        format: Some(LogFormat::Text),
                        ..LogRecord::default()
                    },
                    how: LogMatch::TaskRun,
                },
            ],
            searched: LogSearched {
                dir: "/data/dsa110-contimg/state/logs".into(),
                files: vec!["absurd-worker-1.log".into()],
                zone: "America/Los_Angeles".into(),
                ..LogSearched::default()
            },
        }),
        params_pretty: Some("{\n  \"imsize\": 5040,\n  \"cell\": \"2.5asec\"\n}".into()),
        artifacts_pretty: Some("[]".into()),
        extra: vec![("worker".into(), "imaging-1".into())],
        links: Default::default(),
    }
}

pub fn job_with_escapes() -> JobDetail {
    let mut row = job_row(JobStatus::Succeeded, "completed");
    row.kind = Some("conv\x1b[31mersion".into());
    JobDetail {
        row,
        error_full: None,
        logs: vec![
            "INFO converting 16 subbands".into(),
            "progress \x1b[2J\x1b]0;pwned\x07 50%\r100%".into(),
            "INFO done\twith tabs".into(),
        ],
        log_file: None,
        params_pretty: None,
        artifacts_pretty: None,
        extra: vec![("note\x1b[1m".into(), "bold\x1b[0m".into())],
        links: Default::default(),
    }
}

pub fn image(id: i64, suffix: &str, kind: &str) -> ImageRow {
    ImageRow {
        id,
        path: format!("/stage/dsa110-contimg/images/2025-10-21T14:23:19.img-{suffix}.fits"),
        ms_path: Some(MS.into()),
        created_at: Some(T0 + 900.0),
        kind: Some(kind.into()),
        beam_major_arcsec: Some(12.3),
        noise_jy: Some(0.00021),
        ..ImageRow::default()
    }
}

pub fn ms_detail() -> MsDetail {
    let mut calib_job = job_row(JobStatus::Succeeded, "completed");
    calib_job.key.id = "4120".into();
    calib_job.kind = Some("calibration".into());
    let mut imaging_job = job_row(JobStatus::Failed, "failed");
    imaging_job.error_line = Some("FileNotFoundError: [Errno 2] No such file".into());
    MsDetail {
        row: Some(MsRow {
            path: MS.into(),
            group_id: Some("2025-10-21T14:23:19".into()),
            status: Some("converted".into()),
            stage: Some("imaging".into()),
            cal_applied: Some(true),
            field_name: Some("drift_0419".into()),
            pointing_ra_deg: Some(187.5),
            pointing_dec_deg: Some(42.052),
            mid_mjd: Some(60969.6),
            processed_at: Some(T0 + 600.0),
            stage_updated_at: Some(T0 + 610.0),
        }),
        state: Some(MsStateRow {
            current_state: Some("failed".into()),
            previous_state: Some("imaging".into()),
            transition_time: Some(T0 + 700.0),
            retry_count: Some(2),
            error_message: Some("wsclean exited with status 1".into()),
            checkpoint_data: None,
        }),
        images: vec![
            image(901, "image", "5min"),
            image(902, "image-pbcor", "pbcor"),
            image(903, "residual", "residual"),
        ],
        jobs: vec![calib_job, imaging_job],
        calibration: vec![CalibrationApplied {
            caltable_path: Some("/stage/dsa110-contimg/caltables/2025-10-21_0834.bcal".into()),
            applied_at: Some(T0 + 400.0),
            quality: Some(0.93),
            success: Some(true),
            error_message: None,
        }],
        cal: contimg_monitor::snapshot::records::MsCalibration {
            tables: vec![contimg_monitor::snapshot::records::CalTable {
                path: "/stage/dsa110-contimg/caltables/2025-10-21T08:34:10_0_bpcal".into(),
                set_name: Some("2025-10-21T08:34:10_60969.357060".into()),
                table_type: Some("BP".into()),
                order_index: Some(30),
                cal_field: Some("0".into()),
                refant: Some("103".into()),
                created_at: Some(T0 + 300.0),
                valid_start_mjd: Some(60969.31),
                valid_end_mjd: Some(60969.40),
                status: contimg_monitor::snapshot::records::CalTableStatus::Active,
                notes: None,
                source_ms_path: None,
                solver_command: None,
                solver_version: None,
                solver_params: None,
                quality: Some(contimg_monitor::snapshot::records::CalQuality {
                    qa_passed: Some(true),
                    flagged_fraction: Some(0.07),
                    snr_mean: Some(41.0),
                    ..Default::default()
                }),
                links: vec![contimg_monitor::snapshot::records::CalLink::SetNamed],
            }],
            qa: vec![contimg_monitor::snapshot::records::CalibrationQa {
                passed: Some(true),
                severity: contimg_monitor::snapshot::records::QaSeverity::Success,
                overall_grade: Some("good".into()),
                n_warnings: Some(0),
                n_errors: Some(0),
                avg_flag_fraction: Some(0.07),
                created_at: Some(T0 + 420.0),
                issues: vec![],
            }],
            ms_mjd: None,
            notes: vec![],
        },
    }
}

pub fn source_detail() -> SourceDetail {
    let points: Vec<LightPoint> = (0..12)
        .map(|i| {
            let flux = 0.045 + 0.004 * ((i as f64) * 0.9).sin() + if i == 7 { 0.02 } else { 0.0 };
            LightPoint {
                mjd: 60960.25 + i as f64 * 0.8,
                flux_jy: flux,
                flux_err_jy: Some(0.002),
                image_path: Some(format!(
                    "/stage/dsa110-contimg/images/2025-10-{:02}T0{}:00:00.img-image-pbcor.fits",
                    12 + i,
                    i % 10
                )),
            }
        })
        .collect();
    SourceDetail {
        row: Some(SourceRow {
            id: "NVSS J123000.0+420307".into(),
            name: Some("NVSS J123000.0+420307".into()),
            ra_deg: Some(187.5),
            dec_deg: Some(42.052),
            detections: 12,
            latest_flux_jy: points.last().map(|p| p.flux_jy),
            latest_mjd: points.last().map(|p| p.mjd),
            nvss_flux_mjy: Some(47.1),
            variability: Some(Variability {
                n_obs: Some(12),
                mean_flux_mjy: Some(46.8),
                std_flux_mjy: Some(6.1),
                chi2_nu: Some(9.3),
                sigma_deviation: Some(4.2),
                eta: Some(8.7),
                v: Some(0.13),
            }),
        }),
        points,
    }
}

pub fn pool_snapshot() -> PoolSnapshot {
    let now = T0;
    let monitor = PoolStats {
        source: "monitor".into(),
        name: "sqlite".into(),
        max: 4,
        open: 2,
        in_use: 1,
        idle: 1,
        waiting: 0,
        wait_p50_ms: Some(0.2),
        wait_p95_ms: Some(1.4),
        wait_max_ms: Some(3.0),
        timeouts: 0,
        errors: 0,
        sampled_at: now - 1.0,
        ..PoolStats::default()
    };
    let saturated = PoolStats {
        source: "demo".into(),
        name: "postgres".into(),
        max: 10,
        open: 10,
        in_use: 10,
        idle: 0,
        waiting: 7,
        wait_p50_ms: Some(120.0),
        wait_p95_ms: Some(2300.0),
        wait_max_ms: Some(5012.0),
        timeouts: 3,
        errors: 1,
        sampled_at: now - 2.0,
        ..PoolStats::default()
    };
    let busy = PoolStats {
        source: "demo".into(),
        name: "api-sqlite".into(),
        max: 1,
        open: 1,
        in_use: 1,
        idle: 0,
        waiting: 0,
        sampled_at: now - 1.0,
        ..PoolStats::default()
    };
    let history = |peak_at: usize| {
        Arc::new(
            (0..300)
                .map(|i| {
                    let ramp = if i >= peak_at { 10 } else { (i / 30) as u32 };
                    PoolSample {
                        at: now - 300.0 + i as f64,
                        in_use: ramp.min(10),
                        waiting: if i >= peak_at { 7 } else { 0 },
                        max: 10,
                    }
                })
                .collect::<Vec<_>>(),
        )
    };
    PoolSnapshot {
        pools: vec![monitor, saturated, busy],
        history: vec![Arc::new(Vec::new()), history(240), Arc::new(Vec::new())],
        // The saturated pool has been so for 95 s.
        saturated_since: vec![None, Some(T0 - 95.0), None],
        alerts: Vec::new(),
        sqlite: Some(SqliteFileView {
            db_path: "/data/dsa110-contimg/state/db/pipeline.sqlite3".into(),
            db_bytes: Some(8_400_000_000),
            wal_bytes: Some(157_286_400),
            wal_growth_per_s: Some(524_288.0),
            holders: vec![
                FileHolder {
                    pid: 2211,
                    command: "python -m dsa110_contimg.api".into(),
                },
                FileHolder {
                    pid: 2290,
                    command: "python -m dsa110_contimg.pipeline.worker".into(),
                },
            ],
            hidden_processes: 3,
            access: "shared".into(),
        }),
    }
}
