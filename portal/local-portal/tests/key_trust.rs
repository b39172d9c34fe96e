// SPDX-License-Identifier: GPL-3.0-or-later
//! A destination key is used only if the administration PKI certifies it, and only while the
//! destination names it (issue #16, part 5).
//!
//! The test administration PKI is made with the openssl command line (`req`, `ca`, `ca -revoke`,
//! `ca -gencrl`), independently of this code: a root, an encryption CA under it, and
//! encryption certificates for the local portal's destination key. The local portal, a real TLS
//! server, serves the key with that chain in `x5c` and the CRLs at its distribution point. For
//! each untrusted key the request stays queued with the reason as the queue's last error (what
//! a maintainer sees in the queue's health) and never reaches the portal: not even a submission
//! is created.

mod common;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{bulky_waste, destination, eventually, keys, local, tracking};
use local_portal::demo::LocalSetup;
use local_portal::keys::ENCRYPTION_KID;
use local_portal::pki::{ENCRYPTION_CA_CRL, ROOT_CRL};
use portal::FitConnectPortal;
use portal::queue::Step;
use portal::slots::BULKY_WASTE;
use rsa::RsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;

/// Long enough for a few delivery attempts with the tests' short backoff.
const SETTLE: Duration = Duration::from_secs(20);

fn openssl(dir: &Path, args: &[&str]) -> Result<(), Box<dyn Error>> {
    let output = Command::new("openssl").args(args).current_dir(dir).output()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("openssl {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr)).into())
    }
}

/// The configuration `openssl ca` works with for the CA in `dir` (RFC 5280 profiles: CA
/// certificates may sign certificates and CRLs, encryption certificates may only encipher keys;
/// `signing` is a certificate of the same PKI for another use).
fn ca_config(dir: &Path) -> String {
    format!(
        "[ca]\ndefault_ca = this_ca\n\
         [this_ca]\ndir = {dir}\ndatabase = $dir/index.txt\nnew_certs_dir = $dir\nserial = $dir/serial\n\
         crlnumber = $dir/crlnumber\ncertificate = $dir/ca.pem\nprivate_key = $dir/ca.key\n\
         default_md = sha256\ndefault_days = 3650\ndefault_crl_days = 30\npolicy = any_name\n\
         unique_subject = no\ncrl_extensions = crl\n\
         [any_name]\ncommonName = supplied\n\
         [req]\ndistinguished_name = name\nprompt = no\nx509_extensions = ca_ext\n[name]\nCN = unused\n\
         [crl]\nauthorityKeyIdentifier = keyid:always\n\
         [ca_ext]\nbasicConstraints = critical, CA:true\nkeyUsage = critical, keyCertSign, cRLSign\n\
         subjectKeyIdentifier = hash\n\
         [encryption]\nbasicConstraints = critical, CA:false\nkeyUsage = critical, keyEncipherment\n\
         subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n\
         [signing]\nbasicConstraints = critical, CA:false\nkeyUsage = critical, digitalSignature\n\
         subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n",
        dir = dir.display()
    )
}

/// One CA of the test PKI: its directory with key, certificate, database and configuration.
struct Ca {
    dir: PathBuf,
}

impl Ca {
    fn prepare(dir: PathBuf) -> Result<Self, Box<dyn Error>> {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("index.txt"), "")?;
        std::fs::write(dir.join("serial"), "1000\n")?;
        std::fs::write(dir.join("crlnumber"), "01\n")?;
        std::fs::write(dir.join("ca.cnf"), ca_config(&dir))?;
        Ok(Self { dir })
    }

    /// A self-signed root.
    fn root(dir: PathBuf, name: &str) -> Result<Self, Box<dyn Error>> {
        let ca = Self::prepare(dir)?;
        openssl(
            &ca.dir,
            &[
                "req",
                "-x509",
                "-new",
                "-config",
                "ca.cnf",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "3650",
                "-subj",
                &format!("/CN={name}"),
            ],
        )?;
        Ok(ca)
    }

    /// An intermediate CA issued by `self`.
    fn intermediate(&self, dir: PathBuf, name: &str) -> Result<Self, Box<dyn Error>> {
        let ca = Self::prepare(dir)?;
        openssl(
            &ca.dir,
            &[
                "req",
                "-new",
                "-config",
                "ca.cnf",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.csr",
                "-subj",
                &format!("/CN={name}"),
            ],
        )?;
        let csr = ca.dir.join("ca.csr");
        let out = ca.dir.join("ca.pem");
        self.sign(&csr, &out, "ca_ext", None)?;
        Ok(ca)
    }

    /// Signs `csr` into `out` with the extensions `section`, valid from/until `dates` or for
    /// the default days.
    fn sign(&self, csr: &Path, out: &Path, section: &str, dates: Option<(&str, &str)>) -> Result<(), Box<dyn Error>> {
        let (csr, out) = (csr.display().to_string(), out.display().to_string());
        let mut args =
            vec!["ca", "-batch", "-notext", "-config", "ca.cnf", "-extensions", section, "-in", &csr, "-out", &out];
        if let Some((start, end)) = dates {
            args.extend(["-startdate", start, "-enddate", end]);
        }
        openssl(&self.dir, &args)
    }

    fn revoke(&self, certificate: &Path) -> Result<(), Box<dyn Error>> {
        openssl(&self.dir, &["ca", "-config", "ca.cnf", "-revoke", &certificate.display().to_string()])
    }

    /// The CA's current CRL, PEM as `openssl ca -gencrl` writes it (the portal serves it so).
    fn crl(&self) -> Result<Vec<u8>, Box<dyn Error>> {
        openssl(&self.dir, &["ca", "-config", "ca.cnf", "-gencrl", "-out", "crl.pem"])?;
        Ok(std::fs::read(self.dir.join("crl.pem"))?)
    }

    fn pem(&self) -> Result<String, Box<dyn Error>> {
        Ok(std::fs::read_to_string(self.dir.join("ca.pem"))?)
    }
}

/// A certificate file as DER (an `x5c` entry).
fn der(path: &Path) -> Result<Vec<u8>, Box<dyn Error>> {
    let out = path.with_extension("der");
    openssl(
        path.parent().unwrap_or(Path::new(".")),
        &["x509", "-in", &path.display().to_string(), "-outform", "DER", "-out", &out.display().to_string()],
    )?;
    Ok(std::fs::read(out)?)
}

/// A certificate chain as a JWK's `x5c` holds it: DER each, leaf first.
type Chain = Vec<Vec<u8>>;

/// The test administration PKI: root, encryption CA.
struct TestPki {
    dir: PathBuf,
    root: Ca,
    encryption_ca: Ca,
}

impl TestPki {
    fn make(dir: &Path) -> Result<Self, Box<dyn Error>> {
        let root = Ca::root(dir.join("root"), "Test-Verwaltungs-PKI Wurzel")?;
        let encryption_ca = root.intermediate(dir.join("encryption-ca"), "Test-Verwaltungs-PKI Verschluesselung")?;
        Ok(Self { dir: dir.to_owned(), root, encryption_ca })
    }

    /// Certifies the key in `key_pem` (named `name`) with the extensions `section`; returns the
    /// leaf's file and the `x5c` (leaf, encryption CA).
    fn certify(
        &self,
        key_pem: &str,
        name: &str,
        section: &str,
        dates: Option<(&str, &str)>,
    ) -> Result<(PathBuf, Chain), Box<dyn Error>> {
        let key = self.dir.join(format!("{name}.key"));
        std::fs::write(&key, key_pem)?;
        let csr = self.dir.join(format!("{name}.csr"));
        openssl(
            &self.dir,
            &[
                "req",
                "-new",
                "-config",
                &self.encryption_ca.dir.join("ca.cnf").display().to_string(),
                "-key",
                &key.display().to_string(),
                "-out",
                &csr.display().to_string(),
                "-subj",
                &format!("/CN={name}"),
            ],
        )?;
        let leaf = self.dir.join(format!("{name}.pem"));
        self.encryption_ca.sign(&csr, &leaf, section, dates)?;
        let chain = vec![der(&leaf)?, der(&self.encryption_ca.dir.join("ca.pem"))?];
        Ok((leaf, chain))
    }

    /// Serves the current CRLs at the local portal's distribution point.
    fn publish_crls(&self, setup: &LocalSetup) -> Result<(), Box<dyn Error>> {
        setup.portal.publish_crl(ROOT_CRL, self.root.crl()?);
        setup.portal.publish_crl(ENCRYPTION_CA_CRL, self.encryption_ca.crl()?);
        Ok(())
    }
}

/// The local portal's destination key, PEM.
fn destination_key_pem() -> Result<String, Box<dyn Error>> {
    Ok(keys().to_pem()?.0.as_str().to_owned())
}

/// A local portal whose destination key carries `x5c` from the openssl PKI, with its CRLs, and
/// a client that trusts `anchor_pem`.
fn portal_with(dir: &Path, pki: &TestPki, x5c: Chain, anchor_pem: String) -> Result<LocalSetup, Box<dyn Error>> {
    let mut setup = local(&dir.join("portal"));
    setup.portal.rotate_encryption_key(ENCRYPTION_KID, keys().encryption, x5c);
    pki.publish_crls(&setup)?;
    setup.client.key_trust.anchors_pem = anchor_pem.into_bytes();
    Ok(setup)
}

/// Queues one request and waits until its delivery has failed with a reason containing
/// `reason`; then checks that it is still queued and that nothing reached the portal.
fn refused_and_kept(
    setup: &LocalSetup,
    client: &FitConnectPortal,
    label: &str,
    reason: &str,
) -> Result<(), Box<dyn Error>> {
    let tracking_number = tracking(label);
    assert!(client.enqueue(&bulky_waste(&tracking_number, &destination(setup, BULKY_WASTE)))?);
    let seen = eventually(SETTLE, || {
        client.health().ok().and_then(|health| health.last_error).is_some_and(|error| error.contains(reason))
    });
    let health = client.health()?;
    assert!(seen, "expected a delivery error with {reason:?}, the queue says {health:?}");
    assert_eq!(health.depth, 1, "the request stays queued: {health:?}");
    assert_eq!(client.step(&tracking_number)?, Some(Step::Queued));
    assert_eq!(setup.portal.store().created_total()?, 0, "nothing was sent to the portal");
    Ok(())
}

#[test]
fn a_key_certified_by_the_administration_pki_is_used() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let pki = TestPki::make(dir.path())?;
    let (_, x5c) = pki.certify(&destination_key_pem()?, ENCRYPTION_KID, "encryption", None)?;
    let setup = portal_with(dir.path(), &pki, x5c, pki.root.pem()?)?;
    let client = FitConnectPortal::start(setup.client.clone())?;
    client.prefetch_keys()?;
    assert!(client.enqueue(&bulky_waste(&tracking("PKI-GOOD"), &destination(&setup, BULKY_WASTE)))?);
    assert!(client.wait_until_handed_over(SETTLE)?, "{:?}", client.health());
    assert_eq!(setup.portal.store().submitted_total()?, 1);
    Ok(())
}

#[test]
fn a_chain_that_does_not_lead_to_the_anchor_is_refused() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let pki = TestPki::make(dir.path())?;
    let (_, x5c) = pki.certify(&destination_key_pem()?, ENCRYPTION_KID, "encryption", None)?;
    // The terminal trusts another root, with the same name: the name alone does not make it.
    let other = Ca::root(dir.path().join("other-root"), "Test-Verwaltungs-PKI Wurzel")?;
    let setup = portal_with(dir.path(), &pki, x5c, other.pem()?)?;
    let client = FitConnectPortal::start(setup.client.clone())?;
    assert!(client.prefetch_keys().is_err(), "the key is not cached as trusted");
    refused_and_kept(&setup, &client, "PKI-OTHER-ROOT", "does not lead to the configured root")
}

#[test]
fn an_expired_certificate_is_refused() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let pki = TestPki::make(dir.path())?;
    let dates = Some(("20200101000000Z", "20210101000000Z"));
    let (_, x5c) = pki.certify(&destination_key_pem()?, ENCRYPTION_KID, "encryption", dates)?;
    let setup = portal_with(dir.path(), &pki, x5c, pki.root.pem()?)?;
    let client = FitConnectPortal::start(setup.client.clone())?;
    refused_and_kept(&setup, &client, "PKI-EXPIRED", "expired at 1609459200")
}

#[test]
fn a_revoked_certificate_is_refused() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let pki = TestPki::make(dir.path())?;
    let (leaf, x5c) = pki.certify(&destination_key_pem()?, ENCRYPTION_KID, "encryption", None)?;
    pki.encryption_ca.revoke(&leaf)?;
    let setup = portal_with(dir.path(), &pki, x5c, pki.root.pem()?)?;
    let client = FitConnectPortal::start(setup.client.clone())?;
    refused_and_kept(&setup, &client, "PKI-REVOKED", "is revoked")
}

#[test]
fn a_key_revoked_after_it_was_checked_is_refused_once_the_check_is_older_than_the_maximum_age()
-> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let pki = TestPki::make(dir.path())?;
    let (leaf, x5c) = pki.certify(&destination_key_pem()?, ENCRYPTION_KID, "encryption", None)?;
    let mut setup = portal_with(dir.path(), &pki, x5c, pki.root.pem()?)?;
    setup.client.key_trust.max_key_age = Duration::from_millis(500);
    let client = FitConnectPortal::start(setup.client.clone())?;
    client.prefetch_keys()?;
    pki.encryption_ca.revoke(&leaf)?;
    pki.publish_crls(&setup)?;
    std::thread::sleep(Duration::from_secs(1));
    refused_and_kept(&setup, &client, "PKI-REVOKED-LATER", "is revoked")
}

#[test]
fn a_certificate_for_another_use_than_key_encipherment_is_refused() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let pki = TestPki::make(dir.path())?;
    let (_, x5c) = pki.certify(&destination_key_pem()?, ENCRYPTION_KID, "signing", None)?;
    let setup = portal_with(dir.path(), &pki, x5c, pki.root.pem()?)?;
    let client = FitConnectPortal::start(setup.client.clone())?;
    refused_and_kept(&setup, &client, "PKI-SIGNING", "does not allow key encipherment")
}

#[test]
fn a_certificate_of_another_key_is_refused() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let pki = TestPki::make(dir.path())?;
    let other = dir.path().join("other.key");
    openssl(
        dir.path(),
        &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096", "-out", &other.display().to_string()],
    )?;
    let (_, x5c) = pki.certify(&std::fs::read_to_string(&other)?, ENCRYPTION_KID, "encryption", None)?;
    let setup = portal_with(dir.path(), &pki, x5c, pki.root.pem()?)?;
    let client = FitConnectPortal::start(setup.client.clone())?;
    refused_and_kept(&setup, &client, "PKI-OTHER-KEY", "not the one its certificate certifies")
}

#[test]
fn a_request_for_a_rotated_key_is_not_sent_to_the_old_key() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let pki = TestPki::make(dir.path())?;
    let (_, x5c) = pki.certify(&destination_key_pem()?, ENCRYPTION_KID, "encryption", None)?;
    let setup = portal_with(dir.path(), &pki, x5c, pki.root.pem()?)?;
    let client = FitConnectPortal::start(setup.client.clone())?;
    client.prefetch_keys()?;

    // The portal cannot be reached: the request is encrypted to the cached key and queued.
    setup.portal.set_fault(local_portal::Fault::Status500);
    let tracking_number = tracking("PKI-ROTATED");
    assert!(client.enqueue(&bulky_waste(&tracking_number, &destination(&setup, BULKY_WASTE)))?);

    // Meanwhile the destination rotates to a new key, properly certified.
    let new_key = dir.path().join("rotated.key");
    openssl(
        dir.path(),
        &["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096", "-out", &new_key.display().to_string()],
    )?;
    let new_pem = std::fs::read_to_string(&new_key)?;
    let (_, x5c) = pki.certify(&new_pem, "destination-key-2", "encryption", None)?;
    setup.portal.rotate_encryption_key("destination-key-2", RsaPrivateKey::from_pkcs8_pem(&new_pem)?, x5c);
    setup.portal.set_fault(local_portal::Fault::None);

    let seen = eventually(SETTLE, || {
        client.health().ok().and_then(|health| health.last_error).is_some_and(|error| error.contains("now names key"))
    });
    let health = client.health()?;
    assert!(seen, "expected the rotation as the delivery error, the queue says {health:?}");
    assert!(health.last_error.as_deref().is_some_and(|error| error.contains(ENCRYPTION_KID)), "{health:?}");
    assert_eq!(client.step(&tracking_number)?, Some(Step::Queued));
    assert_eq!(setup.portal.store().created_total()?, 0, "nothing was sent to the portal");

    // A request queued now goes to the new key, and is delivered.
    let next = tracking("PKI-AFTER-ROTATION");
    assert!(client.enqueue(&bulky_waste(&next, &destination(&setup, BULKY_WASTE)))?);
    assert!(eventually(SETTLE, || setup.portal.store().encryption_kid(&next).ok().flatten().is_some()));
    assert_eq!(setup.portal.store().encryption_kid(&next)?.as_deref(), Some("destination-key-2"));
    assert_eq!(client.step(&tracking_number)?, Some(Step::Queued), "the old request still waits");
    Ok(())
}
