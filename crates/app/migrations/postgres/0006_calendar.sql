-- The holiday calendar (节假日安排): statutory days off and make-up working
-- days, one row per listed date, as `Calendar::from_csv` reads them.

CREATE TABLE holidays (
    date             DATE PRIMARY KEY,
    kind             TEXT NOT NULL,           -- holiday | workday
    festival         TEXT NOT NULL,
    arrangement_year INTEGER NOT NULL,        -- the year of the notice
    in_lieu          BOOLEAN NOT NULL DEFAULT FALSE,
    loaded_at        TIMESTAMPTZ NOT NULL,
    loaded_by        TEXT NOT NULL
);
CREATE INDEX holidays_year ON holidays(arrangement_year);
