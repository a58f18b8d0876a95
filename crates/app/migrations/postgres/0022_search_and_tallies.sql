-- Name search by any part of a name, and the 工作台's counts kept as they
-- change instead of counted on every request (issue 14).

-- The distinct characters and pairs of adjacent characters of a name.
CREATE FUNCTION name_grams(name TEXT) RETURNS SETOF TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT substr(name, n, 1) FROM generate_series(1, length(name)) AS n
    UNION
    SELECT substr(name, n, 2) FROM generate_series(1, length(name) - 1) AS n
$$;

-- Each distinct character and each distinct pair of adjacent characters of
-- a worker's name, with the name (the list's order, code-point order as the
-- name index of 0004), the worker and its place (the scope), all in the
-- primary key's index so that a search is read from the index alone. A
-- search of one or two characters reads its own entries in name order; a
-- longer one reads those of its first two characters and keeps the names
-- holding the whole text. Worker names are kept in clear in `workers`
-- already (docs/pia.md); nothing sealed is copied here.
CREATE TABLE worker_name_grams (
    gram        TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    worker_id   BIGINT NOT NULL,
    region_code BIGINT NOT NULL,
    PRIMARY KEY (gram, name, worker_id) INCLUDE (region_code)
);

INSERT INTO worker_name_grams (gram, name, worker_id, region_code)
SELECT g, w.name, w.id, w.region_code FROM workers w CROSS JOIN LATERAL name_grams(w.name) AS g
ORDER BY 1, 2, 3;

-- Workers and family members per place, as signed changes: every write adds
-- rows, and `registry::workers::fold_tallies` sums them up now and then.
-- Rows are only ever added between folds, so writers never wait on each
-- other here (a counter row per place would be locked by every import
-- batch until its commit, and two imports could deadlock on two places).
CREATE TABLE worker_tallies (
    region_code BIGINT NOT NULL,
    workers     BIGINT NOT NULL,
    dependants  BIGINT NOT NULL
);
CREATE INDEX worker_tallies_region ON worker_tallies(region_code) INCLUDE (workers, dependants);

INSERT INTO worker_tallies (region_code, workers, dependants)
SELECT region_code, SUM(workers), SUM(dependants) FROM (
    SELECT region_code, COUNT(*) AS workers, 0 AS dependants FROM workers GROUP BY region_code
    UNION ALL
    SELECT w.region_code, 0, COUNT(*) FROM dependants d JOIN workers w ON w.id = d.worker_id GROUP BY w.region_code
) AS t GROUP BY region_code;

-- Statement triggers: a COPY or multi-row INSERT of an import batch writes
-- one tally row per place, not one per worker.
CREATE FUNCTION workers_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO worker_name_grams (gram, name, worker_id, region_code)
    SELECT g, n.name, n.id, n.region_code FROM new_rows n CROSS JOIN LATERAL name_grams(n.name) AS g;
    INSERT INTO worker_tallies (region_code, workers, dependants)
    SELECT region_code, COUNT(*), 0 FROM new_rows GROUP BY region_code;
    RETURN NULL;
END;
$$;
CREATE TRIGGER workers_after_insert AFTER INSERT ON workers
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION workers_after_insert();

CREATE FUNCTION workers_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM worker_name_grams WHERE (gram, name, worker_id) IN (
        SELECT g, o.name, o.id FROM old_rows o CROSS JOIN LATERAL name_grams(o.name) AS g);
    INSERT INTO worker_tallies (region_code, workers, dependants)
    SELECT o.region_code, -COUNT(*), -COALESCE(SUM((SELECT COUNT(*) FROM dependants d WHERE d.worker_id = o.id)), 0)
    FROM old_rows o GROUP BY o.region_code;
    RETURN NULL;
END;
$$;
CREATE TRIGGER workers_after_delete AFTER DELETE ON workers
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION workers_after_delete();

CREATE FUNCTION workers_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM worker_name_grams WHERE (gram, name, worker_id) IN (
        SELECT g, o.name, o.id FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL name_grams(o.name) AS g
        WHERE o.name IS DISTINCT FROM n.name OR o.region_code IS DISTINCT FROM n.region_code);
    INSERT INTO worker_name_grams (gram, name, worker_id, region_code)
    SELECT g, n.name, n.id, n.region_code FROM old_rows o JOIN new_rows n ON n.id = o.id
    CROSS JOIN LATERAL name_grams(n.name) AS g
    WHERE o.name IS DISTINCT FROM n.name OR o.region_code IS DISTINCT FROM n.region_code;
    INSERT INTO worker_tallies (region_code, workers, dependants)
    SELECT region_code, SUM(w), SUM(d) FROM (
        SELECT o.region_code, -1 AS w, -(SELECT COUNT(*) FROM dependants x WHERE x.worker_id = o.id) AS d
        FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.region_code <> n.region_code
        UNION ALL
        SELECT n.region_code, 1, (SELECT COUNT(*) FROM dependants x WHERE x.worker_id = n.id)
        FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.region_code <> n.region_code
    ) AS moved GROUP BY region_code;
    RETURN NULL;
END;
$$;
CREATE TRIGGER workers_after_update AFTER UPDATE ON workers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION workers_after_update();

CREATE FUNCTION dependants_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO worker_tallies (region_code, workers, dependants)
    SELECT w.region_code, 0, COUNT(*) FROM new_rows n JOIN workers w ON w.id = n.worker_id GROUP BY w.region_code;
    RETURN NULL;
END;
$$;
CREATE TRIGGER dependants_after_insert AFTER INSERT ON dependants
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dependants_after_insert();

CREATE FUNCTION dependants_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO worker_tallies (region_code, workers, dependants)
    SELECT w.region_code, 0, -COUNT(*) FROM old_rows o JOIN workers w ON w.id = o.worker_id GROUP BY w.region_code;
    RETURN NULL;
END;
$$;
CREATE TRIGGER dependants_after_delete AFTER DELETE ON dependants
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION dependants_after_delete();

CREATE FUNCTION dependants_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO worker_tallies (region_code, workers, dependants)
    SELECT region_code, 0, SUM(d) FROM (
        SELECT w.region_code, -1 AS d FROM old_rows o JOIN new_rows n ON n.id = o.id
        JOIN workers w ON w.id = o.worker_id WHERE o.worker_id <> n.worker_id
        UNION ALL
        SELECT w.region_code, 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
        JOIN workers w ON w.id = n.worker_id WHERE o.worker_id <> n.worker_id
    ) AS moved GROUP BY region_code;
    RETURN NULL;
END;
$$;
CREATE TRIGGER dependants_after_update AFTER UPDATE ON dependants
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION dependants_after_update();

-- Entries of the audit trail per day of China Standard Time (UTC+8), and
-- how many of them record a failure. The trail is written under its chain's
-- lock, so one row per day is never contended.
CREATE TABLE audit_days (
    day      BIGINT PRIMARY KEY,                -- days since 1970-01-01, UTC+8
    entries  BIGINT NOT NULL,
    failures BIGINT NOT NULL
);
INSERT INTO audit_days (day, entries, failures)
SELECT (at_micros / 1000000 + 28800) / 86400, COUNT(*), SUM(CASE WHEN success THEN 0 ELSE 1 END)
FROM audit_log GROUP BY 1;

CREATE FUNCTION audit_log_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_days (day, entries, failures)
    SELECT (at_micros / 1000000 + 28800) / 86400, COUNT(*), SUM(CASE WHEN success THEN 0 ELSE 1 END)
    FROM new_rows GROUP BY 1
    ON CONFLICT (day) DO UPDATE SET entries = audit_days.entries + excluded.entries,
        failures = audit_days.failures + excluded.failures;
    RETURN NULL;
END;
$$;
CREATE TRIGGER audit_log_after_insert AFTER INSERT ON audit_log
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit_log_after_insert();
