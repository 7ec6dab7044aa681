-- The extension granted (Art. 33: up to 20 working days; the approver may
-- grant fewer), for the 延期答复告知书. 0 on cases extended before it was
-- recorded: the letter then says 20, as it did.
ALTER TABLE cases ADD COLUMN extension_days INTEGER NOT NULL DEFAULT 0;
