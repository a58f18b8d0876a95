-- Bulk import in two steps: the checked, sealed rows of a file are staged
-- here (the preview), then merged into the registry as sets in one
-- transaction (the commit). A stage is keyed by its import batch and the
-- row's line in the file and is only ever appended to, batch by batch; it
-- has no secondary index. Staged rows are removed by the merge, and those
-- nobody commits within an hour by the sweep.

-- import_batches.status: running (rows being staged; a rerun resumes after
-- last_line) | staged (ready to merge) | checking, checked (a preview's) |
-- merging (inside the merge's transaction only) | done | expired. A
-- preview's batch is committed only by the user who staged it: its rows
-- were checked against that user's scope.
ALTER TABLE import_batches ADD COLUMN actor_id BIGINT;

CREATE TABLE import_stage_workers (
    batch_id     BIGINT NOT NULL,
    line         BIGINT NOT NULL,
    county_code  BIGINT NOT NULL,
    region_code  BIGINT NOT NULL,
    name         TEXT NOT NULL,
    id_sealed    BYTEA NOT NULL,
    id_index     BYTEA NOT NULL,
    id_masked    TEXT NOT NULL,
    birth_year   BIGINT NOT NULL,
    sex          TEXT NOT NULL,
    origin_code  TEXT NOT NULL,
    phone_sealed BYTEA,
    phone_index  BYTEA,
    phone_masked TEXT NOT NULL,
    hukou_place  TEXT NOT NULL,
    education    TEXT NOT NULL,
    skills       TEXT NOT NULL,
    tags         TEXT NOT NULL,
    person       TEXT NOT NULL,                   -- the name, masked (messages)
    PRIMARY KEY (batch_id, line)
);

-- Records: a record file's rows, and the employment columns of a worker
-- roster's rows (their worker found by the blind index of the ID number, so
-- that a worker new in the same file is found once merged).
CREATE TABLE import_stage_records (
    batch_id     BIGINT NOT NULL,
    line         BIGINT NOT NULL,
    worker_index BYTEA NOT NULL,
    worker_name  TEXT NOT NULL,                   -- as registered when staged ('' for a roster's row)
    kind         TEXT NOT NULL,
    dependant_id BIGINT,
    county_code  BIGINT NOT NULL,
    region_code  BIGINT NOT NULL,
    unit_id      BIGINT,
    period_date  DATE NOT NULL,
    natural_key  TEXT NOT NULL,
    data         TEXT NOT NULL,
    person       TEXT NOT NULL,
    PRIMARY KEY (batch_id, line)
);

-- Facilities and the platform's clues: the row's cells as text (JSON array),
-- validated again as they are merged, row by row, in the merge's transaction.
CREATE TABLE import_stage_rows (
    batch_id     BIGINT NOT NULL,
    line         BIGINT NOT NULL,
    cells        TEXT NOT NULL,
    person       TEXT NOT NULL,
    PRIMARY KEY (batch_id, line)
);

-- The workers' triggers here are per statement already (migration 0022): a
-- merge's one INSERT indexes its names and counts its places as sets. The
-- names' entries are computed as one set (not a call of name_grams per
-- worker: 1.2 s against 3.1 s for 200,000 workers) and written in key
-- order, so that a large merge fills the index page by page.
CREATE OR REPLACE FUNCTION workers_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO worker_name_grams (gram, name, worker_id, region_code)
    SELECT DISTINCT substr(n.name, p, k), n.name, n.id, n.region_code
    FROM new_rows n CROSS JOIN LATERAL generate_series(1, length(n.name)) AS p
    CROSS JOIN (VALUES (1), (2)) AS l(k)
    WHERE p + k - 1 <= length(n.name)
    ORDER BY 1, 2, 3;
    INSERT INTO worker_tallies (region_code, workers, dependants)
    SELECT region_code, COUNT(*), 0 FROM new_rows GROUP BY region_code;
    RETURN NULL;
END;
$$;
