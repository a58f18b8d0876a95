-- The reply to the reporter that a step of a wage-arrears case may carry,
-- shown on the public lookup (the step's note stays internal).
ALTER TABLE case_events ADD COLUMN public_reply TEXT NOT NULL DEFAULT '';
