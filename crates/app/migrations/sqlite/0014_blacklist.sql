-- The arrears blacklist (拖欠农民工工资失信联合惩戒对象名单, 人社部令第45号):
-- one row per listing decision, and every step of it (append-only). The
-- state of a listing on a day (列入中 / 已期满移出 / 提前移出 / 已撤销) is
-- computed from listed_on, removal_due, removed_on and removal_kind; no job
-- runs at the end of a period. See docs/blacklist.md.

CREATE TABLE blacklist (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    version             INTEGER NOT NULL DEFAULT 1,
    county_code         INTEGER NOT NULL REFERENCES regions(code),  -- the county responsible (scope)
    employer_name       TEXT NOT NULL,
    credit_code         TEXT NOT NULL,                -- canonical 18-character code
    responsible_persons TEXT NOT NULL DEFAULT '',     -- names only, joined with 、
    reason              TEXT NOT NULL,                -- refusal | incident
    document_no         TEXT NOT NULL,                -- 列入决定书文号
    authority           TEXT NOT NULL,                -- 作出决定的部门
    amount_owed_fen     INTEGER,
    workers             INTEGER,
    case_id             INTEGER REFERENCES cases(id), -- the wage-arrears case it arose from
    listed_on           TEXT NOT NULL,
    removal_due         TEXT NOT NULL,                -- listed_on + 3 years: ends by itself
    removed_on          TEXT,                         -- early removal or revocation
    removal_kind        TEXT,                         -- early | revoked
    removal_note        TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL,
    created_by          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    updated_by          TEXT NOT NULL
);
CREATE UNIQUE INDEX blacklist_document ON blacklist(document_no);
CREATE INDEX blacklist_credit_code ON blacklist(credit_code, removal_due);
CREATE INDEX blacklist_name ON blacklist(employer_name);
CREATE INDEX blacklist_county ON blacklist(county_code, listed_on);

-- Every step of a listing (list, remove, revoke); never updated or deleted.
CREATE TABLE blacklist_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    listing_id   INTEGER NOT NULL REFERENCES blacklist(id),
    version      INTEGER NOT NULL,                    -- the listing's version after the event
    action       TEXT NOT NULL,                       -- list | remove | revoke
    actor_id     INTEGER,
    actor_name   TEXT NOT NULL,
    at           TEXT NOT NULL,
    on_date      TEXT NOT NULL,                       -- the day the step takes effect
    note         TEXT NOT NULL DEFAULT '',
    data         TEXT NOT NULL DEFAULT '{}'           -- JSON object of the step's other fields
);
CREATE UNIQUE INDEX blacklist_events_version ON blacklist_events(listing_id, version);
