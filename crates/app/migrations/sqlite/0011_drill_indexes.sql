-- The drill-down lists behind the board's figures filter one kind of record
-- on one field of its data (就近就业, 补贴性培训, 有落户意愿) over a period,
-- across the city. Without an index every candidate record is read to test
-- the field: counting a list's first 10,000 took about 100 ms at 5,000,000
-- records. These partial indexes hold the field, the date and the place of
-- that kind only, so the count and the list's pages are read from the index
-- (the list's condition names the kind as a literal so that it matches).
CREATE INDEX IF NOT EXISTS records_employment_form
    ON records (json_extract(data, '$.form'), period_date, region_code) WHERE kind = 'employment';
CREATE INDEX IF NOT EXISTS records_training_subsidised
    ON records (json_extract(data, '$.subsidised'), period_date, region_code) WHERE kind = 'training';
CREATE INDEX IF NOT EXISTS records_settlement_intention
    ON records (json_extract(data, '$.intention'), period_date, region_code) WHERE kind = 'settlement';
