-- Public employment services (公共就业服务): the occupation classification's
-- finer groups an administrator loads, job seekers (求职登记) and the
-- occupations they want, vacancies (岗位), referrals (推荐) and the wage
-- guide (工资价位) the office computes and publishes. See docs/jobs.md.

-- Finer groups of the 2022 classification (the 8 major groups are shipped
-- in data/occupations.csv and need no row here).
CREATE TABLE occupations (
    code        TEXT PRIMARY KEY,                  -- 6-29-01 …
    name        TEXT NOT NULL,
    major       INTEGER NOT NULL,                  -- 1–8
    level       INTEGER NOT NULL,                  -- 2 中类 … 5 工种
    loaded_at   TEXT NOT NULL,
    loaded_by   TEXT NOT NULL
);

-- A registered worker looking for work; one registration a worker.
CREATE TABLE job_seekers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    worker_id      INTEGER NOT NULL UNIQUE REFERENCES workers(id),
    county_code    INTEGER NOT NULL,               -- distribution key
    region_code    INTEGER NOT NULL REFERENCES regions(code),
    places         TEXT NOT NULL DEFAULT '',       -- wanted places: region codes, comma separated
    min_wage_fen   INTEGER,
    available_from TEXT,
    skills         TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,                  -- active | employed | closed
    source         TEXT NOT NULL,                  -- form | public
    registered_on  TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX job_seekers_region ON job_seekers(region_code, status);

-- A seeker is placed where the worker lives: a move carries the
-- registration along (masking, write scope and distance go by it).
CREATE TRIGGER job_seekers_follow_move AFTER UPDATE OF region_code ON workers
WHEN OLD.region_code IS NOT NEW.region_code
BEGIN
    UPDATE job_seekers SET region_code = NEW.region_code, county_code = NEW.county_code WHERE worker_id = NEW.id;
END;

-- The occupations a seeker wants (at most five), with their major and
-- middle groups for matching.
CREATE TABLE job_seeker_occupations (
    seeker_id   INTEGER NOT NULL REFERENCES job_seekers(id) ON DELETE CASCADE,
    code        TEXT NOT NULL,
    major       INTEGER NOT NULL,
    middle      TEXT NOT NULL,                     -- '' for a major group
    PRIMARY KEY (seeker_id, code)
);
CREATE INDEX job_seeker_occupations_major ON job_seeker_occupations(major, seeker_id);
CREATE INDEX job_seeker_occupations_middle ON job_seeker_occupations(middle, seeker_id, code);

CREATE TABLE vacancies (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    employer_credit_code  TEXT NOT NULL,
    employer_name         TEXT NOT NULL,
    industry              TEXT NOT NULL,           -- GB/T 4754 section letter
    title                 TEXT NOT NULL,           -- 岗位名称
    occupation            TEXT NOT NULL,           -- classification code
    major                 INTEGER NOT NULL,
    middle                TEXT NOT NULL,
    headcount             INTEGER NOT NULL,
    wage_min_fen          INTEGER NOT NULL,
    wage_max_fen          INTEGER NOT NULL,
    county_code           INTEGER NOT NULL,        -- distribution key
    region_code           INTEGER NOT NULL REFERENCES regions(code),
    requirements          TEXT NOT NULL DEFAULT '',
    contact               TEXT NOT NULL,           -- the HR office's window, never the employer's private phone
    posted_on             TEXT NOT NULL,
    valid_until           TEXT NOT NULL,
    status                TEXT NOT NULL,           -- open | filled | withdrawn
    source                TEXT NOT NULL,           -- form | import | api
    created_at            TEXT NOT NULL,
    created_by            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    updated_by            TEXT NOT NULL,
    version               INTEGER NOT NULL DEFAULT 1
);
-- The public board: open and unexpired, newest first, read in order and
-- stopping at a page (the last day and the wage tested in the index), by
-- township, county or group; matching reads a group's open vacancies.
-- SQLite keeps no statistics: an index with a range on the last day first
-- would be taken and the whole board sorted for each page.
CREATE INDEX vacancies_board ON vacancies(status, posted_on, valid_until, wage_max_fen);
CREATE INDEX vacancies_place ON vacancies(status, region_code, valid_until);
CREATE INDEX vacancies_major ON vacancies(major, status, county_code, valid_until);
CREATE INDEX vacancies_middle ON vacancies(middle, status, valid_until);
CREATE INDEX vacancies_county ON vacancies(county_code, status, posted_on, valid_until);
CREATE INDEX vacancies_employer ON vacancies(employer_credit_code);

-- 推荐: who was sent where, and what came of it. A hire points at the
-- employment record it created.
CREATE TABLE referrals (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    seeker_id    INTEGER NOT NULL REFERENCES job_seekers(id),
    vacancy_id   INTEGER NOT NULL REFERENCES vacancies(id),
    referred_on  TEXT NOT NULL,
    outcome      TEXT NOT NULL,                    -- referred | interview | hired | rejected | no_show
    outcome_on   TEXT,
    note         TEXT NOT NULL DEFAULT '',
    record_id    INTEGER REFERENCES records(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX referrals_pair ON referrals(seeker_id, vacancy_id);
CREATE INDEX referrals_vacancy ON referrals(vacancy_id);

-- 工资价位: one row a cell (major 0 = every group, industry '' = every
-- section) of a year's guide, as computed; cells under the minimum size
-- are kept with published = 0 and never shown outside.
CREATE TABLE wage_guide (
    year         INTEGER NOT NULL,
    major        INTEGER NOT NULL,
    industry     TEXT NOT NULL,
    n            INTEGER NOT NULL,
    p10          INTEGER NOT NULL,
    p25          INTEGER NOT NULL,
    p50          INTEGER NOT NULL,
    p75          INTEGER NOT NULL,
    p90          INTEGER NOT NULL,
    mean         INTEGER NOT NULL,
    published    INTEGER NOT NULL,
    computed_at  TEXT NOT NULL,
    computed_by  TEXT NOT NULL,
    PRIMARY KEY (year, major, industry)
);

-- Grants of every kind there was (全部业务) cover the new kind too.
UPDATE user_scopes SET kinds = kinds | 1024 WHERE kinds = 1023;
UPDATE api_key_scopes SET kinds = kinds | 1024 WHERE kinds = 1023;
