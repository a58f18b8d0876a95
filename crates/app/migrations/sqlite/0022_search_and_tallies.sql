-- Name search by any part of a name, and the 工作台's counts kept as they
-- change instead of counted on every request (issue 14).

-- Positions within a name (a registered name holds 2 to 20 characters).
CREATE TABLE name_positions (n INTEGER PRIMARY KEY);
WITH RECURSIVE p(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM p WHERE n < 64)
INSERT INTO name_positions (n) SELECT n FROM p;

-- Each distinct character and each distinct pair of adjacent characters of
-- a worker's name, with the name (the list's order), the worker and its
-- place (the scope). A search of one or two characters reads its own
-- entries in name order; a longer one reads those of its first two
-- characters and keeps the names holding the whole text. Worker names are
-- kept in clear in `workers` already (docs/pia.md); nothing sealed is
-- copied here.
CREATE TABLE worker_name_grams (
    gram        TEXT NOT NULL,
    name        TEXT NOT NULL,
    worker_id   INTEGER NOT NULL,
    region_code INTEGER NOT NULL,
    PRIMARY KEY (gram, name, worker_id)
) WITHOUT ROWID;

INSERT INTO worker_name_grams (gram, name, worker_id, region_code)
SELECT gram, name, worker_id, region_code FROM (
    SELECT substr(w.name, p.n, 1) AS gram, w.name AS name, w.id AS worker_id, w.region_code AS region_code
    FROM workers w JOIN name_positions p ON p.n <= length(w.name)
    UNION
    SELECT substr(w.name, p.n, 2), w.name, w.id, w.region_code
    FROM workers w JOIN name_positions p ON p.n < length(w.name)
) ORDER BY gram, name, worker_id;

-- Workers and family members per place, as signed changes: every write adds
-- a row, and `registry::workers::fold_tallies` sums them up now and then.
-- Rows are only ever added between folds, so writers never wait on each other
-- here.
CREATE TABLE worker_tallies (
    region_code INTEGER NOT NULL,
    workers     INTEGER NOT NULL,
    dependants  INTEGER NOT NULL
);
CREATE INDEX worker_tallies_region ON worker_tallies(region_code, workers, dependants);

INSERT INTO worker_tallies (region_code, workers, dependants)
SELECT region_code, SUM(workers), SUM(dependants) FROM (
    SELECT region_code, COUNT(*) AS workers, 0 AS dependants FROM workers GROUP BY region_code
    UNION ALL
    SELECT w.region_code, 0, COUNT(*) FROM dependants d JOIN workers w ON w.id = d.worker_id GROUP BY w.region_code
) GROUP BY region_code;

CREATE TRIGGER workers_after_insert AFTER INSERT ON workers
BEGIN
    INSERT INTO worker_name_grams (gram, name, worker_id, region_code)
    SELECT substr(NEW.name, n, 1), NEW.name, NEW.id, NEW.region_code FROM name_positions WHERE n <= length(NEW.name)
    UNION
    SELECT substr(NEW.name, n, 2), NEW.name, NEW.id, NEW.region_code FROM name_positions WHERE n < length(NEW.name);
    INSERT INTO worker_tallies (region_code, workers, dependants) VALUES (NEW.region_code, 1, 0);
END;

CREATE TRIGGER workers_after_delete AFTER DELETE ON workers
BEGIN
    DELETE FROM worker_name_grams WHERE name = OLD.name AND worker_id = OLD.id AND gram IN (
        SELECT substr(OLD.name, n, 1) FROM name_positions WHERE n <= length(OLD.name)
        UNION
        SELECT substr(OLD.name, n, 2) FROM name_positions WHERE n < length(OLD.name));
    INSERT INTO worker_tallies (region_code, workers, dependants)
    VALUES (OLD.region_code, -1, -(SELECT COUNT(*) FROM dependants WHERE worker_id = OLD.id));
END;

CREATE TRIGGER workers_after_rename AFTER UPDATE OF name, region_code ON workers
WHEN OLD.name IS NOT NEW.name OR OLD.region_code IS NOT NEW.region_code
BEGIN
    DELETE FROM worker_name_grams WHERE name = OLD.name AND worker_id = OLD.id AND gram IN (
        SELECT substr(OLD.name, n, 1) FROM name_positions WHERE n <= length(OLD.name)
        UNION
        SELECT substr(OLD.name, n, 2) FROM name_positions WHERE n < length(OLD.name));
    INSERT INTO worker_name_grams (gram, name, worker_id, region_code)
    SELECT substr(NEW.name, n, 1), NEW.name, NEW.id, NEW.region_code FROM name_positions WHERE n <= length(NEW.name)
    UNION
    SELECT substr(NEW.name, n, 2), NEW.name, NEW.id, NEW.region_code FROM name_positions WHERE n < length(NEW.name);
END;

CREATE TRIGGER workers_after_move AFTER UPDATE OF region_code ON workers
WHEN OLD.region_code IS NOT NEW.region_code
BEGIN
    INSERT INTO worker_tallies (region_code, workers, dependants)
    SELECT OLD.region_code, -1, -COUNT(*) FROM dependants WHERE worker_id = NEW.id
    UNION ALL
    SELECT NEW.region_code, 1, COUNT(*) FROM dependants WHERE worker_id = NEW.id;
END;

CREATE TRIGGER dependants_after_insert AFTER INSERT ON dependants
BEGIN
    INSERT INTO worker_tallies (region_code, workers, dependants)
    SELECT region_code, 0, 1 FROM workers WHERE id = NEW.worker_id;
END;

CREATE TRIGGER dependants_after_delete AFTER DELETE ON dependants
BEGIN
    INSERT INTO worker_tallies (region_code, workers, dependants)
    SELECT region_code, 0, -1 FROM workers WHERE id = OLD.worker_id;
END;

CREATE TRIGGER dependants_after_move AFTER UPDATE OF worker_id ON dependants
WHEN OLD.worker_id IS NOT NEW.worker_id
BEGIN
    INSERT INTO worker_tallies (region_code, workers, dependants)
    SELECT region_code, 0, -1 FROM workers WHERE id = OLD.worker_id
    UNION ALL
    SELECT region_code, 0, 1 FROM workers WHERE id = NEW.worker_id;
END;

-- Entries of the audit trail per day of China Standard Time (UTC+8), and
-- how many of them record a failure. The trail is written one entry at a
-- time under its chain's lock, so one row per day is never contended.
CREATE TABLE audit_days (
    day      INTEGER PRIMARY KEY,               -- days since 1970-01-01, UTC+8
    entries  INTEGER NOT NULL,
    failures INTEGER NOT NULL
);
INSERT INTO audit_days (day, entries, failures)
SELECT (at_micros / 1000000 + 28800) / 86400, COUNT(*), SUM(CASE WHEN success THEN 0 ELSE 1 END)
FROM audit_log GROUP BY (at_micros / 1000000 + 28800) / 86400;

CREATE TRIGGER audit_log_after_insert AFTER INSERT ON audit_log
BEGIN
    INSERT INTO audit_days (day, entries, failures)
    VALUES ((NEW.at_micros / 1000000 + 28800) / 86400, 1, CASE WHEN NEW.success THEN 0 ELSE 1 END)
    ON CONFLICT (day) DO UPDATE SET entries = entries + 1, failures = failures + excluded.failures;
END;
