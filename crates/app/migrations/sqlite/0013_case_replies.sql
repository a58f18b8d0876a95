-- Wage-arrears cases: the reply to the reporter that a step may carry,
-- shown on the public lookup (the step's note stays internal); and the
-- running time limit as "so many working days from a day", so that a due
-- date set while the next year's holiday arrangement was not loaded yet
-- (provisional: that year taken as ordinary) is computed again when it is.
-- Lists read cases in due-date order and count them by due date and place
-- from one index; they count the cases of a filter (place, status, sector,
-- source, search in number, employer and credit code) from another, which
-- takes the place of the index by place alone.
ALTER TABLE case_events ADD COLUMN public_reply TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN due_from TEXT;
ALTER TABLE cases ADD COLUMN due_days INTEGER;
ALTER TABLE cases ADD COLUMN due_provisional INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cases_provisional ON cases(due_provisional) WHERE due_provisional = 1;
DROP INDEX cases_due;
CREATE INDEX cases_due_region ON cases(due_on, region_code);
DROP INDEX cases_region;
CREATE INDEX cases_list ON cases(region_code, status, sector, source, due_on, number, employer_credit_code, employer_name);
