-- Grants of access to personal data that wait for a second person (four eyes):
-- the roles and scopes an administrator asked for, until the task-force
-- office approves or rejects them. The account keeps its former access
-- (narrowed to what the request allows) meanwhile.

CREATE TABLE grant_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users(id),
    roles        TEXT NOT NULL,                 -- role codes, comma-separated
    scopes       TEXT NOT NULL,                 -- region:kinds, comma-separated
    requested_by INTEGER REFERENCES users(id),  -- NULL: the command line
    requested_at TEXT NOT NULL,
    status       TEXT NOT NULL,                 -- pending | approved | rejected | superseded
    decided_by   INTEGER REFERENCES users(id),
    decided_at   TEXT
);
CREATE INDEX grant_requests_status ON grant_requests(status, id);
CREATE INDEX grant_requests_user ON grant_requests(user_id);
