//! Backups, restores and key rotation.
//!
//! A backup is one file, written and read in fixed-size pieces so that memory stays the
//! same whatever the practice's size (an 11 GB practice is never held in memory):
//!
//! ```text
//! "CKBACKUP2\n"  salt (16 random bytes)  u32 header length  key header (JSON)  u32 file count
//! per database:   u16 name length  name  chunks…
//! per chunk:      u8 flags (1 = the file's last chunk)  u32 plaintext length  AES-256-GCM ciphertext + tag
//! SHA-256 of everything above
//! ```
//!
//! The databases are consistent copies made by `sqlcipher_export` inside one read
//! transaction each, so their pages are already SQLCipher-encrypted; the chunks are
//! encrypted again under a key derived from the database key and the digest of everything
//! before the first chunk (salt and header included, so each backup has its own key).
//! Every chunk but a file's last is exactly [`CHUNK_SIZE`] bytes. Its nonce is a counter
//! over the whole backup, and its associated data is the database's name, that counter and
//! the last-chunk flag: a chunk moved, dropped, repeated, taken from another file or
//! another backup, or a file cut at a chunk boundary fails authentication.
//!
//! The trailing SHA-256 keeps a backup self-verifying without any secret:
//! [`read_backup`] reads the whole file once and refuses a truncated or damaged one before
//! a recovery code is asked for or anything is written. [`restore_into`] then reads it a
//! second time, authenticating every chunk as it writes, and removes what it wrote if any
//! chunk fails. Backups in the first format (`CKBACKUP1`, the whole file in memory) still
//! restore, streamed the same way.
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ring::rand::SecureRandom;
use ring::{aead, hmac};
use rusqlite::Connection;

use super::header::{self, Header, KeyMode};
use super::keys::{self, DbKey, RecoveryCode, PURPOSE_RECOVERY};
use super::{db, VaultError};

/// The current backup format: streamed, chunks encrypted and authenticated.
const MAGIC: &[u8; 10] = b"CKBACKUP2\n";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> VaultError + '_ {
    move |e| VaultError::Io(path.to_path_buf(), e)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn fsync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Exports one database of the connection (`main`, or `access` for the attached access
/// log), encrypted with `key`, into a new file at `dest`.
fn export(conn: &Connection, schema: &str, dest: &Path, key: &DbKey) -> Result<(), VaultError> {
    // The writer connection is opened without SQLITE_OPEN_CREATE, and ATTACH inherits its
    // flags: start from an empty (valid, zero-length) database file rather than none.
    // Private from the start, so its journal is too.
    db::create_private(dest)?;
    conn.execute(
        "ATTACH DATABASE ?1 AS chartkeep_export KEY ?2",
        rusqlite::params![dest.to_string_lossy(), key.sqlcipher_pragma()],
    )?;
    let result = conn
        .query_row(
            "SELECT sqlcipher_export('chartkeep_export', ?1)",
            [schema],
            |_| Ok(()),
        )
        .map_err(VaultError::from);
    let detach = conn.execute_batch("DETACH DATABASE chartkeep_export");
    result?;
    detach?;
    Ok(())
}

/// The databases a backup carries: (schema on the practice connection, file name).
const BACKED_UP: [(&str, &str); 2] = [("main", db::DB_FILE), ("access", db::ACCESS_FILE)];

/// The first backup format: the whole practice in memory, checked by SHA-256 only.
const MAGIC_V1: &[u8; 10] = b"CKBACKUP1\n";

/// Plaintext bytes per chunk: large enough that the 21 bytes of framing and tag are
/// noise, small enough that the two buffers a backup or restore holds stay a few MiB.
pub const CHUNK_SIZE: usize = 1 << 20;

const SALT_LEN: usize = 16;
const TAG_LEN: usize = 16;
const DIGEST_LEN: usize = 32;
const FLAG_LAST: u8 = 1;
/// The HMAC message (after the label, the preamble's digest) behind a backup's chunk key.
const CHUNK_KEY_LABEL: &[u8] = b"chartkeep backup chunk key v2";
/// A key header is well under 2 KiB; a length beyond this is damage, not a header.
const MAX_HEADER_BYTES: u32 = 64 * 1024;
/// More databases than a backup has ever carried means damage.
const MAX_FILES: u32 = 16;

/// Writes through to `inner`, keeping a SHA-256 of everything written and its length.
struct HashingWriter<W: Write> {
    inner: W,
    sha: ring::digest::Context,
    written: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Reads from `inner`, keeping a SHA-256 of everything read and its length.
struct HashingReader<R: Read> {
    inner: R,
    sha: ring::digest::Context,
    read: u64,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            sha: ring::digest::Context::new(&ring::digest::SHA256),
            read: 0,
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

/// Why a backup's bytes are refused; becomes [`VaultError::BackupDamaged`] with the path.
#[derive(Debug)]
enum Refusal {
    /// The file's bytes are not a backup, or not this one any more.
    Damaged(String),
    /// The file system failed reading the backup, which says nothing about the backup.
    Io(std::io::Error),
    /// Writing the restored bytes failed (a full disk, say): about the target, not the
    /// backup.
    Write(std::io::Error),
}

impl From<std::io::Error> for Refusal {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Refusal::Damaged("the file ends early: it was cut short".into())
        } else {
            Refusal::Io(e)
        }
    }
}

fn damaged(why: impl Into<String>) -> Refusal {
    Refusal::Damaged(why.into())
}

fn refused(file: &Path) -> impl FnOnce(Refusal) -> VaultError + '_ {
    move |r| match r {
        Refusal::Damaged(why) => VaultError::BackupDamaged(file.to_path_buf(), why),
        Refusal::Io(e) => VaultError::Io(file.to_path_buf(), e),
        Refusal::Write(e) => VaultError::Io(file.to_path_buf(), e),
    }
}

fn read_array<const N: usize>(r: &mut impl Read) -> Result<[u8; N], Refusal> {
    let mut b = [0u8; N];
    r.read_exact(&mut b)?;
    Ok(b)
}

/// Reads until `buf` is full or the input ends; the number of bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The AES-256-GCM key for one backup's chunks: HMAC-SHA256 under the database key of a
/// label and the digest of the backup's preamble (magic, random salt, key header, file
/// count). Tied to the database key, so only the practice's secrets open the chunks, and
/// to the preamble, so no two backups share a key and the counter nonces never repeat.
fn chunk_key(key: &DbKey, preamble_digest: &[u8]) -> Result<aead::LessSafeKey, VaultError> {
    let mac = hmac::Key::new(hmac::HMAC_SHA256, key.as_bytes());
    let mut ctx = hmac::Context::with_key(&mac);
    ctx.update(CHUNK_KEY_LABEL);
    ctx.update(preamble_digest);
    let tag = ctx.sign();
    let unbound = aead::UnboundKey::new(&aead::AES_256_GCM, tag.as_ref())
        .map_err(|_| VaultError::Key(keys::KeyError::Crypto))?;
    Ok(aead::LessSafeKey::new(unbound))
}

/// Chunk `counter`'s nonce: the counter, big-endian, in the last 8 of 12 bytes. Unique
/// because the counter runs over the whole backup and each backup has its own key.
fn chunk_nonce(counter: u64) -> aead::Nonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&counter.to_be_bytes());
    aead::Nonce::assume_unique_for_key(n)
}

/// What a chunk's tag vouches for besides its bytes: which database it belongs to, where
/// it stands in the backup, and whether it is that database's last.
fn chunk_aad(name: &str, counter: u64, last: bool) -> Vec<u8> {
    let mut aad = Vec::with_capacity(2 + name.len() + 9);
    aad.extend_from_slice(&(name.len() as u16).to_be_bytes());
    aad.extend_from_slice(name.as_bytes());
    aad.extend_from_slice(&counter.to_be_bytes());
    aad.push(u8::from(last));
    aad
}

/// One backup's chunk key, the running chunk counter and the chunk size.
struct ChunkStream<'a> {
    key: &'a aead::LessSafeKey,
    counter: u64,
    chunk: usize,
}

/// Encrypts everything `src` gives as chunks of `chunk` bytes (the last one shorter or
/// even empty) onto `out`, numbering them from the stream's counter on.
/// Reports a failed read of the source as being about `paths.0`, and a failed write as
/// being about `paths.1`.
fn seal_chunks(
    src: &mut impl Read,
    out: &mut impl Write,
    stream: &mut ChunkStream<'_>,
    name: &str,
    paths: (&Path, &Path),
) -> Result<(), VaultError> {
    let (sealing, counter, chunk) = (stream.key, &mut stream.counter, stream.chunk);
    let crypto = |_| VaultError::Key(keys::KeyError::Crypto);
    let source = |e: std::io::Error| VaultError::Io(paths.0.to_path_buf(), e);
    let mut current = Vec::with_capacity(chunk + TAG_LEN);
    let mut next = Vec::with_capacity(chunk + TAG_LEN);
    current.resize(chunk, 0);
    let n = read_full(src, &mut current).map_err(source)?;
    current.truncate(n);
    loop {
        // A full chunk may still be the last: look at what follows before sealing it.
        let last = if current.len() < chunk {
            true
        } else {
            next.clear();
            next.resize(chunk, 0);
            let n = read_full(src, &mut next).map_err(source)?;
            next.truncate(n);
            n == 0
        };
        let len = current.len() as u32;
        sealing
            .seal_in_place_append_tag(
                chunk_nonce(*counter),
                aead::Aad::from(chunk_aad(name, *counter, last)),
                &mut current,
            )
            .map_err(crypto)?;
        let frame = |w: &mut dyn Write| -> std::io::Result<()> {
            w.write_all(&[if last { FLAG_LAST } else { 0 }])?;
            w.write_all(&len.to_be_bytes())?;
            w.write_all(&current)
        };
        frame(out).map_err(|e| VaultError::Io(paths.1.to_path_buf(), e))?;
        *counter += 1;
        if last {
            return Ok(());
        }
        std::mem::swap(&mut current, &mut next);
    }
}

/// Reads one database's chunks from `src`, checking each tag when `opening` is given and
/// writing the plaintext to `dst`; without a key only the framing is checked (the
/// trailing digest covers the bytes). Returns the plaintext length.
fn open_chunks(
    src: &mut impl Read,
    dst: &mut impl Write,
    opening: Option<&aead::LessSafeKey>,
    name: &str,
    counter: &mut u64,
    chunk: usize,
) -> Result<u64, Refusal> {
    // (Kept apart from `ChunkStream` so the keyless walk needs no key.)
    let mut buf = Vec::with_capacity(chunk + TAG_LEN);
    let mut total = 0u64;
    loop {
        let [flags] = read_array::<1>(src)?;
        if flags & !FLAG_LAST != 0 {
            return Err(damaged(format!("chunk {counter} has unknown flags")));
        }
        let last = flags == FLAG_LAST;
        let len = u32::from_be_bytes(read_array(src)?) as usize;
        if len > chunk || (!last && len != chunk) {
            return Err(damaged(format!(
                "chunk {counter} of {name} has a length of {len} bytes"
            )));
        }
        buf.clear();
        buf.resize(len + TAG_LEN, 0);
        src.read_exact(&mut buf)?;
        match opening {
            Some(key) => {
                let plain = key
                    .open_in_place(
                        chunk_nonce(*counter),
                        aead::Aad::from(chunk_aad(name, *counter, last)),
                        &mut buf,
                    )
                    .map_err(|_| {
                        damaged(format!(
                            "chunk {counter} ({name}) fails authentication: the backup was \
                             changed, cut, reordered or pieced together from others"
                        ))
                    })?;
                dst.write_all(plain).map_err(Refusal::Write)?;
            }
            None => dst.write_all(&buf[..len]).map_err(Refusal::Write)?,
        }
        total += len as u64;
        *counter += 1;
        if last {
            return Ok(total);
        }
    }
}

/// Exports each database into a temporary file beside `out`, checks it, and streams it
/// into `w` as one section (name, then chunks). One database at a time, so the extra disk
/// is one database's copy.
fn write_sections(
    conn: &Connection,
    key: &DbKey,
    out: &Path,
    w: &mut impl Write,
    stream: &mut ChunkStream<'_>,
    successor: Option<&super::device_key::Successor>,
) -> Result<(), VaultError> {
    for (schema, name) in BACKED_UP {
        let tmp_db = sibling(out, &format!(".{schema}.tmp"));
        export(conn, schema, &tmp_db, key)?;
        // The copy must open and pass SQLite's check before it is called a backup.
        let checked = (|| {
            let c = db::open(
                &tmp_db,
                key,
                db::Access::Write { create: false },
                &db::Gate::default(),
            )?;
            if let (Some(s), "main") = (successor, schema) {
                super::device_key::write_successor(&c, s)?;
            }
            let ok: String = c.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
            if ok != "ok" {
                return Err(VaultError::Damaged(tmp_db.clone(), ok));
            }
            c.execute_batch("PRAGMA journal_mode = DELETE;")?;
            Ok(())
        })();
        let streamed = checked.and_then(|()| {
            let mut src = std::io::BufReader::new(File::open(&tmp_db).map_err(io(&tmp_db))?);
            w.write_all(&(name.len() as u16).to_be_bytes())
                .and_then(|()| w.write_all(name.as_bytes()))
                .map_err(io(out))?;
            seal_chunks(&mut src, w, stream, name, (&tmp_db, out))
        });
        let _ = fs::remove_file(&tmp_db);
        streamed?;
    }
    Ok(())
}

/// Writes a backup of the open practice to `out`. `conn` is the practice's writer, with the
/// access log attached; `rng` gives the backup's salt; `successor` is the identity its
/// restored copy will take (`Practice::backup` makes one). Refuses to overwrite an
/// existing file. Returns the backup's size in bytes.
pub fn backup(
    conn: &Connection,
    dir: &Path,
    key: &DbKey,
    out: &Path,
    rng: &dyn SecureRandom,
    successor: Option<&super::device_key::Successor>,
) -> Result<u64, VaultError> {
    if out.exists() {
        return Err(VaultError::FileExists(out.to_path_buf()));
    }
    let h = header::read(dir)?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let header_bytes = serde_json::to_vec(&h)
        .map_err(|e| VaultError::Damaged(out.to_path_buf(), e.to_string()))?;
    let mut salt = [0u8; SALT_LEN];
    rng.fill(&mut salt)
        .map_err(|_| VaultError::Key(keys::KeyError::Random))?;
    let mut preamble = Vec::with_capacity(MAGIC.len() + SALT_LEN + 8 + header_bytes.len());
    preamble.extend_from_slice(MAGIC);
    preamble.extend_from_slice(&salt);
    preamble.extend_from_slice(&(header_bytes.len() as u32).to_be_bytes());
    preamble.extend_from_slice(&header_bytes);
    preamble.extend_from_slice(&(BACKED_UP.len() as u32).to_be_bytes());
    let sealing = chunk_key(
        key,
        ring::digest::digest(&ring::digest::SHA256, &preamble).as_ref(),
    )?;

    let tmp = sibling(out, ".tmp");
    let written = (|| {
        let f = super::create_new_private(&tmp).map_err(io(&tmp))?;
        let mut w = HashingWriter {
            inner: std::io::BufWriter::with_capacity(256 * 1024, f),
            sha: ring::digest::Context::new(&ring::digest::SHA256),
            written: 0,
        };
        w.write_all(&preamble).map_err(io(&tmp))?;
        let mut stream = ChunkStream {
            key: &sealing,
            counter: 0,
            chunk: CHUNK_SIZE,
        };
        write_sections(conn, key, out, &mut w, &mut stream, successor)?;
        let digest = w.sha.finish();
        let mut f = w.inner;
        f.write_all(digest.as_ref()).map_err(io(&tmp))?;
        let f = f
            .into_inner()
            .map_err(|e| VaultError::Io(tmp.clone(), e.into_error()))?;
        f.sync_all().map_err(io(&tmp))?;
        Ok(w.written + DIGEST_LEN as u64)
    })();
    let written = match written {
        Ok(n) => n,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    fs::rename(&tmp, out).map_err(io(out))?;
    fsync_dir(parent);
    Ok(written)
}

/// Where one database's bytes sit in a backup file.
struct Section {
    name: String,
    /// Offset of its first chunk (format 2) or of its raw bytes (format 1).
    offset: u64,
    /// Its raw length (format 1 only).
    len: u64,
}

/// A backup file read and checked, not yet written anywhere. It holds where the databases
/// are in the file, not their bytes: [`restore_into`] reads them again.
pub struct BackupContents {
    pub header: Header,
    file: PathBuf,
    /// 1 or 2.
    format: u8,
    /// SHA-256 of the bytes before the first section (format 2's chunk key input).
    preamble_digest: Vec<u8>,
    sections: Vec<Section>,
}

/// Reads a whole backup file once, in bounded memory, and checks its framing and its
/// SHA-256; a cut-short, extended or damaged file is [`VaultError::BackupDamaged`].
pub fn read_backup(file: &Path) -> Result<BackupContents, VaultError> {
    let f = File::open(file).map_err(io(file))?;
    let mut r = HashingReader::new(std::io::BufReader::with_capacity(256 * 1024, f));
    walk(&mut r, file).map_err(refused(file))
}

fn walk<R: Read>(r: &mut HashingReader<R>, file: &Path) -> Result<BackupContents, Refusal> {
    let not_backup = || damaged("not a Chartkeep backup");
    let mut magic = [0u8; 10];
    if read_full(r, &mut magic)? != magic.len() {
        return Err(not_backup());
    }
    let format = match &magic {
        m if m == MAGIC => 2,
        m if m == MAGIC_V1 => 1,
        _ => return Err(not_backup()),
    };
    if format == 2 {
        read_array::<SALT_LEN>(r)?;
    }
    let hlen = u32::from_be_bytes(read_array(r)?);
    if hlen > MAX_HEADER_BYTES {
        return Err(damaged("the key header's length is not plausible"));
    }
    let mut header_bytes = vec![0u8; hlen as usize];
    r.read_exact(&mut header_bytes)?;
    let count = u32::from_be_bytes(read_array(r)?);
    if count > MAX_FILES {
        return Err(damaged("the file count is not plausible"));
    }
    let preamble_digest = r.sha.clone().finish().as_ref().to_vec();
    let mut sections = Vec::new();
    let mut counter = 0u64;
    for _ in 0..count {
        let nlen = u16::from_be_bytes(read_array(r)?) as usize;
        let mut name = vec![0u8; nlen];
        r.read_exact(&mut name)?;
        let name = String::from_utf8(name).map_err(|_| damaged("a file name is not text"))?;
        if !BACKED_UP.iter().any(|(_, f)| *f == name) {
            return Err(damaged("unexpected file in backup"));
        }
        if format == 2 {
            let offset = r.read;
            open_chunks(
                r,
                &mut std::io::sink(),
                None,
                &name,
                &mut counter,
                CHUNK_SIZE,
            )?;
            sections.push(Section {
                name,
                offset,
                len: 0,
            });
        } else {
            let len = u64::from_be_bytes(read_array(r)?);
            let offset = r.read;
            let copied = std::io::copy(&mut r.by_ref().take(len), &mut std::io::sink())?;
            if copied != len {
                return Err(damaged("the file ends early: it was cut short"));
            }
            sections.push(Section { name, offset, len });
        }
    }
    let body_digest = r.sha.clone().finish();
    let mut sum = [0u8; DIGEST_LEN];
    let got = read_full(&mut r.inner, &mut sum)?;
    let mut extra = [0u8; 1];
    let trailing = read_full(&mut r.inner, &mut extra)?;
    if got != DIGEST_LEN || trailing != 0 || body_digest.as_ref() != sum {
        return Err(damaged(
            "checksum mismatch: the file was changed or cut short",
        ));
    }
    if !sections.iter().any(|s| s.name == db::DB_FILE) {
        return Err(damaged("incomplete: the chart database is missing"));
    }
    let header = header::parse(file, &header_bytes).map_err(|e| match e {
        // A backup from a newer Chartkeep says so; anything else is damage.
        header::HeaderError::TooNew(_, f) => damaged(format!(
            "its key header has format {f}, newer than this Chartkeep reads: update Chartkeep"
        )),
        _ => damaged("key header"),
    })?;
    Ok(BackupContents {
        header,
        file: file.to_path_buf(),
        format,
        preamble_digest,
        sections,
    })
}

/// Unwraps the backup's key with its recovery code or passphrase.
pub fn unlock_backup(
    contents: &BackupContents,
    recovery_code: Option<&str>,
    passphrase: Option<&str>,
) -> Result<DbKey, VaultError> {
    let key = match (recovery_code, passphrase, &contents.header.passphrase) {
        (Some(code), _, _) => {
            let code = RecoveryCode::parse(code)?;
            let h = &contents.header;
            let aad = h.aad_for(&h.recovery, PURPOSE_RECOVERY);
            keys::unwrap(&h.recovery, code.as_str().as_bytes(), &aad)?
        }
        (None, Some(p), Some(w)) => {
            let aad = contents.header.aad_for(w, keys::PURPOSE_PASSPHRASE);
            keys::unwrap_passphrase(w, p, &aad)?
        }
        _ => return Err(VaultError::PassphraseNeeded),
    };
    if !contents.header.check_key(&key) {
        return Err(VaultError::Key(keys::KeyError::WrongSecret));
    }
    if !contents.header.check_fields(&key) {
        return Err(VaultError::BackupDamaged(
            contents.file.clone(),
            "its key header was altered after it was written".into(),
        ));
    }
    Ok(key)
}

/// Writes a checked backup into `dir`, which must be empty or absent, authenticating every
/// chunk as it goes. On failure the files written here are removed again, leaving the
/// folder as it was.
pub fn restore_into(contents: &BackupContents, key: &DbKey, dir: &Path) -> Result<(), VaultError> {
    let existed = dir.exists();
    if existed {
        let mut entries = fs::read_dir(dir).map_err(io(dir))?;
        if entries.next().is_some() {
            return Err(VaultError::NotEmpty(dir.to_path_buf()));
        }
    }
    let opening = match contents.format {
        2 => Some(chunk_key(key, &contents.preamble_digest)?),
        _ => None,
    };
    super::make_private_dir(dir)?;
    let result = (|| {
        let file = &contents.file;
        let mut src =
            std::io::BufReader::with_capacity(256 * 1024, File::open(file).map_err(io(file))?);
        let mut counter = 0u64;
        for section in &contents.sections {
            let path = dir.join(&section.name);
            {
                let f = super::create_new_private(&path).map_err(io(&path))?;
                let mut w = std::io::BufWriter::with_capacity(256 * 1024, f);
                src.seek(SeekFrom::Start(section.offset))
                    .map_err(io(file))?;
                match &opening {
                    Some(k) => {
                        open_chunks(
                            &mut src,
                            &mut w,
                            Some(k),
                            &section.name,
                            &mut counter,
                            CHUNK_SIZE,
                        )
                        .map_err(|r| match r {
                            Refusal::Write(e) => VaultError::Io(path.clone(), e),
                            other => refused(file)(other),
                        })?;
                    }
                    None => {
                        let n = std::io::copy(&mut src.by_ref().take(section.len), &mut w)
                            .map_err(io(&path))?;
                        if n != section.len {
                            return Err(VaultError::BackupDamaged(
                                file.clone(),
                                "the file was cut short since it was checked".into(),
                            ));
                        }
                    }
                }
                let f = w
                    .into_inner()
                    .map_err(|e| VaultError::Io(path.clone(), e.into_error()))?;
                f.sync_all().map_err(io(&path))?;
            }
            let c = db::open(
                &path,
                key,
                db::Access::Write { create: false },
                &db::Gate::default(),
            )?;
            let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if ok != "ok" {
                return Err(VaultError::Damaged(path.clone(), ok));
            }
        }
        header::write_new(dir, &contents.header)?;
        fsync_dir(dir);
        Ok(())
    })();
    if result.is_err() {
        for f in db::PRACTICE_FILES
            .iter()
            .chain([header::HEADER_FILE].iter())
        {
            let _ = fs::remove_file(dir.join(f));
        }
        if !existed {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

const REKEY_HEADER: &str = "chartkeep.header.rekey";

/// The new copy of a database during a key rotation, and the old one set aside.
fn rekey_names(file: &str) -> (String, String) {
    (format!("{file}.rekey"), format!("{file}.pre-rekey"))
}

/// Rotates the database key: a new key and a new recovery code (the old code stops
/// working). The database is re-encrypted into a new file and swapped in.
///
/// Crash safety: everything up to renaming the new header into place is undone by
/// [`finish_interrupted_rekey`], leaving the old practice, key and recovery code whole.
/// `show_code` is called with the new recovery code before that point of no return, so
/// the person has it in hand before it becomes the only one. The caller must close every
/// other connection to the database first.
pub fn rekey(
    conn: Connection,
    dir: &Path,
    new_passphrase: Option<&str>,
    keychain: Option<&dyn super::keychain::KeyStore>,
    rng: &dyn ring::rand::SecureRandom,
    show_code: &mut dyn FnMut(&RecoveryCode),
) -> Result<RecoveryCode, VaultError> {
    let old = header::read(dir)?;
    let key = DbKey::generate(rng)?;
    let recovery = RecoveryCode::generate(rng)?;
    let fields = Header::fields_for(&old.practice_id, &old.created, old.mode);
    let pass = match (old.mode, new_passphrase) {
        (KeyMode::Passphrase, Some(p)) => Some(fields.wrap_passphrase(&key, p, rng)?),
        (KeyMode::Passphrase, None) => return Err(VaultError::PassphraseNeeded),
        (KeyMode::Keychain, _) => None,
    };
    for (schema, file) in BACKED_UP {
        export(&conn, schema, &dir.join(rekey_names(file).0), &key)?;
    }
    conn.execute_batch(
        "PRAGMA main.wal_checkpoint(TRUNCATE); PRAGMA access.wal_checkpoint(TRUNCATE);",
    )?;
    drop(conn);
    let wrapped = fields.wrap(&key, recovery.as_str().as_bytes(), PURPOSE_RECOVERY, rng)?;
    let new_header = Header::new(
        old.practice_id.clone(),
        old.created.clone(),
        old.mode,
        wrapped,
        pass,
        &key,
    );
    let hpath = dir.join(REKEY_HEADER);
    {
        let text = serde_json::to_vec_pretty(&new_header)
            .map_err(|e| VaultError::Damaged(hpath.clone(), e.to_string()))?;
        // A leftover from an interrupted rotation is replaced, and the new file is 0600.
        let _ = fs::remove_file(&hpath);
        let mut f = super::create_new_private(&hpath).map_err(io(&hpath))?;
        f.write_all(&text).map_err(io(&hpath))?;
        f.sync_all().map_err(io(&hpath))?;
    }
    fsync_dir(dir);
    show_code(&recovery);
    for (_, file) in BACKED_UP {
        let (new, pre) = rekey_names(file);
        let live = dir.join(file);
        fs::rename(&live, dir.join(&pre)).map_err(io(&live))?;
        for suffix in ["-wal", "-shm"] {
            let _ = fs::remove_file(dir.join(format!("{file}{suffix}")));
        }
        fs::rename(dir.join(&new), &live).map_err(io(&live))?;
    }
    fsync_dir(dir);
    // The point of no return: from here the new key and recovery code are the practice's.
    fs::rename(&hpath, header::path_in(dir)).map_err(io(&hpath))?;
    fsync_dir(dir);
    if let Some(store) = keychain {
        store.set(&old.practice_id, &key)?;
    }
    for (_, file) in BACKED_UP {
        let _ = fs::remove_file(dir.join(rekey_names(file).1));
    }
    Ok(recovery)
}

/// Undoes a key rotation that a crash interrupted before its point of no return, or
/// tidies up after one that got past it. Called before opening.
pub fn finish_interrupted_rekey(dir: &Path) -> Result<(), VaultError> {
    let hpath = dir.join(REKEY_HEADER);
    let rolling_back = hpath.exists();
    for (_, file) in BACKED_UP {
        let (new, pre) = rekey_names(file);
        let pre = dir.join(pre);
        if rolling_back && pre.exists() {
            // The old header is still in place, so the old database is the practice: put
            // it back over the new copy.
            for suffix in ["", "-wal", "-shm"] {
                let _ = fs::remove_file(dir.join(format!("{file}{suffix}")));
            }
            fs::rename(&pre, dir.join(file)).map_err(io(&pre))?;
        }
        let _ = fs::remove_file(dir.join(new));
        let _ = fs::remove_file(&pre);
    }
    if rolling_back {
        let _ = fs::remove_file(&hpath);
    }
    fsync_dir(dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn stream_key(fill: u8) -> aead::LessSafeKey {
        chunk_key(&DbKey::from_bytes([fill; 32]), &[fill; DIGEST_LEN]).unwrap()
    }

    /// Deterministic, non-repeating bytes, so a misplaced chunk shows.
    fn bytes(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ seed)
            .collect()
    }

    /// `sections` sealed one after the other, as a backup lays them out (without names).
    fn seal(key: &aead::LessSafeKey, sections: &[(&str, &[u8])], chunk: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut stream = ChunkStream {
            key,
            counter: 0,
            chunk,
        };
        for (name, plain) in sections {
            let mut src = *plain;
            seal_chunks(
                &mut src,
                &mut out,
                &mut stream,
                name,
                (Path::new("in"), Path::new("out")),
            )
            .unwrap();
        }
        out
    }

    fn open(
        key: Option<&aead::LessSafeKey>,
        sealed: &[u8],
        names: &[&str],
        chunk: usize,
    ) -> Result<Vec<Vec<u8>>, Refusal> {
        let mut src = sealed;
        let mut counter = 0;
        let mut out = Vec::new();
        for name in names {
            let mut plain = Vec::new();
            let n = open_chunks(&mut src, &mut plain, key, name, &mut counter, chunk)?;
            assert_eq!(n as usize, plain.len());
            out.push(plain);
        }
        if !src.is_empty() {
            return Err(damaged("trailing bytes"));
        }
        Ok(out)
    }

    /// (offset, length) of every frame in `sealed`.
    fn frames(sealed: &[u8]) -> Vec<(usize, usize)> {
        let mut at = 0;
        let mut out = Vec::new();
        while at < sealed.len() {
            let len = u32::from_be_bytes(sealed[at + 1..at + 5].try_into().unwrap()) as usize;
            out.push((at, 5 + len + TAG_LEN));
            at += 5 + len + TAG_LEN;
        }
        out
    }

    fn damage_of(r: Result<Vec<Vec<u8>>, Refusal>) -> String {
        match r {
            Err(Refusal::Damaged(why)) => why,
            other => panic!("expected damage, got {other:?}"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Lengths at and around every chunk boundary round-trip, with full chunks only
        /// before the last and exactly one chunk flagged last.
        #[test]
        fn chunked_round_trip_around_chunk_boundaries(
            chunk in prop_oneof![Just(1usize), Just(7), Just(64), Just(4096)],
            whole in 0usize..4,
            delta in -2i64..=2,
            seed in any::<u8>(),
        ) {
            let len = (whole as i64 * chunk as i64 + delta).max(0) as usize;
            let plain = bytes(len, seed);
            let key = stream_key(seed);
            let sealed = seal(&key, &[("chartkeep.db", &plain)], chunk);
            let expected_chunks = if len == 0 { 1 } else { len.div_ceil(chunk) };
            let frames = frames(&sealed);
            prop_assert_eq!(frames.len(), expected_chunks);
            for (i, (at, _)) in frames.iter().enumerate() {
                prop_assert_eq!(sealed[*at] == FLAG_LAST, i + 1 == frames.len());
            }
            let back = open(Some(&key), &sealed, &["chartkeep.db"], chunk).unwrap();
            prop_assert_eq!(&back[0], &plain);
            // The keyless walk accepts the same framing.
            prop_assert!(open(None, &sealed, &["chartkeep.db"], chunk).is_ok());
        }
    }

    #[test]
    fn real_chunk_size_round_trips_at_its_boundary() {
        let key = stream_key(3);
        for len in [CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1] {
            let plain = bytes(len, 5);
            let sealed = seal(&key, &[("chartkeep.db", &plain)], CHUNK_SIZE);
            assert_eq!(frames(&sealed).len(), len.div_ceil(CHUNK_SIZE), "{len}");
            let back = open(Some(&key), &sealed, &["chartkeep.db"], CHUNK_SIZE).unwrap();
            assert!(back[0] == plain, "{len}");
        }
    }

    #[test]
    fn reordered_dropped_spliced_or_reflagged_chunks_are_refused() {
        let chunk = 64;
        let key = stream_key(1);
        let (a, b) = (bytes(200, 1), bytes(100, 2));
        let names = ["chartkeep.db", "chartkeep-access.db"];
        let sealed = seal(&key, &[(names[0], &a), (names[1], &b)], chunk);
        let f = frames(&sealed);
        assert_eq!(f.len(), 4 + 2);
        let piece = |i: usize| sealed[f[i].0..f[i].0 + f[i].1].to_vec();
        let join = |order: &[usize]| order.iter().flat_map(|&i| piece(i)).collect::<Vec<u8>>();

        // Two chunks of one file swapped.
        let why = damage_of(open(Some(&key), &join(&[1, 0, 2, 3, 4, 5]), &names, chunk));
        assert!(why.contains("fails authentication"), "{why}");
        // A middle chunk repeated in place of the next.
        let why = damage_of(open(Some(&key), &join(&[0, 1, 1, 3, 4, 5]), &names, chunk));
        assert!(why.contains("fails authentication"), "{why}");
        // The first file's last chunk dropped: the next file's chunks do not fit.
        let r = open(Some(&key), &join(&[0, 1, 2, 4, 5]), &names, chunk);
        assert!(matches!(r, Err(Refusal::Damaged(_))), "{r:?}");
        // The whole backup cut after a full chunk.
        let why = damage_of(open(Some(&key), &join(&[0, 1, 2, 3, 4]), &names, chunk));
        assert!(why.contains("cut short"), "{why}");
        // A full chunk flagged as the last, to end a file early: the tag covers the flag.
        let mut early = sealed.clone();
        early[f[1].0] = FLAG_LAST;
        let r = open(Some(&key), &early[..f[2].0], &names[..1], chunk);
        assert!(damage_of(r).contains("fails authentication"));
        // A short last chunk flagged as not the last.
        let mut late = sealed.clone();
        late[f[3].0] = 0;
        assert!(damage_of(open(Some(&key), &late, &names, chunk)).contains("length"));
        // The second file's chunks presented as the first's (same counters, other name).
        let other = seal(&key, &[(names[1], &a)], chunk);
        let r = open(Some(&key), &other, &names[..1], chunk);
        assert!(damage_of(r).contains("fails authentication"));
        // A chunk from another backup (another key) spliced in.
        let foreign = seal(&stream_key(2), &[(names[0], &a), (names[1], &b)], chunk);
        let g = frames(&foreign);
        let mut spliced = piece(0);
        spliced.extend_from_slice(&foreign[g[1].0..g[1].0 + g[1].1]);
        spliced.extend(join(&[2, 3, 4, 5]));
        let why = damage_of(open(Some(&key), &spliced, &names, chunk));
        assert!(why.contains("chunk 1"), "{why}");
        // A flipped bit in a chunk's ciphertext.
        let mut flipped = sealed.clone();
        flipped[f[2].0 + 9] ^= 0x10;
        assert!(damage_of(open(Some(&key), &flipped, &names, chunk)).contains("chunk 2"));
        // And the untouched stream opens.
        let back = open(Some(&key), &sealed, &names, chunk).unwrap();
        assert_eq!(back, vec![a, b]);
    }
}
