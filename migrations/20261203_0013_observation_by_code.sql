-- Practice-wide decision support and quality measures (issues 10 and 11).
--
-- A due list, a registry or a measure over every chart reads the results of a few codes
-- (blood pressure, HbA1c, lipids...) for every patient, never the rest of the row. Read
-- from the table, that is a scan of every result the practice holds (6.6 million rows and
-- 13 s on the 100,000-patient benchmark practice). This index holds, per code and patient
-- in date order, every column those readers use, so each code is one range of the index
-- and the table itself is never visited. Retracted results are never read by them, so
-- the index leaves them out.
CREATE INDEX observation_by_code ON observation(
    code, patient, effective, status, value_num, unit, value_code, value_text, category, id
) WHERE retracted = 0;
