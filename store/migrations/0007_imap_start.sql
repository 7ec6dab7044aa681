-- Where the poller started on a mailbox (issue 4): at first contact with a
-- mailbox that already holds years of mail, gongkai takes only the unread
-- messages (imap-start = unseen) or only the mail that arrives from then on
-- (new), not the whole history. start_uid is the highest UID the mailbox had
-- then: above it every message is taken; at or below it only the unread
-- ones. 0 = the whole mailbox (imap-start = all, and cursors written before).
ALTER TABLE imap_state ADD COLUMN start_uid INTEGER NOT NULL DEFAULT 0;
-- marked_uid: the stored messages up to it are flagged \Seen or moved, as
-- the server confirmed. A stop between a batch's commit and that answer
-- leaves (marked_uid, last_uid] to the catch-up of the next session. 0 (the
-- cursors written before) = the whole range, as the catch-up was.
ALTER TABLE imap_state ADD COLUMN marked_uid INTEGER NOT NULL DEFAULT 0;
