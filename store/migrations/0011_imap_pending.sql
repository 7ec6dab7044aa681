-- The UIDs of the messages the IMAP poller stored whose flagging (\Seen) or
-- moving the server has not yet confirmed, written in the transaction that
-- stores them (issue 4). A stop between the commit and the server's answer
-- leaves them for the catch-up of the next session, which marks exactly
-- these: never a message gongkai did not store. "a:b,c" ranges; '' = none.
ALTER TABLE imap_state ADD COLUMN pending TEXT NOT NULL DEFAULT '';
