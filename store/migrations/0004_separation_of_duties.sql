-- Who requested a pending extension and who drafted an answer awaiting
-- approval: neither may approve it (caseflow.permit). Cases already
-- waiting take the actor from their history.
ALTER TABLE cases ADD COLUMN extension_by TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN drafted_by TEXT NOT NULL DEFAULT '';
UPDATE cases SET extension_by = COALESCE((SELECT actor FROM events
    WHERE events.case_id = cases.id AND kind = 'extension_requested' ORDER BY id DESC LIMIT 1), '')
  WHERE extension_pending = 1;
UPDATE cases SET drafted_by = COALESCE((SELECT actor FROM events
    WHERE events.case_id = cases.id AND kind = 'answer_drafted' ORDER BY id DESC LIMIT 1), '')
  WHERE status = 'drafted';
