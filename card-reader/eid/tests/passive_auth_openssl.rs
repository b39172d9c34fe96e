// SPDX-License-Identifier: GPL-3.0-or-later
//! Passive authentication of `EF.CardSecurity` against a test CSCA and
//! document signer generated at test time with `openssl` (Debian package
//! `openssl`), the CMS SignedData made by `openssl cms -sign`.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use bp256::r1::{NonZeroScalar, ProjectivePoint};
use eid::card_access::{ChipAuthenticationInfo, ObjectIdentifier};
use eid::chip_auth::{self, CaError};
use eid::crypto::{CryptoError, Randomness};
use eid::cvc::CvcDate;
use eid::passive_auth::{PaError, TrustList, verify_card_security};
use eid::terminal_auth::EphemeralCaKey;
use eid::tlv;
use elliptic_curve::sec1::ToSec1Point;

mod common;
use common::run;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Today's UTC date (days-since-epoch to civil date, H. Hinnant's algorithm).
fn today() -> CvcDate {
    let days = (SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() / 86_400) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    CvcDate { year, month, day }
}

fn chip_point() -> Vec<u8> {
    let secret = NonZeroScalar::try_from(&[0x33u8; 32][..]).unwrap();
    (ProjectivePoint::GENERATOR * *secret).to_affine().to_sec1_point(false).as_bytes().to_vec()
}

/// SecurityInfos as in a German EF.CardSecurity: ChipAuthenticationPublicKeyInfo
/// (id-PK-ECDH, standardized parameters 13, key ID 65) and ChipAuthenticationInfo.
fn security_infos() -> Vec<u8> {
    let mut bits = vec![0x00];
    bits.extend(chip_point());
    let mut spki = tlv::encode(0x30, &hex("0607 04007F00070102 02010D"));
    tlv::encode_into(0x03, &bits, &mut spki);
    let mut pk_info = tlv::encode(0x06, &hex("04007F000702020102"));
    tlv::encode_into(0x30, &spki, &mut pk_info);
    pk_info.extend(hex("020141"));
    let mut set = tlv::encode(0x30, &pk_info);
    set.extend(hex("3012 060A 04007F00070202030202 020102 020141"));
    tlv::encode(0x31, &set)
}

struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    fn key(&self, name: &str) {
        run("openssl", &["ecparam", "-name", "brainpoolP256r1", "-genkey", "-noout", "-out", &self.arg(name)]);
    }

    /// A self-signed CSCA; returns its DER encoding.
    fn csca(&self, name: &str, subject: &str) -> Vec<u8> {
        self.key(&format!("{name}.key"));
        run(
            "openssl",
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                &self.arg(&format!("{name}.key")),
                "-subj",
                subject,
                "-days",
                "3650",
                "-sha256",
                "-out",
                &self.arg(&format!("{name}.pem")),
            ],
        );
        let der = format!("{name}.der");
        run("openssl", &["x509", "-in", &self.arg(&format!("{name}.pem")), "-outform", "DER", "-out", &self.arg(&der)]);
        std::fs::read(self.path(&der)).unwrap()
    }

    /// A document signer certificate issued by `csca`.
    fn document_signer(&self, name: &str, csca: &str) {
        self.key(&format!("{name}.key"));
        run(
            "openssl",
            &[
                "req",
                "-new",
                "-key",
                &self.arg(&format!("{name}.key")),
                "-subj",
                "/C=DE/O=Test/CN=Test Document Signer",
                "-out",
                &self.arg(&format!("{name}.csr")),
            ],
        );
        run(
            "openssl",
            &[
                "x509",
                "-req",
                "-in",
                &self.arg(&format!("{name}.csr")),
                "-CA",
                &self.arg(&format!("{csca}.pem")),
                "-CAkey",
                &self.arg(&format!("{csca}.key")),
                "-CAcreateserial",
                "-days",
                "365",
                "-sha256",
                "-out",
                &self.arg(&format!("{name}.pem")),
            ],
        );
    }

    /// EF.CardSecurity: `content` signed by the document signer `signer`.
    fn card_security(&self, signer: &str, content: &[u8]) -> Vec<u8> {
        let input = self.path("infos.der");
        std::fs::write(&input, content).unwrap();
        let out = self.path("card_security.der");
        run(
            "openssl",
            &[
                "cms",
                "-sign",
                "-binary",
                "-nodetach",
                "-outform",
                "DER",
                "-econtent_type",
                "0.4.0.127.0.7.3.2.1",
                "-md",
                "sha256",
                "-nosmimecap",
                "-in",
                &input.display().to_string(),
                "-signer",
                &self.arg(&format!("{signer}.pem")),
                "-inkey",
                &self.arg(&format!("{signer}.key")),
                "-out",
                &out.display().to_string(),
            ],
        );
        std::fs::read(&out).unwrap()
    }
}

const CSCA_SUBJECT: &str = "/C=DE/O=Test/CN=Test CSCA";

fn signed_setup() -> (Pki, Vec<u8>, TrustList) {
    let pki = Pki::new();
    let csca = pki.csca("csca", CSCA_SUBJECT);
    pki.document_signer("ds", "csca");
    let card_security = pki.card_security("ds", &security_infos());
    let trust = TrustList::from_der_certificates([csca.as_slice()]).unwrap();
    (pki, card_security, trust)
}

fn ca_info() -> ChipAuthenticationInfo {
    ChipAuthenticationInfo {
        protocol: ObjectIdentifier::smartcard(&[3, 2, 2]),
        cipher: Some(eid::crypto::Cipher::Aes128),
        version: 2,
        key_id: Some(65),
    }
}

struct Fixed;

impl Randomness for Fixed {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), CryptoError> {
        buf.fill(0x5A);
        Ok(())
    }
}

#[test]
fn card_security_signed_by_trusted_document_signer_yields_the_chip_key() {
    let (_pki, card_security, trust) = signed_setup();
    let verified = verify_card_security(&card_security, &trust, today()).unwrap();
    assert_eq!(verified.chip_key(Some(65)).unwrap().public_key, chip_point());
    assert_eq!(verified.security_infos().chip_authentication_infos().count(), 1);

    // Chip Authentication takes the signed key for the requested key ID.
    let ephemeral = EphemeralCaKey::generate(&mut Fixed).unwrap();
    assert!(chip_auth::start_verified(&ca_info(), &verified, ephemeral).is_ok());
    let mut other_id = ca_info();
    other_id.key_id = Some(66);
    let ephemeral = EphemeralCaKey::generate(&mut Fixed).unwrap();
    assert_eq!(chip_auth::start_verified(&other_id, &verified, ephemeral).err(), Some(CaError::NoSignedChipKey));
}

#[test]
fn signer_from_an_unknown_csca_is_untrusted() {
    let (pki, card_security, _) = signed_setup();
    let stranger = pki.csca("stranger", "/C=DE/O=Elsewhere/CN=Other CSCA");
    let trust = TrustList::from_der_certificates([stranger.as_slice()]).unwrap();
    assert_eq!(verify_card_security(&card_security, &trust, today()), Err(PaError::UntrustedSigner));
}

#[test]
fn impostor_csca_with_the_same_name_fails_the_certificate_signature() {
    let pki = Pki::new();
    let real = pki.csca("csca", CSCA_SUBJECT);
    pki.csca("impostor", CSCA_SUBJECT);
    pki.document_signer("ds", "impostor");
    let card_security = pki.card_security("ds", &security_infos());
    let trust = TrustList::from_der_certificates([real.as_slice()]).unwrap();
    assert_eq!(verify_card_security(&card_security, &trust, today()), Err(PaError::BadCertificateSignature));
}

#[test]
fn altered_security_infos_do_not_match_the_signed_digest() {
    let (_pki, mut card_security, trust) = signed_setup();
    let infos = security_infos();
    let at = card_security.windows(infos.len()).position(|w| w == infos).unwrap();
    // Change one byte of the chip's public key inside the signed content.
    card_security[at + 40] ^= 0x01;
    assert_eq!(verify_card_security(&card_security, &trust, today()), Err(PaError::DigestMismatch));
}

#[test]
fn altered_signature_is_rejected() {
    let (_pki, mut card_security, trust) = signed_setup();
    // The DER ends with the signature's s value.
    let last = card_security.len() - 1;
    card_security[last] ^= 0x01;
    assert_eq!(verify_card_security(&card_security, &trust, today()), Err(PaError::BadSignature));
}

#[test]
fn expired_document_signer_is_rejected() {
    let (_pki, card_security, trust) = signed_setup();
    let mut later = today();
    later.year += 2;
    assert_eq!(verify_card_security(&card_security, &trust, later), Err(PaError::SignerCertificateNotValid(later)));
}

#[test]
fn content_that_is_not_a_security_object_is_rejected() {
    let pki = Pki::new();
    let csca = pki.csca("csca", CSCA_SUBJECT);
    pki.document_signer("ds", "csca");
    let input = pki.path("infos.der");
    std::fs::write(&input, security_infos()).unwrap();
    let out = pki.path("plain.der");
    run(
        "openssl",
        &[
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-outform",
            "DER",
            "-md",
            "sha256",
            "-nosmimecap",
            "-in",
            &input.display().to_string(),
            "-signer",
            &pki.arg("ds.pem"),
            "-inkey",
            &pki.arg("ds.key"),
            "-out",
            &out.display().to_string(),
        ],
    );
    let trust = TrustList::from_der_certificates([csca.as_slice()]).unwrap();
    let plain = std::fs::read(Path::new(&out)).unwrap();
    assert_eq!(verify_card_security(&plain, &trust, today()), Err(PaError::WrongContentType));
}
