-- Where the poller started on a mailbox (issue 4): at first contact with a
-- mailbox that already holds years of mail, gongkai takes only the unread
-- messages (imap-start = unseen) or only the mail that arrives from then on
-- (new), not the whole history. start_uid is the highest UID the mailbox had
-- then: above it every message is taken; at or below it only the unread
-- ones. 0 = the whole mailbox (imap-start = all, and cursors written before).
ALTER TABLE imap_state ADD COLUMN start_uid INTEGER NOT NULL DEFAULT 0;
