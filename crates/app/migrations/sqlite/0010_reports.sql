-- 调度: the units' progress reports per reporting period, every version of
-- each, their attachments, the figures of reported targets they give, the
-- office's 督办 marks and the periods it has closed. See docs/reports.md.

CREATE TABLE reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    period      TEXT NOT NULL,                     -- 2023Q3, 2023H1, 2023-09 or 2023 (the plan's cycle)
    period_end  TEXT NOT NULL,                     -- the period's last day; figures are as of it
    status      TEXT NOT NULL,                     -- filed | accepted | returned
    body        TEXT NOT NULL,                     -- 工作进展
    notes       TEXT NOT NULL,                     -- JSON object: measure id -> note
    filed_at    TEXT NOT NULL,                     -- first filed
    filed_by    TEXT NOT NULL,
    updated_at  TEXT NOT NULL,                     -- last filed or revised
    updated_by  TEXT NOT NULL,
    reviewed_at TEXT,
    reviewed_by TEXT NOT NULL DEFAULT '',
    comment     TEXT NOT NULL DEFAULT '',          -- the office's comment on acceptance or return
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX reports_unit_period ON reports(unit_id, period);
CREATE INDEX reports_period ON reports(period);

-- Figures of reported targets, cumulative to the period's end, for the
-- city or a county (ten-thousandths of the target's unit).
CREATE TABLE report_figures (
    report_id INTEGER NOT NULL REFERENCES reports(id),
    target    TEXT NOT NULL,
    region    INTEGER NOT NULL,
    as_of     TEXT NOT NULL,
    value     INTEGER NOT NULL,
    PRIMARY KEY (report_id, target, region)
);
CREATE INDEX report_figures_as_of ON report_figures(as_of);

-- Every version of a report, the current one included.
CREATE TABLE report_versions (
    report_id  INTEGER NOT NULL REFERENCES reports(id),
    version    INTEGER NOT NULL,
    action     TEXT NOT NULL,                      -- file | revise | accept | return
    status     TEXT NOT NULL,
    body       TEXT NOT NULL,
    notes      TEXT NOT NULL,
    figures    TEXT NOT NULL,                      -- JSON array of [target, region, value]
    comment    TEXT NOT NULL DEFAULT '',
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    PRIMARY KEY (report_id, version)
);

CREATE TABLE report_files (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id  INTEGER NOT NULL REFERENCES reports(id),
    name       TEXT NOT NULL,
    mime       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    data       BLOB NOT NULL,
    added_at   TEXT NOT NULL,
    added_by   TEXT NOT NULL
);
CREATE INDEX report_files_report ON report_files(report_id);

-- 督办: the office's marks on a unit's report that is overdue.
CREATE TABLE report_urges (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id   INTEGER NOT NULL REFERENCES units(id),
    period    TEXT NOT NULL,
    note      TEXT NOT NULL,
    urged_at  TEXT NOT NULL,
    urged_by  TEXT NOT NULL
);
CREATE INDEX report_urges_unit ON report_urges(unit_id, period);

-- Periods the office has closed (关闭本期调度): no filing or revising after.
CREATE TABLE report_periods (
    period    TEXT PRIMARY KEY,
    closed_at TEXT NOT NULL,
    closed_by TEXT NOT NULL
);
