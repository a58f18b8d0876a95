-- A construction site is known by its project or its general contractor's
-- name: the contractor's name is kept with the case.
ALTER TABLE cases ADD COLUMN contractor_name TEXT NOT NULL DEFAULT '';

-- One row per registration form submitted (public form and staff form), so
-- that the same form sent again (a refresh, back and resubmit) answers with
-- the case it registered instead of registering a second one. The token is
-- the form's one-time token, kept as an HMAC; the query code is kept only
-- wrapped under a key derived from that token (which the server does not
-- keep), so the browser that filed the report can see it again for a short
-- while and nobody else can.
CREATE TABLE case_submissions (
    token_hash   BYTEA PRIMARY KEY,
    case_id      BIGINT NOT NULL REFERENCES cases(id),
    code_wrapped BYTEA,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX case_submissions_created ON case_submissions(created_at);
