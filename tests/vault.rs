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
        None,
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

/// "café au lait, s'il vous plaît" with precomposed letters (U+00E9, U+00EE: what Windows
/// and Linux keyboards send) and with combining accents (what macOS often sends).
const CAFE_COMPOSED: &str = "caf\u{e9} au lait, s'il vous pla\u{ee}t";
const CAFE_DECOMPOSED: &str = "cafe\u{301} au lait, s'il vous plai\u{302}t";

#[test]
fn a_passphrase_typed_decomposed_opens_a_practice_made_with_it_composed() {
    for (made_with, typed) in [
        (CAFE_COMPOSED, CAFE_DECOMPOSED),
        (CAFE_DECOMPOSED, CAFE_COMPOSED),
    ] {
        let t = tmp();
        let dir = t.path();
        let (practice, _) = chartkeep::practice::Practice::init(
            dir,
            KeyPlan::Passphrase(made_with.into()),
            chartkeep::practice::Admin {
                name: ADMIN,
                password: ADMIN_PASSWORD,
            },
            clock(),
            ids(),
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        drop(practice);
        let practice = try_open(dir, Secret::Passphrase(typed));
        assert!(
            practice.is_ok(),
            "made with {made_with:?}, typed {typed:?}: {:?}",
            practice.err()
        );
    }
}

#[test]
fn an_access_log_from_a_newer_chartkeep_is_refused_and_left_untouched() {
    let t = tmp();
    let dir = t.path();
    let (practice, _) = init(dir);
    let key = practice.key().clone();
    let header = practice.header().clone();
    drop(practice);
    let log = dir.join(db::ACCESS_FILE);
    {
        let conn = db::open(
            &log,
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
        // Out of WAL, so a writer opened before the version check would show: it switches
        // the log back to WAL, rewriting the file.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
    }
    let journal_mode = || -> String {
        let conn = db::open(&log, &key, Access::Read, &Gate::default()).unwrap();
        conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(journal_mode(), "delete");
    let before = snapshot(dir);
    let mtime = std::fs::metadata(&log).unwrap().modified().unwrap();
    // A later write would get a later mtime even on a coarse-grained file system.
    std::thread::sleep(std::time::Duration::from_millis(20));

    let (code, msg) = code_of(open_with(dir, key.clone(), header));
    assert_eq!(code, "database_too_new", "{msg}");
    assert!(msg.contains("999"), "{msg}");
    assert_eq!(
        std::fs::metadata(&log).unwrap().modified().unwrap(),
        mtime,
        "the refused access log was written to"
    );
    let after = snapshot(dir);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    assert!(
        after[db::ACCESS_FILE] == before[db::ACCESS_FILE],
        "the refused access log's bytes changed"
    );
    assert_eq!(
        journal_mode(),
        "delete",
        "the access log was switched to WAL"
    );
}

/// Rewrites one field of `dir`'s key header, as someone editing the file would.
fn edit_header(dir: &Path, field: &str, value: serde_json::Value) {
    let path = dir.join("chartkeep.header");
    let mut h: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_ne!(h[field], value, "{field} changes");
    h[field] = value;
    std::fs::write(&path, serde_json::to_vec_pretty(&h).unwrap()).unwrap();
}

#[test]
fn editing_the_header_fields_outside_the_wraps_makes_unlock_fail_clearly() {
    let t = tmp();
    let pristine_dir = t.path().join("pristine");
    let (mut practice, code) = init(&pristine_dir);
    let mut s = admin(&mut practice);
    create_patient(&mut practice, &mut s, "Tamper", "Tess");
    drop(practice);
    let pristine = snapshot(&pristine_dir);
    let edits = [
        ("mode", json!("keychain")),
        ("practice_id", json!("01890a5d-ac96-774b-bcce-b302099a8057")),
        ("created", json!("2020-01-01T00:00:00Z")),
        ("format", json!(1)),
    ];
    for (field, value) in &edits {
        let dir = t.path().join(format!("edited-{field}"));
        std::fs::create_dir(&dir).unwrap();
        for (name, bytes) in &pristine {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        edit_header(&dir, field, value.clone());
        for (how, secret) in [
            ("passphrase", Secret::Passphrase(PASSPHRASE)),
            ("recovery code", Secret::RecoveryCode(code.as_str())),
        ] {
            let e = vault_err(vault::unlock(&dir, secret));
            assert_eq!(e.code(), "header_altered", "{field}, {how}: {e:?}");
            assert!(!e.is_wrong_secret(), "{field}, {how}");
            let msg = e.to_string();
            assert!(
                msg.contains("altered") && msg.contains("restore chartkeep.header from a backup"),
                "{field}, {how}: {msg}"
            );
        }
        // A wrong secret is still told apart from an altered header.
        let e = vault_err(vault::unlock(
            &dir,
            Secret::Passphrase("not the passphrase"),
        ));
        assert!(e.is_wrong_secret(), "{field}: {e:?}");
    }

    // Keychain mode opens no wrap: the fields check under the key catches the edit.
    let store = MemKeychain::default();
    let dir = t.path().join("keychain");
    let (practice, _) = chartkeep::practice::Practice::init(
        &dir,
        KeyPlan::Keychain(&store),
        chartkeep::practice::Admin {
            name: ADMIN,
            password: ADMIN_PASSWORD,
        },
        clock(),
        ids(),
        &ring::rand::SystemRandom::new(),
    )
    .unwrap();
    drop(practice);
    let original = std::fs::read(dir.join("chartkeep.header")).unwrap();
    for (field, value) in [
        ("created", json!("2020-01-01T00:00:00Z")),
        ("mode", json!("passphrase")),
        ("format", json!(1)),
    ] {
        edit_header(&dir, field, value);
        let e = vault_err(vault::unlock(&dir, Secret::Keychain(&store)));
        assert_eq!(e.code(), "header_altered", "keychain, {field}: {e:?}");
        std::fs::write(dir.join("chartkeep.header"), &original).unwrap();
    }
    // Passed off as a format-1 header, its fields check removed: its wraps give it away.
    let mut downgraded: serde_json::Value = serde_json::from_slice(&original).unwrap();
    downgraded["format"] = json!(1);
    downgraded.as_object_mut().unwrap().remove("fields_check");
    downgraded["created"] = json!("2020-01-01T00:00:00Z");
    std::fs::write(
        dir.join("chartkeep.header"),
        serde_json::to_vec(&downgraded).unwrap(),
    )
    .unwrap();
    let e = vault_err(vault::unlock(&dir, Secret::Keychain(&store)));
    assert_eq!(e.code(), "header_altered", "keychain, downgraded: {e:?}");
    std::fs::write(dir.join("chartkeep.header"), &original).unwrap();
    // Another practice id looks the key up under that id, which has none.
    edit_header(
        &dir,
        "practice_id",
        json!("01890a5d-ac96-774b-bcce-b302099a8057"),
    );
    let e = vault_err(vault::unlock(&dir, Secret::Keychain(&store)));
    assert_eq!(e.code(), "key_not_in_keychain", "{e:?}");
    std::fs::write(dir.join("chartkeep.header"), &original).unwrap();
    vault::unlock(&dir, Secret::Keychain(&store)).expect("the untouched header unlocks");
}

#[test]
fn a_format_1_header_opens_and_is_rewritten_in_format_2_at_unlock() {
    use chartkeep::vault::header::{self, Header};
    use chartkeep::vault::keys::{self, PURPOSE_PASSPHRASE, PURPOSE_RECOVERY};
    let t = tmp();
    let dir = t.path();
    let (mut practice, code) = init(dir);
    let mut s = admin(&mut practice);
    create_patient(&mut practice, &mut s, "Formatone", "Finn");
    let key = practice.key().clone();
    let now = practice.header().clone();
    drop(practice);
    // The header as the first format wrote it: wraps bound to their purpose alone, no
    // fields check.
    let rng = ring::rand::SystemRandom::new();
    let v1 = Header {
        format: 1,
        recovery: keys::wrap(&key, code.as_str().as_bytes(), PURPOSE_RECOVERY, &rng).unwrap(),
        passphrase: Some(
            keys::wrap(&key, PASSPHRASE.as_bytes(), PURPOSE_PASSPHRASE, &rng).unwrap(),
        ),
        fields_check: None,
        ..now
    };
    header::replace(dir, &v1).unwrap();
    let text = std::fs::read_to_string(dir.join("chartkeep.header")).unwrap();
    assert!(
        text.contains("\"format\": 1") && !text.contains("fields_check"),
        "{text}"
    );

    let (_, upgraded) = vault::unlock(dir, Secret::Passphrase(PASSPHRASE)).expect("format 1 opens");
    assert_eq!(upgraded.format, header::FORMAT);
    let on_disk = header::read(dir).unwrap();
    assert_eq!(on_disk.format, 2);
    assert!(on_disk.fields_check.is_some());
    assert!(on_disk.check_fields(&key));
    assert!(!dir.join(header::HEADER_TMP_FILE).exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("chartkeep.header"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Both old wraps still open, and the practice with them.
    vault::unlock(dir, Secret::RecoveryCode(code.as_str())).expect("the recovery code opens");
    let mut practice = try_open(dir, Secret::Passphrase(PASSPHRASE)).unwrap();
    let mut s = admin(&mut practice);
    assert_eq!(
        search_families(&mut practice, &mut s, "formatone"),
        ["Formatone"]
    );
    drop(practice);
    // From the upgrade on, the fields are authenticated.
    let upgraded_bytes = std::fs::read(dir.join("chartkeep.header")).unwrap();
    edit_header(dir, "created", json!("2020-01-01T00:00:00Z"));
    let e = vault_err(vault::unlock(dir, Secret::Passphrase(PASSPHRASE)));
    assert_eq!(e.code(), "header_altered", "{e:?}");
    std::fs::write(dir.join("chartkeep.header"), &upgraded_bytes).unwrap();
    // A new passphrase with the recovery code at hand re-makes both wraps bound.
    let h = vault::store_key(
        dir,
        &key,
        KeyPlan::Passphrase(PASSPHRASE.into()),
        Some(code.as_str()),
        &rng,
    )
    .unwrap();
    assert_eq!(h.recovery.binds.as_deref(), Some(header::BINDS_HEADER_V2));
    assert_eq!(
        h.passphrase.as_ref().unwrap().binds.as_deref(),
        Some(header::BINDS_HEADER_V2)
    );
    vault::unlock(dir, Secret::RecoveryCode(code.as_str())).expect("the code still opens");
}

/// What README.md's "SQLCipher settings" section and `vault::db`'s module documentation
/// say, as `PRAGMA name` reads them back.
const DOCUMENTED_CIPHER_SETTINGS: [(&str, &str); 5] = [
    ("cipher_page_size", "4096"),
    ("cipher_hmac_algorithm", "HMAC_SHA512"),
    ("cipher_kdf_algorithm", "PBKDF2_HMAC_SHA512"),
    ("kdf_iter", "256000"),
    ("cipher_plaintext_header_size", "0"),
];

fn pragma_text(conn: &rusqlite::Connection, pragma: &str) -> String {
    conn.query_row(&format!("PRAGMA {pragma}"), [], |r| {
        let v: rusqlite::types::Value = r.get(0)?;
        Ok(match v {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        })
    })
    .unwrap_or_else(|e| panic!("PRAGMA {pragma}: {e}"))
}

#[test]
fn sqlcipher_settings_read_back_as_documented() {
    let t = tmp();
    let dir = t.path();
    let (practice, _) = init(dir);
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        docs.contains("## SQLCipher settings"),
        "README.md has the section"
    );
    let reader = db::open(
        &vault::db_path(dir),
        practice.key(),
        Access::Read,
        &Gate::default(),
    )
    .unwrap();
    db::attach_access_log(&reader, dir, practice.key()).unwrap();
    let writer = practice.into_writer();
    for conn in [&reader, &writer] {
        for schema in ["main", "access"] {
            for (name, value) in DOCUMENTED_CIPHER_SETTINGS {
                assert_eq!(
                    pragma_text(conn, &format!("{schema}.{name}")),
                    value,
                    "{schema}.{name}"
                );
                assert!(
                    docs.contains(&format!("| `{name}` | `{value}` |")),
                    "README.md documents {name} = {value}"
                );
            }
        }
        // The constants the code applies are the documented ones.
        for (name, value) in db::CIPHER_SETTINGS {
            assert!(
                DOCUMENTED_CIPHER_SETTINGS.contains(&(name, value)),
                "{name}"
            );
        }
        assert_eq!(db::CIPHER_PAGE_SIZE.to_string(), "4096");
    }
}

#[test]
fn practice_files_open_in_plain_sqlcipher_4_with_only_the_raw_key() {
    let t = tmp();
    let dir = t.path();
    let (mut practice, _) = init(dir);
    let mut s = admin(&mut practice);
    create_patient(&mut practice, &mut s, "Plainsettings", "Iris");
    let key = practice.key().clone();
    drop(practice);
    for (file, table) in [(db::DB_FILE, "patient"), (db::ACCESS_FILE, "access_log")] {
        // A fresh connection knowing nothing of Chartkeep: the raw key and SQLCipher 4.
        let conn = rusqlite::Connection::open(dir.join(file)).unwrap();
        conn.pragma_update(None, "key", format!("x'{}'", hex::encode(key.as_bytes())))
            .unwrap();
        conn.execute_batch("PRAGMA cipher_log_level = NONE; PRAGMA cipher_compatibility = 4;")
            .unwrap();
        let n: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(n >= 1, "{file}: {n} rows in {table}");
        for (name, value) in DOCUMENTED_CIPHER_SETTINGS {
            assert_eq!(pragma_text(&conn, name), value, "{file}: {name}");
        }
    }
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
    for keep in [
        "chartkeep-access.db",
        "chartkeep-device.key",
        "chartkeep.db",
        "chartkeep.header",
    ] {
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
    let written = practice
        .backup(&file, &ring::rand::SystemRandom::new())
        .expect("backup");
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
    let e = vault_err(practice.backup(&file, &ring::rand::SystemRandom::new()));
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

/// Every file under `dir` whose mode is not 0600, and `dir` itself unless it is 0700.
#[cfg(unix)]
fn not_private(dir: &Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let mut wrong = Vec::new();
    if mode(dir) != 0o700 {
        wrong.push(format!("{} {:o}", dir.display(), mode(dir)));
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if mode(&path) != 0o600 {
            wrong.push(format!("{} {:o}", path.display(), mode(&path)));
        }
    }
    wrong
}

#[cfg(unix)]
#[test]
fn practice_files_are_0600_and_the_folder_0700_under_umask_022() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: umask only changes the process's file-creation mask. Other tests in this
    // binary may create files meanwhile; 022 is the usual mask, so they are unaffected.
    unsafe { libc::umask(0o022) };
    let t = tmp();
    let dir = t.path().join("practice");
    let (mut practice, code) = init(&dir);
    let mut s = admin(&mut practice);
    create_patient(&mut practice, &mut s, "Umask", "Oona");
    assert!(dir.join("chartkeep.db-wal").exists());
    assert!(dir.join("chartkeep-access.db-wal").exists());
    assert_eq!(not_private(&dir), Vec::<String>::new(), "after init");

    let file = t.path().join("practice.ckbackup");
    practice
        .backup(&file, &ring::rand::SystemRandom::new())
        .unwrap();
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the backup file");
    assert_eq!(not_private(&dir), Vec::<String>::new(), "after backup");
    practice.rebuild(false).unwrap();
    assert_eq!(not_private(&dir), Vec::<String>::new(), "after a rebuild");
    drop(practice);

    let restored = t.path().join("restored");
    restore(&file, code.as_str(), &restored).unwrap();
    assert_eq!(
        not_private(&restored),
        Vec::<String>::new(),
        "after restore"
    );
    let practice = open(&restored);
    assert!(restored.join("chartkeep.db-wal").exists());
    assert_eq!(
        not_private(&restored),
        Vec::<String>::new(),
        "restored, opened"
    );

    let rng = ring::rand::SystemRandom::new();
    backup::rekey(
        practice.into_writer(),
        &restored,
        Some(PASSPHRASE),
        None,
        &rng,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(not_private(&restored), Vec::<String>::new(), "after rekey");
    let practice = open(&restored);
    assert_eq!(
        not_private(&restored),
        Vec::<String>::new(),
        "rekeyed, opened"
    );
    drop(practice);
}

/// A backup file's bytes with its trailing SHA-256 made to match them again, as someone
/// editing it on purpose would.
fn with_fresh_checksum(mut body: Vec<u8>) -> Vec<u8> {
    let sum = ring::digest::digest(&ring::digest::SHA256, &body);
    body.extend_from_slice(sum.as_ref());
    body
}

/// (file name, offset, length) of each database section's chunks in a format-2 backup.
fn sections(backup: &[u8]) -> Vec<(String, usize, usize)> {
    assert_eq!(&backup[..10], b"CKBACKUP2\n");
    let u32_at = |at: usize| u32::from_be_bytes(backup[at..at + 4].try_into().unwrap()) as usize;
    let mut at = 10 + 16;
    at += 4 + u32_at(at);
    let count = u32_at(at);
    at += 4;
    let mut out = Vec::new();
    for _ in 0..count {
        let nlen = u16::from_be_bytes(backup[at..at + 2].try_into().unwrap()) as usize;
        let name = String::from_utf8(backup[at + 2..at + 2 + nlen].to_vec()).unwrap();
        at += 2 + nlen;
        let start = at;
        loop {
            let last = backup[at] == 1;
            at += 5 + u32_at(at + 1) + 16;
            if last {
                break;
            }
        }
        out.push((name, start, at - start));
    }
    assert_eq!(at + 32, backup.len());
    out
}

#[test]
fn backups_with_chunks_swapped_dropped_or_spliced_are_refused_and_nothing_is_written() {
    let t = tmp();
    let dir = t.path().join("practice");
    let (mut practice, code) = init(&dir);
    let mut s = admin(&mut practice);
    create_patient(&mut practice, &mut s, "Splice", "Ivo");
    let rng = ring::rand::SystemRandom::new();
    let (one, two) = (t.path().join("one.ckbackup"), t.path().join("two.ckbackup"));
    practice.backup(&one, &rng).unwrap();
    practice.backup(&two, &rng).unwrap();
    drop(practice);
    let good = std::fs::read(&one).unwrap();
    let other = std::fs::read(&two).unwrap();
    let body = &good[..good.len() - 32];
    let secs = sections(&good);
    assert_eq!(secs.len(), 2);
    let ((_, a_at, a_len), (_, b_at, b_len)) = (secs[0].clone(), secs[1].clone());
    let other_secs = sections(&other);

    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // The two databases' chunks swapped (names left in place).
    let mut swapped = body[..a_at].to_vec();
    swapped.extend_from_slice(&body[b_at..b_at + b_len]);
    swapped.extend_from_slice(&body[a_at + a_len..b_at]);
    swapped.extend_from_slice(&body[a_at..a_at + a_len]);
    cases.push(("sections swapped", with_fresh_checksum(swapped)));
    // The access log's chunks dropped, name and all.
    cases.push((
        "last section dropped",
        with_fresh_checksum(body[..a_at + a_len].to_vec()),
    ));
    // The chart database's chunks taken from another backup of the same practice.
    let (_, o_at, o_len) = other_secs[0].clone();
    let mut spliced = body[..a_at].to_vec();
    spliced.extend_from_slice(&other[o_at..o_at + o_len]);
    spliced.extend_from_slice(&body[a_at + a_len..]);
    cases.push(("spliced from another backup", with_fresh_checksum(spliced)));
    // One ciphertext byte flipped.
    let mut flipped = body.to_vec();
    flipped[a_at + 40] ^= 0x01;
    cases.push(("ciphertext flipped", with_fresh_checksum(flipped)));

    for (what, bytes) in cases {
        let bad_file = t.path().join("bad.ckbackup");
        std::fs::write(&bad_file, &bytes).unwrap();
        let target = t.path().join("from-bad");
        let e = vault_err(restore(&bad_file, code.as_str(), &target));
        assert_eq!(e.code(), "backup_damaged", "{what}: {e:?}");
        assert!(
            e.to_string().contains("use another backup"),
            "{what}: the message says what to do: {e}"
        );
        assert!(!target.exists(), "{what}: nothing is left in the target");
        // Into an existing empty folder: it stays empty.
        std::fs::create_dir(&target).unwrap();
        let e = vault_err(restore(&bad_file, code.as_str(), &target));
        assert_eq!(e.code(), "backup_damaged", "{what}: {e:?}");
        assert!(
            snapshot(&target).is_empty(),
            "{what}: the target stays empty"
        );
        std::fs::remove_dir(&target).unwrap();
    }
}

#[test]
fn a_backup_in_the_first_format_still_restores() {
    let t = tmp();
    let dir = t.path().join("practice");
    let (mut practice, code) = init(&dir);
    let mut s = admin(&mut practice);
    create_patient(&mut practice, &mut s, "Oldformat", "Wren");
    drop(practice);
    // Laid out as the first format was: everything in one go, SHA-256 at the end.
    let header = std::fs::read(dir.join("chartkeep.header")).unwrap();
    let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    let header = serde_json::to_vec(&header).unwrap();
    let mut v1 = b"CKBACKUP1\n".to_vec();
    v1.extend_from_slice(&(header.len() as u32).to_be_bytes());
    v1.extend_from_slice(&header);
    v1.extend_from_slice(&2u32.to_be_bytes());
    for name in [db::DB_FILE, db::ACCESS_FILE] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        v1.extend_from_slice(&(name.len() as u16).to_be_bytes());
        v1.extend_from_slice(name.as_bytes());
        v1.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        v1.extend_from_slice(&bytes);
    }
    let v1 = with_fresh_checksum(v1);
    let file = t.path().join("old.ckbackup");
    std::fs::write(&file, &v1).unwrap();
    let restored = t.path().join("restored");
    restore(&file, code.as_str(), &restored).expect("a first-format backup restores");
    // First-format backups were made by binaries that kept the signing seed inside the
    // database, so they restore as the same workstation; the key file stands in for that.
    std::fs::copy(
        dir.join("chartkeep-device.key"),
        restored.join("chartkeep-device.key"),
    )
    .unwrap();
    let mut copy = open(&restored);
    let mut s = admin(&mut copy);
    assert_eq!(
        search_families(&mut copy, &mut s, "oldformat"),
        ["Oldformat"]
    );
    drop(copy);
    // Cut short, it is refused like any other.
    std::fs::write(&file, &v1[..v1.len() - 100]).unwrap();
    let target = t.path().join("from-cut");
    let e = vault_err(restore(&file, code.as_str(), &target));
    assert_eq!(e.code(), "backup_damaged", "{e:?}");
    assert!(!target.exists());
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
        [
            "chartkeep-access.db",
            "chartkeep-device.key",
            "chartkeep.db",
            "chartkeep.header"
        ],
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
    // The workstation's key file is beside the database and untouched by a rekey.
    let device_key = dir.join("chartkeep-device.key");
    if !device_key.exists() {
        std::fs::write(&device_key, &f.before["chartkeep-device.key"]).unwrap();
    }
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
            [
                "chartkeep-access.db",
                "chartkeep-device.key",
                "chartkeep.db",
                "chartkeep.header"
            ],
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
            [
                "chartkeep-access.db",
                "chartkeep-device.key",
                "chartkeep.db",
                "chartkeep.header"
            ],
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
        practice
            .backup(&backup_file, &ring::rand::SystemRandom::new())
            .unwrap();

        // Control: an unencrypted export of the same database does show the name, so the
        // scan would find it if the file were not encrypted.
        let plain = plain_dir.path().join("plain.db");
        // An empty file: the connection below may attach it but not create it.
        std::fs::File::create(&plain).unwrap();
        let conn = db::open(
            &vault::db_path(practice.dir()),
            practice.key(),
            Access::Write { create: false },
            &Gate::default(),
        )
        .unwrap();
        conn.execute(
            "ATTACH DATABASE ?1 AS plain KEY ''",
            [plain.to_string_lossy()],
        )
        .unwrap();
        conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
            .unwrap();
        conn.execute_batch("DETACH DATABASE plain").unwrap();
        drop(conn);
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

/// Every blob and text value in every table of the chart database, for looking for a key.
fn every_value(conn: &rusqlite::Connection) -> Vec<Vec<u8>> {
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            for i in 0..n {
                match r.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b) => {
                        out.push(b.to_vec())
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

#[test]
fn the_signing_key_lives_outside_the_chart_database() {
    let t = tmp();
    let dir = t.path();
    let (practice, _) = init(dir);
    let conn = db::open(
        &vault::db_path(dir),
        practice.key(),
        Access::Read,
        &Gate::default(),
    )
    .unwrap();
    let wrap = vault::device_key::wrap_secret(&conn)
        .unwrap()
        .expect("a wrap secret");
    let device = chartkeep::ledger::Ledger::identity(&conn).unwrap().unwrap();
    let seed = vault::device_key::load(dir, &wrap, &device)
        .unwrap()
        .expect("the key file");
    assert!(
        every_value(&conn)
            .iter()
            .all(|v| !v.windows(32).any(|w| w == seed) && *v != hex::encode(seed).into_bytes()),
        "the seed is nowhere in the database"
    );
    // The key file alone, without the database's wrap secret, opens nothing.
    assert!(vault::device_key::load(dir, &[9; 32], &device).is_err());
}

#[test]
fn a_restored_backup_is_a_new_workstation_that_joins_on_the_vouch_and_says_so() {
    let t = tmp();
    let dir = t.path().join("practice");
    let (mut practice, code) = init(&dir);
    let mut s = admin(&mut practice);
    create_patient(&mut practice, &mut s, "Vouched", "Vera");
    let file = t.path().join("practice.ckbackup");
    practice
        .backup(&file, &ring::rand::SystemRandom::new())
        .unwrap();
    let original = practice.public_key();

    let restored = t.path().join("restored");
    restore(&file, code.as_str(), &restored).unwrap();
    let mut copy = open(&restored);
    assert_ne!(copy.public_key(), original, "a new identity, never a clone");
    assert_eq!(
        copy.restored_from().map(|d| d[..16].to_string()),
        Some(hex::encode(chartkeep::ledger::commit::device_id(&original))[..16].to_string()),
        "it says which workstation it came from"
    );
    let members = copy.members().unwrap();
    assert!(members
        .iter()
        .any(|m| m.public_key == copy.public_key().to_vec()));
    // It writes, and the original accepts what it writes: the vouch made it a member.
    let mut s2 = admin(&mut copy);
    create_patient(&mut copy, &mut s2, "Afterwards", "Ari");
    let have = practice.version_vector().unwrap();
    for c in copy.missing_for(&have).unwrap() {
        practice
            .apply(&c.encoded, c.signature)
            .expect("the original accepts the restored workstation's commits");
    }
    assert_eq!(
        search_families(&mut practice, &mut s, "afterwards"),
        ["Afterwards"]
    );
    for p in [&mut practice, &mut copy] {
        let report = p.verify().unwrap();
        assert!(report.ok(), "{report:?}");
    }
    // Reopened, it is the same new workstation and says nothing more.
    let key = copy.public_key();
    drop(copy);
    let again = open(&restored);
    assert_eq!(again.public_key(), key);
    assert_eq!(again.restored_from(), None);
}

#[test]
fn a_missing_signing_key_file_is_named_with_what_to_do() {
    let t = tmp();
    let dir = t.path();
    drop(init(dir));
    std::fs::remove_file(dir.join("chartkeep-device.key")).unwrap();
    let (code, message) = code_of(try_open(dir, Secret::Passphrase(PASSPHRASE)));
    assert_eq!(code, "device_key_missing", "{message}");
    assert!(
        message.contains("chartkeep-device.key") && message.contains("backup"),
        "{message}"
    );
}
