-- A visit's kind as a code (issue 11): quality measures count a patient only when a
-- qualifying visit (office, annual wellness, preventive, home, telephone, virtual...)
-- falls in the period, and they recognise a visit by the code of its type, never by its
-- words. Until now a visit entered in Chartkeep had its kind in words only (`type`), so
-- it counted for no measure. `type_code` holds the code, `type_system` its system:
-- empty for SNOMED CT, or "CPT" / "HCPCS" for codes of a value set the practice imported.
ALTER TABLE encounter ADD COLUMN type_code TEXT;
ALTER TABLE encounter ADD COLUMN type_system TEXT;

-- A practice-wide measure reads every coded visit; this index holds exactly the columns
-- it reads, so the table is never visited and uncoded visits are never read.
CREATE INDEX encounter_by_type_code ON encounter(
    type_code, patient, start, "end", status, type_system, id
) WHERE retracted = 0 AND type_code IS NOT NULL;
