-- The DSA-110 pipeline's SQLite layout (pipeline.sqlite3), as documented in
-- shared/pipeline-facts.md: table and column names exactly as the pipeline uses them.
-- Used only to build demo, test and benchmark databases; never run against a pipeline's.

CREATE TABLE IF NOT EXISTS ms_index (
    path TEXT PRIMARY KEY,
    start_mjd REAL,
    end_mjd REAL,
    mid_mjd REAL,
    processed_at REAL,
    status TEXT,
    stage TEXT,
    stage_updated_at REAL,
    cal_applied INTEGER DEFAULT 0,
    imagename TEXT,
    field_name TEXT,
    pointing_ra_deg REAL,
    pointing_dec_deg REAL,
    ra_deg REAL,
    dec_deg REAL,
    group_id TEXT,
    created_at REAL
);
CREATE INDEX IF NOT EXISTS idx_ms_index_mid_mjd ON ms_index(mid_mjd);
CREATE INDEX IF NOT EXISTS idx_ms_index_status ON ms_index(status);
CREATE INDEX IF NOT EXISTS idx_ms_index_stage ON ms_index(stage);
CREATE INDEX IF NOT EXISTS idx_ms_index_group_id ON ms_index(group_id);

CREATE TABLE IF NOT EXISTS images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL UNIQUE,
    ms_path TEXT,
    created_at REAL,
    type TEXT,
    format TEXT,
    beam_major_arcsec REAL,
    beam_minor_arcsec REAL,
    beam_pa_deg REAL,
    noise_jy REAL,
    dynamic_range REAL,
    pbcor INTEGER DEFAULT 0,
    field_name TEXT,
    center_ra_deg REAL,
    center_dec_deg REAL,
    imsize_x INTEGER,
    imsize_y INTEGER,
    cellsize_arcsec REAL,
    freq_ghz REAL,
    bandwidth_mhz REAL,
    integration_sec REAL
);
CREATE INDEX IF NOT EXISTS idx_images_ms_path ON images(ms_path);
CREATE INDEX IF NOT EXISTS idx_images_type ON images(type);
CREATE INDEX IF NOT EXISTS idx_images_created_at ON images(created_at);

CREATE TABLE IF NOT EXISTS photometry (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT,
    image_path TEXT,
    ra_deg REAL,
    dec_deg REAL,
    nvss_flux_mjy REAL,
    peak_jyb REAL,
    peak_err_jyb REAL,
    measured_at REAL,
    snr REAL,
    mjd REAL,
    flux_jy REAL,
    flux_err_jy REAL,
    normalized_flux_jy REAL,
    normalized_flux_err_jy REAL,
    mosaic_path TEXT,
    sep_from_center_deg REAL,
    local_rms REAL,
    rms_jy REAL,
    peak_flux_jy REAL,
    quality_flag TEXT,
    flags INTEGER DEFAULT 0
);
CREATE INDEX IF NOT EXISTS idx_photometry_image ON photometry(image_path);
CREATE INDEX IF NOT EXISTS idx_photometry_source_id ON photometry(source_id);
CREATE INDEX IF NOT EXISTS idx_photometry_coords ON photometry(ra_deg, dec_deg);
CREATE INDEX IF NOT EXISTS idx_photometry_mjd ON photometry(mjd);

CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY,
    name TEXT,
    ra_deg REAL,
    dec_deg REAL,
    catalog_match TEXT,
    source_type TEXT,
    first_detected_mjd REAL,
    last_detected_mjd REAL,
    detection_count INTEGER
);

CREATE TABLE IF NOT EXISTS variability_stats (
    source_id TEXT PRIMARY KEY,
    ra_deg REAL,
    dec_deg REAL,
    nvss_flux_mjy REAL,
    n_obs INTEGER,
    mean_flux_mjy REAL,
    std_flux_mjy REAL,
    min_flux_mjy REAL,
    max_flux_mjy REAL,
    chi2_nu REAL,
    sigma_deviation REAL,
    last_measured_at REAL,
    last_mjd REAL,
    updated_at REAL,
    eta_metric REAL
);

CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    ms_path TEXT,
    params TEXT,
    logs TEXT,
    artifacts TEXT,
    created_at REAL,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS idx_jobs_status ON jobs(status);
CREATE INDEX IF NOT EXISTS idx_jobs_created_at ON jobs(created_at DESC);
CREATE INDEX IF NOT EXISTS idx_jobs_ms_path ON jobs(ms_path);

CREATE TABLE IF NOT EXISTS batch_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    created_at REAL,
    status TEXT NOT NULL,
    total_items INTEGER,
    completed_items INTEGER DEFAULT 0,
    failed_items INTEGER DEFAULT 0,
    params TEXT
);

CREATE TABLE IF NOT EXISTS batch_job_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id INTEGER NOT NULL,
    ms_path TEXT,
    job_id INTEGER,
    status TEXT NOT NULL,
    error TEXT,
    started_at REAL,
    completed_at REAL
);
CREATE INDEX IF NOT EXISTS idx_batch_items_batch_id ON batch_job_items(batch_id);
CREATE INDEX IF NOT EXISTS idx_batch_items_ms_path ON batch_job_items(ms_path);

CREATE TABLE IF NOT EXISTS ms_state (
    ms_path TEXT PRIMARY KEY,
    current_state TEXT NOT NULL,
    previous_state TEXT,
    transition_time REAL,
    retry_count INTEGER DEFAULT 0,
    error_message TEXT,
    checkpoint_data TEXT,
    created_at REAL
);

CREATE TABLE IF NOT EXISTS caltables (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    set_name TEXT,
    path TEXT UNIQUE,
    table_type TEXT,
    valid_start_mjd REAL,
    valid_end_mjd REAL,
    status TEXT,
    source_ms_path TEXT,
    created_at REAL
);

CREATE TABLE IF NOT EXISTS calibration_applied (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ms_path TEXT,
    caltable_path TEXT,
    applied_at REAL,
    quality REAL,
    success INTEGER,
    error_message TEXT
);
CREATE INDEX IF NOT EXISTS idx_calibration_applied_ms ON calibration_applied(ms_path);
