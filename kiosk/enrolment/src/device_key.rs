// SPDX-License-Identifier: GPL-3.0-or-later
//! The terminal's device key: what signs the proof of possession now and
//! the terminal's TLS client authentication later.
//!
//! The issue asks for the key in the TPM 2.0 when the terminal has one,
//! non-exportable. That path is **not built yet**: [`DeviceSigner`] is the
//! seam it will implement, so the CMP client never sees key material. What
//! exists is [`FileKey`], for terminals without a TPM: a P-256 key in a SEC1
//! `ECPrivateKey` DER file (RFC 5915) of mode 0600, readable only by the
//! kiosk's user.

use der::asn1::{BitString, ObjectIdentifier as Oid, OctetStringRef};
use der::{Decode, Encode, Sequence};
use ecdsa::signature::Signer;
use elliptic_curve::sec1::ToSec1Point;
use p256::ecdsa::{Signature, SigningKey};
use session::private_file;
use spki::{AlgorithmIdentifierOwned, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// id-ecPublicKey (RFC 5480 2.1.1).
pub(crate) const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// secp256r1 (RFC 5480 2.1.1.1).
pub(crate) const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// ecdsa-with-SHA256 (RFC 5758 3.2), parameters absent.
pub(crate) const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// A device key that signs without handing out its private part: a file
/// key today, a TPM key later.
pub trait DeviceSigner {
    /// The public key as it goes into the certificate request.
    fn public_key_info(&self) -> SubjectPublicKeyInfoOwned;
    /// The algorithm [`DeviceSigner::sign`] uses.
    fn signature_algorithm(&self) -> AlgorithmIdentifierOwned;
    /// Signs `message`; the signature DER-encoded as X.509 carries it.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
}

/// Why the device key could not be created, read or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error(
        "the device key file {path} could not be {action}: {source}; check that the folder exists and belongs to the kiosk's user"
    )]
    File {
        /// The key file.
        path: PathBuf,
        /// "read" or "written".
        action: &'static str,
        /// What the system said.
        source: io::Error,
    },
    /// The key file holds no P-256 key.
    #[error(
        "the device key file {0} does not hold a P-256 key (SEC1 DER); move it away and enrol again with a new code"
    )]
    Corrupt(PathBuf),
    /// The operating system had no randomness to give.
    #[error("the operating system gave no randomness ({0}); restart the terminal and try again")]
    Randomness(String),
    /// Signing failed.
    #[error("the device key could not sign: {0}")]
    Signing(String),
}

/// A P-256 key in a file of mode 0600 (terminals without a TPM).
pub struct FileKey {
    key: SigningKey,
    path: PathBuf,
}

impl FileKey {
    /// Loads the key at `path`, or creates one there when there is none.
    /// A key once created is kept: a failed enrolment retries with it.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyError> {
        match std::fs::read(path) {
            Ok(der) => {
                let der = zeroize::Zeroizing::new(der);
                let secret = read_ec_private_key(&der).ok_or_else(|| KeyError::Corrupt(path.to_path_buf()))?;
                Ok(FileKey { key: SigningKey::from(&secret), path: path.to_path_buf() })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Self::create(path),
            Err(source) => Err(KeyError::File { path: path.to_path_buf(), action: "read", source }),
        }
    }

    fn create(path: &Path) -> Result<Self, KeyError> {
        let secret = loop {
            let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
            getrandom::fill(bytes.as_mut()).map_err(|e| KeyError::Randomness(e.to_string()))?;
            // A scalar of zero or at least the group order is refused; the
            // chance is about 2^-32, so drawing again is the simplest fix.
            if let Ok(secret) = p256::SecretKey::from_slice(bytes.as_ref()) {
                break secret;
            }
        };
        let der = write_ec_private_key(&secret).map_err(|_| KeyError::Corrupt(path.to_path_buf()))?;
        private_file::write(path, &der).map_err(|source| KeyError::File {
            path: path.to_path_buf(),
            action: "written",
            source,
        })?;
        Ok(FileKey { key: SigningKey::from(&secret), path: path.to_path_buf() })
    }
}

/// ECPrivateKey (RFC 5915 3, SEC1 C.4) with the curve and the public key,
/// as `openssl ec` writes it.
#[derive(Sequence)]
struct EcPrivateKey<'a> {
    version: u8,
    private_key: OctetStringRef<'a>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    parameters: Option<Oid>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    public_key: Option<BitString>,
}

fn write_ec_private_key(secret: &p256::SecretKey) -> der::Result<zeroize::Zeroizing<Vec<u8>>> {
    let scalar = zeroize::Zeroizing::new(secret.to_bytes());
    let point = secret.public_key().to_sec1_point(false);
    let key = EcPrivateKey {
        version: 1,
        private_key: OctetStringRef::new(scalar.as_slice())?,
        parameters: Some(SECP256R1),
        public_key: Some(BitString::from_bytes(point.as_bytes())?),
    };
    let mut der = zeroize::Zeroizing::new(Vec::new());
    key.encode_to_vec(&mut der)?;
    Ok(der)
}

/// The key in an ECPrivateKey, if it is a P-256 one whose stored public
/// key (when present) belongs to it.
fn read_ec_private_key(der: &[u8]) -> Option<p256::SecretKey> {
    let key = EcPrivateKey::from_der(der).ok()?;
    if key.version != 1 || key.parameters.is_some_and(|curve| curve != SECP256R1) {
        return None;
    }
    let secret = p256::SecretKey::from_slice(key.private_key.as_bytes()).ok()?;
    let stored_public = key.public_key.map(|bits| bits.raw_bytes().to_vec());
    let public = secret.public_key().to_sec1_point(false);
    (stored_public.is_none() || stored_public.as_deref() == Some(public.as_bytes())).then_some(secret)
}

impl DeviceSigner for FileKey {
    fn public_key_info(&self) -> SubjectPublicKeyInfoOwned {
        let point = self.key.verifying_key().as_affine().to_sec1_point(false);
        SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned { oid: ID_EC_PUBLIC_KEY, parameters: Some(SECP256R1.into()) },
            subject_public_key: BitString::from_bytes(point.as_bytes()).expect("a SEC1 point fits a BIT STRING"),
        }
    }

    fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned { oid: ECDSA_WITH_SHA256, parameters: None }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let signature: Signature = self.key.try_sign(message).map_err(|e| KeyError::Signing(e.to_string()))?;
        Ok(signature.to_der().as_bytes().to_vec())
    }
}

impl fmt::Debug for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileKey").field("path", &self.path).field("key", &"<redacted>").finish()
    }
}
