-- Names in code-point order ("C"), so that one index serves both a name
-- prefix search (LIKE '王%') and the list ordered by name, as on SQLite.
DROP INDEX workers_name;
CREATE INDEX workers_name ON workers ((name COLLATE "C"), region_code);
