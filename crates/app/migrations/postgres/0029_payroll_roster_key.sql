-- A payroll line's project and worker are one roster line: payroll_lines
-- refers to project_roster (project, worker) instead of to projects and to
-- workers apart. The key says what the importer already held (a line for a
-- worker not on the project's roster is refused); a month's file is
-- checked against it with one look-up a line instead of two; a
-- registration merged into another carries its lines along (ON UPDATE
-- CASCADE); and removing a worker no longer reads every payroll line,
-- which are not indexed by worker (migration 0028).
--
-- A payroll file's staged lines are kept in the order the merge writes
-- them (project, month, worker), so the merge groups and inserts them as
-- it reads them instead of sorting the file first. The line stays in the
-- key: a file may pay one worker twice in a month.
ALTER TABLE payroll_lines DROP CONSTRAINT payroll_lines_project_id_fkey;
ALTER TABLE payroll_lines DROP CONSTRAINT payroll_lines_worker_id_fkey;
ALTER TABLE payroll_lines ADD CONSTRAINT payroll_lines_roster_fkey
    FOREIGN KEY (project_id, worker_id) REFERENCES project_roster(project_id, worker_id) ON UPDATE CASCADE;

ALTER TABLE import_stage_payroll DROP CONSTRAINT import_stage_payroll_pkey;
ALTER TABLE import_stage_payroll ADD PRIMARY KEY (batch_id, project_id, month, worker_id, line);
