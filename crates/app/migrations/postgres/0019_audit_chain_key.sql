-- The audit chain keyed with HMAC-SM3: the id of the key each row is chained
-- under (NULL for rows written before, chained with plain SM3; the first keyed
-- row covers their head). Reads of personal data are audited too, and "who
-- looked at this person" is a lookup by object.
ALTER TABLE audit_log ADD COLUMN key_id TEXT;
CREATE INDEX audit_log_object ON audit_log(object_kind, object_id, id);
