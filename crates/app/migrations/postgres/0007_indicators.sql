-- The figures of computed targets, kept current with the records (see
-- docs/decisions/0002-indicators.md). Every region from the record's place up
-- to the city has its own cells, so a county's figure is read, not summed.

-- Counts and sums: per target, part (0 value / numerator, 1 denominator),
-- source of the tally, region and day.
CREATE TABLE indicator_cells (
    target  TEXT NOT NULL,
    part    BIGINT NOT NULL,
    source  BIGINT NOT NULL,
    region  BIGINT NOT NULL,
    day     DATE NOT NULL,
    value   BIGINT NOT NULL,
    PRIMARY KEY (target, part, source, region, day)
);

-- Distinct workers: the first day each worker counts in each region; the
-- cells of such a tally count workers by that day.
CREATE TABLE indicator_members (
    target  TEXT NOT NULL,
    part    BIGINT NOT NULL,
    region  BIGINT NOT NULL,
    worker  BIGINT NOT NULL,
    day     DATE NOT NULL,
    PRIMARY KEY (target, part, region, worker)
);
CREATE INDEX indicator_members_worker ON indicator_members (worker);
