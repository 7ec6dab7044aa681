-- Repeat detection (classifier) looks earlier cases up by applicant name as
-- well as by ID number; without this index it scanned the newest cases only.
CREATE INDEX cases_name ON cases(name) WHERE name <> '';
