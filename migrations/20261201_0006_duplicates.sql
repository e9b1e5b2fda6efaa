-- Values that must be unique across the practice (a patient's MRN, a user's name) but
-- were given to two records on two workstations that were apart. Derived from the
-- projections by the ledger (rebuild refills it); a person settles each by changing one
-- of the values, and until then the value is not trusted (a duplicated user name cannot
-- log in).
CREATE TABLE ledger_duplicate (
    entity TEXT NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    row TEXT NOT NULL,
    PRIMARY KEY (entity, field, row)
) WITHOUT ROWID;
CREATE INDEX ledger_duplicate_value ON ledger_duplicate(entity, field, value);
CREATE TRIGGER ledger_duplicate_gate_insert BEFORE INSERT ON ledger_duplicate WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_duplicate_gate_update BEFORE UPDATE ON ledger_duplicate WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
CREATE TRIGGER ledger_duplicate_gate_delete BEFORE DELETE ON ledger_duplicate WHEN chartkeep_ledger_gate() = 0
BEGIN SELECT RAISE(ABORT, 'written only through the ledger'); END;
