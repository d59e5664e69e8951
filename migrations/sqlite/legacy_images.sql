-- The older layout of `images`, as the pipeline's products-database setup
-- (database/products.py) still creates it: eight columns, path not UNIQUE. Used by tests to
-- prove the monitor reads it; applied after 0001_pipeline.sql to replace its `images` table.
DROP TABLE IF EXISTS images;
CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    ms_path TEXT NOT NULL,
    created_at REAL NOT NULL,
    type TEXT NOT NULL,
    beam_major_arcsec REAL,
    noise_jy REAL,
    pbcor INTEGER DEFAULT 0
);
