-- 求职登记 filed by the job seekers themselves from a phone
-- (`registry::jobs::applications`): kept until the staff of the township's
-- county accept it (registering the worker if need be, then the seeker) or
-- refuse it with a reason. The ID number and the phone are sealed like the
-- workers'; the applicant follows it with its number and query code (only
-- the code's keyed hash is stored).
CREATE TABLE job_applications (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    number         TEXT UNIQUE,
    query_hash     BLOB NOT NULL,
    code_wrapped   BLOB,                           -- the code under the form's token, while it may be shown again
    form_token     TEXT NOT NULL UNIQUE,           -- keyed hash of the form's one-time token: sent twice, filed once
    name           TEXT NOT NULL,
    id_sealed      BLOB NOT NULL,
    id_index       BLOB NOT NULL,
    id_masked      TEXT NOT NULL,
    phone_sealed   BLOB NOT NULL,
    phone_masked   TEXT NOT NULL,
    county_code    INTEGER NOT NULL,               -- distribution key
    region_code    INTEGER NOT NULL REFERENCES regions(code),
    wishes         TEXT NOT NULL,                  -- the seeker form's fields as typed (JSON)
    consent_at     TEXT NOT NULL,
    status         TEXT NOT NULL,                  -- pending | accepted | refused
    reason         TEXT NOT NULL DEFAULT '',
    seeker_id      INTEGER REFERENCES job_seekers(id),
    created_at     TEXT NOT NULL,
    decided_at     TEXT,
    decided_by     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_applications_status ON job_applications(status, region_code);
