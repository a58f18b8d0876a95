-- SQLite compares names in code-point order already (BINARY); the name index
-- of 0002 serves prefix searches and ordering. Nothing to change.
SELECT 1;
