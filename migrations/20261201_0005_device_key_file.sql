-- The signing seed leaves the chart database: it lives sealed in chartkeep-device.key
-- beside it (src/vault/device_key.rs), so a copy of the database, a backup included,
-- cannot sign as this workstation. The workstation's identities stay here, oldest first:
-- a restored backup becomes a new workstation and adds a row.
DROP TRIGGER device_identity_no_update;
DROP TRIGGER device_identity_no_delete;
CREATE TABLE workstation_identity (
    ord INTEGER PRIMARY KEY,
    device BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    origin TEXT NOT NULL
);
INSERT INTO workstation_identity (device, created_at, origin)
    SELECT device, created_at, 'created' FROM device_identity;
DROP TABLE device_identity;
CREATE TRIGGER workstation_identity_no_update BEFORE UPDATE ON workstation_identity
BEGIN SELECT RAISE(ABORT, 'a workstation keeps its identities'); END;
CREATE TRIGGER workstation_identity_no_delete BEFORE DELETE ON workstation_identity
BEGIN SELECT RAISE(ABORT, 'a workstation keeps its identities'); END;

-- Only ever filled in a backup's copy of the database: the identity the restored
-- workstation will take (a fresh seed, made for that backup), vouched for by the
-- workstation that made the backup, which becomes a member with its first commit.
CREATE TABLE restore_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seed BLOB NOT NULL,
    vouched_by BLOB NOT NULL,
    vouch BLOB NOT NULL,
    made_at INTEGER NOT NULL
);

-- A member added by a vouch rather than by a member's commit: the vouching device's
-- public key and its signature over the new device's key.
ALTER TABLE ledger_device ADD COLUMN vouched_by BLOB;
ALTER TABLE ledger_device ADD COLUMN vouch BLOB;
