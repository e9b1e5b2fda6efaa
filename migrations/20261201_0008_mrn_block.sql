-- Each member workstation added from now on gets a number of its own, chosen by the
-- administrator's workstation in the signed change that adds it and never changed after,
-- so MRNs handed out on workstations that were apart do not collide
-- (src/chart/patient.rs `next_mrn`). NULL for the founding workstation (plain 7-digit
-- MRNs, as before) and for members added before this version.
-- Version 7 is kept free for the sync branch.
ALTER TABLE ledger_device ADD COLUMN mrn_block INTEGER;
