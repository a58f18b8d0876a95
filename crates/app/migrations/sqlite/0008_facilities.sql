-- Facility registries (设施台账): 工会驿站, 返乡创业示范园, 家政企业,
-- 家政劳务输出示范基地, 保障性租赁住房项目. Earlier versions go to `history`
-- with object_kind 'facility' (worker_id 0).

CREATE TABLE facilities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,                     -- station | park | housekeeping | housekeeping_base | rental_housing
    county_code INTEGER NOT NULL,                  -- distribution key
    region_code INTEGER NOT NULL REFERENCES regions(code),
    name        TEXT NOT NULL,                     -- the name field, for search and order
    natural_key TEXT NOT NULL,
    data        TEXT NOT NULL,                     -- JSON object of the kind's fields
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX facilities_key ON facilities(kind, natural_key);
CREATE INDEX facilities_kind ON facilities(kind, region_code);
CREATE INDEX history_object ON history(object_kind, object_id);
