-- The plan file (实施方案的目标与举措) in the database, with every version kept.

CREATE TABLE plans (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT NOT NULL UNIQUE,          -- [plan] id, e.g. huangshan-2023
    title      TEXT NOT NULL,
    toml       TEXT NOT NULL,                 -- the current text
    version    INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL                  -- user name, or 系统 at set-up
);

-- Every text the plan has had, the current one included.
CREATE TABLE plan_versions (
    plan_id    INTEGER NOT NULL REFERENCES plans(id),
    version    INTEGER NOT NULL,
    toml       TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (plan_id, version)
);
