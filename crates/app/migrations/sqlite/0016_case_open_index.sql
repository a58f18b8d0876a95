-- The open cases (a time limit runs) by the case list's filter columns: the
-- list counts the open, overdue and near-due cases of its filter from this
-- index alone (about a quarter of the cases), whatever the filter.
CREATE INDEX cases_open ON cases(region_code, status, sector, source, due_on, number, employer_credit_code, employer_name)
    WHERE due_on IS NOT NULL;
