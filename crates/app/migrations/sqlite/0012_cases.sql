-- Wage-arrears cases (欠薪线索/案件): the case, every transition of its
-- workflow (append-only), attachments and the yearly case-number counter.
-- Reporter names, phone and ID numbers are sealed (SM4-GCM) with a blind
-- index and a masked copy; the public query code is kept as an HMAC only.
-- See docs/cases.md.

CREATE TABLE cases (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    number                 TEXT NOT NULL UNIQUE,         -- HS2023-000123
    status                 TEXT NOT NULL,                -- registered | accepted | rejected | investigating | closed | followed_up | arbitration | police
    version                INTEGER NOT NULL DEFAULT 1,
    county_code            INTEGER NOT NULL,             -- distribution key
    region_code            INTEGER NOT NULL REFERENCES regions(code),  -- township where the arrears arose
    source                 TEXT NOT NULL,                -- platform | hotline | visit | letter | online | inspection
    clue_no                TEXT,                         -- the national platform's clue number
    anonymous              INTEGER NOT NULL DEFAULT 0,
    worker_id              INTEGER REFERENCES workers(id),
    reporter_name_sealed   BLOB,
    reporter_name_masked   TEXT NOT NULL DEFAULT '',
    reporter_phone_sealed  BLOB,
    reporter_phone_index   BLOB,
    reporter_phone_masked  TEXT NOT NULL DEFAULT '',
    reporter_id_sealed     BLOB,
    reporter_id_index      BLOB,
    reporter_id_masked     TEXT NOT NULL DEFAULT '',
    employer_name          TEXT NOT NULL,
    employer_credit_code   TEXT NOT NULL DEFAULT '',
    employer_address       TEXT NOT NULL DEFAULT '',
    sector                 TEXT NOT NULL,                -- construction | manufacturing | catering | other
    project_name           TEXT NOT NULL DEFAULT '',
    contractor_credit_code TEXT NOT NULL DEFAULT '',
    workers                INTEGER NOT NULL,
    amount_claimed_fen     INTEGER NOT NULL,
    amount_recovered_fen   INTEGER,
    workers_paid           INTEGER,
    conclusion             TEXT NOT NULL DEFAULT '',
    arrears_from           TEXT NOT NULL,
    arrears_to             TEXT NOT NULL,
    description            TEXT NOT NULL,
    received_on            TEXT NOT NULL,
    accepted_on            TEXT,
    accept_due             TEXT NOT NULL,
    handle_due             TEXT,
    due_on                 TEXT,                         -- the running time limit (NULL when none runs)
    extended               INTEGER NOT NULL DEFAULT 0,
    urged                  INTEGER NOT NULL DEFAULT 0,   -- times the office urged
    closed_on              TEXT,
    query_hash             BLOB NOT NULL,
    created_at             TEXT NOT NULL,
    created_by             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    updated_by             TEXT NOT NULL
);
CREATE UNIQUE INDEX cases_clue_no ON cases(clue_no) WHERE clue_no IS NOT NULL;
CREATE INDEX cases_county_status ON cases(county_code, status);
CREATE INDEX cases_region ON cases(region_code);
CREATE INDEX cases_due ON cases(due_on);
CREATE INDEX cases_phone ON cases(reporter_phone_index);
CREATE INDEX cases_id_index ON cases(reporter_id_index);
CREATE INDEX cases_employer ON cases(employer_credit_code);

-- Every transition, registration included; never updated or deleted.
CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    version     INTEGER NOT NULL,                    -- the case's version after the event
    action      TEXT NOT NULL,                       -- register | accept | reject | ...
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT NOT NULL,
    at          TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL DEFAULT '{}'           -- JSON object of the action's other fields
);
CREATE UNIQUE INDEX case_events_version ON case_events(case_id, version);

CREATE TABLE case_files (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id  INTEGER NOT NULL REFERENCES cases(id),
    name     TEXT NOT NULL,
    mime     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    data     BLOB NOT NULL,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL
);
CREATE INDEX case_files_case ON case_files(case_id);

-- The last case number given out per year of receipt.
CREATE TABLE case_numbers (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);
