-- Signed notes are sealed: signing records a digest of the signed content, and the
-- per-field heads that a signature wrote are marked so that no later or concurrent edit
-- of that content can win (it stays beside the signed value as a conflict to review).
ALTER TABLE note ADD COLUMN signed_digest TEXT;
ALTER TABLE ledger_field_head ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;
