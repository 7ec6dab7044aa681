-- The staff mail view's 已处理 (issue 4) lists every message a person dealt
-- with: recorded as needing nothing, and linked to a case from the view.
-- messages_unlinked holds only messages on no case, so a linked one left
-- the list; this index holds the handled ones, linked or not, so that
-- choosing and counting them still reads no message row.
CREATE INDEX messages_handled ON messages(handled_at) WHERE handled_at <> '';
