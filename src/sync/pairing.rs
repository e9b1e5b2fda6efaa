//! Pairing a new workstation with a one-time code, by SPAKE2.
//!
//! The code is the PAKE's password, never a key: a passive listener learns nothing and an
//! active one gets one guess per connection, and the member side spends the code after
//! [`super::state::INVITE_TRIES`] wrong ones. Both sides derive a key from the exchange
//! and send everything after it sealed (ChaCha20-Poly1305, a key per direction, counter
//! nonces), so each confirms the other's public key, and so device id, under the key:
//!
//! 1. joiner → member: magic, version, SPAKE2 message A
//! 2. member → joiner: SPAKE2 message B
//! 3. joiner → member: sealed "confirm" (a wrong code fails to open here: one try spent)
//! 4. member → joiner: sealed practice id, member's public key and name
//! 5. the joiner creates its own practice folder (its own key) for that practice
//! 6. joiner → member: sealed joiner's public key and name
//! 7. member: commits the joiner as a member (as the administrator who made the code),
//!    spends the code, and answers sealed "joined"
//!
//! Then the joiner syncs over mutual TLS, pinned to the member's device id, and receives
//! the whole practice, users and roles included.

use std::time::Duration;

use rand_core::SeedableRng;
use ring::aead::{self, LessSafeKey, UnboundKey};
use spake2::{Ed25519Group, Identity, Password, Spake2};
use tokio::io::{AsyncRead, AsyncWrite};
use uuid::Uuid;

use super::frame::{self, Limits};
use super::message::Message;
use super::replica::Replica;
use super::SyncError;
use crate::ledger::commit::device_id;

/// The first bytes a joiner sends: they tell a pairing connection from a TLS one.
pub const MAGIC: &[u8; 8] = b"CKPAIR01";
/// How long a pairing code stays valid.
pub const CODE_MINUTES: i64 = 10;

const ID_JOINER: &[u8] = b"chartkeep joining workstation";
const ID_MEMBER: &[u8] = b"chartkeep member workstation";
const TAG_SEALED: u8 = 0x21;
const TAG_SPAKE: u8 = 0x20;
/// The member's answer to a wrong code: the tag, then the tries left (one byte).
const TAG_WRONG_CODE: u8 = 0x22;

fn limits() -> Limits {
    Limits {
        max_frame: 4096,
        frame_deadline: Duration::from_secs(10),
        // The joiner may be creating its key (a keychain prompt) between steps.
        idle: Duration::from_secs(180),
        handshake: Duration::from_secs(10),
    }
}

/// A new pairing code: eight digits, grouped `1234-5678`, uniformly random from the
/// practice's passed-in id source (the operating system's randomness in the apps).
pub fn new_code(ids: &dyn crate::clock::IdSource) -> String {
    let mut n: u32;
    loop {
        let mut b = [0u8; 4];
        ids.fill(&mut b);
        n = u32::from_be_bytes(b);
        // Rejection sampling: no value is likelier than another.
        if n < 4_200_000_000 {
            break;
        }
    }
    let n = n % 100_000_000;
    format!("{:04}-{:04}", n / 10_000, n % 10_000)
}

/// A code as typed, reduced to its digits (spaces, dashes and the like don't matter).
pub fn normalize(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// The sealing keys of one pairing, one per direction.
struct Sealer {
    send: LessSafeKey,
    recv: LessSafeKey,
    sent: u64,
    received: u64,
}

fn direction_key(secret: &[u8], label: &[u8]) -> LessSafeKey {
    let salt = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"chartkeep pairing v1");
    let prk = salt.extract(secret);
    let info = [label];
    let okm = prk
        .expand(&info, &aead::CHACHA20_POLY1305)
        .expect("a valid output length");
    LessSafeKey::new(UnboundKey::from(okm))
}

fn nonce(n: u64) -> aead::Nonce {
    let mut b = [0u8; 12];
    b[4..].copy_from_slice(&n.to_be_bytes());
    aead::Nonce::assume_unique_for_key(b)
}

impl Sealer {
    fn new(secret: &[u8], joiner: bool) -> Sealer {
        let j2m = direction_key(secret, b"joiner to member");
        let m2j = direction_key(secret, b"member to joiner");
        let (send, recv) = if joiner { (j2m, m2j) } else { (m2j, j2m) };
        Sealer {
            send,
            recv,
            sent: 0,
            received: 0,
        }
    }
    fn seal(&mut self, plain: &[u8]) -> Vec<u8> {
        let mut buf = plain.to_vec();
        self.send
            .seal_in_place_append_tag(nonce(self.sent), aead::Aad::from(&[TAG_SEALED]), &mut buf)
            .expect("sealing never fails for small messages");
        self.sent += 1;
        let mut out = vec![TAG_SEALED];
        out.extend_from_slice(&buf);
        out
    }
    fn open(&mut self, frame: &[u8]) -> Option<Vec<u8>> {
        let (&tag, rest) = frame.split_first()?;
        if tag != TAG_SEALED {
            return None;
        }
        let mut buf = rest.to_vec();
        let plain = self
            .recv
            .open_in_place(
                nonce(self.received),
                aead::Aad::from(&[TAG_SEALED]),
                &mut buf,
            )
            .ok()?
            .to_vec();
        self.received += 1;
        Some(plain)
    }
}

async fn send<W: AsyncWrite + Unpin>(w: &mut W, b: &[u8]) -> Result<(), SyncError> {
    frame::write(w, b).await
}

async fn recv<R: AsyncRead + Unpin>(r: &mut R) -> Result<Vec<u8>, SyncError> {
    match frame::read(r, &limits()).await? {
        Some(b) => match b.as_slice() {
            [TAG_WRONG_CODE, left] => Err(SyncError::WrongCode {
                tries_left: u32::from(*left),
            }),
            _ if b.first() == Some(&7) => match Message::decode(&b) {
                Ok(Message::Refused { code, message }) => Err(refused(code, message)),
                _ => Ok(b),
            },
            _ => Ok(b),
        },
        None => Err(SyncError::Io(std::io::ErrorKind::UnexpectedEof.into())),
    }
}

/// Turns the member's refusal back into the error it was, by its code.
fn refused(code: String, message: String) -> SyncError {
    match code.as_str() {
        "pairing_no_invite" => SyncError::NoInvite,
        "pairing_code_expired" => SyncError::InviteExpired,
        _ => SyncError::Refused { code, message },
    }
}

async fn refuse<W: AsyncWrite + Unpin>(w: &mut W, e: &SyncError) {
    if let SyncError::WrongCode { tries_left } = e {
        let left = u8::try_from(*tries_left).unwrap_or(u8::MAX);
        let _ = frame::write(w, &[TAG_WRONG_CODE, left]).await;
        return;
    }
    let m = Message::Refused {
        code: e.code().to_string(),
        message: e.to_string(),
    };
    let _ = frame::write(w, &m.encode()).await;
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    let n = b.len().min(200);
    out.push(n as u8);
    out.extend_from_slice(&b[..n]);
}

fn take_text(b: &[u8]) -> Option<(String, &[u8])> {
    let (&n, rest) = b.split_first()?;
    let n = n as usize;
    if rest.len() < n {
        return None;
    }
    Some((String::from_utf8_lossy(&rest[..n]).into_owned(), &rest[n..]))
}

fn seeded(rng: &dyn ring::rand::SecureRandom) -> Result<rand_chacha::ChaCha20Rng, SyncError> {
    let mut seed = [0u8; 32];
    rng.fill(&mut seed)
        .map_err(|_| SyncError::Tls("no randomness".into()))?;
    Ok(rand_chacha::ChaCha20Rng::from_seed(seed))
}

/// What a joiner learned of the member it paired with.
#[derive(Debug, Clone)]
pub struct Joined {
    pub practice: Uuid,
    pub member_device: [u8; 32],
    pub member_name: String,
}

/// The joining side. `create` makes this workstation's practice folder once the practice
/// id is known (after the code was proved right) and returns its public key and name.
pub async fn join<S, F>(
    stream: &mut S,
    code: &str,
    rng: &dyn ring::rand::SecureRandom,
    create: F,
) -> Result<Joined, SyncError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(Uuid) -> Result<([u8; 32], String), SyncError>,
{
    let pw = normalize(code);
    let (spake, msg_a) = Spake2::<Ed25519Group>::start_a_with_rng(
        &Password::new(pw.as_bytes()),
        &Identity::new(ID_JOINER),
        &Identity::new(ID_MEMBER),
        seeded(rng)?,
    );
    let mut first = MAGIC.to_vec();
    first.push(TAG_SPAKE);
    first.extend_from_slice(&msg_a);
    send(stream, &first).await?;
    let b = recv(stream).await?;
    let Some((&TAG_SPAKE, msg_b)) = b.split_first() else {
        return Err(SyncError::Malformed("not a pairing answer".into()));
    };
    let secret = spake
        .finish(msg_b)
        .map_err(|_| SyncError::Malformed("a bad pairing message".into()))?;
    let mut sealer = Sealer::new(&secret, true);
    send(stream, &sealer.seal(b"confirm")).await?;
    let about = recv(stream).await?;
    // The member proved the same code only if this opens.
    let about = sealer
        .open(&about)
        .ok_or(SyncError::WrongCode { tries_left: 0 })?;
    if about.len() < 48 {
        return Err(SyncError::Malformed("a short pairing answer".into()));
    }
    let practice = Uuid::from_bytes(about[..16].try_into().expect("16 bytes"));
    let member_key: [u8; 32] = about[16..48].try_into().expect("32 bytes");
    let (member_name, _) = take_text(&about[48..]).unwrap_or_default();
    let (my_key, my_name) = create(practice)?;
    let mut mine = my_key.to_vec();
    put_text(&mut mine, &my_name);
    send(stream, &sealer.seal(&mine)).await?;
    let done = recv(stream).await?;
    match sealer.open(&done) {
        Some(b) if b == b"joined" => Ok(Joined {
            practice,
            member_device: device_id(&member_key),
            member_name,
        }),
        _ => Err(SyncError::Malformed(
            "the member did not confirm the join".into(),
        )),
    }
}

/// The member side, for a connection that started with [`MAGIC`] (already read).
/// Returns the joined workstation's device id.
pub async fn answer<S>(
    stream: &mut S,
    first: &[u8],
    replica: &Replica,
    rng: &(dyn ring::rand::SecureRandom + Sync),
    peer_address: Option<String>,
) -> Result<[u8; 32], SyncError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let r = answer_inner(stream, first, replica, rng, peer_address).await;
    if let Err(e) = &r {
        refuse(stream, e).await;
    }
    r
}

async fn answer_inner<S>(
    stream: &mut S,
    first: &[u8],
    replica: &Replica,
    rng: &(dyn ring::rand::SecureRandom + Sync),
    peer_address: Option<String>,
) -> Result<[u8; 32], SyncError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Some(msg_a) = first
        .strip_prefix(MAGIC.as_slice())
        .and_then(|r| r.strip_prefix(&[TAG_SPAKE]))
    else {
        return Err(SyncError::Malformed("not a pairing request".into()));
    };
    let invite = replica.run(|p| {
        let now = p.clock.now_ms();
        match p.sync_state().invite_current()? {
            None => Err(SyncError::NoInvite),
            Some(i) if i.expires_at <= now => Err(SyncError::InviteExpired),
            Some(i) => Ok(i),
        }
    })?;
    let (spake, msg_b) = Spake2::<Ed25519Group>::start_b_with_rng(
        &Password::new(normalize(&invite.code).as_bytes()),
        &Identity::new(ID_JOINER),
        &Identity::new(ID_MEMBER),
        seeded(rng)?,
    );
    let secret = spake
        .finish(msg_a)
        .map_err(|_| SyncError::Malformed("a bad pairing message".into()))?;
    let mut reply = vec![TAG_SPAKE];
    reply.extend_from_slice(&msg_b);
    send(stream, &reply).await?;
    let mut sealer = Sealer::new(&secret, false);
    let confirm = recv(stream).await?;
    if sealer.open(&confirm).as_deref() != Some(b"confirm".as_slice()) {
        let left = replica.run(|p| {
            let now = p.clock.now_ms();
            Ok(p.sync_state().invite_wrong_try(invite.id, now)?)
        })?;
        tracing::warn!(tries_left = left, "a pairing attempt used a wrong code");
        return Err(SyncError::WrongCode { tries_left: left });
    }
    let (practice, my_key, my_name) =
        replica.run(|p| Ok((p.practice_id(), p.public_key(), p.workstation())))?;
    let mut about = practice.as_bytes().to_vec();
    about.extend_from_slice(&my_key);
    put_text(&mut about, &my_name);
    send(stream, &sealer.seal(&about)).await?;
    let theirs = recv(stream).await?;
    let theirs = sealer
        .open(&theirs)
        .ok_or_else(|| SyncError::Malformed("a pairing message that does not open".into()))?;
    if theirs.len() < 32 {
        return Err(SyncError::Malformed("a short pairing message".into()));
    }
    let key: [u8; 32] = theirs[..32].try_into().expect("32 bytes");
    let (name, _) = take_text(&theirs[32..]).unwrap_or_default();
    let name = if name.trim().is_empty() {
        "joined workstation".to_string()
    } else {
        name
    };
    let device = device_id(&key);
    replica.run(|p| {
        let now = p.clock.now_ms();
        let author = Uuid::parse_str(&invite.created_by)
            .map_err(|_| SyncError::Malformed("the pairing code has no author".into()))?;
        p.add_member(author, key, &name)?;
        p.sync_state().invite_spend(invite.id, &device, now)?;
        p.sync_state()
            .peer_paired(&device, &name, peer_address.as_deref(), now)?;
        Ok(())
    })?;
    tracing::info!(device = %hex::encode(&device[..8]), "a workstation joined the practice");
    send(stream, &sealer.seal(b"joined")).await?;
    Ok(device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_digits_grouped_and_typed_forms_normalize_alike() {
        let ids = crate::clock::SeededIds::new(3);
        for _ in 0..50 {
            let c = new_code(&ids);
            assert_eq!(c.len(), 9);
            assert_eq!(&c[4..5], "-");
            assert_eq!(normalize(&c).len(), 8);
        }
        assert_eq!(normalize(" 1234 5678 "), normalize("1234-5678"));
    }
}
