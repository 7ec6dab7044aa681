-- The staff mail view (issue 4): a message on no case — spam held for a
-- person, mail that could not be parsed, a consultation or complaint, a
-- reply that matched no case — waits there until someone handles it: links
-- it to a case, or records why nothing is to be done (who, when, why).
ALTER TABLE messages ADD COLUMN handled_by TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN handled_at TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN handled_note TEXT NOT NULL DEFAULT '';
-- Only messages on no case are in it (requests filed as cases never are),
-- and it holds every column the view filters on (the id comes with each
-- entry), so that listing and counting never read a row, whose raw bytes
-- come before these columns.
CREATE INDEX messages_unlinked ON messages(handled_at, kind, case_id) WHERE case_id IS NULL;
