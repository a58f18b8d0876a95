-- The pay of each employment record, apart from its data: wage (fen),
-- occupation (major group name) and industry section, as the wage guide
-- (工资指导价位) reads them. The guide of a year reads two years of
-- employment records; reading their whole data, scattered over the file,
-- took 8 of the 10 s at 1,000,000 records. Kept by triggers on `records`
-- (whichever writer: forms, imports, the API, the demo), removed with the
-- record. A record counts when its wage is a positive whole number; an
-- occupation or industry that is not text counts as ''.
CREATE TABLE employment_pay (
    record_id   INTEGER PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,
    period_date TEXT NOT NULL,
    wage_fen    INTEGER NOT NULL,
    occupation  TEXT NOT NULL,
    industry    TEXT NOT NULL
);
-- The guide's two years are read from this index alone, in date order.
CREATE INDEX employment_pay_period ON employment_pay(period_date, wage_fen, occupation, industry);

-- What a record's row is (the one definition of it on SQLite).
CREATE VIEW employment_pay_of_records AS
SELECT id AS record_id,
       period_date,
       json_extract(data, '$.wage') AS wage_fen,
       CASE WHEN json_type(data, '$.occupation') = 'text' THEN json_extract(data, '$.occupation') ELSE '' END
           AS occupation,
       CASE WHEN json_type(data, '$.industry') = 'text' THEN json_extract(data, '$.industry') ELSE '' END
           AS industry
FROM records
WHERE kind = 'employment' AND json_type(data, '$.wage') = 'integer' AND json_extract(data, '$.wage') > 0;

INSERT INTO employment_pay (record_id, period_date, wage_fen, occupation, industry)
SELECT record_id, period_date, wage_fen, occupation, industry FROM employment_pay_of_records;

CREATE TRIGGER records_pay_insert AFTER INSERT ON records WHEN NEW.kind = 'employment'
BEGIN
    INSERT INTO employment_pay (record_id, period_date, wage_fen, occupation, industry)
    SELECT record_id, period_date, wage_fen, occupation, industry FROM employment_pay_of_records
    WHERE record_id = NEW.id;
END;

CREATE TRIGGER records_pay_update AFTER UPDATE OF kind, period_date, data ON records
BEGIN
    DELETE FROM employment_pay WHERE record_id = OLD.id;
    INSERT INTO employment_pay (record_id, period_date, wage_fen, occupation, industry)
    SELECT record_id, period_date, wage_fen, occupation, industry FROM employment_pay_of_records
    WHERE record_id = NEW.id;
END;
