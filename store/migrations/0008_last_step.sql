-- When the last step of a case's procedure was recorded (caseflow.Apply,
-- an assignment excepted): a decision on the answer or its deadline cannot
-- be dated before it. updated_at, which it replaces for that check, also
-- moves on a reassignment or a corrected field. Existing cases start from
-- updated_at, the stricter value the check used until now.
ALTER TABLE cases ADD COLUMN last_step_at TEXT NOT NULL DEFAULT '';
UPDATE cases SET last_step_at = updated_at;
