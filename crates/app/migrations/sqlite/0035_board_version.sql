-- A number raised by every row written to `vacancies` (and by a renamed
-- region, whose name the board shows), in the writer's transaction, so that
-- a page of the public job board is reused until a vacancy changes,
-- whichever process wrote it (`registry::jobs::vacancies::board`). Kept
-- apart from `figure_version`, which imports raise row by row.
CREATE TABLE board_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO board_version (id, n) VALUES (1, 0);

CREATE TRIGGER vacancies_board_insert AFTER INSERT ON vacancies
BEGIN
    UPDATE board_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER vacancies_board_update AFTER UPDATE ON vacancies
BEGIN
    UPDATE board_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER vacancies_board_delete AFTER DELETE ON vacancies
BEGIN
    UPDATE board_version SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER regions_board_name AFTER UPDATE OF name ON regions
BEGIN
    UPDATE board_version SET n = n + 1 WHERE id = 1;
END;
