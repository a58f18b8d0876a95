-- The public job board's text search (a part of the title or the
-- employer's name). Without an index every open vacancy was read to test
-- the text: 33 ms at 40,000 open vacancies, whatever else was asked.
-- Each distinct character and pair of adjacent characters of a vacancy's
-- title and employer name (`name_grams` of migration 0022), ASCII letters in
-- lower case as on SQLite (the search lowers its text the same way); a
-- search reads the vacancies holding all of its pairs (or its one
-- character) and then keeps those whose text holds it (`LIKE`, as before).
-- Kept by triggers, whichever writer (forms, imports, the demo).
CREATE TABLE vacancy_grams (
    gram       TEXT COLLATE "C" NOT NULL,
    vacancy_id BIGINT NOT NULL,
    PRIMARY KEY (gram, vacancy_id)
);

CREATE FUNCTION vacancy_grams_of(title TEXT, employer_name TEXT) RETURNS SETOF TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT DISTINCT translate(g, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
    FROM (SELECT name_grams(title) AS g UNION SELECT name_grams(employer_name)) AS grams
$$;

INSERT INTO vacancy_grams (gram, vacancy_id)
SELECT g, v.id FROM vacancies v CROSS JOIN LATERAL vacancy_grams_of(v.title, v.employer_name) AS g;

CREATE FUNCTION vacancies_grams_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO vacancy_grams (gram, vacancy_id)
    SELECT g, n.id FROM new_rows n CROSS JOIN LATERAL vacancy_grams_of(n.title, n.employer_name) AS g;
    RETURN NULL;
END;
$$;
CREATE TRIGGER vacancies_grams_after_insert AFTER INSERT ON vacancies
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION vacancies_grams_after_insert();

CREATE FUNCTION vacancies_grams_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM vacancy_grams WHERE (gram, vacancy_id) IN (
        SELECT g, o.id FROM old_rows o CROSS JOIN LATERAL vacancy_grams_of(o.title, o.employer_name) AS g);
    RETURN NULL;
END;
$$;
CREATE TRIGGER vacancies_grams_after_delete AFTER DELETE ON vacancies
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION vacancies_grams_after_delete();

CREATE FUNCTION vacancies_grams_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM vacancy_grams WHERE (gram, vacancy_id) IN (
        SELECT g, o.id FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL vacancy_grams_of(o.title, o.employer_name) AS g
        WHERE o.title <> n.title OR o.employer_name <> n.employer_name);
    INSERT INTO vacancy_grams (gram, vacancy_id)
    SELECT g, n.id FROM old_rows o JOIN new_rows n ON n.id = o.id
    CROSS JOIN LATERAL vacancy_grams_of(n.title, n.employer_name) AS g
    WHERE o.title <> n.title OR o.employer_name <> n.employer_name;
    RETURN NULL;
END;
$$;
CREATE TRIGGER vacancies_grams_after_update AFTER UPDATE ON vacancies
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION vacancies_grams_after_update();
