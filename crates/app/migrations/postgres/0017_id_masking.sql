-- A masked ID number must not be recoverable (docs/decisions/0003-id-masking.md).
-- Masks keep only the 6-digit address code; the full birth date leaves the
-- clear columns (workers: derived from the sealed ID number; dependants:
-- sealed by the program on its next start with the key); the birth year
-- stays for analysis.

-- Workers: birth year instead of the birth date, region-only masks.
ALTER TABLE workers ADD COLUMN birth_year INTEGER NOT NULL DEFAULT 0;
UPDATE workers SET birth_year = EXTRACT(YEAR FROM birth_date)::INTEGER,
                   id_masked = substr(id_masked, 1, 6) || '************';
ALTER TABLE workers DROP COLUMN birth_date;

-- Dependants: the birth date waits in a holding table until the program
-- seals it into birth_sealed (it needs the key, which the database has not).
ALTER TABLE dependants ADD COLUMN birth_year INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dependants ADD COLUMN birth_sealed BYTEA;
CREATE TABLE dependant_births_pending (
    dependant_id BIGINT PRIMARY KEY,
    birth_date   DATE NOT NULL
);
INSERT INTO dependant_births_pending (dependant_id, birth_date) SELECT id, birth_date FROM dependants;
UPDATE dependants SET birth_year = EXTRACT(YEAR FROM birth_date)::INTEGER,
                      id_masked = CASE WHEN id_masked = '' THEN '' ELSE substr(id_masked, 1, 6) || '************' END;
ALTER TABLE dependants DROP COLUMN birth_date;

-- Reporters of wage-arrears cases: region-only masks.
UPDATE cases SET reporter_id_masked = substr(reporter_id_masked, 1, 6) || '************'
    WHERE reporter_id_masked <> '';

-- Earlier versions kept in history (worker and family snapshots).
UPDATE history SET data = ((data::jsonb - 'birth_date')
                           || jsonb_build_object('birth_year', substr(data::jsonb ->> 'birth_date', 1, 4)::INTEGER))::TEXT
    WHERE data LIKE '%"birth_date"%' AND jsonb_typeof(data::jsonb -> 'birth_date') = 'string';
UPDATE history SET data = jsonb_set(data::jsonb, '{id_masked}',
                                    to_jsonb(substr(data::jsonb ->> 'id_masked', 1, 6) || '************'))::TEXT
    WHERE data LIKE '%"id_masked"%' AND jsonb_typeof(data::jsonb -> 'id_masked') = 'string'
      AND data::jsonb ->> 'id_masked' <> '';
