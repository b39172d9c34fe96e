// SPDX-License-Identifier: GPL-3.0-or-later
//! Passive authentication of `EF.CardSecurity` against a test CSCA and
//! document signer generated at test time with `openssl` (Debian package
//! `openssl`), the CMS SignedData made by `openssl cms -sign`.

use std::path::PathBuf;
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

/// The kind of key a test PKI's CSCA and document signer have.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// An EC key on the curve OpenSSL calls `curve`, its parameters named or
    /// explicit (`-param_enc explicit`, as German documents carry them).
    Ec { curve: &'static str, explicit: bool },
    /// RSA 2048 with PKCS #1 v1.5 signatures.
    Rsa,
    /// RSA 2048 with RSASSA-PSS signatures (salt as long as the hash).
    RsaPss,
}

struct Pki {
    dir: tempfile::TempDir,
    kind: Kind,
    /// The hash of every signature, as OpenSSL names it (`sha256`).
    md: &'static str,
}

impl Pki {
    fn new() -> Self {
        Self::of(Kind::Ec { curve: "brainpoolP256r1", explicit: false }, "sha256")
    }

    fn of(kind: Kind, md: &'static str) -> Self {
        Self { dir: tempfile::tempdir().unwrap(), kind, md }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    fn key(&self, name: &str) {
        self.key_of(self.kind, name);
    }

    fn key_of(&self, kind: Kind, name: &str) {
        let out = self.arg(name);
        match kind {
            Kind::Ec { curve, explicit } => {
                let encoding = if explicit { "explicit" } else { "named_curve" };
                run("openssl", &["ecparam", "-name", curve, "-param_enc", encoding, "-genkey", "-noout", "-out", &out]);
            }
            Kind::Rsa | Kind::RsaPss => {
                run("openssl", &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", &out]);
            }
        }
    }

    /// The options that sign with this PKI's hash and padding; `option` is
    /// how the OpenSSL command takes a signature option.
    fn signing(&self, option: &str) -> Vec<String> {
        let mut args = vec![format!("-{}", self.md)];
        if let Kind::RsaPss = self.kind {
            args.extend([option, "rsa_padding_mode:pss", option, "rsa_pss_saltlen:digest"].map(String::from));
        }
        args
    }

    /// A self-signed CSCA; returns its DER encoding.
    fn csca(&self, name: &str, subject: &str) -> Vec<u8> {
        self.key(&format!("{name}.key"));
        let (key, pem) = (self.arg(&format!("{name}.key")), self.arg(&format!("{name}.pem")));
        let mut args = vec!["req", "-x509", "-new", "-key", &key, "-subj", subject, "-days", "3650", "-out", &pem];
        let signing = self.signing("-sigopt");
        args.extend(signing.iter().map(String::as_str));
        run("openssl", &args);
        let der = format!("{name}.der");
        run("openssl", &["x509", "-in", &pem, "-outform", "DER", "-out", &self.arg(&der)]);
        std::fs::read(self.path(&der)).unwrap()
    }

    /// A document signer certificate issued by `csca`.
    fn document_signer(&self, name: &str, csca: &str) {
        self.document_signer_of(self.kind, name, csca);
    }

    /// A document signer certificate with a key of `kind` issued by `csca`.
    fn document_signer_of(&self, kind: Kind, name: &str, csca: &str) {
        self.key_of(kind, &format!("{name}.key"));
        let (key, csr, pem) =
            (self.arg(&format!("{name}.key")), self.arg(&format!("{name}.csr")), self.arg(&format!("{name}.pem")));
        run("openssl", &["req", "-new", "-key", &key, "-subj", "/C=DE/O=Test/CN=Test Document Signer", "-out", &csr]);
        let (ca, ca_key) = (self.arg(&format!("{csca}.pem")), self.arg(&format!("{csca}.key")));
        let mut args = vec![
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "365",
            "-out",
            &pem,
        ];
        let signing = self.signing("-sigopt");
        args.extend(signing.iter().map(String::as_str));
        run("openssl", &args);
    }

    /// EF.CardSecurity: `content` signed by the document signer `signer`.
    fn card_security(&self, signer: &str, content: &[u8]) -> Vec<u8> {
        self.signed_data(signer, "0.4.0.127.0.7.3.2.1", content, "card_security.der")
    }

    /// A CMS SignedData (`openssl cms -sign`) of `content` with the content
    /// type `content_type`, signed by `signer` (a certificate of this PKI
    /// with its key), written as `name`.
    fn signed_data(&self, signer: &str, content_type: &str, content: &[u8], name: &str) -> Vec<u8> {
        let input = self.path(&format!("{name}.content"));
        std::fs::write(&input, content).unwrap();
        let (input, out) = (input.display().to_string(), self.arg(name));
        let (cert, key) = (self.arg(&format!("{signer}.pem")), self.arg(&format!("{signer}.key")));
        let mut args = vec![
            "cms",
            "-sign",
            "-binary",
            "-nodetach",
            "-outform",
            "DER",
            "-econtent_type",
            content_type,
            "-md",
            self.md,
            "-nosmimecap",
            "-in",
            &input,
            "-signer",
            &cert,
            "-inkey",
            &key,
            "-out",
            &out,
        ];
        let signing = self.signing("-keyopt");
        args.extend(signing.iter().skip(1).map(String::as_str));
        run("openssl", &args);
        std::fs::read(&out).unwrap()
    }
}

const CSCA_SUBJECT: &str = "/C=DE/O=Test/CN=Test CSCA";

fn signed_setup() -> (Pki, Vec<u8>, TrustList) {
    signed_setup_with(Pki::new())
}

/// In `pki`: a CSCA, a document signer it issued, an EF.CardSecurity signed
/// by that, and the trust list of that CSCA.
fn signed_setup_with(pki: Pki) -> (Pki, Vec<u8>, TrustList) {
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
    let Err(PaError::SignerCertificateNotValid { on, not_before, not_after }) =
        verify_card_security(&card_security, &trust, later)
    else {
        panic!("an expired signer must be refused as such");
    };
    assert_eq!(on, later);
    assert!(not_before <= today() && today() <= not_after && not_after < later, "{not_before} to {not_after}");
}

#[test]
fn document_signer_not_yet_valid_is_rejected() {
    let (_pki, card_security, trust) = signed_setup();
    let mut earlier = today();
    earlier.year -= 1;
    assert!(matches!(
        verify_card_security(&card_security, &trust, earlier),
        Err(PaError::SignerCertificateNotValid { on, .. }) if on == earlier
    ));
}

/// A CSCA, a document signer it issued and an EF.CardSecurity signed by
/// that, all of `kind` with the hash `md`, verify.
fn verifies_with(kind: Kind, md: &'static str) {
    let (pki, card_security, trust) = signed_setup_with(Pki::of(kind, md));
    if let Kind::Ec { explicit: true, .. } = kind {
        let text = run("openssl", &["x509", "-in", &pki.arg("ds.pem"), "-noout", "-text"]);
        assert!(text.contains("Field Type: prime-field"), "the signer's key carries explicit parameters: {text}");
    }
    let verified = verify_card_security(&card_security, &trust, today())
        .unwrap_or_else(|e| panic!("{kind:?} with {md} must verify: {e}"));
    assert_eq!(verified.chip_key(Some(65)).unwrap().public_key, chip_point());
}

/// Every curve BSI TR-03116-2 and ICAO 9303-12 allow, each with a hash of
/// its strength, with named and with explicit domain parameters.
#[test]
fn card_security_verifies_on_every_curve_with_named_and_explicit_parameters() {
    for (curve, md) in [
        ("brainpoolP224r1", "sha224"),
        ("brainpoolP256r1", "sha256"),
        ("brainpoolP320r1", "sha384"),
        ("brainpoolP384r1", "sha384"),
        ("brainpoolP512r1", "sha512"),
        ("secp224r1", "sha224"),
        ("prime256v1", "sha256"),
        ("secp384r1", "sha384"),
        ("secp521r1", "sha512"),
    ] {
        for explicit in [false, true] {
            verifies_with(Kind::Ec { curve, explicit }, md);
        }
    }
}

#[test]
fn a_signer_on_another_curve_than_its_csca_verifies() {
    // The case a review found refused as "unsupported algorithm
    // ecdsa-with-SHA256": a brainpoolP224r1 signer with explicit
    // parameters under a brainpoolP256r1 CSCA.
    let pki = Pki::new();
    let csca = pki.csca("csca", CSCA_SUBJECT);
    pki.document_signer_of(Kind::Ec { curve: "brainpoolP224r1", explicit: true }, "ds", "csca");
    let card_security = pki.card_security("ds", &security_infos());
    let trust = TrustList::from_der_certificates([csca.as_slice()]).unwrap();
    assert!(verify_card_security(&card_security, &trust, today()).is_ok());
}

#[test]
fn rsa_signers_verify_with_pkcs1_and_pss_padding() {
    verifies_with(Kind::Rsa, "sha256");
    verifies_with(Kind::RsaPss, "sha256");
    verifies_with(Kind::RsaPss, "sha512");
}

#[test]
fn a_curve_eid_documents_do_not_use_is_refused_as_such() {
    // secp256k1 = 1.3.132.0.10.
    let named = Pki::of(Kind::Ec { curve: "secp256k1", explicit: false }, "sha256");
    let csca = named.csca("csca", CSCA_SUBJECT);
    assert_eq!(
        TrustList::from_der_certificates([csca.as_slice()]).map(|_| ()),
        Ok(()),
        "a trust list may hold such a CSCA; it is refused only when it signs"
    );
    named.document_signer("ds", "csca");
    let card_security = named.card_security("ds", &security_infos());
    let trust = TrustList::from_der_certificates([csca.as_slice()]).unwrap();
    assert_eq!(
        verify_card_security(&card_security, &trust, today()),
        Err(PaError::UnsupportedAlgorithm(ObjectIdentifier(vec![0x2B, 0x81, 0x04, 0x00, 0x0A])))
    );

    let (_, card_security, trust) =
        signed_setup_with(Pki::of(Kind::Ec { curve: "secp256k1", explicit: true }, "sha256"));
    assert_eq!(verify_card_security(&card_security, &trust, today()), Err(PaError::UnknownDomainParameters));
}

#[test]
fn a_pss_signature_checked_with_another_salt_length_fails() {
    let (_pki, mut card_security, trust) = signed_setup_with(Pki::of(Kind::RsaPss, "sha256"));
    assert!(verify_card_security(&card_security, &trust, today()).is_ok());
    // The SignerInfo's signatureAlgorithm is outside what is signed: its
    // PSS parameters (the last in the file) say the salt is 32 bytes long
    // (saltLength [2] INTEGER 32); one byte less must fail.
    let pss = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A];
    let at = card_security.windows(pss.len()).rposition(|w| w == pss).unwrap();
    let salt = card_security[at..].windows(3).position(|w| w == [0xA2, 0x03, 0x02]).unwrap() + at + 4;
    assert_eq!(card_security[salt], 32);
    card_security[salt] = 31;
    assert_eq!(verify_card_security(&card_security, &trust, today()), Err(PaError::BadSignature));
}

#[test]
fn content_that_is_not_a_security_object_is_rejected() {
    let pki = Pki::new();
    let csca = pki.csca("csca", CSCA_SUBJECT);
    pki.document_signer("ds", "csca");
    // id-data (1.2.840.113549.1.7.1), what `openssl cms -sign` signs by default.
    let plain = pki.signed_data("ds", "1.2.840.113549.1.7.1", &security_infos(), "plain.der");
    let trust = TrustList::from_der_certificates([csca.as_slice()]).unwrap();
    assert_eq!(verify_card_security(&plain, &trust, today()), Err(PaError::WrongContentType));
}

impl Pki {
    /// A CRL of the CSCA `csca` (`openssl ca -gencrl`) revoking the
    /// certificates `revoke` (PEM names in this PKI), due again in `days`.
    fn crl(&self, csca: &str, revoke: &[&str], days: u32) -> Vec<u8> {
        let config = self.path(&format!("{csca}-ca.cnf"));
        if !config.exists() {
            std::fs::write(self.path(&format!("{csca}-index.txt")), "").unwrap();
            std::fs::write(self.path(&format!("{csca}-crlnumber")), "01\n").unwrap();
            let text = format!(
                "[ca]\ndefault_ca = csca\n[csca]\ndatabase = {}\ncrlnumber = {}\ndefault_md = {}\n",
                self.arg(&format!("{csca}-index.txt")),
                self.arg(&format!("{csca}-crlnumber")),
                self.md
            );
            std::fs::write(&config, text).unwrap();
        }
        let (config, key, cert) =
            (config.display().to_string(), self.arg(&format!("{csca}.key")), self.arg(&format!("{csca}.pem")));
        for name in revoke {
            let pem = self.arg(&format!("{name}.pem"));
            run("openssl", &["ca", "-config", &config, "-keyfile", &key, "-cert", &cert, "-revoke", &pem]);
        }
        let (pem, der) = (self.arg("crl.pem"), self.arg("crl.der"));
        let days = days.to_string();
        run(
            "openssl",
            &["ca", "-config", &config, "-keyfile", &key, "-cert", &cert, "-gencrl", "-crldays", &days, "-out", &pem],
        );
        run("openssl", &["crl", "-in", &pem, "-outform", "DER", "-out", &der]);
        std::fs::read(self.path("crl.der")).unwrap()
    }

    /// A CSCA Master List (ICAO Doc 9303-12 9) of the DER certificates
    /// `cscas`, signed by `signer` (a certificate of this PKI with its key).
    fn master_list(&self, signer: &str, cscas: &[&[u8]]) -> Vec<u8> {
        let mut list = tlv::encode(0x02, &[0x00]);
        tlv::encode_into(0x31, &cscas.concat(), &mut list);
        let der = self.signed_data(signer, "2.23.136.1.1.2", &tlv::encode(0x30, &list), "masterlist.der");
        let printed =
            run("openssl", &["cms", "-cmsout", "-print", "-inform", "DER", "-in", &self.arg("masterlist.der")]);
        assert!(
            printed.contains("eContentType: undefined (2.23.136.1.1.2)"),
            "a CSCA Master List by its content type: {printed}"
        );
        der
    }
}

/// The German CSCA is configured; the Master List brings another state's.
#[test]
fn a_master_list_signed_under_a_trusted_csca_adds_its_cscas() {
    let pki = Pki::new();
    let anchor = pki.csca("csca", CSCA_SUBJECT);
    pki.document_signer("mls", "csca");
    let other = pki.csca("other", "/C=FR/O=Test/CN=Other State CSCA");
    pki.document_signer_of(Kind::Ec { curve: "brainpoolP256r1", explicit: false }, "ds", "other");
    let card_security = pki.card_security("ds", &security_infos());

    let mut trust = TrustList::from_der_certificates([anchor.as_slice()]).unwrap();
    assert_eq!(verify_card_security(&card_security, &trust, today()), Err(PaError::UntrustedSigner));
    let list = pki.master_list("mls", &[&anchor, &other]);
    assert_eq!(trust.add_master_list(&list, today()), Ok(1), "the anchor is already trusted, the other state's is new");
    assert_eq!(trust.len(), 2);
    assert!(verify_card_security(&card_security, &trust, today()).is_ok());
}

#[test]
fn a_master_list_from_an_untrusted_signer_or_altered_adds_nothing() {
    let pki = Pki::new();
    let anchor = pki.csca("csca", CSCA_SUBJECT);
    let stranger = pki.csca("stranger", "/C=XX/O=Elsewhere/CN=Stranger");
    pki.document_signer("mls", "stranger");
    let mut trust = TrustList::from_der_certificates([anchor.as_slice()]).unwrap();
    let list = pki.master_list("mls", &[&stranger]);
    assert_eq!(trust.add_master_list(&list, today()), Err(PaError::UntrustedSigner));

    pki.document_signer("mls", "csca");
    let mut list = pki.master_list("mls", &[&stranger]);
    let at = list.windows(stranger.len()).position(|w| w == stranger).unwrap();
    list[at + 40] ^= 0x01;
    assert_eq!(trust.add_master_list(&list, today()), Err(PaError::DigestMismatch));
    assert_eq!(trust.len(), 1);
}

#[test]
fn a_revoked_document_signer_is_refused() {
    let (pki, card_security, mut trust) = signed_setup();
    let dates = trust.add_crl(&pki.crl("csca", &[], 30)).unwrap();
    assert_eq!((dates.issuer.as_str(), dates.revoked), ("C=DE, O=Test, CN=Test CSCA", 0));
    assert!(dates.next_update.is_some_and(|next| next > today()), "{dates:?}");
    assert!(verify_card_security(&card_security, &trust, today()).is_ok(), "an empty CRL revokes nothing");

    let crl = pki.crl("csca", &["ds"], 30);
    let text = run("openssl", &["crl", "-inform", "DER", "-in", &pki.arg("crl.der"), "-noout", "-text"]);
    assert!(text.contains("Revoked Certificates:"), "{text}");
    assert_eq!(trust.add_crl(&crl).map(|d| d.revoked), Ok(1));
    assert!(matches!(
        verify_card_security(&card_security, &trust, today()),
        Err(PaError::Revoked { issuer, .. }) if issuer == "C=DE, O=Test, CN=Test CSCA"
    ));
}

#[test]
fn a_revoked_csca_no_longer_vouches_for_its_signers() {
    let (pki, card_security, mut trust) = signed_setup();
    trust.add_crl(&pki.crl("csca", &["csca"], 30)).unwrap();
    assert!(matches!(verify_card_security(&card_security, &trust, today()), Err(PaError::Revoked { .. })));
}

#[test]
fn a_crl_not_signed_by_its_csca_is_refused() {
    let (pki, _, mut trust) = signed_setup();
    // Same name, other key: an impostor's CRL.
    pki.csca("impostor", CSCA_SUBJECT);
    assert!(matches!(trust.add_crl(&pki.crl("impostor", &[], 30)), Err(PaError::UntrustedCrl(_))));
    assert!(matches!(trust.add_crl(b"\x30\x03\x02\x01\x00"), Err(PaError::MalformedList("CRL"))));
}
