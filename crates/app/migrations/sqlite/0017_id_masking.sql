-- A masked ID number must not be recoverable (docs/decisions/0003-id-masking.md).
-- Masks keep only the 6-digit address code; the full birth date leaves the
-- clear columns (workers: derived from the sealed ID number; dependants:
-- sealed by the program on its next start with the key); the birth year
-- stays for analysis.

-- Workers: birth year instead of the birth date, region-only masks.
ALTER TABLE workers ADD COLUMN birth_year INTEGER NOT NULL DEFAULT 0;
UPDATE workers SET birth_year = CAST(substr(birth_date, 1, 4) AS INTEGER),
                   id_masked = substr(id_masked, 1, 6) || '************';
ALTER TABLE workers DROP COLUMN birth_date;

-- Dependants: the birth date waits in a holding table until the program
-- seals it into birth_sealed (it needs the key, which the database has not).
ALTER TABLE dependants ADD COLUMN birth_year INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dependants ADD COLUMN birth_sealed BLOB;
CREATE TABLE dependant_births_pending (
    dependant_id INTEGER PRIMARY KEY,
    birth_date   TEXT NOT NULL
);
INSERT INTO dependant_births_pending (dependant_id, birth_date) SELECT id, birth_date FROM dependants;
UPDATE dependants SET birth_year = CAST(substr(birth_date, 1, 4) AS INTEGER),
                      id_masked = CASE WHEN id_masked = '' THEN '' ELSE substr(id_masked, 1, 6) || '************' END;
ALTER TABLE dependants DROP COLUMN birth_date;

-- Reporters of wage-arrears cases: region-only masks.
UPDATE cases SET reporter_id_masked = substr(reporter_id_masked, 1, 6) || '************'
    WHERE reporter_id_masked <> '';

-- Earlier versions kept in history (worker and family snapshots).
UPDATE history SET data = json_set(json_remove(data, '$.birth_date'), '$.birth_year',
                                   CAST(substr(json_extract(data, '$.birth_date'), 1, 4) AS INTEGER))
    WHERE json_valid(data) AND json_type(data, '$.birth_date') = 'text';
UPDATE history SET data = json_set(data, '$.id_masked', substr(json_extract(data, '$.id_masked'), 1, 6) || '************')
    WHERE json_valid(data) AND json_type(data, '$.id_masked') = 'text' AND json_extract(data, '$.id_masked') <> '';
