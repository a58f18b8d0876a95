-- Statistics of wage-arrears cases (案件统计, 欠薪清零, plan targets over
-- cases) group the cases received in a period by county, sector, source and
-- status, and read their end dates, deadlines, amounts and workers. This
-- index holds every column those queries read, so they can be answered by
-- index-only scans, a period of receipt being one range of it. See
-- docs/cases.md ("Statistics").
CREATE INDEX IF NOT EXISTS cases_stats
    ON cases (received_on, region_code)
    INCLUDE (county_code, sector, source, status, closed_on, accept_due, handle_due, due_on, amount_claimed_fen,
             amount_recovered_fen, workers, workers_paid);
