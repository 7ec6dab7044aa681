-- De-duplication looks a message up by Message-ID and SHA-256. Messages
-- with a Message-ID are found through messages_msgid (the SHA-256 is then
-- compared in the row); only those without one need an index on the hash.
-- One index entry fewer per message taken in: each was a write to a random
-- page of the index (issue 4).
DROP INDEX messages_sha;
CREATE INDEX messages_sha_noid ON messages(sha256) WHERE message_id = '';
