//! An open practice: the unlocked database (one writer connection, one read-only
//! connection), this workstation's ledger writer, and the clock and id source every
//! operation uses.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;
use uuid::Uuid;

use crate::access::{self, AccessError};
use crate::chart::entities as chart_entities;
use crate::chart::{self, ChartError};
use crate::clock::{Clock, IdSource};
use crate::ledger::schema::Catalogue;
use crate::ledger::{self, Change, Commit, Ledger, LedgerError};
use crate::vault::db::{self, Access, Gate};
use crate::vault::header::Header;
use crate::vault::keys::{DbKey, RecoveryCode};
use crate::vault::{self, migrate, KeyPlan, VaultError};

/// Every kind of record the ledger projects.
pub static CATALOGUE: Catalogue = Catalogue {
    entities: &[
        &access::entities::USER,
        &access::entities::SETTING,
        &chart_entities::PATIENT,
        &chart_entities::COVERAGE,
        &chart_entities::PROBLEM,
        &chart_entities::MEDICATION,
        &chart_entities::ALLERGY,
        &chart_entities::IMMUNIZATION,
        &chart_entities::ENCOUNTER,
        &chart_entities::OBSERVATION,
        &chart_entities::NOTE,
        &chart_entities::ORDER,
        &chart_entities::PROCEDURE,
        &chart_entities::HOSPITALIZATION,
        &chart_entities::FAMILY_HISTORY,
        &chart_entities::SOCIAL_HISTORY,
        &chart_entities::DECLINE,
        &chart_entities::DOCUMENT,
        &chart_entities::IMPORTED_RESOURCE,
        &chart_entities::IMPORT_BATCH,
        &crate::interop::hl7v2::entities::HL7_MESSAGE,
        &crate::interop::hl7v2::entities::HL7_CODE_MAP,
        &crate::interop::fhir::import::source::IMPORT_SOURCE,
        &crate::care::measures::value_sets::VALUE_SET,
        &ledger::member::DEVICE,
    ],
    derived_tables: &["patient_fts", "ledger_duplicate"],
    row_hook: Some(chart::search::row_hook),
    schema_version: migrate::SCHEMA_VERSION,
    member_admin: Some(is_administrator),
    seals: &[ledger::schema::Seal {
        entity: "note",
        field: "status",
        value: "signed",
    }],
    unique: &[
        ledger::unique::Unique {
            entity: "patient",
            field: "mrn",
        },
        ledger::unique::Unique {
            entity: "user",
            field: "name",
        },
    ],
};

/// Whether `user` is an active administrator: only they add or remove workstations.
fn is_administrator(conn: &Connection, user: &Uuid) -> rusqlite::Result<bool> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT 1 FROM app_user WHERE id = ?1 AND role = 'administrator'
             AND coalesce(active, 1) = 1 AND retracted = 0",
            [user.to_string()],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

#[derive(Debug, thiserror::Error)]
pub enum PracticeError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
}

impl PracticeError {
    pub fn code(&self) -> &'static str {
        match self {
            PracticeError::Vault(e) => e.code(),
            PracticeError::Ledger(e) => e.code(),
            PracticeError::Access(e) => e.code(),
            PracticeError::Chart(e) => e.code(),
            PracticeError::Storage(_) => "storage_error",
        }
    }
}

/// The first administrator, created with the practice.
pub struct Admin<'a> {
    pub name: &'a str,
    pub password: &'a str,
}

/// An open practice. Its writer connection and the projection gate are private: every
/// write goes through [`Practice::commit`] (or [`Practice::apply`] for a peer's commits),
/// so no other module can write a projection, whatever it calls.
///
/// ```compile_fail
/// fn write_around_the_ledger(p: &mut chartkeep::practice::Practice) {
///     let _ = p.writer();
/// }
/// ```
/// ```compile_fail
/// fn open_the_gate(p: &chartkeep::practice::Practice) {
///     let _open = p.gate().open();
/// }
/// ```
pub struct Practice {
    dir: PathBuf,
    header: Header,
    key: DbKey,
    write: Connection,
    read: Connection,
    gate: Gate,
    ledger: Ledger,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    /// Set when this open made a restored backup a new workstation: the device (hex) of
    /// the workstation the backup was made on.
    restored_from: Option<String>,
    /// Inside [`Practice::batch`]: commits are not durable until it ends.
    in_batch: bool,
    /// A failed commit rolled the batch back to its last checkpoint.
    batch_lost: bool,
}

impl std::fmt::Debug for Practice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Practice")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Practice {
    /// Creates a practice in `dir`: key, recovery code, header, database, this
    /// workstation's signing identity, and the first administrator. On any error nothing
    /// usable is left half-made: the folder must have been empty of a practice to start.
    pub fn init(
        dir: &Path,
        plan: KeyPlan<'_>,
        admin: Admin<'_>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        rng: &dyn ring::rand::SecureRandom,
    ) -> Result<(Practice, RecoveryCode), PracticeError> {
        access::password::acceptable(admin.password)
            .map_err(|m| AccessError::Invalid(format!("administrator password: {m}")))?;
        let practice_id = ids.uuid_v7(clock.now_ms()).to_string();
        let created = crate::clock::rfc3339(clock.now_ms());
        let new = vault::create_key(dir, &practice_id, &created, plan, rng)?;
        match Self::init_database(dir, new, admin, clock, ids) {
            Ok(done) => Ok(done),
            Err(e) => {
                // A practice that failed half-way holds no patient data yet: remove what
                // this call created so the folder can be initialised again.
                for f in db::PRACTICE_FILES
                    .iter()
                    .chain([crate::vault::header::HEADER_FILE].iter())
                {
                    let _ = std::fs::remove_file(dir.join(f));
                }
                Err(e)
            }
        }
    }

    fn init_database(
        dir: &Path,
        new: vault::NewKey,
        admin: Admin<'_>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
    ) -> Result<(Practice, RecoveryCode), PracticeError> {
        let mut p = Self::new_workstation(dir, new.header, new.key, clock, ids)?;
        let (id, change) = access::users::create(
            &p.read,
            p.ids.as_ref(),
            p.clock.as_ref(),
            admin.name,
            None,
            "administrator",
            admin.password,
        )?;
        // The founding workstation is the practice's first member, in the same commit as
        // the administrator who adds it.
        let public_key = p.ledger.public_key();
        let now = p.clock.now_ms();
        let member = ledger::member::add(
            p.ids.uuid_v7(now),
            p.ids.uuid_v7(now),
            public_key,
            "founding workstation",
            id,
        );
        p.commit(id, vec![change, member])?;
        Ok((p, new.recovery))
    }

    /// The database, identity and connections of a new workstation of practice
    /// `header.practice_id`, with no commits yet.
    fn new_workstation(
        dir: &Path,
        header: Header,
        key: DbKey,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
    ) -> Result<Practice, PracticeError> {
        let created = header.created.clone();
        let gate = Gate::default();
        let path = vault::db_path(dir);
        let mut write = db::open(&path, &key, Access::Write { create: true }, &gate)?;
        migrate::migrate(&mut write, migrate::MIGRATIONS, &created)?;
        prepare_access_log(dir, &key, &gate, &created, true)?;
        db::attach_access_log(&write, dir, &key)?;
        write.execute(
            "INSERT INTO practice_meta (key, value) VALUES ('practice_id', ?1)",
            [&header.practice_id],
        )?;
        let device = new_device_key(
            dir,
            &mut write,
            &gate,
            ids.as_ref(),
            clock.now_ms(),
            "created",
        )?;
        let read = db::open(&path, &key, Access::Read, &gate)?;
        db::attach_access_log(&read, dir, &key)?;
        let ledger = Ledger::load(&write, &CATALOGUE, device)?;
        Ok(Practice {
            dir: dir.to_path_buf(),
            header,
            key,
            write,
            read,
            gate,
            ledger,
            clock,
            ids,
            restored_from: None,
            in_batch: false,
            batch_lost: false,
        })
    }

    /// Creates, in `dir`, a new workstation of the existing practice `practice_id`: its own
    /// key, recovery code, database and signing identity, but no users and no commits. It
    /// receives the practice's ledger from a peer; its own commits are accepted once an
    /// administrator adds its public key ([`Practice::add_member`] on a member
    /// workstation) and that commit has reached it.
    pub fn join(
        dir: &Path,
        practice_id: Uuid,
        plan: KeyPlan<'_>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
        rng: &dyn ring::rand::SecureRandom,
    ) -> Result<(Practice, RecoveryCode), PracticeError> {
        let created = crate::clock::rfc3339(clock.now_ms());
        let new = vault::create_key(dir, &practice_id.to_string(), &created, plan, rng)?;
        match Self::new_workstation(dir, new.header, new.key, clock, ids) {
            Ok(p) => Ok((p, new.recovery)),
            Err(e) => {
                for f in db::PRACTICE_FILES
                    .iter()
                    .chain([crate::vault::header::HEADER_FILE].iter())
                {
                    let _ = std::fs::remove_file(dir.join(f));
                }
                Err(e)
            }
        }
    }

    /// Opens an unlocked practice, applying any pending migrations.
    pub fn open(
        dir: &Path,
        key: DbKey,
        header: Header,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdSource>,
    ) -> Result<Practice, PracticeError> {
        // The header in place decides which key is right; a half-done rotation is undone
        // (or tidied) to match it.
        vault::backup::finish_interrupted_rekey(dir)?;
        let gate = Gate::default();
        let path = vault::db_path(dir);
        // Checked on a read-only handle first: opening the writer switches the file to WAL.
        migrate::check_not_newer(
            &db::open(&path, &key, Access::Read, &gate)?,
            migrate::MIGRATIONS,
        )?;
        let now = crate::clock::rfc3339(clock.now_ms());
        let log_restarted = prepare_access_log(dir, &key, &gate, &now, false)?;
        let mut write = db::open(&path, &key, Access::Write { create: false }, &gate)?;
        move_legacy_seed(dir, &write, ids.as_ref()).map_err(|e| corrupt(&path, e))?;
        migrate::migrate(&mut write, migrate::MIGRATIONS, &now)?;
        // A restored backup not yet opened as a workstation carries its successor identity.
        let restore = vault::device_key::successor(&write).map_err(|e| corrupt(&path, e.into()))?;
        let device = match &restore {
            Some(r) => restored_device_key(dir, &mut write, &gate, ids.as_ref(), clock.now_ms(), r),
            None => device_key(dir, &write),
        }
        .map_err(|e| corrupt(&path, e))?;
        db::attach_access_log(&write, dir, &key)?;
        let read = db::open(&path, &key, Access::Read, &gate)?;
        db::attach_access_log(&read, dir, &key)?;
        let mut ledger = Ledger::load(&write, &CATALOGUE, device).map_err(|e| damaged(&path, e))?;
        // An upgrade may have taught this binary what quarantined commits need. A retry
        // that fails leaves them waiting and does not stop the practice from opening:
        // `verify` reports what is wrong with the database.
        match ledger.retry_quarantined(&mut write, &gate, clock.now_ms()) {
            Ok(0) => {}
            Ok(retried) => tracing::info!(retried, "applied commits that waited in quarantine"),
            Err(e) => tracing::warn!(code = e.code(), "could not retry quarantined commits: {e}"),
        }
        let mut practice = Practice {
            dir: dir.to_path_buf(),
            header,
            key,
            write,
            read,
            gate,
            ledger,
            clock,
            ids,
            restored_from: None,
            in_batch: false,
            batch_lost: false,
        };
        if let Some(r) = restore {
            practice.join_as_restored(&r)?;
        }
        if log_restarted {
            tracing::warn!("the access log file was missing; a new one was started");
            practice.log_access(&access::audit::Access {
                at: &now,
                user_id: "",
                user_name: "chartkeep",
                patient: None,
                action: "log_started",
                category: "session",
                workstation: "",
                detail: access::audit::PREVIOUS_LOG_MISSING,
            })?;
        }
        Ok(practice)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn key(&self) -> &DbKey {
        &self.key
    }

    /// Another read-only connection to the chart store (not the access log), for a
    /// practice-wide read that reads two tables at once on two cores. `None` inside a
    /// batch, whose writes only the batch's own connection sees.
    pub fn spare_reader(&self) -> Result<Option<Connection>, VaultError> {
        if self.in_batch {
            return Ok(None);
        }
        let path = vault::db_path(&self.dir);
        Ok(Some(db::open(&path, &self.key, Access::Read, &self.gate)?))
    }

    /// The read-only connection: queries cannot write through it. Inside a batch
    /// ([`Practice::batch`]) it is the writer's, so that what the batch wrote so far is
    /// seen (a patient registered earlier in the same import, the MRNs handed out).
    pub fn reader(&self) -> &Connection {
        if self.in_batch {
            &self.write
        } else {
            &self.read
        }
    }

    /// Runs `f` with its commits in one SQLite transaction, durable together when `f`
    /// returns: for bulk work (an import of many patients), where a transaction per commit
    /// would write the same index pages again and again. A crash loses the batch's commits
    /// since its last checkpoint, whole, never half of one; so does a commit that fails
    /// ([`Practice::take_batch_lost`] says so). `f` gets the practice back, and may call
    /// [`Practice::checkpoint`] to make what it has done so far durable. On error, or when
    /// the final commit fails, everything since the last checkpoint is rolled back and the
    /// ledger follows the head the database holds.
    pub fn batch<T, E: From<LedgerError>>(
        &mut self,
        f: impl FnOnce(&mut Practice) -> Result<T, E>,
    ) -> Result<T, E> {
        if self.in_batch {
            return f(self);
        }
        self.write
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| E::from(LedgerError::from(e)))?;
        self.in_batch = true;
        let out = f(self);
        self.in_batch = false;
        let end = match &out {
            Ok(_) => self.write.execute_batch("COMMIT"),
            Err(_) => self.write.execute_batch("ROLLBACK"),
        };
        if out.is_err() || end.is_err() {
            if !self.write.is_autocommit() {
                let _ = self.write.execute_batch("ROLLBACK");
            }
            self.ledger.rewind(&self.write).map_err(E::from)?;
        }
        end.map_err(|e| E::from(LedgerError::from(e)))?;
        out
    }

    /// Inside [`Practice::batch`]: makes the batch's commits so far durable and goes on in
    /// a new transaction. Outside one, nothing to do.
    pub fn checkpoint(&mut self) -> Result<(), LedgerError> {
        if !self.in_batch {
            return Ok(());
        }
        if let Err(e) = self.write.execute_batch("COMMIT") {
            let _ = self.write.execute_batch("ROLLBACK");
            self.ledger.rewind(&self.write)?;
            self.write.execute_batch("BEGIN IMMEDIATE")?;
            return Err(e.into());
        }
        self.write.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    /// Whether commits are going into a batch not yet durable.
    pub fn in_batch(&self) -> bool {
        self.in_batch
    }

    /// Keeps the WAL files when this practice's connections close (no checkpoint), as a
    /// crash would leave them: for the crash tests, which must start the next run on a WAL
    /// that SQLite checkpoints mid-write. The writer itself stays private: every write goes
    /// through [`Practice::commit`] or [`Practice::apply`].
    #[doc(hidden)]
    pub fn keep_wal_on_close(&self) -> rusqlite::Result<()> {
        use rusqlite::config::DbConfig;
        self.write
            .set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
        self.read
            .set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
        Ok(())
    }

    /// The practice every commit of this workstation is bound to.
    pub fn practice_id(&self) -> Uuid {
        self.ledger.practice()
    }

    /// This workstation's public key, which an administrator adds to make it a member.
    pub fn public_key(&self) -> [u8; 32] {
        self.ledger.public_key()
    }

    /// Reloads the ledger writer with `catalogue` and retries the quarantine with it: what
    /// opening the practice with a newer binary does. `open` retries with [`CATALOGUE`];
    /// this lets a test (or a tool) stand in for a newer catalogue.
    pub fn retry_quarantined_with(
        &mut self,
        catalogue: &'static Catalogue,
    ) -> Result<usize, LedgerError> {
        self.ledger = Ledger::load(
            &self.write,
            catalogue,
            ledger::DeviceKey::from_seed(*self.ledger.key().seed())
                .map_err(|_| LedgerError::NoIdentity)?,
        )?;
        let now = self.clock.now_ms();
        self.ledger
            .retry_quarantined(&mut self.write, &self.gate, now)
    }

    /// When this open turned a restored backup into a new workstation: the workstation the
    /// backup was made on (hex device id). The new one has its own identity and joined the
    /// practice on that workstation's vouch.
    pub fn restored_from(&self) -> Option<&str> {
        self.restored_from.as_deref()
    }

    /// Makes this restored workstation a member on the vouch its backup carried, then
    /// forgets the vouch. Authored by the practice's first active administrator (the
    /// restore itself needed the recovery code or passphrase).
    fn join_as_restored(&mut self, r: &vault::device_key::Successor) -> Result<(), PracticeError> {
        let me = self.ledger.device();
        if !ledger::member::is_member(&self.read, &me)? {
            let admin: String = self.read.query_row(
                "SELECT id FROM app_user WHERE role = 'administrator' AND coalesce(active, 1) = 1 AND retracted = 0 ORDER BY created_at, id LIMIT 1",
                [],
                |row| row.get(0),
            )?;
            let admin = Uuid::parse_str(&admin).map_err(|e| LedgerError::Invalid(e.to_string()))?;
            let now = self.clock.now_ms();
            // A new workstation, so a new MRN block: the one it was restored from may
            // still be handing out numbers from its own.
            let change = ledger::member::with_mrn_block(
                ledger::member::add_vouched(
                    self.ids.uuid_v7(now),
                    self.ids.uuid_v7(now),
                    self.ledger.public_key(),
                    "restored workstation",
                    admin,
                    r.vouched_by,
                    r.vouch,
                ),
                ledger::member::next_mrn_block(&self.read)?,
            );
            self.commit(admin, vec![change])?;
            let from = hex::encode(ledger::commit::device_id(&r.vouched_by));
            tracing::info!(from = %&from[..16], "a restored backup became a new workstation");
            self.restored_from = Some(from);
        }
        vault::device_key::clear_successor(&self.write)?;
        Ok(())
    }

    pub fn workstation(&self) -> String {
        self.ledger.device_hex()[..16].to_string()
    }

    /// The seq of this workstation's newest own commit (0: none yet): the background sync
    /// watches it to sync soon after a commit.
    pub fn own_seq(&self) -> u64 {
        self.ledger.seq()
    }

    /// This workstation's device id (SHA-256 of its signing key's public half).
    pub fn device_id(&self) -> [u8; 32] {
        self.ledger.device()
    }

    /// This workstation's TLS certificate, made from its signing key.
    pub fn tls_identity(
        &self,
    ) -> Result<crate::sync::identity::TlsIdentity, crate::sync::SyncError> {
        crate::sync::identity::TlsIdentity::new(self.ledger.key())
    }

    /// This workstation's local sync bookkeeping (never part of the record).
    pub fn sync_state(&self) -> crate::sync::state::Bookkeeping<'_> {
        crate::sync::state::Bookkeeping::new(&self.write)
    }

    pub fn chart_ctx(&self) -> chart::Ctx<'_> {
        chart::Ctx {
            conn: self.reader(),
            clock: self.clock.as_ref(),
            ids: self.ids.as_ref(),
        }
    }

    /// Signs and writes one user action's changes as a single commit.
    pub fn commit(&mut self, author: Uuid, changes: Vec<Change>) -> Result<Commit, LedgerError> {
        let now = self.clock.now_ms();
        let out = self
            .ledger
            .append(&mut self.write, &self.gate, author, changes, now);
        if out.is_err() && self.in_batch {
            // The batch's transaction may hold part of the failed commit: everything since
            // the last checkpoint goes, and the batch starts again from there.
            self.batch_lost = true;
            let _ = self.write.execute_batch("ROLLBACK");
            self.ledger.rewind(&self.write)?;
            self.write.execute_batch("BEGIN IMMEDIATE")?;
        }
        out
    }

    /// Whether a failed commit inside [`Practice::batch`] took the batch's other commits
    /// since the last checkpoint with it (they are not written); asking clears it.
    pub fn take_batch_lost(&mut self) -> bool {
        std::mem::take(&mut self.batch_lost)
    }

    /// Applies a commit from another workstation, dated against this one's clock.
    pub fn apply(
        &mut self,
        encoded: &[u8],
        signature: [u8; 64],
    ) -> Result<ledger::Applied, LedgerError> {
        let now = self.clock.now_ms();
        self.ledger
            .apply(&mut self.write, &self.gate, encoded, signature, now)
    }

    /// Applies peers' commits in one transaction; see [`Ledger::apply_batch`].
    pub fn apply_batch(
        &mut self,
        commits: &[ledger::Signed],
    ) -> Result<Vec<Result<ledger::Applied, LedgerError>>, LedgerError> {
        let now = self.clock.now_ms();
        self.ledger
            .apply_batch(&mut self.write, &self.gate, commits, now)
    }

    /// Applies a batch already decoded and checked ([`ledger::Checked`]) in one
    /// transaction; see [`Ledger::apply_batch`].
    pub fn apply_checked(
        &mut self,
        checked: ledger::Checked,
    ) -> Result<Vec<Result<ledger::Applied, LedgerError>>, LedgerError> {
        let now = self.clock.now_ms();
        self.ledger
            .apply_checked(&mut self.write, &self.gate, checked, now)
    }

    /// Makes the workstation with `public_key` a member of the practice, as administrator
    /// `author` (refused with `ledger_not_administrator` otherwise), with an MRN block of
    /// its own ([`ledger::member::next_mrn_block`]). Returns the member row's id.
    pub fn add_member(
        &mut self,
        author: Uuid,
        public_key: [u8; 32],
        name: &str,
    ) -> Result<Uuid, LedgerError> {
        let device = ledger::commit::device_id(&public_key);
        if ledger::member::is_member(&self.read, &device)? {
            return Err(LedgerError::Invalid(format!(
                "workstation {} is already a member",
                hex::encode(&device[..8])
            )));
        }
        let now = self.clock.now_ms();
        let row = self.ids.uuid_v7(now);
        let change = ledger::member::with_mrn_block(
            ledger::member::add(row, self.ids.uuid_v7(now), public_key, name, author),
            ledger::member::next_mrn_block(&self.read)?,
        );
        self.commit(author, vec![change])?;
        Ok(row)
    }

    /// Removes the workstation with `public_key` from the practice, as administrator
    /// `author`. Its commits this workstation holds stay valid everywhere; any later one
    /// is refused (`ledger_not_member`) on every peer, whenever it arrives.
    pub fn remove_member(&mut self, author: Uuid, public_key: [u8; 32]) -> Result<(), LedgerError> {
        let device = ledger::commit::device_id(&public_key);
        let rows = ledger::member::rows_of(&self.read, &device)?;
        if rows.is_empty() {
            return Err(LedgerError::NotFound(format!(
                "workstation {} is not a member",
                hex::encode(&device[..8])
            )));
        }
        let seen = ledger::version_vector(&self.read)?
            .get(&device)
            .copied()
            .unwrap_or(0);
        let now = self.clock.now_ms();
        let mut changes = Vec::new();
        for row in rows {
            let base = ledger::row_version(&self.read, &ledger::member::DEVICE, &row)?;
            changes.push(Change::new(
                self.ids.uuid_v7(now),
                ledger::member::DEVICE.name,
                row,
                ledger::Op::Set,
                vec![
                    ("removed".into(), ledger::Value::Bool(true)),
                    ("removed_after".into(), ledger::Value::Int(seen as i64)),
                ],
                base,
            ));
        }
        self.commit(author, changes)?;
        Ok(())
    }

    /// The practice's member workstations, removed ones included.
    pub fn members(&self) -> Result<Vec<ledger::member::Member>, LedgerError> {
        ledger::member::list(&self.read)
    }

    /// Commits waiting in quarantine, with why.
    pub fn quarantined(&self) -> Result<Vec<ledger::quarantine::Held>, LedgerError> {
        ledger::quarantine::list(&self.read)
    }

    /// Writes a consistent, encrypted backup of the whole practice to `file`. Callers check
    /// who may (the API: an administrator, or the holder of the recovery code) and log it.
    ///
    /// The backup carries no workstation's signing key. It carries a successor identity
    /// made for it, vouched for by this workstation, which a restore takes: so a restored
    /// backup is a new workstation, never a second copy of this one.
    pub fn backup(
        &mut self,
        file: &Path,
        rng: &dyn ring::rand::SecureRandom,
    ) -> Result<u64, VaultError> {
        let mut seed = [0u8; 32];
        rng.fill(&mut seed)
            .map_err(|_| VaultError::Key(vault::keys::KeyError::Random))?;
        let successor = ledger::DeviceKey::from_seed(seed)
            .map_err(|_| VaultError::Key(vault::keys::KeyError::Random))?;
        let vouch = self.ledger.key().sign(&ledger::member::vouch_message(
            &self.ledger.practice(),
            &successor.public_key(),
        ));
        let s = vault::device_key::Successor {
            seed,
            vouched_by: self.ledger.public_key(),
            vouch,
            made_at: self.clock.now_ms(),
        };
        vault::keys::wipe(&mut seed);
        vault::backup::backup(&self.write, &self.dir, &self.key, file, rng, Some(&s))
    }

    /// Replays the ledger; with `replace`, the result becomes the live projections.
    pub fn rebuild(&mut self, replace: bool) -> Result<ledger::rebuild::Report, PracticeError> {
        let mut scratch = db::open_scratch(&self.dir, &self.key)?;
        db::set_cache_kib(&self.write, db::REBUILD_CACHE_KIB)?;
        db::set_cache_kib(&self.read, db::REBUILD_CACHE_KIB)?;
        let result = ledger::rebuild::rebuild(
            ledger::rebuild::Connections {
                write: &mut self.write,
                live: &mut self.read,
                scratch: &mut scratch,
            },
            &self.gate,
            &CATALOGUE,
            replace,
        );
        drop(scratch);
        let restored = db::set_cache_kib(&self.write, db::CACHE_KIB)
            .and_then(|()| db::set_cache_kib(&self.read, db::CACHE_KIB));
        // The scratch file goes whatever happened; failing to remove it is worth saying
        // only when the rebuild itself went well.
        let removed = db::remove_scratch(&self.dir);
        let report = result?;
        removed?;
        restored?;
        Ok(report)
    }

    /// Writes one access-log entry (reads are logged, not committed to the ledger).
    ///
    /// The log is its own database file, so logging a read does not invalidate the chart
    /// database's page cache; it is `synchronous=FULL`, so an entry is on disk before the
    /// read it records is answered. Each entry is signed with this workstation's key.
    pub fn log_access(&self, a: &access::audit::Access) -> Result<(), AccessError> {
        access::audit::record(&self.write, self.ledger.key(), a)
    }

    /// The access logs this workstation holds, its own and its copies of the others':
    /// device → highest seq held (see [`access::replica::log_vector`]).
    pub fn access_log_vector(
        &self,
    ) -> Result<std::collections::BTreeMap<[u8; 32], u64>, AccessError> {
        access::replica::log_vector(&self.read)
    }

    /// At most `limit` access-log entries of `device` after `after_seq`, own or copied,
    /// for a peer that lacks them (see [`access::replica::entries_after`]).
    pub fn access_entries_after(
        &self,
        device: &[u8; 32],
        after_seq: u64,
        limit: usize,
    ) -> Result<Vec<access::replica::LogEntry>, AccessError> {
        access::replica::entries_after(&self.read, device, after_seq, limit)
    }

    /// Adds a peer's access-log entries to this workstation's copies, each checked
    /// against the ledger's keys; one result per entry (see
    /// [`access::replica::apply_copies`]). Needs `&mut self` as every write does: a
    /// practice has one writer.
    pub fn apply_access_copies(
        &mut self,
        entries: &[access::replica::LogEntry],
    ) -> Result<Vec<Result<bool, AccessError>>, AccessError> {
        access::replica::apply_copies(&self.write, entries)
    }
}

impl Practice {
    /// Everything this workstation holds that a peer with `have` lacks.
    pub fn missing_for(
        &self,
        have: &std::collections::BTreeMap<[u8; 32], u64>,
    ) -> Result<Vec<ledger::Signed>, LedgerError> {
        ledger::missing_for(&self.read, have)
    }

    pub fn version_vector(&self) -> Result<std::collections::BTreeMap<[u8; 32], u64>, LedgerError> {
        ledger::version_vector(&self.read)
    }

    /// A SHA-256 digest of everything the ledger projects here (see [`ledger::digest`]):
    /// equal on workstations that hold the same commits, whatever order they arrived in.
    pub fn digest(&self) -> Result<[u8; 32], PracticeError> {
        Ok(ledger::digest::digest(&self.read, &CATALOGUE)?)
    }
}

/// What `chartkeep verify` found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    pub sqlite_integrity: String,
    pub cipher_integrity: Vec<String>,
    pub ledger: ledger::verify::Report,
    pub projections: ledger::rebuild::Report,
    pub access_log_entries: Option<u64>,
    pub access_log_problem: Option<String>,
    /// Signed notes whose content differs from the digest their signature recorded.
    pub signed_notes: Vec<String>,
}

impl VerifyReport {
    pub fn ok(&self) -> bool {
        self.sqlite_integrity == "ok"
            && self.cipher_integrity.is_empty()
            && self.ledger.problems.is_empty()
            && self.projections.differences.is_empty()
            && self.access_log_problem.is_none()
            && self.signed_notes.is_empty()
    }
}

impl Practice {
    /// SQLCipher's page HMACs, SQLite's integrity check, the whole ledger (signatures,
    /// chains, index), the projections against a replay, and the access log's chain.
    pub fn verify(&mut self) -> Result<VerifyReport, PracticeError> {
        let sqlite_integrity: String = self
            .read
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        let mut cipher_integrity = Vec::new();
        {
            let mut stmt = self.read.prepare("PRAGMA cipher_integrity_check")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                cipher_integrity.push(r.get::<_, String>(0)?);
            }
        }
        let ledger_report = ledger::verify::verify(&self.read)?;
        let projections = self.rebuild(false)?;
        let signed_notes = chart::notes::check_signed(&self.read)?;
        let (access_log_entries, access_log_problem) = match access::audit::verify(&self.read) {
            Ok(n) => (Some(n), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Ok(VerifyReport {
            sqlite_integrity,
            cipher_integrity,
            ledger: ledger_report,
            projections,
            access_log_entries,
            access_log_problem,
            signed_notes,
        })
    }

    /// A signed statement of every device's head and the access log's last entry now, to
    /// be kept outside the practice folder (see [`ledger::anchor`]).
    pub fn anchor(&self) -> Result<ledger::anchor::Anchor, PracticeError> {
        use rusqlite::OptionalExtension;
        let heads = ledger::anchor::heads(&self.read)?;
        let log = self
            .read
            .query_row(
                "SELECT seq, hash FROM access_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| {
                    Ok(ledger::anchor::LogHead {
                        seq: r.get(0)?,
                        hash: hex::encode(r.get::<_, Vec<u8>>(1)?),
                    })
                },
            )
            .optional()?;
        let at = crate::clock::rfc3339(self.clock.now_ms());
        Ok(ledger::anchor::sign(
            self.ledger.key(),
            &self.header.practice_id,
            &at,
            heads,
            log,
        ))
    }

    /// What contradicts an anchor made earlier: commits or access-log entries it saw that
    /// are gone or changed. Empty when nothing before the anchor changed.
    pub fn check_anchor(
        &self,
        anchor: &ledger::anchor::Anchor,
    ) -> Result<Vec<String>, PracticeError> {
        use rusqlite::OptionalExtension;
        let mut problems = ledger::anchor::check(&self.read, &self.header.practice_id, anchor)?;
        if let (Some(log), true) = (&anchor.statement.access_log, problems.is_empty()) {
            let here: Option<Vec<u8>> = self
                .read
                .query_row(
                    "SELECT hash FROM access_log WHERE seq = ?1",
                    [log.seq],
                    |r| r.get(0),
                )
                .optional()?;
            if here.map(hex::encode).as_deref() != Some(log.hash.as_str()) {
                problems.push(format!(
                    "access log entry {} differs from the anchor of {} or is missing (log rewritten)",
                    log.seq, anchor.statement.at
                ));
            }
        }
        Ok(problems)
    }

    /// Closes the practice, handing back the writer connection for maintenance that needs
    /// the database to itself (key rotation).
    pub fn into_writer(self) -> Connection {
        drop(self.read);
        self.write
    }
}

/// A storage error that says the file is corrupt, as the vault's "damaged, restore it"
/// error naming the file; any other error as it is.
/// [`damaged`] for any practice error that carries SQLite's "corrupt" code.
fn corrupt(path: &Path, e: PracticeError) -> PracticeError {
    match e {
        PracticeError::Storage(e) | PracticeError::Vault(VaultError::Sqlite(e)) => {
            damaged(path, LedgerError::Storage(e))
        }
        PracticeError::Ledger(e) => damaged(path, e),
        e => e,
    }
}

fn damaged(path: &Path, e: LedgerError) -> PracticeError {
    match e {
        LedgerError::Storage(rusqlite::Error::SqliteFailure(f, m))
            if f.code == rusqlite::ErrorCode::DatabaseCorrupt =>
        {
            VaultError::Damaged(path.to_path_buf(), m.unwrap_or_else(|| f.to_string())).into()
        }
        e => e.into(),
    }
}

/// Creates or migrates the access log file. Says whether the log of an existing practice
/// had gone missing and was started anew: its first entry must say so, which `verify`
/// then reports.
fn prepare_access_log(
    dir: &Path,
    key: &DbKey,
    gate: &Gate,
    now: &str,
    new_practice: bool,
) -> Result<bool, PracticeError> {
    let path = dir.join(db::ACCESS_FILE);
    let missing = !path.exists();
    if !missing {
        // Checked on a read-only handle first, as the chart database is in
        // `Practice::open`: the writer below switches the file to WAL, which rewrites its
        // first page, and a log from a newer Chartkeep must be left exactly as it was.
        migrate::check_not_newer(
            &db::open(&path, key, Access::Read, gate)?,
            migrate::ACCESS_MIGRATIONS,
        )?;
    }
    let mut conn = db::open(&path, key, Access::Write { create: missing }, gate)?;
    migrate::check_not_newer(&conn, migrate::ACCESS_MIGRATIONS)?;
    migrate::migrate(&mut conn, migrate::ACCESS_MIGRATIONS, now)?;
    // The entry saying so is written by `open` once the workstation's key is loaded.
    Ok(missing && !new_practice)
}

/// Makes a new signing key for this workstation: its seed sealed in the key file (under a
/// new wrap secret the database keeps), its device recorded as the database's identity.
fn new_device_key(
    dir: &Path,
    write: &mut Connection,
    gate: &Gate,
    ids: &dyn IdSource,
    now_ms: i64,
    origin: &str,
) -> Result<ledger::DeviceKey, PracticeError> {
    let mut seed = [0u8; 32];
    ids.fill(&mut seed);
    let key = ledger::DeviceKey::from_seed(seed).map_err(|_| LedgerError::NoIdentity)?;
    seal_device_key(dir, write, ids, &key)?;
    Ledger::record_identity(write, gate, key.id(), origin, now_ms)?;
    Ok(key)
}

/// Seals `key` into the key file under a new wrap secret, replacing any file there.
fn seal_device_key(
    dir: &Path,
    write: &Connection,
    ids: &dyn IdSource,
    key: &ledger::DeviceKey,
) -> Result<(), PracticeError> {
    let mut wrap = [0u8; 32];
    ids.fill(&mut wrap);
    let mut nonce = [0u8; 12];
    ids.fill(&mut nonce);
    vault::device_key::set_wrap_secret(write, &wrap)?;
    let path = dir.join(vault::device_key::DEVICE_KEY_FILE);
    if path.exists() {
        std::fs::remove_file(&path).map_err(|e| VaultError::Io(path.clone(), e))?;
    }
    vault::device_key::store(dir, &wrap, &key.id(), key.seed(), nonce)?;
    vault::keys::wipe(&mut wrap);
    Ok(())
}

/// This workstation's signing key, from its key file.
fn device_key(dir: &Path, write: &Connection) -> Result<ledger::DeviceKey, PracticeError> {
    let device = Ledger::identity(write)?.ok_or(LedgerError::NoIdentity)?;
    let wrap = vault::device_key::wrap_secret(write)?.ok_or(LedgerError::NoIdentity)?;
    let seed = vault::device_key::load(dir, &wrap, &device)?.ok_or_else(|| {
        VaultError::DeviceKeyMissing(dir.join(vault::device_key::DEVICE_KEY_FILE))
    })?;
    Ok(ledger::DeviceKey::from_seed(seed).map_err(|_| LedgerError::NoIdentity)?)
}

/// A restored backup's first open: it takes the successor identity the backup carries.
/// Each step can be repeated after a crash: the successor stays in the database until the
/// new workstation's membership is committed.
fn restored_device_key(
    dir: &Path,
    write: &mut Connection,
    gate: &Gate,
    ids: &dyn IdSource,
    now_ms: i64,
    r: &vault::device_key::Successor,
) -> Result<ledger::DeviceKey, PracticeError> {
    let key = ledger::DeviceKey::from_seed(r.seed).map_err(|_| LedgerError::NoIdentity)?;
    if Ledger::identity(write)? != Some(key.id()) {
        seal_device_key(dir, write, ids, &key)?;
        let from = hex::encode(ledger::commit::device_id(&r.vouched_by));
        Ledger::record_identity(
            write,
            gate,
            key.id(),
            &format!("restored from a backup made on workstation {}", &from[..16]),
            now_ms,
        )?;
    }
    Ok(key)
}

/// A database written before the signing seed left it keeps the seed in
/// `device_identity`: seal it into the key file before the migration drops that table.
/// Safe to repeat: an existing key file for the same device is kept.
fn move_legacy_seed(
    dir: &Path,
    write: &Connection,
    ids: &dyn IdSource,
) -> Result<(), PracticeError> {
    use rusqlite::OptionalExtension;
    let has_table: bool = write.query_row(
        "SELECT count(*) FROM main.sqlite_master WHERE type = 'table' AND name = 'device_identity'",
        [],
        |r| r.get::<_, i64>(0),
    )? > 0;
    if !has_table {
        return Ok(());
    }
    let seed: Option<Vec<u8>> = write
        .query_row("SELECT seed FROM device_identity WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(seed) = seed.and_then(|s| <[u8; 32]>::try_from(s.as_slice()).ok()) else {
        return Ok(());
    };
    let key = ledger::DeviceKey::from_seed(seed).map_err(|_| LedgerError::NoIdentity)?;
    if let Some(wrap) = vault::device_key::wrap_secret(write)? {
        if vault::device_key::load(dir, &wrap, &key.id())
            .ok()
            .flatten()
            == Some(seed)
        {
            return Ok(());
        }
    }
    seal_device_key(dir, write, ids, &key)
}

#[cfg(test)]
mod tests {
    use super::CATALOGUE;
    use crate::vault::migrate;

    /// The entity definitions and the migrations describe the same tables: a field the
    /// catalogue knows but no column holds (or a column no field names) would fail only when
    /// a change first touched it, on some workstation, in some clinic.
    #[test]
    fn catalogue_matches_schema() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("in-memory database");
        migrate::migrate(&mut conn, migrate::MIGRATIONS, "2026-01-01T00:00:00Z")
            .expect("migrations apply");
        const STANDARD: [&str; 8] = [
            "id",
            "created_change",
            "created_at",
            "created_by",
            "updated_at",
            "updated_by",
            "retracted",
            "retract_reason",
        ];
        for def in CATALOGUE.entities {
            let mut columns: Vec<String> = conn
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{}')",
                    def.table
                ))
                .expect("table info")
                .query_map([], |r| r.get(0))
                .expect("columns")
                .collect::<Result<_, _>>()
                .expect("columns");
            let mut expected: Vec<String> = STANDARD
                .iter()
                .copied()
                .chain(def.fields.iter().map(|f| f.name))
                .map(String::from)
                .collect();
            columns.sort();
            expected.sort();
            assert_eq!(
                columns, expected,
                "table {} of entity {}",
                def.table, def.name
            );
        }
    }
}
