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
ALTER TABLE import_batches ADD COLUMN actor_id INTEGER;

CREATE TABLE import_stage_workers (
    batch_id     INTEGER NOT NULL,
    line         INTEGER NOT NULL,
    county_code  INTEGER NOT NULL,
    region_code  INTEGER NOT NULL,
    name         TEXT NOT NULL,
    id_sealed    BLOB NOT NULL,
    id_index     BLOB NOT NULL,
    id_masked    TEXT NOT NULL,
    birth_year   INTEGER NOT NULL,
    sex          TEXT NOT NULL,
    origin_code  TEXT NOT NULL,
    phone_sealed BLOB,
    phone_index  BLOB,
    phone_masked TEXT NOT NULL,
    hukou_place  TEXT NOT NULL,
    education    TEXT NOT NULL,
    skills       TEXT NOT NULL,
    tags         TEXT NOT NULL,
    person       TEXT NOT NULL,                   -- the name, masked (messages)
    PRIMARY KEY (batch_id, line)
) WITHOUT ROWID;

-- Records: a record file's rows, and the employment columns of a worker
-- roster's rows (their worker found by the blind index of the ID number, so
-- that a worker new in the same file is found once merged).
CREATE TABLE import_stage_records (
    batch_id     INTEGER NOT NULL,
    line         INTEGER NOT NULL,
    worker_index BLOB NOT NULL,
    worker_name  TEXT NOT NULL,                   -- as registered when staged ('' for a roster's row)
    kind         TEXT NOT NULL,
    dependant_id INTEGER,
    county_code  INTEGER NOT NULL,
    region_code  INTEGER NOT NULL,
    unit_id      INTEGER,
    period_date  TEXT NOT NULL,
    natural_key  TEXT NOT NULL,
    data         TEXT NOT NULL,
    person       TEXT NOT NULL,
    PRIMARY KEY (batch_id, line)
) WITHOUT ROWID;

-- Facilities and the platform's clues: the row's cells as text (JSON array),
-- validated again as they are merged, row by row, in the merge's transaction.
CREATE TABLE import_stage_rows (
    batch_id     INTEGER NOT NULL,
    line         INTEGER NOT NULL,
    cells        TEXT NOT NULL,
    person       TEXT NOT NULL,
    PRIMARY KEY (batch_id, line)
) WITHOUT ROWID;

-- While a merge inserts its new workers (one statement), the row trigger
-- that indexes each worker's name and counts it per place stands aside; the
-- merge then writes those entries as sets. The flag row is only ever
-- present inside the merge's own transaction: SQLite has one writer at a
-- time, and readers fire no triggers.
CREATE TABLE import_merging (flag INTEGER PRIMARY KEY);

DROP TRIGGER workers_after_insert;
CREATE TRIGGER workers_after_insert AFTER INSERT ON workers
WHEN NOT EXISTS (SELECT 1 FROM import_merging)
BEGIN
    INSERT INTO worker_name_grams (gram, name, worker_id, region_code)
    SELECT substr(NEW.name, n, 1), NEW.name, NEW.id, NEW.region_code FROM name_positions WHERE n <= length(NEW.name)
    UNION
    SELECT substr(NEW.name, n, 2), NEW.name, NEW.id, NEW.region_code FROM name_positions WHERE n < length(NEW.name);
    INSERT INTO worker_tallies (region_code, workers, dependants) VALUES (NEW.region_code, 1, 0);
END;
