-- Entries from now on are signed by the workstation that wrote them (its ledger key),
-- over an encoding that tells an absent patient from an empty one and names the entry's
-- seq and device, so that a log can be replicated and verified on any workstation.
-- Layout 1 rows (before this migration) keep their plain hash chain.
ALTER TABLE access_log ADD COLUMN layout INTEGER NOT NULL DEFAULT 1;
ALTER TABLE access_log ADD COLUMN device BLOB;
ALTER TABLE access_log ADD COLUMN signature BLOB;
