-- state/db/alerts.sqlite3, the pipeline's real alert store, as monitoring/alerting.py
-- creates it (dsa110-contimg HEAD 5208d8c): one row per alert, rule_name, severity
-- info/warning/critical, state firing/resolved/pending, unix-second times. For demo and
-- test databases only; the monitor never runs it against the pipeline's file.
CREATE TABLE IF NOT EXISTS alert_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_name TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    message TEXT,
    fired_at REAL NOT NULL,
    resolved_at REAL,
    labels_json TEXT,
    created_at REAL DEFAULT (unixepoch())
);
CREATE INDEX IF NOT EXISTS idx_alert_rule ON alert_history(rule_name);
CREATE INDEX IF NOT EXISTS idx_alert_fired ON alert_history(fired_at);
