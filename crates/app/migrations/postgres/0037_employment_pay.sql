-- The pay of each employment record, apart from its data: wage (fen),
-- occupation (major group name) and industry section, as the wage guide
-- (工资指导价位) reads them. The guide of a year reads two years of
-- employment records; reading their whole data, scattered over the file,
-- took 8 of the 10 s at 1,000,000 records. Kept by triggers on `records`
-- (whichever writer: forms, imports, the API, the demo), removed with the
-- record. A record counts when its wage is a positive whole number; an
-- occupation or industry that is not text counts as ''.
CREATE TABLE employment_pay (
    record_id   BIGINT PRIMARY KEY REFERENCES records(id) ON DELETE CASCADE,
    period_date DATE NOT NULL,
    wage_fen    BIGINT NOT NULL,
    occupation  TEXT NOT NULL,
    industry    TEXT NOT NULL
);
CREATE INDEX employment_pay_period ON employment_pay(period_date);

-- A record's pay from its data (the one definition of it on PostgreSQL);
-- no wage unless it is a whole number.
CREATE FUNCTION employment_pay_fields(data TEXT, OUT wage_fen BIGINT, OUT occupation TEXT, OUT industry TEXT)
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(d -> 'wage') = 'number' AND (d ->> 'wage') ~ '^[0-9]{1,18}$'
                THEN CAST(d ->> 'wage' AS BIGINT) END,
           CASE WHEN jsonb_typeof(d -> 'occupation') = 'string' THEN d ->> 'occupation' ELSE '' END,
           CASE WHEN jsonb_typeof(d -> 'industry') = 'string' THEN d ->> 'industry' ELSE '' END
    FROM (SELECT CAST(data AS jsonb) AS d) AS j
$$;

INSERT INTO employment_pay (record_id, period_date, wage_fen, occupation, industry)
SELECT r.id, r.period_date, f.wage_fen, f.occupation, f.industry
FROM records r CROSS JOIN LATERAL employment_pay_fields(r.data) AS f
WHERE r.kind = 'employment' AND f.wage_fen > 0;

CREATE FUNCTION records_pay_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO employment_pay (record_id, period_date, wage_fen, occupation, industry)
    SELECT n.id, n.period_date, f.wage_fen, f.occupation, f.industry
    FROM new_rows n CROSS JOIN LATERAL employment_pay_fields(n.data) AS f
    WHERE n.kind = 'employment' AND f.wage_fen > 0;
    RETURN NULL;
END;
$$;
CREATE TRIGGER records_pay_after_insert AFTER INSERT ON records
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION records_pay_after_insert();

CREATE FUNCTION records_pay_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM employment_pay WHERE record_id IN (
        SELECT o.id FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE o.kind <> n.kind OR o.period_date <> n.period_date OR o.data <> n.data);
    INSERT INTO employment_pay (record_id, period_date, wage_fen, occupation, industry)
    SELECT n.id, n.period_date, f.wage_fen, f.occupation, f.industry
    FROM old_rows o JOIN new_rows n ON n.id = o.id CROSS JOIN LATERAL employment_pay_fields(n.data) AS f
    WHERE (o.kind <> n.kind OR o.period_date <> n.period_date OR o.data <> n.data)
      AND n.kind = 'employment' AND f.wage_fen > 0;
    RETURN NULL;
END;
$$;
CREATE TRIGGER records_pay_after_update AFTER UPDATE ON records
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION records_pay_after_update();
