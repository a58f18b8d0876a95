-- Registry, part 1: migrant workers (农民工) and their families (随迁家属).
-- Personal information is sealed (SM4-GCM) with a blind index for exact search.

CREATE TABLE workers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    county_code  INTEGER NOT NULL,                 -- distribution key
    region_code  INTEGER NOT NULL REFERENCES regions(code),  -- current residence
    name         TEXT NOT NULL,
    id_sealed    BLOB NOT NULL,
    id_index     BLOB NOT NULL UNIQUE,
    id_masked    TEXT NOT NULL,
    birth_date   TEXT NOT NULL,
    sex          TEXT NOT NULL,
    origin_code  TEXT NOT NULL,                    -- address code of the ID number
    phone_sealed BLOB,
    phone_index  BLOB,
    phone_masked TEXT NOT NULL DEFAULT '',
    hukou_place  TEXT NOT NULL DEFAULT '',         -- 户籍地
    education    TEXT NOT NULL DEFAULT '',
    skills       TEXT NOT NULL DEFAULT '',
    tags         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX workers_region ON workers(region_code);
CREATE INDEX workers_name ON workers(name, region_code);
CREATE INDEX workers_phone ON workers(phone_index);

CREATE TABLE dependants (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    worker_id    INTEGER NOT NULL REFERENCES workers(id),
    county_code  INTEGER NOT NULL,
    relation     TEXT NOT NULL,                    -- 配偶 | 子女 | 父母
    name_sealed  BLOB NOT NULL,
    name_masked  TEXT NOT NULL,
    id_sealed    BLOB,
    id_index     BLOB,
    id_masked    TEXT NOT NULL DEFAULT '',
    birth_date   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX dependants_worker ON dependants(worker_id);
CREATE UNIQUE INDEX dependants_id ON dependants(id_index) WHERE id_index IS NOT NULL;
