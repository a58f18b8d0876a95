-- 工会驿站: whether a station meets the standard and runs effectively
-- (达标并有效运行) is now a field of its own (`standard`), apart from its
-- construction status (新建 / 提升 / 原有), so that a new or an upgraded
-- station can also be one that meets it. A station recorded with the status
-- 达标 was an existing one meeting the standard. Stored values are JSON
-- objects with their keys in order and no spaces; `standard` sorts just
-- before `status`.
UPDATE facilities
   SET data = REPLACE(data, '"status":"达标"', '"standard":true,"status":"原有"')
 WHERE kind = 'station' AND data LIKE '%"status":"达标"%';
