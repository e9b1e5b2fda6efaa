//! The one table of error codes a caller may see, each with what it means.
//!
//! The UI branches on these strings and sync stores them, so they are stable: a code is
//! added here, never renamed. Engine errors (`AccessError::code` and the like) name their
//! code as text; `ErrorCode::parse` turns it into an entry of this table, and the test at
//! the bottom reads every engine `fn code` in `src/` so a new engine code cannot be missed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($($variant:ident = $code:literal : $meaning:literal,)*) => {
        /// A stable, snake_case error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $(#[doc = $meaning] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// One line on what the code means, for the reference and the schema.
            pub fn meaning(self) -> &'static str {
                match self { $(ErrorCode::$variant => $meaning,)* }
            }

            /// The table entry for an engine error's code, if there is one.
            pub fn parse(code: &str) -> Option<ErrorCode> {
                match code { $($code => Some(ErrorCode::$variant),)* _ => None }
            }
        }
    };
}

error_codes! {
    InvalidInput = "invalid_input": "The request does not fit the command's shape or a field fails validation; the message names the field.",
    InvalidCode = "invalid_code": "A clinical code (ICD-10, LOINC, CVX) is not in the shipped code set; the message names the field.",
    MalformedJson = "malformed_json": "The request given to `chartkeep call` is not valid JSON.",
    UnknownCommand = "unknown_command": "No command has that name; see docs/api.md.",
    NotFound = "not_found": "The record, user or conflict named does not exist.",
    RecordImmutable = "record_immutable": "The record cannot be changed in its state (signed, or entered in error); amend it instead.",
    TooLarge = "too_large": "The content is larger than the chart keeps.",
    Forbidden = "forbidden": "The session's role may not do this.",
    WrongPassword = "wrong_password": "The user name or password is wrong.",
    AccountDisabled = "account_disabled": "The account is disabled.",
    SessionLocked = "session_locked": "The session locked after being idle, or its account was disabled; log in again.",
    AccessLogDamaged = "access_log_damaged": "The access log's hash chain is broken.",
    AccessLogGap = "access_log_gap": "A copied access log entry does not continue the copy held of its workstation's log; sync again.",
    AccessLogBrokenChain = "access_log_broken_chain": "A copied access log entry does not follow its workstation's previous entry: that log was rewritten or started anew.",
    AccessLogEntryAltered = "access_log_entry_altered": "A copied access log entry does not match its hash.",
    AccessLogBadSignature = "access_log_bad_signature": "A copied access log entry's signature is not valid.",
    AccessLogUnknownDevice = "access_log_unknown_device": "A copied access log entry comes from a workstation the ledger does not know yet; sync the ledger first.",
    AccessLogFork = "access_log_fork": "Two different access log entries claim the same workstation and seq: a rewritten or restarted log.",
    AccessLogEntryMalformed = "access_log_entry_malformed": "An access log entry received from a peer cannot be decoded.",
    StorageError = "storage_error": "The database failed; the message has the detail.",
    LedgerOutOfOrder = "ledger_out_of_order": "A commit arrived out of sequence for its device.",
    LedgerBrokenChain = "ledger_broken_chain": "A commit does not follow its device's previous commit.",
    LedgerBadSignature = "ledger_bad_signature": "A commit's signature is not valid.",
    LedgerMissingDependency = "ledger_missing_dependency": "A commit depends on a change this workstation lacks; sync again.",
    LedgerDamaged = "ledger_damaged": "A stored commit cannot be decoded.",
    LedgerFork = "ledger_fork": "Two different commits claim the same device and seq: a copied or rewritten workstation.",
    LedgerWrongPractice = "ledger_wrong_practice": "A commit belongs to another practice (or is an old-layout commit this workstation never held).",
    LedgerNotMember = "ledger_not_member": "A commit comes from a workstation that is not a member of the practice.",
    LedgerNotAdministrator = "ledger_not_administrator": "Adding or removing a workstation needs an administrator.",
    LedgerClockAhead = "ledger_clock_ahead": "A commit is dated more than a day ahead of this workstation's clock; fix the clock that is wrong.",
    HeaderAltered = "header_altered": "The key header's fields were edited; restore chartkeep.header from a backup.",
    RecoveryCodeNeeded = "recovery_code_needed": "Changing how the key is kept needs the recovery code.",
    DuplicateUserName = "duplicate_user_name": "Two accounts share the user name (made on two workstations apart); an administrator must rename one.",
    NoDeviceIdentity = "no_device_identity": "This workstation has no signing identity.",
    PracticeMissing = "practice_missing": "No practice exists in the data folder.",
    DeviceKeyMissing = "device_key_missing": "This workstation's signing key file is missing; put it back, or restore a backup (which makes a new workstation).",
    DatabaseWrongKeyOrDamaged = "database_wrong_key_or_damaged": "The database key is wrong or the file is damaged.",
    DatabaseDamaged = "database_damaged": "The database file is damaged.",
    DatabaseTooNew = "database_too_new": "The database was written by a newer Chartkeep.",
    PracticeExists = "practice_exists": "A practice already exists there.",
    FolderNotEmpty = "folder_not_empty": "The folder is not empty.",
    FileExists = "file_exists": "The file already exists.",
    MigrationFailed = "migration_failed": "A schema migration failed.",
    KeyNotInKeychain = "key_not_in_keychain": "The OS keychain holds no key for this practice.",
    KeychainKeyMismatch = "keychain_key_mismatch": "The keychain's key does not open this practice.",
    PassphraseNeeded = "passphrase_needed": "The practice is passphrase-wrapped; give the passphrase.",
    BackupDamaged = "backup_damaged": "The backup file is damaged.",
    IoError = "io_error": "A file could not be read or written.",
    Hl7NotAMessage = "hl7_not_a_message": "The text is not an HL7 v2 message (no readable MSH segment).",
    Hl7UnsupportedType = "hl7_unsupported_type": "The HL7 v2 message is of a type not accepted here (only ORU^R01).",
    Hl7UnsupportedVersion = "hl7_unsupported_version": "The HL7 v2 version (MSH-12) is not one read here (2.3 to 2.5.1).",
    Hl7UnsupportedProcessingId = "hl7_unsupported_processing_id": "The HL7 v2 message is a training message (MSH-11 T); it is never filed in a chart.",
    Hl7BadSegment = "hl7_bad_segment": "An HL7 v2 segment is missing or where the message structure does not allow it.",
    Hl7MissingField = "hl7_missing_field": "A required HL7 v2 field is empty.",
    Hl7BadField = "hl7_bad_field": "An HL7 v2 field's value cannot be read.",
    Hl7TooLarge = "hl7_too_large": "The HL7 v2 message or MLLP frame is over the size limit.",
    Hl7BadFrame = "hl7_bad_frame": "The MLLP framing is broken.",
    HeaderMissing = "header_missing": "The key header beside the database is missing.",
    HeaderDamaged = "header_damaged": "The key header is damaged.",
    HeaderTooNew = "header_too_new": "The key header was written by a newer Chartkeep.",
    HeaderExists = "header_exists": "A key header already exists.",
    HeaderIo = "header_io": "The key header could not be read or written.",
    KeychainUnavailable = "keychain_unavailable": "No OS keychain is reachable.",
    KeychainLocked = "keychain_locked": "The OS keychain is locked.",
    KeychainEntryDamaged = "keychain_entry_damaged": "The keychain entry is damaged.",
    KeychainFailed = "keychain_failed": "The OS keychain failed.",
    WrongSecret = "wrong_secret": "The recovery code or passphrase is wrong.",
    MalformedRecoveryCode = "malformed_recovery_code": "The recovery code is not in the printed form.",
    UnsupportedKdf = "unsupported_kdf": "The key header uses a key derivation this build lacks.",
    RandomFailed = "random_failed": "The system's random source failed.",
    CryptoFailed = "crypto_failed": "A cryptographic operation failed.",
    PracticeLocked = "practice_locked": "The practice in the folder is not unlocked yet (app.unlock).",
    PracticeOpen = "practice_open": "A practice is already open in this app.",
    NotLoggedIn = "not_logged_in": "Nobody is logged in on this workstation (app.login).",
    LoginThrottled = "login_throttled": "Too many failed logins in a row; the message says how long to wait.",
    SyncUnreachable = "sync_unreachable": "The peer's address did not answer; check that Chartkeep runs there and the address is right.",
    SyncConnection = "sync_connection": "A sync connection failed part-way; it is retried.",
    SyncTls = "sync_tls": "The secure connection failed: the peer is not a member, was removed, or is not the workstation expected.",
    SyncFrameTooLarge = "sync_frame_too_large": "A peer sent a frame over the size limit; the connection was closed.",
    SyncTooSlow = "sync_too_slow": "A peer was too slow to send a whole message; the connection was closed.",
    SyncMalformed = "sync_malformed": "A peer sent a message this workstation cannot read.",
    SyncProtocol = "sync_protocol": "The peer speaks another sync protocol version; update the older workstation.",
    SyncOtherPractice = "sync_other_practice": "The peer belongs to another practice.",
    SyncPeerMismatch = "sync_peer_mismatch": "The workstation reached is not the one that was paired.",
    PairingCodeWrong = "pairing_code_wrong": "The pairing code is wrong; three wrong tries spend it.",
    PairingNoInvite = "pairing_no_invite": "The member workstation has no pairing code open; make one there first.",
    PairingCodeExpired = "pairing_code_expired": "The pairing code expired (they last 10 minutes); make a new one.",
    CdsiSupportingData = "cdsi_supporting_data": "The shipped CDSi immunization data cannot be read; a damaged install to report.",
    CdsiAssessmentBeforeBirth = "cdsi_assessment_before_birth": "The immunization assessment date is before the patient's birth date.",
    CdsiDoseBeforeBirth = "cdsi_dose_before_birth": "An immunization is dated before the patient's birth date; correct the dose date.",
    AlertNeedsOverride = "alert_needs_override": "Saving would raise an interruptive medication safety alert that was not answered; show the alerts and give an override reason.",
    ValueSetsMissing = "value_sets_missing": "A quality measure needs value sets the practice has not imported; import its VSAC export (`chartkeep import valuesets DIR`).",
    InternalError = "internal_error": "An engine error without an entry in this table; a bug to report.",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn codes_round_trip_through_their_strings() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(*c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
            assert!(!c.meaning().is_empty());
        }
    }

    /// Every code an engine error names (`=> "…"` inside a `fn code`) is in the table, so
    /// none reaches a caller as `internal_error`.
    #[test]
    fn every_engine_error_code_is_in_the_table() {
        let mut missing = Vec::new();
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut dirs = vec![std::path::PathBuf::from(root)];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                for block in text.split("pub fn code(&self) -> &'static str {").skip(1) {
                    let body = block.split("\n    }\n").next().unwrap_or_default();
                    for part in body.split("=> \"").skip(1) {
                        let code = part.split('"').next().unwrap_or_default();
                        if ErrorCode::parse(code).is_none() {
                            missing.push(format!("{code} ({})", p.display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "codes not in the table: {missing:?}");
    }
}
