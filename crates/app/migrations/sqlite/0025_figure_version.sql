-- A number raised by every row written to the tables the plan's board is
-- computed from, in the writer's transaction, so that a computed board is
-- reused until one of them changes, whichever process wrote it
-- (`plan::memo`).
CREATE TABLE figure_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO figure_version (id, n) VALUES (1, 0);

CREATE TRIGGER indicator_cells_figures_insert AFTER INSERT ON indicator_cells
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER indicator_cells_figures_update AFTER UPDATE ON indicator_cells
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER indicator_cells_figures_delete AFTER DELETE ON indicator_cells
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER cases_figures_insert AFTER INSERT ON cases
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER cases_figures_update AFTER UPDATE ON cases
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER cases_figures_delete AFTER DELETE ON cases
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER facilities_figures_insert AFTER INSERT ON facilities
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER facilities_figures_update AFTER UPDATE ON facilities
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER facilities_figures_delete AFTER DELETE ON facilities
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER regions_figures_insert AFTER INSERT ON regions
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER regions_figures_update AFTER UPDATE ON regions
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER regions_figures_delete AFTER DELETE ON regions
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER reports_figures_insert AFTER INSERT ON reports
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER reports_figures_update AFTER UPDATE ON reports
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER reports_figures_delete AFTER DELETE ON reports
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER report_figures_figures_insert AFTER INSERT ON report_figures
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER report_figures_figures_update AFTER UPDATE ON report_figures
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER report_figures_figures_delete AFTER DELETE ON report_figures
BEGIN
    UPDATE figure_version SET n = n + 1 WHERE id = 1;
END;
