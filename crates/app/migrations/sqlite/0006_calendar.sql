-- The holiday calendar (节假日安排): statutory days off and make-up working
-- days, one row per listed date, as `Calendar::from_csv` reads them.

CREATE TABLE holidays (
    date             TEXT PRIMARY KEY,        -- YYYY-MM-DD
    kind             TEXT NOT NULL,           -- holiday | workday
    festival         TEXT NOT NULL,
    arrangement_year INTEGER NOT NULL,        -- the year of the notice
    in_lieu          INTEGER NOT NULL DEFAULT 0,
    loaded_at        TEXT NOT NULL,
    loaded_by        TEXT NOT NULL
);
CREATE INDEX holidays_year ON holidays(arrangement_year);
