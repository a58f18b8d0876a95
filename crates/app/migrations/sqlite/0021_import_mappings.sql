-- Column mappings chosen when importing: for a unit (or, for a user without
-- one, the user) and an import kind, what a file column of a given header
-- (normalised) is read as: a field key, or '' for a column left out.
CREATE TABLE import_mappings (
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    header TEXT NOT NULL,
    field TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (owner, kind, header)
);
