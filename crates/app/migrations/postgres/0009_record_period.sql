-- Record lists are ordered by date, newest first: walking this index in
-- order finds the first page without sorting every record of the kind
-- (a drill-down over a city's 2023 trainings: 54 ms -> 1 ms at 400,000
-- records).
CREATE INDEX records_kind_period ON records(kind, period_date);
