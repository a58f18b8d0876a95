-- Recruitment events (招聘活动): 春风行动, "2+N", 接您回家, 工会送岗位,
-- 就业援助月, 民营企业招聘月 and others, with the vacancies offered there
-- and their figures. See docs/jobs.md.
CREATE TABLE job_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    series       TEXT NOT NULL,                    -- spring | two_plus_n | home | union | aid | private | other
    organiser    TEXT NOT NULL,                    -- 主办单位
    county_code  INTEGER NOT NULL,                 -- distribution key
    region_code  INTEGER NOT NULL REFERENCES regions(code),
    venue        TEXT NOT NULL DEFAULT '',
    online       INTEGER NOT NULL DEFAULT 0,
    held_on      TEXT NOT NULL,
    visitors     INTEGER,                          -- 参与人次
    intents      INTEGER,                          -- 达成就业意向人数
    hires        INTEGER,                          -- 现场录用（签约）人数
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX job_events_held ON job_events(held_on, region_code);

-- The vacancies offered at an event (their employers take part).
CREATE TABLE job_event_vacancies (
    event_id    INTEGER NOT NULL REFERENCES job_events(id) ON DELETE CASCADE,
    vacancy_id  INTEGER NOT NULL REFERENCES vacancies(id),
    PRIMARY KEY (event_id, vacancy_id)
);
CREATE INDEX job_event_vacancies_vacancy ON job_event_vacancies(vacancy_id);
