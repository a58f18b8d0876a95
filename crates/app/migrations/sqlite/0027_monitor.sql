-- Wage-payment monitoring on construction projects (智慧监管): the projects
-- under construction, their special account, labour-cost transfers, wage
-- deposits and notice board, the real-name roster with monthly attendance,
-- the monthly payroll as the banks pay it, and the warnings the rules raise.
-- See docs/monitoring.md.

CREATE TABLE projects (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    code                   TEXT NOT NULL UNIQUE,         -- 项目编号 (the authority's)
    name                   TEXT NOT NULL,
    kind                   TEXT NOT NULL,                -- building | municipal | transport | water | other
    authority              TEXT NOT NULL,                -- zjj | jtj | slj | rsj
    status                 TEXT NOT NULL,                -- not_started | building | halted | completed | settled
    county_code            INTEGER NOT NULL,             -- distribution key
    region_code            INTEGER NOT NULL REFERENCES regions(code),
    builder_name           TEXT NOT NULL,
    builder_credit_code    TEXT NOT NULL,
    contractor_name        TEXT NOT NULL,
    contractor_credit_code TEXT NOT NULL,
    subcontractors         TEXT NOT NULL DEFAULT '',     -- 名称（统一社会信用代码）, one a line
    contract_sum_fen       INTEGER NOT NULL,
    labour_pct             INTEGER,                      -- 人工费 share of each payment, %
    labour_fen             INTEGER,                      -- or its monthly amount
    contract_date          TEXT,
    start_date             TEXT,
    planned_end            TEXT,
    account_bank           TEXT NOT NULL DEFAULT '',     -- 农民工工资专用账户
    account_opened         TEXT,
    account_agreement      INTEGER NOT NULL DEFAULT 0,   -- 三方协议 signed
    board_on               TEXT,                         -- 维权信息告示牌 set up on
    clean_years            INTEGER NOT NULL DEFAULT 0,   -- contractor's years in a row without arrears
    recent_arrears         INTEGER NOT NULL DEFAULT 0,   -- contractor's arrears within the last year
    created_at             TEXT NOT NULL,
    created_by             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    updated_by             TEXT NOT NULL,
    version                INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX projects_region ON projects(region_code);
CREATE INDEX projects_contractor ON projects(contractor_credit_code);

-- Photos of the notice board (kind 'board'), every one kept: the newest
-- is the board's; `dated` is the board's date when it was sent.
CREATE TABLE project_files (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    mime        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    data        BLOB NOT NULL,
    dated       TEXT,
    added_at    TEXT NOT NULL,
    added_by    TEXT NOT NULL
);
CREATE INDEX project_files_project ON project_files(project_id, kind, id);

CREATE TABLE project_transfers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    paid_on     TEXT NOT NULL,
    amount_fen  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX project_transfers_project ON project_transfers(project_id, paid_on);

CREATE TABLE project_deposits (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    form        TEXT NOT NULL,                           -- cash | guarantee | insurance
    amount_fen  INTEGER NOT NULL,
    from_date   TEXT NOT NULL,
    to_date     TEXT,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX project_deposits_project ON project_deposits(project_id);

-- 实名制: a worker of the registry on a project (a person may be on several).
CREATE TABLE project_roster (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id      INTEGER NOT NULL REFERENCES projects(id),
    worker_id       INTEGER NOT NULL REFERENCES workers(id),
    county_code     INTEGER NOT NULL,
    subcontractor   TEXT NOT NULL DEFAULT '',
    team            TEXT NOT NULL DEFAULT '',
    contract_signed INTEGER NOT NULL DEFAULT 0,
    entered_on      TEXT NOT NULL,
    left_on         TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX project_roster_worker ON project_roster(project_id, worker_id);
CREATE INDEX project_roster_by_worker ON project_roster(worker_id);
-- The evaluation's count of each project's roster in a month, from the index alone.
CREATE INDEX project_roster_active ON project_roster(project_id, entered_on, left_on, contract_signed);

CREATE TABLE project_attendance (
    roster_id   INTEGER NOT NULL REFERENCES project_roster(id),
    month       INTEGER NOT NULL,                        -- yyyymm
    days        INTEGER NOT NULL,
    -- Month first: the evaluation reads a whole month's attendance, days
    -- included, as one range of the table.
    PRIMARY KEY (month, roster_id)
) WITHOUT ROWID;
CREATE INDEX project_attendance_roster ON project_attendance(roster_id, month);

-- 工资发放: one line per worker, project and month, as the bank paid it
-- (a second payment in a month adds to the line).
CREATE TABLE payroll_lines (
    project_id     INTEGER NOT NULL REFERENCES projects(id),
    month          INTEGER NOT NULL,                     -- yyyymm
    worker_id      INTEGER NOT NULL REFERENCES workers(id),
    amount_fen     INTEGER NOT NULL,
    paid_on        TEXT NOT NULL,
    account_masked TEXT NOT NULL DEFAULT '',
    batch_id       INTEGER,
    PRIMARY KEY (project_id, month, worker_id)
) WITHOUT ROWID;
CREATE INDEX payroll_lines_worker ON payroll_lines(worker_id, month);
-- A month's lines by project (the evaluation counts them).
CREATE INDEX payroll_lines_month ON payroll_lines(month, project_id);

-- A warning raised by a rule for a project (and a month, for the monthly
-- checks; 0 for the others). One warning is open per project, rule and month.
CREATE TABLE warnings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id   INTEGER NOT NULL REFERENCES projects(id),
    rule_code    TEXT NOT NULL,
    check_code   TEXT NOT NULL,
    rule_name    TEXT NOT NULL,
    month        INTEGER NOT NULL DEFAULT 0,
    level        TEXT NOT NULL,                          -- yellow | orange | red
    authority    TEXT NOT NULL,
    county_code  INTEGER NOT NULL,
    region_code  INTEGER NOT NULL,
    status       TEXT NOT NULL,                          -- open | acknowledged | escalated | resolved
    detail       TEXT NOT NULL,
    workers      INTEGER NOT NULL DEFAULT 0,
    opened_on    TEXT NOT NULL,
    due_on       TEXT NOT NULL,
    resolved_on  TEXT,
    reason       TEXT NOT NULL DEFAULT '',
    case_id      INTEGER REFERENCES cases(id),
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX warnings_open ON warnings(project_id, rule_code, month) WHERE status <> 'resolved';
CREATE INDEX warnings_region ON warnings(status, region_code);
CREATE INDEX warnings_project ON warnings(project_id);

CREATE TABLE warning_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    warning_id  INTEGER NOT NULL REFERENCES warnings(id),
    action      TEXT NOT NULL,                           -- open | acknowledge | escalate | resolve | to_case | clear
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    at          TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX warning_events_warning ON warning_events(warning_id);

-- A payroll file's checked lines, matched to their project and worker,
-- staged for the merge (as import_stage_workers and import_stage_records
-- are, migration 0026).
CREATE TABLE import_stage_payroll (
    batch_id       INTEGER NOT NULL,
    line           INTEGER NOT NULL,
    project_id     INTEGER NOT NULL,
    worker_id      INTEGER NOT NULL,
    month          INTEGER NOT NULL,
    amount_fen     INTEGER NOT NULL,
    paid_on        TEXT NOT NULL,
    account_masked TEXT NOT NULL,
    PRIMARY KEY (batch_id, line)
) WITHOUT ROWID;

ALTER TABLE cases ADD COLUMN project_id INTEGER REFERENCES projects(id);
