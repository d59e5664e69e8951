-- The older layout of `images`: only eight columns. Used by tests to prove the monitor
-- reads it; applied after 0001_pipeline.sql to replace its `images` table.
DROP TABLE IF EXISTS images;
CREATE TABLE images (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL UNIQUE,
    ms_path TEXT,
    created_at REAL,
    type TEXT,
    beam_major_arcsec REAL,
    noise_jy REAL,
    pbcor INTEGER DEFAULT 0
);
