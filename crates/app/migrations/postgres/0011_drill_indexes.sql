-- The drill-down lists behind the board's figures filter one kind of record
-- on one field of its data (就近就业, 补贴性培训, 有落户意愿) over a period,
-- across the city. Without an index every candidate record is read and its
-- JSON parsed to test the field. These partial indexes hold the field, the
-- date, the place and the id of that kind only, so the count and the list's
-- pages are read from the index (the list's condition names the kind as a
-- literal so that it matches), and they give the planner the field's
-- statistics.
CREATE INDEX IF NOT EXISTS records_employment_form
    ON records ((data::jsonb ->> 'form'), period_date, region_code) INCLUDE (id) WHERE kind = 'employment';
CREATE INDEX IF NOT EXISTS records_training_subsidised
    ON records ((data::jsonb ->> 'subsidised'), period_date, region_code) INCLUDE (id) WHERE kind = 'training';
CREATE INDEX IF NOT EXISTS records_settlement_intention
    ON records ((data::jsonb ->> 'intention'), period_date, region_code) INCLUDE (id) WHERE kind = 'settlement';
