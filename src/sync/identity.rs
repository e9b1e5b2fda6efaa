//! TLS identities made from the workstations' ledger keys, and pinning by device id.
//!
//! A workstation's certificate is self-signed with its Ed25519 ledger key, so the key that
//! signs its commits is the key that proves it on the wire: there is no certificate
//! authority to trust, to lose or to expire. Both ends verify the other's certificate
//! against the practice's current members ([`Roster`]); the device id is SHA-256 of the
//! certificate's Ed25519 public key, read from the parsed certificate (never by searching
//! its bytes), and the TLS handshake signature is checked against that same key.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

use super::SyncError;
use crate::ledger::commit::device_id;
use crate::ledger::DeviceKey;

/// The name every workstation's certificate carries; peers are told apart by key, not name.
pub const CERT_NAME: &str = "chartkeep-workstation";

/// RFC 8410's PKCS#8 v1 prefix for an Ed25519 private key, followed by the 32-byte seed.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// RFC 8410's SubjectPublicKeyInfo prefix for an Ed25519 key, followed by the 32-byte key.
const SPKI_ED25519_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// This workstation's certificate and private key for TLS.
pub struct TlsIdentity {
    pub cert: CertificateDer<'static>,
    key: Vec<u8>,
}

impl TlsIdentity {
    /// A self-signed certificate for `key`. Ed25519 signatures are deterministic, so the
    /// same key gives the same certificate.
    pub fn new(key: &DeviceKey) -> Result<TlsIdentity, SyncError> {
        let mut pkcs8 = PKCS8_ED25519_PREFIX.to_vec();
        pkcs8.extend_from_slice(key.seed());
        let der = PrivatePkcs8KeyDer::from(pkcs8.clone());
        let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_ED25519)
            .map_err(|e| SyncError::Tls(format!("device key: {e}")))?;
        let params = rcgen::CertificateParams::new(vec![CERT_NAME.to_string()])
            .map_err(|e| SyncError::Tls(e.to_string()))?;
        let cert = params
            .self_signed(&pair)
            .map_err(|e| SyncError::Tls(e.to_string()))?;
        Ok(TlsIdentity {
            cert: cert.der().clone(),
            key: pkcs8,
        })
    }

    fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()))
    }
}

/// The devices this workstation accepts connections from and to right now: the members
/// of the practice that are not removed, plus a workstation just paired with (whose
/// membership commit may not have arrived yet). Refreshed before every connection.
#[derive(Debug, Clone, Default)]
pub struct Roster(Arc<RwLock<HashSet<[u8; 32]>>>);

impl Roster {
    pub fn set(&self, devices: HashSet<[u8; 32]>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = devices;
    }
    pub fn admits(&self, device: &[u8; 32]) -> bool {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(device)
    }
}

/// The device id a certificate proves, if it is an Ed25519 certificate.
pub fn cert_device(cert: &CertificateDer<'_>) -> Result<[u8; 32], rustls::Error> {
    let ee = webpki::EndEntityCert::try_from(cert)
        .map_err(|_| rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding))?;
    let spki = ee.subject_public_key_info();
    let spki = spki.as_ref();
    if spki.len() != SPKI_ED25519_PREFIX.len() + 32 || spki[..12] != SPKI_ED25519_PREFIX {
        return Err(rustls::Error::General(
            "the certificate's key is not an Ed25519 workstation key".into(),
        ));
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&spki[12..]);
    Ok(device_id(&key))
}

/// ring, with one cipher suite and one key exchange: both ends are Chartkeep, so nothing
/// needs negotiating, and a shorter handshake keeps an idle round small.
fn provider() -> Arc<CryptoProvider> {
    let ring = rustls::crypto::ring::default_provider();
    Arc::new(CryptoProvider {
        cipher_suites: vec![rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256],
        kx_groups: vec![rustls::crypto::ring::kx_group::X25519],
        ..ring
    })
}

fn check(roster: &Roster, cert: &CertificateDer<'_>) -> Result<(), rustls::Error> {
    let device = cert_device(cert)?;
    if !roster.admits(&device) {
        return Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::ApplicationVerificationFailure,
        ));
    }
    Ok(())
}

fn tls13_only(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    provider: &CryptoProvider,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    if dss.scheme != SignatureScheme::ED25519 {
        return Err(rustls::Error::PeerMisbehaved(
            rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme,
        ));
    }
    verify_tls13_signature(
        message,
        cert,
        dss,
        &provider.signature_verification_algorithms,
    )
}

/// Verifies the workstation a connection reached.
#[derive(Debug)]
struct PinnedServer {
    roster: Roster,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        check(&self.roster, end_entity)?;
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::Tls13RequiredForQuic,
        ))
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        tls13_only(message, cert, dss, &self.provider)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

/// Verifies the workstation that connected.
#[derive(Debug)]
struct PinnedClient {
    roster: Roster,
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for PinnedClient {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        check(&self.roster, end_entity)?;
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::Tls13RequiredForQuic,
        ))
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        tls13_only(message, cert, dss, &self.provider)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }
}

/// TLS 1.3 client settings: present this workstation's certificate, accept only a member.
/// One is kept per workstation so sessions resume (an idle round then costs no
/// certificates); a resumed session is checked against the roster after the handshake,
/// by [`admit`], like every other.
pub fn client_config(me: &TlsIdentity, roster: Roster) -> Result<rustls::ClientConfig, SyncError> {
    let provider = provider();
    rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| SyncError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer { roster, provider }))
        .with_client_auth_cert(vec![me.cert.clone()], me.private_key())
        .map_err(|e| SyncError::Tls(e.to_string()))
}

/// TLS 1.3 server settings: a client certificate from a member is required.
pub fn server_config(me: &TlsIdentity, roster: Roster) -> Result<rustls::ServerConfig, SyncError> {
    let provider = provider();
    let mut c = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| SyncError::Tls(e.to_string()))?
        .with_client_cert_verifier(Arc::new(PinnedClient { roster, provider }))
        .with_single_cert(vec![me.cert.clone()], me.private_key())
        .map_err(|e| SyncError::Tls(e.to_string()))?;
    // One ticket per handshake is enough to resume the next one.
    c.send_tls13_tickets = 1;
    Ok(c)
}

/// Checks, after a handshake (full or resumed), that the peer is a member now and, when
/// one was asked for, the device expected.
pub fn admit(
    roster: &Roster,
    expected: Option<[u8; 32]>,
    device: &[u8; 32],
) -> Result<(), SyncError> {
    if expected.is_some_and(|e| &e != device) {
        return Err(SyncError::PeerMismatch(format!(
            "workstation {} answered instead of {}",
            hex::encode(&device[..8]),
            hex::encode(&expected.unwrap_or_default()[..8])
        )));
    }
    if !roster.admits(device) {
        return Err(SyncError::Tls(format!(
            "workstation {} is not a member of this practice (or was removed)",
            hex::encode(&device[..8])
        )));
    }
    Ok(())
}

/// The server name a client asks for; certificates are pinned by key, so it is a constant.
pub fn server_name() -> ServerName<'static> {
    ServerName::try_from(CERT_NAME).expect("a valid DNS name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_proves_the_device_id_of_the_key_that_made_it() {
        let key = DeviceKey::from_seed([7; 32]).unwrap();
        let id = TlsIdentity::new(&key).unwrap();
        assert_eq!(cert_device(&id.cert).unwrap(), key.id());
        // Deterministic: the same key gives the same certificate.
        assert_eq!(TlsIdentity::new(&key).unwrap().cert, id.cert);
        let other = DeviceKey::from_seed([8; 32]).unwrap();
        assert_ne!(
            cert_device(&TlsIdentity::new(&other).unwrap().cert).unwrap(),
            key.id()
        );
    }
}
