-- The registers of the public employment service are sources of plan
-- targets (`[target.count] service = …`, `plan::service_tally`): a row
-- written to them raises the figure version like the facilities do
-- (`plan::memo`). A vacancy's county decides whether a referral crossed
-- counties, so moving a vacancy raises it too.

CREATE TRIGGER job_seekers_figures_insert AFTER INSERT ON job_seekers
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER job_seekers_figures_update AFTER UPDATE ON job_seekers
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER job_seekers_figures_delete AFTER DELETE ON job_seekers
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER referrals_figures_insert AFTER INSERT ON referrals
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER referrals_figures_update AFTER UPDATE ON referrals
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER referrals_figures_delete AFTER DELETE ON referrals
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER job_events_figures_insert AFTER INSERT ON job_events
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER job_events_figures_update AFTER UPDATE ON job_events
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER job_events_figures_delete AFTER DELETE ON job_events
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER job_event_vacancies_figures_insert AFTER INSERT ON job_event_vacancies
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER job_event_vacancies_figures_update AFTER UPDATE ON job_event_vacancies
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER job_event_vacancies_figures_delete AFTER DELETE ON job_event_vacancies
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER job_registrations_figures_insert AFTER INSERT ON job_registrations
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER job_registrations_figures_update AFTER UPDATE ON job_registrations
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER job_registrations_figures_delete AFTER DELETE ON job_registrations
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER vacancies_figures_county AFTER UPDATE OF county_code ON vacancies
WHEN OLD.county_code IS NOT NEW.county_code
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;
