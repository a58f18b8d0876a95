-- Where each job seeker is near a workplace, by wanted group: the townships
-- where a vacancy is 同乡镇 and the counties where it is at least 同区县
-- (`shiminhua_core::jobs::matching::reach`), one row per seeker, major
-- group, middle group ('' for a wish of a major group only) and region.
-- Matching for a vacancy reads its candidates nearest first from here
-- (`registry::jobs::matching`) instead of every seeker of the group.
-- Written with the seeker's wishes (`seekers::write_occupations`).
CREATE TABLE job_seeker_reach (
    seeker_id   BIGINT NOT NULL REFERENCES job_seekers(id) ON DELETE CASCADE,
    major       BIGINT NOT NULL,
    middle      TEXT NOT NULL,
    region_code BIGINT NOT NULL,
    PRIMARY KEY (seeker_id, major, middle, region_code)
);
CREATE INDEX job_seeker_reach_middle ON job_seeker_reach(middle, region_code, seeker_id);
CREATE INDEX job_seeker_reach_major ON job_seeker_reach(major, region_code, seeker_id);

-- The seekers already on file: the same rules in SQL (places are codes,
-- comma separated; a township's code ends in 000, a county's in 000000).
WITH wanted AS (
    SELECT s.id AS seeker_id, CAST(u.p AS BIGINT) AS p
    FROM job_seekers s, unnest(string_to_array(NULLIF(s.places, ''), ',')) AS u(p)
), towns AS (
    SELECT seeker_id, p - p % 1000 AS r FROM wanted WHERE p % 1000000 <> 0
), near AS (
    SELECT seeker_id, r FROM towns
    UNION
    SELECT id, region_code - region_code % 1000 FROM job_seekers
    WHERE region_code % 1000000 <> 0 AND id NOT IN (SELECT seeker_id FROM towns)
    UNION
    SELECT seeker_id, p - p % 1000000 FROM wanted
    UNION
    SELECT id, region_code - region_code % 1000000 FROM job_seekers WHERE region_code <> 0
)
INSERT INTO job_seeker_reach (seeker_id, major, middle, region_code)
SELECT DISTINCT n.seeker_id, o.major, o.middle, n.r
FROM near n JOIN job_seeker_occupations o ON o.seeker_id = n.seeker_id;
