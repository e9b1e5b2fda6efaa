//! The vault keeps charts safe: data survives, the wrong secret is refused plainly, damage
//! and missing files are reported with the path and the way out, a newer database is left
//! untouched, backups restore whole or not at all, key rotation survives a crash, and no
//! patient data reaches the disk or the logs in plaintext.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use chartkeep::vault::backup::{self, finish_interrupted_rekey};
use chartkeep::vault::db::{self, Access, Gate};
use chartkeep::vault::keychain::{KeyStore, KeychainError};
use chartkeep::vault::keys::DbKey;
use chartkeep::vault::{self, KeyPlan, Secret, VaultError};
use serde_json::json;

use common::*;

/// A valid-looking recovery code that belongs to no practice.
const OTHER_CODE: &str = "7KQ2-M9XD-A0B1-CDEF-GHJK-MNPQ-RSTV-WXYZ";

fn vault_err<T>(r: Result<T, VaultError>) -> VaultError {
    match r {
        Ok(_) => panic!("expected a vault error"),
        Err(e) => e,
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

#[test]
fn data_survives_close_and_reopen() {
    let t = tmp();
    let dir = t.path();
    let (mut practice, _code) = init(dir);
    let mut s = admin(&mut practice);
    let id = create_patient(&mut practice, &mut s, "Hollowell", "Maren");
    drop(practice);

    let mut practice = open(dir);
    let mut s = admin(&mut practice);
    let found = call(
        &mut practice,
        &mut s,
        "patient.search",
        json!({"query": "hollowell"}),
    );
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["id"], id.as_str());
    assert_eq!(found[0]["family"], "Hollowell");
    assert_eq!(found[0]["given"], json!(["Maren"]));
    assert_eq!(found[0]["birth_date"], "1980-02-03");
    let report = practice.verify().unwrap();
    assert!(report.ok(), "{report:?}");
}

#[test]
fn wrong_secrets_are_refused_and_the_recovery_code_sets_a_new_passphrase() {
    let t = tmp();
    let dir = t.path();
    let (mut practice, code) = init(dir);
    let mut s = admin(&mut practice);
    create_patient(&mut practice, &mut s, "Quillfeather", "Ada");
    drop(practice);

    let e = vault_err(vault::unlock(dir, Secret::Passphrase("a long passphrasf")));
    assert!(e.is_wrong_secret(), "{e:?}");
    assert_eq!(e.code(), "wrong_secret");

    let e = vault_err(vault::unlock(dir, Secret::RecoveryCode(OTHER_CODE)));
    assert!(e.is_wrong_secret(), "{e:?}");
    assert_eq!(e.code(), "wrong_secret");

    for typed in [
        "1234",
        "not a recovery code",
        "7KQ2-M9XD-A0B1-CDEF-GHJK-MNPQ-RSTV-WXYU",
    ] {
        let e = vault_err(vault::unlock(dir, Secret::RecoveryCode(typed)));
        assert_eq!(e.code(), "malformed_recovery_code", "{typed}: {e:?}");
        assert!(!e.is_wrong_secret(), "{typed}");
    }

    // The code as printed, and as a person might type it back.
    let typed = code.as_str().to_lowercase().replace('-', " ");
    let (key, _) =
        vault::unlock(dir, Secret::RecoveryCode(&typed)).expect("the recovery code opens");
    let rng = ring::rand::SystemRandom::new();
    let header = vault::store_key(
        dir,
        &key,
        KeyPlan::Passphrase("a brand new passphrase".into()),
        &rng,
    )
    .expect("store the key under a new passphrase");
    assert!(header.check_key(&key));

    let e = vault_err(vault::unlock(dir, Secret::Passphrase(PASSPHRASE)));
    assert!(
        e.is_wrong_secret(),
        "the old passphrase no longer opens: {e:?}"
    );
    let mut practice = try_open(dir, Secret::Passphrase("a brand new passphrase")).unwrap();
    let mut s = admin(&mut practice);
    assert_eq!(
        search_families(&mut practice, &mut s, "quillfeather"),
        ["Quillfeather"]
    );
    drop(practice);
    // The recovery code stays valid.
    vault::unlock(dir, Secret::RecoveryCode(code.as_str())).expect("the recovery code still opens");
}

/// Overwrites `len` bytes at `offset` with a fixed, non-zero pattern.
fn damage(path: &Path, offset: usize, len: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.len() >= offset + len,
        "{} is only {} bytes",
        path.display(),
        bytes.len()
    );
    for (i, b) in bytes[offset..offset + len].iter_mut().enumerate() {
        *b = 0xA5 ^ (i as u8);
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_damaged_database_is_reported_not_silently_used() {
    let t = tmp();
    let dir = t.path();
    let (mut practice, _) = init(dir);
    let mut s = admin(&mut practice);
    for i in 0..20 {
        create_patient(&mut practice, &mut s, &format!("Damaged{i}"), "Page");
    }
    drop(practice);
    let db_file = vault::db_path(dir);
    assert!(
        !dir.join("chartkeep.db-wal").exists(),
        "closing checkpoints the WAL"
    );
    let pristine = std::fs::read(&db_file).unwrap();
    let name = db_file.display().to_string();

    // A damaged first page: the file no longer opens, and the error says which file.
    damage(&db_file, 0, 4096);
    let (code, msg) = code_of(try_open(dir, Secret::Passphrase(PASSPHRASE)));
    assert_eq!(code, "database_wrong_key_or_damaged", "{msg}");
    assert!(msg.contains(&name) && msg.contains("restore"), "{msg}");
    assert!(!msg.contains("file is not a database"), "{msg}");
    std::fs::write(&db_file, &pristine).unwrap();

    // A damaged page in the middle.
    damage(&db_file, 8192, 4096);

    // Either opening refuses, naming the file, or verify reports the damaged page.
    match try_open(dir, Secret::Passphrase(PASSPHRASE)) {
        Err(e) => {
            let msg = e.to_string();
            eprintln!("opening the damaged database: {msg} ({})", e.code());
            assert!(
                msg.contains(&name),
                "the error names {name}: {msg} ({})",
                e.code()
            );
            assert!(msg.contains("restore"), "the error says what to do: {msg}");
        }
        Ok(mut practice) => match practice.verify() {
            Err(e) => {
                let msg = e.to_string();
                eprintln!("verify of the damaged database: {msg} ({})", e.code());
                assert!(
                    msg.contains(&name) || msg.contains("damaged") || msg.contains("malformed"),
                    "verify fails with a message that points at the damage: {msg} ({})",
                    e.code()
                );
            }
            Ok(report) => {
                eprintln!("verify report of the damaged database: {report:?}");
                assert!(!report.ok(), "a damaged page passes verify: {report:?}");
                assert!(
                    !report.cipher_integrity.is_empty(),
                    "SQLCipher's page check names the damage: {report:?}"
                );
            }
        },
    }
}

#[test]
fn missing_files_name_the_path_and_the_way_out() {
    let t = tmp();
    let dir = t.path();
    let (practice, _) = init(dir);
    drop(practice);
    let db_file = vault::db_path(dir);
    let header_file = vault::header::path_in(dir);
    let aside = dir.join("aside");

    // No database.
    std::fs::rename(&db_file, &aside).unwrap();
    let e = vault_err(vault::unlock(dir, Secret::Passphrase(PASSPHRASE)));
    assert_eq!(e.code(), "practice_missing", "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains(&db_file.display().to_string()), "{msg}");
    assert!(msg.contains("init") && msg.contains("restore"), "{msg}");
    std::fs::rename(&aside, &db_file).unwrap();

    // The key is right but the database went away between unlock and open.
    let (key, header) = vault::unlock(dir, Secret::Passphrase(PASSPHRASE)).unwrap();
    std::fs::rename(&db_file, &aside).unwrap();
    let (code, msg) = code_of(open_with(dir, key, header));
    assert_eq!(code, "practice_missing");
    assert!(msg.contains(&db_file.display().to_string()), "{msg}");
    assert!(
        !db_file.exists(),
        "opening never creates a new, empty database"
    );
    std::fs::rename(&aside, &db_file).unwrap();

    // No header.
    std::fs::rename(&header_file, &aside).unwrap();
    let e = vault_err(vault::unlock(dir, Secret::Passphrase(PASSPHRASE)));
    assert_eq!(e.code(), "header_missing", "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains(&header_file.display().to_string()), "{msg}");
    assert!(msg.contains("init") && msg.contains("restore"), "{msg}");
}

#[test]
fn init_never_overwrites_an_existing_practice() {
    let t = tmp();
    let dir = t.path();
    let (practice, _) = init(dir);
    drop(practice);
    let before = snapshot(dir);
    assert!(before.contains_key("chartkeep.db") && before.contains_key("chartkeep.header"));

    let again = chartkeep::practice::Practice::init(
        dir,
        KeyPlan::Passphrase("another passphrase".into()),
        chartkeep::practice::Admin {
            name: "other",
            password: "other-password-1",
        },
        clock(),
        ids(),
        &ring::rand::SystemRandom::new(),
    );
    let e = again.expect_err("a second init in the same folder");
    assert_eq!(e.code(), "practice_exists", "{e:?}");
    assert!(e.to_string().contains(&dir.display().to_string()), "{e}");
    assert_eq!(
        snapshot(dir),
        before,
        "the existing practice's files are unchanged"
    );

    // Half a practice (only the header, or only the database) is still a practice.
    for keep in ["chartkeep-access.db", "chartkeep.db", "chartkeep.header"] {
        let half = tmp();
        std::fs::write(half.path().join(keep), &before[keep]).unwrap();
        let e = vault::create_key(
            half.path(),
            "x",
            NOW,
            KeyPlan::Passphrase("p".repeat(12)),
            &ring::rand::SystemRandom::new(),
        )
        .err()
        .unwrap_or_else(|| panic!("init over a folder holding only {keep}"));
        assert_eq!(e.code(), "practice_exists");
        assert_eq!(
            snapshot(half.path()).len(),
            1,
            "nothing was added next to {keep}"
        );
    }
}

#[test]
fn a_database_from_a_newer_chartkeep_is_refused_and_left_untouched() {
    let t = tmp();
    let dir = t.path();
    let (practice, _) = init(dir);
    let key = practice.key().clone();
    let header = practice.header().clone();
    drop(practice);
    {
        let conn = db::open(
            &vault::db_path(dir),
            &key,
            Access::Write { create: false },
            &Gate::default(),
        )
        .unwrap();
        conn.execute(
            "INSERT INTO schema_migration VALUES (999, 'future', 'x')",
            [],
        )
        .unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let before = snapshot(dir);
    let db_sum = sha256(&before["chartkeep.db"]);

    let (code, msg) = code_of(open_with(dir, key.clone(), header.clone()));
    assert_eq!(code, "database_too_new", "{msg}");
    assert!(
        msg.contains("999") && msg.contains("update Chartkeep"),
        "{msg}"
    );
    let after = snapshot(dir);
    assert_eq!(
        sha256(&after["chartkeep.db"]),
        db_sum,
        "the database file is unchanged"
    );
    assert_eq!(after, before, "no file in the folder changed");

    // And again through the full unlock path.
    let (code, _) = code_of(try_open(dir, Secret::Passphrase(PASSPHRASE)));
    assert_eq!(code, "database_too_new");
    assert_eq!(snapshot(dir), before);

    // A newer Chartkeep might keep a rollback journal instead of a WAL: still untouched.
    {
        let conn = db::open(
            &vault::db_path(dir),
            &key,
            Access::Write { create: false },
            &Gate::default(),
        )
        .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
    }
    let before = snapshot(dir);
    let (code, msg) = code_of(open_with(dir, key, header));
    assert_eq!(code, "database_too_new", "{msg}");
    let after = snapshot(dir);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    assert!(
        after["chartkeep.db"] == before["chartkeep.db"],
        "the refused database was changed (journal mode switched to WAL before the version check?)"
    );
}

/// Read, unlock and restore a backup, as `chartkeep restore` does.
fn restore(file: &Path, code: &str, into: &Path) -> Result<(), VaultError> {
    let contents = backup::read_backup(file)?;
    let key = backup::unlock_backup(&contents, Some(code), None)?;
    backup::restore_into(&contents, &key, into)
}

#[test]
fn backup_and_restore_whole_or_not_at_all() {
    let t = tmp();
    let dir = t.path().join("practice");
    let (mut practice, code) = init(&dir);
    let mut s = admin(&mut practice);
    let mut ids = BTreeMap::new();
    for family in ["Ashgrove", "Brindlecombe"] {
        ids.insert(
            family,
            create_patient(&mut practice, &mut s, family, "Rowan"),
        );
    }
    drop(practice);
    // Reopened as the app and the CLI do, with a write still in the WAL.
    let mut practice = open(&dir);
    let mut s = admin(&mut practice);
    let family = "Cattermole";
    ids.insert(
        family,
        create_patient(&mut practice, &mut s, family, "Rowan"),
    );
    assert!(dir.join("chartkeep.db-wal").exists());
    let file = t.path().join("practice.ckbackup");
    let key = practice.key().clone();
    let written = backup::backup(practice.writer(), &dir, &key, &file).expect("backup");
    assert_eq!(written, std::fs::metadata(&file).unwrap().len());
    let leftovers: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "practice" && n != "practice.ckbackup")
        .collect();
    assert!(
        leftovers.is_empty(),
        "backup left temporary files: {leftovers:?}"
    );
    // A later write is not in the backup.
    create_patient(&mut practice, &mut s, "Latecomer", "Rowan");
    // A backup never overwrites a file.
    let first = std::fs::read(&file).unwrap();
    let e = vault_err(backup::backup(practice.writer(), &dir, &key, &file));
    assert!(e.to_string().contains(&file.display().to_string()), "{e}");
    assert_eq!(std::fs::read(&file).unwrap(), first);
    drop(practice);

    // Restore into a new folder: it opens (with the backed-up passphrase), verifies, and
    // holds the same patients.
    let restored = t.path().join("restored");
    restore(&file, code.as_str(), &restored).expect("restore");
    let mut copy = open(&restored);
    let report = copy.verify().unwrap();
    assert!(report.ok(), "{report:?}");
    let mut s = admin(&mut copy);
    for (family, id) in &ids {
        let found = call(
            &mut copy,
            &mut s,
            "patient.search",
            json!({ "query": family }),
        );
        assert_eq!(found.as_array().unwrap().len(), 1, "{family}: {found}");
        assert_eq!(found[0]["id"], id.as_str());
    }
    assert!(search_families(&mut copy, &mut s, "latecomer").is_empty());
    drop(copy);

    // A folder that is not empty is refused and left as it was.
    let busy = t.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), b"keep me").unwrap();
    let e = vault_err(restore(&file, code.as_str(), &busy));
    assert_eq!(e.code(), "folder_not_empty", "{e:?}");
    assert!(e.to_string().contains(&busy.display().to_string()), "{e}");
    let files = snapshot(&busy);
    assert_eq!(files.len(), 1, "{:?}", files.keys());
    assert_eq!(files["notes.txt"], b"keep me");

    // A flipped byte anywhere, or a cut-short file, is refused before anything is written.
    let good = std::fs::read(&file).unwrap();
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for at in [
        0,
        11,
        good.len() / 3,
        good.len() / 2,
        good.len() - 40,
        good.len() - 1,
    ] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        cases.push((format!("byte {at} flipped"), bad));
    }
    for keep in [0, 10, good.len() / 2, good.len() - 32, good.len() - 1] {
        cases.push((format!("cut to {keep} bytes"), good[..keep].to_vec()));
    }
    let mut longer = good.clone();
    longer.extend_from_slice(b"extra");
    cases.push(("with bytes appended".into(), longer));
    for (what, bytes) in cases {
        let bad_file = t.path().join("bad.ckbackup");
        std::fs::write(&bad_file, &bytes).unwrap();
        let target = t.path().join("from-bad");
        let e = vault_err(restore(&bad_file, code.as_str(), &target));
        assert_eq!(e.code(), "backup_damaged", "{what}: {e:?}");
        assert!(!target.exists(), "{what}: nothing was written");
    }

    // The wrong recovery code is refused before anything is written.
    let target = t.path().join("wrong-code");
    let e = vault_err(restore(&file, OTHER_CODE, &target));
    assert!(e.is_wrong_secret(), "{e:?}");
    assert_eq!(e.code(), "wrong_secret");
    assert!(!target.exists());
    // So is the passphrase of another practice.
    let contents = backup::read_backup(&file).unwrap();
    let e = vault_err(backup::unlock_backup(
        &contents,
        None,
        Some("not the passphrase"),
    ));
    assert!(e.is_wrong_secret(), "{e:?}");
    // The right passphrase opens a passphrase-mode backup too.
    backup::unlock_backup(&contents, None, Some(PASSPHRASE))
        .expect("the passphrase opens the backup");
}

#[test]
fn rekey_replaces_the_recovery_code_and_keeps_the_data() {
    let t = tmp();
    let dir = t.path();
    let (mut practice, old_code) = init(dir);
    let mut s = admin(&mut practice);
    let id = create_patient(&mut practice, &mut s, "Rekeyton", "Juno");
    drop(practice);
    let practice = open(dir);
    let old_key = practice.key().clone();
    let rng = ring::rand::SystemRandom::new();
    let new_code = backup::rekey(
        practice.into_writer(),
        dir,
        Some(PASSPHRASE),
        None,
        &rng,
        &mut |_| {},
    )
    .expect("rekey");
    assert_ne!(new_code.as_str(), old_code.as_str());
    let left: Vec<_> = snapshot(dir).into_keys().collect();
    assert_eq!(
        left,
        ["chartkeep-access.db", "chartkeep.db", "chartkeep.header"],
        "rekey cleans up after itself"
    );

    let e = vault_err(vault::unlock(dir, Secret::RecoveryCode(old_code.as_str())));
    assert!(
        e.is_wrong_secret(),
        "the old recovery code stops working: {e:?}"
    );
    let (key, header) =
        vault::unlock(dir, Secret::RecoveryCode(new_code.as_str())).expect("new code");
    assert_ne!(
        key.as_bytes(),
        old_key.as_bytes(),
        "the database key changed"
    );
    // The old key no longer opens the file.
    let e = vault_err(db::open(
        &vault::db_path(dir),
        &old_key,
        Access::Read,
        &Gate::default(),
    ));
    assert_eq!(e.code(), "database_wrong_key_or_damaged", "{e:?}");

    let mut practice = open_with(dir, key, header).unwrap();
    let report = practice.verify().unwrap();
    assert!(report.ok(), "{report:?}");
    let mut s = admin(&mut practice);
    let p = call(&mut practice, &mut s, "patient.get", json!({ "id": id }));
    assert_eq!(p["family"], "Rekeyton");
    drop(practice);
    // The passphrase still opens it.
    let mut practice = open(dir);
    let mut s = admin(&mut practice);
    assert_eq!(
        search_families(&mut practice, &mut s, "rekeyton"),
        ["Rekeyton"]
    );
}

/// An OS keychain stand-in that keeps keys in memory.
#[derive(Default)]
struct MemKeychain(Mutex<BTreeMap<String, [u8; 32]>>);

impl KeyStore for MemKeychain {
    fn name(&self) -> &'static str {
        "test keychain"
    }
    fn get(&self, practice_id: &str) -> Result<Option<DbKey>, KeychainError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .get(practice_id)
            .map(|k| DbKey::from_bytes(*k)))
    }
    fn set(&self, practice_id: &str, key: &DbKey) -> Result<(), KeychainError> {
        self.0
            .lock()
            .unwrap()
            .insert(practice_id.into(), *key.as_bytes());
        Ok(())
    }
    fn delete(&self, practice_id: &str) -> Result<(), KeychainError> {
        self.0.lock().unwrap().remove(practice_id);
        Ok(())
    }
}

impl MemKeychain {
    fn copy(&self) -> MemKeychain {
        MemKeychain(Mutex::new(self.0.lock().unwrap().clone()))
    }
}

/// The practice folder before and after a completed rekey, to build every state a crash
/// in the middle of one can leave behind.
struct RekeyFiles {
    before: BTreeMap<String, Vec<u8>>,
    after: BTreeMap<String, Vec<u8>>,
    old_code: String,
    /// The keychain as it was before the rekey (keychain mode only).
    keychain_before: Option<MemKeychain>,
}

fn rekey_files(keychain: bool) -> RekeyFiles {
    let t = tmp();
    let dir = t.path();
    let store = MemKeychain::default();
    let plan = if keychain {
        KeyPlan::Keychain(&store)
    } else {
        KeyPlan::Passphrase(PASSPHRASE.into())
    };
    let rng = ring::rand::SystemRandom::new();
    let (mut practice, code) = chartkeep::practice::Practice::init(
        dir,
        plan,
        chartkeep::practice::Admin {
            name: ADMIN,
            password: ADMIN_PASSWORD,
        },
        clock(),
        ids(),
        &rng,
    )
    .unwrap();
    let mut s = admin(&mut practice);
    create_patient(&mut practice, &mut s, "Interruptus", "Vale");
    let key = practice.key().clone();
    let header = practice.header().clone();
    drop(practice);
    let before = snapshot(dir);
    let keychain_before = keychain.then(|| store.copy());
    let practice = open_with(dir, key, header).unwrap();
    let pass = (!keychain).then_some(PASSPHRASE);
    let store_ref = keychain.then_some(&store as &dyn KeyStore);
    backup::rekey(
        practice.into_writer(),
        dir,
        pass,
        store_ref,
        &rng,
        &mut |_| {},
    )
    .expect("rekey");
    let after = snapshot(dir);
    RekeyFiles {
        before,
        after,
        old_code: code.as_str().to_string(),
        keychain_before,
    }
}

/// Writes `files` (name → bytes) into a fresh folder.
fn folder(files: &[(&str, &Vec<u8>)]) -> tempfile::TempDir {
    let t = tmp();
    for (name, bytes) in files {
        std::fs::write(t.path().join(name), bytes).unwrap();
    }
    t
}

/// After `finish_interrupted_rekey`, the practice opens with what the user holds (the
/// passphrase or the keychain as it was, and the old recovery code) and has its data.
fn assert_opens_as_before(dir: &Path, f: &RekeyFiles, state: &str) {
    finish_interrupted_rekey(dir).unwrap_or_else(|e| panic!("{state}: {e:?}"));
    let mut practice = match &f.keychain_before {
        Some(store) => try_open(dir, Secret::Keychain(store)),
        None => try_open(dir, Secret::Passphrase(PASSPHRASE)),
    }
    .unwrap_or_else(|e| {
        panic!(
            "{state}: the practice does not open as before: {e:?} ({})",
            e.code()
        )
    });
    let mut s = admin(&mut practice);
    assert_eq!(
        search_families(&mut practice, &mut s, "interruptus"),
        ["Interruptus"],
        "{state}"
    );
    let report = practice.verify().unwrap();
    assert!(report.ok(), "{state}: {report:?}");
    drop(practice);
    vault::unlock(dir, Secret::RecoveryCode(&f.old_code)).unwrap_or_else(|e| {
        panic!("{state}: the recovery code the user holds no longer opens the practice: {e:?}")
    });
}

#[test]
fn an_interrupted_rekey_before_the_swap_rolls_back() {
    for keychain in [false, true] {
        let f = rekey_files(keychain);
        let mode = if keychain { "keychain" } else { "passphrase" };
        let (old_db, old_header) = (&f.before["chartkeep.db"], &f.before["chartkeep.header"]);
        let (new_db, new_header) = (&f.after["chartkeep.db"], &f.after["chartkeep.header"]);
        let (old_acc, new_acc) = (
            &f.before["chartkeep-access.db"],
            &f.after["chartkeep-access.db"],
        );

        // Crashed after exporting the new database, before writing the new header.
        let t = folder(&[
            ("chartkeep.db", old_db),
            ("chartkeep-access.db", old_acc),
            ("chartkeep.header", old_header),
            ("chartkeep.db.rekey", new_db),
        ]);
        assert_opens_as_before(t.path(), &f, &format!("{mode}: new database exported"));

        // Crashed after writing the new header beside it.
        let t = folder(&[
            ("chartkeep.db", old_db),
            ("chartkeep-access.db", old_acc),
            ("chartkeep.header", old_header),
            ("chartkeep.db.rekey", new_db),
            ("chartkeep-access.db.rekey", new_acc),
            ("chartkeep.header.rekey", new_header),
        ]);
        assert_opens_as_before(t.path(), &f, &format!("{mode}: new header written"));
        let left: Vec<_> = snapshot(t.path()).into_keys().collect();
        assert_eq!(
            left,
            ["chartkeep-access.db", "chartkeep.db", "chartkeep.header"],
            "{mode}"
        );

        // Crashed after moving the old database aside.
        let t = folder(&[
            ("chartkeep.db.pre-rekey", old_db),
            ("chartkeep-access.db", old_acc),
            ("chartkeep.header", old_header),
            ("chartkeep.db.rekey", new_db),
            ("chartkeep-access.db.rekey", new_acc),
            ("chartkeep.header.rekey", new_header),
        ]);
        assert_opens_as_before(t.path(), &f, &format!("{mode}: old database moved aside"));
        let left: Vec<_> = snapshot(t.path()).into_keys().collect();
        assert_eq!(
            left,
            ["chartkeep-access.db", "chartkeep.db", "chartkeep.header"],
            "{mode}"
        );
    }
}

/// A crash after the new databases are swapped in but before the new header is: the old
/// header still decides, so the rotation is rolled back (the old databases are still there
/// as `*.pre-rekey`), and the keychain and the recovery code the user holds still work.
#[test]
fn an_interrupted_rekey_after_the_swap_keeps_the_practice_reachable() {
    for keychain in [true, false] {
        let f = rekey_files(keychain);
        let mode = if keychain { "keychain" } else { "passphrase" };
        let t = folder(&[
            ("chartkeep.db", &f.after["chartkeep.db"]),
            ("chartkeep.db.pre-rekey", &f.before["chartkeep.db"]),
            ("chartkeep-access.db", &f.after["chartkeep-access.db"]),
            (
                "chartkeep-access.db.pre-rekey",
                &f.before["chartkeep-access.db"],
            ),
            ("chartkeep.header", &f.before["chartkeep.header"]),
            ("chartkeep.header.rekey", &f.after["chartkeep.header"]),
        ]);
        assert_opens_as_before(t.path(), &f, &format!("{mode}: new database swapped in"));
    }
}

/// A `Write` into a shared buffer, for capturing log output.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const CANARY_FAMILY: &str = "Zyxwquartz";
const CANARY_GIVEN: &str = "Canarybelle";

/// Every way the canary's name parts could appear as text: as typed, lower case (the
/// search index folds case) and upper case, in UTF-8, UTF-16LE and UTF-16BE.
fn needles() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for word in [CANARY_FAMILY, CANARY_GIVEN] {
        for form in [word.to_string(), word.to_lowercase(), word.to_uppercase()] {
            out.push((format!("{form} (UTF-8)"), form.as_bytes().to_vec()));
            let le: Vec<u8> = form.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let be: Vec<u8> = form.encode_utf16().flat_map(u16::to_be_bytes).collect();
            out.push((format!("{form} (UTF-16LE)"), le));
            out.push((format!("{form} (UTF-16BE)"), be));
        }
    }
    out
}

/// The canary forms found in `bytes`.
fn canary_in(bytes: &[u8]) -> Vec<String> {
    needles()
        .into_iter()
        .filter(|(_, n)| bytes.windows(n.len()).any(|w| w == n.as_slice()))
        .map(|(what, _)| what)
        .collect()
}

fn assert_no_canary_in_files(dir: &Path, when: &str) {
    let files = snapshot(dir);
    assert!(
        files.contains_key("chartkeep.db"),
        "{when}: {:?}",
        files.keys()
    );
    for (name, bytes) in &files {
        let found = canary_in(bytes);
        assert!(
            found.is_empty(),
            "{when}: {name} holds patient data in plaintext: {found:?}"
        );
    }
}

#[test]
fn no_patient_data_reaches_the_disk_or_the_logs_in_plaintext() {
    let t = tmp();
    let dir = t.path().join("practice");
    let backup_file = t.path().join("canary.ckbackup");
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();

    let plain_dir = tmp();
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!("canary capture is live");
        let (mut practice, _) = init(&dir);
        let mut s = admin(&mut practice);
        call(
            &mut practice,
            &mut s,
            "user.create",
            json!({"name": "drcanary", "role": "clinician", "password": "clinician-pass-1"}),
        );
        let mut doc = login(&mut practice, "drcanary", "clinician-pass-1");
        let id = create_patient(&mut practice, &mut doc, CANARY_FAMILY, CANARY_GIVEN);
        let note = format!("{CANARY_GIVEN} {CANARY_FAMILY} reports polyuria; plan metformin.");
        call(
            &mut practice,
            &mut doc,
            "problem.add",
            json!({"patient": id, "code": "E11.9", "note": note}),
        );
        call(
            &mut practice,
            &mut doc,
            "note.add",
            json!({"patient": id, "kind": "free", "title": "Visit", "text": note}),
        );
        let pdf =
            format!("%PDF-1.4\n% Referral letter for {CANARY_GIVEN} {CANARY_FAMILY}\n%%EOF\n");
        let content = base64::engine::general_purpose::STANDARD.encode(pdf.as_bytes());
        let added = call(
            &mut practice,
            &mut doc,
            "document.add",
            json!({"patient": id, "title": format!("Letter about {CANARY_FAMILY}"), "content": content}),
        );
        // Errors that echo the input go back to the caller, not into a log.
        let e = try_call(
            &mut practice,
            &mut doc,
            "problem.add",
            json!({"patient": id, "code": CANARY_FAMILY}),
        )
        .expect_err("not an ICD-10 code");
        assert_eq!(e.code, "invalid_code", "{e:?}");
        let e = try_call(
            &mut practice,
            &mut doc,
            "patient.create",
            json!({"family": CANARY_FAMILY, "given": [CANARY_GIVEN], "birth_date": "2999-01-01", "sex": "female"}),
        )
        .expect_err("a birth date in the future");
        assert!(!e.code.as_str().is_empty());

        // The data is really there, readable through the API.
        let found = call(
            &mut practice,
            &mut doc,
            "patient.search",
            json!({"query": "zyxwq"}),
        );
        assert_eq!(found[0]["id"], id.as_str(), "{found}");
        let summary = call(
            &mut practice,
            &mut doc,
            "chart.summary",
            json!({"patient": id}),
        );
        assert!(
            summary.to_string().contains(CANARY_FAMILY) || summary.to_string().contains("E11.9")
        );
        let got = call(
            &mut practice,
            &mut doc,
            "document.content",
            json!({"id": added["id"]}),
        );
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(got["content"].as_str().unwrap())
            .unwrap();
        assert_eq!(bytes, pdf.as_bytes());

        // While the practice is open (database, WAL and shared memory all present).
        assert!(dir.join("chartkeep.db-wal").exists());
        assert_no_canary_in_files(&dir, "while open");

        // A backup is no plaintext either.
        let key = practice.key().clone();
        backup::backup(practice.writer(), &dir, &key, &backup_file).unwrap();

        // Control: an unencrypted export of the same database does show the name, so the
        // scan would find it if the file were not encrypted.
        let plain = plain_dir.path().join("plain.db");
        practice
            .writer()
            .execute(
                "ATTACH DATABASE ?1 AS plain KEY ''",
                [plain.to_string_lossy()],
            )
            .unwrap();
        practice
            .writer()
            .query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
            .unwrap();
        practice
            .writer()
            .execute_batch("DETACH DATABASE plain")
            .unwrap();
        let found = canary_in(&std::fs::read(&plain).unwrap());
        assert!(
            found.iter().any(|f| f.starts_with(CANARY_FAMILY)),
            "the plaintext control shows the name: {found:?}"
        );
        drop(practice);
    });

    assert_no_canary_in_files(&dir, "after closing");
    let found = canary_in(&std::fs::read(&backup_file).unwrap());
    assert!(
        found.is_empty(),
        "the backup holds patient data in plaintext: {found:?}"
    );

    let logs = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        logs.contains("canary capture is live"),
        "the log capture works: {logs}"
    );
    let found = canary_in(logs.as_bytes());
    assert!(
        found.is_empty(),
        "patient data in the logs: {found:?}\n{logs}"
    );
}
