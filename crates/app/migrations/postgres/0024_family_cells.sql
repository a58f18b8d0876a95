-- Targets that count the workers' family members (the settlement target's
-- 农业转移人口) are kept in the indicator cells from now on. Their cells are
-- computed from the records by the program once, at its next start
-- (`plan::indicators::rebuild_when_asked`), which removes this request.
INSERT INTO settings (key, value) VALUES ('indicators.rebuild', 'family_cells')
    ON CONFLICT (key) DO NOTHING;
