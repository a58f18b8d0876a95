-- 就业失业登记: employment registrations (the employer's filing of a hire,
-- due within 30 days; the job is the worker's employment record) and
-- unemployment registrations at the place of residence, open until the
-- person is employed again. See docs/jobs.md.
CREATE TABLE job_registrations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    number         TEXT UNIQUE,                    -- 登记编号: county, year, id
    kind           TEXT NOT NULL,                  -- employment | unemployment
    worker_id      INTEGER NOT NULL REFERENCES workers(id),
    county_code    INTEGER NOT NULL,               -- distribution key
    region_code    INTEGER NOT NULL REFERENCES regions(code),
    since          TEXT NOT NULL,                  -- employment start / unemployed since
    registered_on  TEXT NOT NULL,
    late           INTEGER NOT NULL DEFAULT 0,     -- employment: filed after the days allowed
    reason         TEXT NOT NULL DEFAULT '',       -- unemployment reason code
    note           TEXT NOT NULL DEFAULT '',
    ended_on       TEXT,                           -- unemployment: employed again
    record_id      INTEGER REFERENCES records(id) ON DELETE SET NULL,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX job_registrations_worker ON job_registrations(worker_id, kind);
CREATE INDEX job_registrations_open ON job_registrations(kind, ended_on, region_code);
-- One open unemployment registration a person.
CREATE UNIQUE INDEX job_registrations_one_open ON job_registrations(worker_id)
    WHERE kind = 'unemployment' AND ended_on IS NULL;
