// SPDX-License-Identifier: GPL-3.0-or-later
//! Enrolment against an implementation we did not write: OpenSSL's CMP mock
//! server (`openssl cmp -port`), one per test on a free loopback port, with
//! CAs and certificates made by `openssl req` and `openssl x509`.
//!
//! The mock server returns whatever certificate it is given and keeps no
//! record of used secrets, so a code used twice cannot be shown here: a
//! real CA refuses it, and the terminal reports that refusal as
//! `WrongCode` or `Refused` with the CA's words.

use der::{DecodePem, Encode};
use enrolment::code::format_code;
use enrolment::{CaConfig, CaEndpoint, CertificateStore, DeviceSigner, EnrolmentCode, EnrolmentError, FileKey, enrol};
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};
use x509_cert::Certificate;
use x509_cert::name::Name;

const REFERENCE: &str = "K7Q4";
const SECRET: &str = "9XM2T5HB3C8";
const SUBJECT: &str = "CN=terminal-0042,O=Stadt Musterstadt";

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A self-signed P-256 CA: `<name>.pem` and `<name>.key`.
fn make_ca(dir: &Path, name: &str, common_name: &str) -> PathBuf {
    let subject = format!("/CN={common_name}/O=Stadt Musterstadt");
    let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
    openssl(
        dir,
        &["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
            .into_iter()
            .chain(["-keyout", &key, "-out", &pem, "-subj", &subject, "-days", "2"])
            .collect::<Vec<_>>(),
    );
    dir.join(pem)
}

/// A certificate from CA `ca` for the public key in `public_key_pem`
/// (the request's own key is thrown away: `-force_pubkey` replaces it).
fn issue(dir: &Path, ca: &str, public_key_pem: &str, out: &str) -> PathBuf {
    openssl(
        dir,
        &["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
            .into_iter()
            .chain([
                "-keyout",
                "throwaway.key",
                "-out",
                "throwaway.csr",
                "-subj",
                "/CN=terminal-0042/O=Stadt Musterstadt",
            ])
            .collect::<Vec<_>>(),
    );
    let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
    openssl(
        dir,
        &["x509", "-req", "-in", "throwaway.csr", "-CA", &ca_pem, "-CAkey", &ca_key, "-set_serial", "4242"]
            .into_iter()
            .chain(["-force_pubkey", public_key_pem, "-days", "1", "-out", out])
            .collect::<Vec<_>>(),
    );
    dir.join(out)
}

/// The device key's public key as PEM, converted by openssl from our DER.
fn export_public_key(dir: &Path, key: &FileKey) -> String {
    fs::write(dir.join("device.pub.der"), key.public_key_info().to_der().expect("encodes")).expect("written");
    openssl(dir, &["pkey", "-pubin", "-inform", "DER", "-in", "device.pub.der", "-out", "device.pub.pem"]);
    "device.pub.pem".to_string()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port()
}

/// `openssl cmp` as mock server; stopped when dropped.
struct MockCa {
    child: Child,
    port: u16,
}

impl MockCa {
    fn start(dir: &Path, secret: &str, certificate: &Path, ca_pubs: &Path) -> Self {
        let port = free_port();
        let log = fs::File::create(dir.join(format!("mock-{port}.log"))).expect("log file");
        let child = Command::new("openssl")
            .args(["cmp", "-port", &port.to_string(), "-srv_ref", REFERENCE])
            .args(["-srv_secret", &format!("pass:{secret}")])
            .arg("-rsp_cert")
            .arg(certificate)
            .arg("-rsp_capubs")
            .arg(ca_pubs)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("openssl cmp starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the mock CA does not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        MockCa { child, port }
    }
}

impl Drop for MockCa {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Terminal {
    dir: tempfile::TempDir,
    key: FileKey,
    key_path: PathBuf,
    store: CertificateStore,
    ca_pem: PathBuf,
}

impl Terminal {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let ca_pem = make_ca(dir.path(), "town-ca", "Musterstadt Geräte-CA");
        let key_path = dir.path().join("device.key");
        let key = FileKey::load_or_create(&key_path).expect("key created");
        let store = CertificateStore::new(&dir.path().join("device.pem"));
        Terminal { dir, key, key_path, store, ca_pem }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn config(&self, port: u16) -> CaConfig {
        let pem = fs::read_to_string(&self.ca_pem).expect("CA certificate");
        CaConfig {
            endpoint: CaEndpoint::parse(&format!("http://127.0.0.1:{port}/pkix/")).expect("endpoint"),
            ca_certificate: Certificate::from_pem(pem).expect("CA certificate parses"),
            subject: Name::from_str(SUBJECT).expect("name"),
        }
    }

    fn code(secret: &str) -> EnrolmentCode {
        EnrolmentCode::parse(&format_code(REFERENCE, secret).expect("valid code")).expect("code parses")
    }

    fn enrol(&self, port: u16, secret: &str) -> Result<Certificate, EnrolmentError> {
        enrol(&self.config(port), &Self::code(secret), &self.key, &self.store)
    }

    fn assert_nothing_stored(&self) {
        assert!(!self.store.path().exists(), "a certificate was stored");
        let leftovers: Vec<_> = fs::read_dir(self.path())
            .expect("dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
        let again = FileKey::load_or_create(&self.key_path).expect("key still there");
        assert_eq!(again.public_key_info(), self.key.public_key_info(), "the device key changed");
    }
}

/// A man in the middle on a free port: forwards each exchange to the mock
/// CA and flips the last bit of each answer. Without `-rsp_extracerts` the
/// answer ends with its protection, so the message stays well-formed and
/// only the MAC tells.
fn start_tampering_proxy(ca_port: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for mut terminal in listener.incoming().flatten() {
            let request = read_request(&mut terminal);
            let mut ca = TcpStream::connect(("127.0.0.1", ca_port)).expect("mock CA");
            ca.write_all(&request).expect("forwarded");
            let mut answer = Vec::new();
            ca.read_to_end(&mut answer).expect("answer");
            if let Some(last) = answer.last_mut() {
                *last ^= 1;
            }
            terminal.write_all(&answer).expect("answered");
        }
    });
    port
}

/// One HTTP request with a Content-Length, as the terminal sends it.
fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = stream.read(&mut buffer).expect("request");
        assert!(n > 0, "the terminal closed the connection early");
        request.extend_from_slice(&buffer[..n]);
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .and_then(|value| value.trim().parse().ok())
                .expect("Content-Length");
            if request.len() >= end + 4 + length {
                return request;
            }
        }
    }
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

#[test]
fn a_terminal_enrols_and_stores_a_certificate_for_its_own_key_that_chains_to_the_town_ca() {
    let terminal = Terminal::new();
    let public = export_public_key(terminal.path(), &terminal.key);
    let issued = issue(terminal.path(), "town-ca", &public, "issued.pem");
    let ca = MockCa::start(terminal.path(), SECRET, &issued, &terminal.ca_pem);

    let certificate = terminal.enrol(ca.port, SECRET).expect("enrolled");

    let issued_der = openssl(terminal.path(), &["x509", "-in", "issued.pem", "-outform", "DER"]);
    assert_eq!(certificate.to_der().expect("encodes"), issued_der);
    assert_eq!(mode(terminal.store.path()), 0o600);
    assert_eq!(mode(&terminal.key_path), 0o600);

    // The stored file, read back by openssl: the device certificate first,
    // then the CA; it verifies against the CA, and its key is the one in
    // the key file as openssl reads that file.
    let stored = fs::read_to_string(terminal.store.path()).expect("stored");
    let chain = Certificate::load_pem_chain(stored.as_bytes()).expect("PEM chain");
    assert_eq!(chain.len(), 2);
    assert_eq!(chain[0], certificate);
    assert_eq!(chain[1], terminal.config(ca.port).ca_certificate);
    let stored_path = terminal.store.path().to_str().expect("utf-8");
    let verified = openssl(terminal.path(), &["verify", "-CAfile", "town-ca.pem", stored_path]);
    assert!(String::from_utf8_lossy(&verified).ends_with(": OK\n"));
    let certified_key = openssl(terminal.path(), &["x509", "-in", stored_path, "-noout", "-pubkey"]);
    let file_key = openssl(terminal.path(), &["ec", "-inform", "DER", "-in", "device.key", "-pubout"]);
    assert_eq!(certified_key, file_key);
}

#[test]
fn a_wrong_code_is_refused_as_such_and_nothing_is_stored() {
    let terminal = Terminal::new();
    let public = export_public_key(terminal.path(), &terminal.key);
    let issued = issue(terminal.path(), "town-ca", &public, "issued.pem");
    let ca = MockCa::start(terminal.path(), SECRET, &issued, &terminal.ca_pem);

    let error = terminal.enrol(ca.port, "9XM2T5HB3C9").expect_err("wrong code refused");

    assert!(matches!(error, EnrolmentError::WrongCode(_)), "{error:?}");
    assert!(error.to_string().contains("ask the CA for a new code"), "{error}");
    assert!(!error.to_string().contains(SECRET) && !error.to_string().contains("9XM2T5HB3C9"), "{error}");
    terminal.assert_nothing_stored();
}

#[test]
fn an_unreachable_ca_is_named_with_its_address_and_nothing_is_stored() {
    let terminal = Terminal::new();
    let port = free_port();

    let error = terminal.enrol(port, SECRET).expect_err("no CA");

    assert!(matches!(error, EnrolmentError::Unreachable { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&format!("http://127.0.0.1:{port}/pkix/")), "{message}");
    assert!(message.contains("try again with the same code"), "{message}");
    terminal.assert_nothing_stored();
}

#[test]
fn a_certificate_for_another_key_is_refused_and_nothing_is_stored() {
    let terminal = Terminal::new();
    let other = terminal.path().join("other.key");
    let other_key = FileKey::load_or_create(&other).expect("other key");
    let public = export_public_key(terminal.path(), &other_key);
    let issued = issue(terminal.path(), "town-ca", &public, "issued.pem");
    let ca = MockCa::start(terminal.path(), SECRET, &issued, &terminal.ca_pem);

    let error = terminal.enrol(ca.port, SECRET).expect_err("foreign key refused");

    assert!(matches!(error, EnrolmentError::CertificateForAnotherKey), "{error:?}");
    terminal.assert_nothing_stored();
}

#[test]
fn a_certificate_from_another_ca_is_refused_and_nothing_is_stored() {
    let terminal = Terminal::new();
    let public = export_public_key(terminal.path(), &terminal.key);
    // Same name as the town's CA, another key: only the signature tells.
    let impostor = make_ca(terminal.path(), "impostor-ca", "Musterstadt Geräte-CA");
    let issued = issue(terminal.path(), "impostor-ca", &public, "issued.pem");
    let ca = MockCa::start(terminal.path(), SECRET, &issued, &impostor);

    let error = terminal.enrol(ca.port, SECRET).expect_err("other CA refused");

    assert!(matches!(error, EnrolmentError::NotFromConfiguredCa(_)), "{error:?}");
    assert!(error.to_string().contains("does not verify"), "{error}");
    terminal.assert_nothing_stored();
}

#[test]
fn an_answer_changed_on_the_way_is_refused_as_unauthenticated_and_nothing_is_stored() {
    let terminal = Terminal::new();
    let public = export_public_key(terminal.path(), &terminal.key);
    let issued = issue(terminal.path(), "town-ca", &public, "issued.pem");
    let ca = MockCa::start(terminal.path(), SECRET, &issued, &terminal.ca_pem);
    let proxy = start_tampering_proxy(ca.port);

    let error = terminal.enrol(proxy, SECRET).expect_err("changed answer refused");

    assert!(matches!(error, EnrolmentError::Unauthenticated), "{error:?}");
    terminal.assert_nothing_stored();
}

#[test]
fn the_device_key_is_kept_across_loads_and_its_file_is_private_and_readable_by_openssl() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("device.key");
    let key = FileKey::load_or_create(&path).expect("created");
    assert_eq!(mode(&path), 0o600);
    let again = FileKey::load_or_create(&path).expect("loaded");
    assert_eq!(key.public_key_info(), again.public_key_info());

    // openssl reads the file as a P-256 key with our public key.
    let text = openssl(dir.path(), &["ec", "-inform", "DER", "-in", "device.key", "-noout", "-text"]);
    assert!(String::from_utf8_lossy(&text).contains("prime256v1"));
    let theirs = openssl(dir.path(), &["ec", "-inform", "DER", "-in", "device.key", "-pubout", "-outform", "DER"]);
    assert_eq!(theirs, key.public_key_info().to_der().expect("encodes"));

    // A signature of ours verifies with openssl.
    fs::write(dir.path().join("message"), b"proof of possession").expect("written");
    fs::write(dir.path().join("message.sig"), key.sign(b"proof of possession").expect("signed")).expect("written");
    fs::write(dir.path().join("pub.der"), theirs).expect("written");
    openssl(
        dir.path(),
        &["dgst", "-sha256", "-verify", "pub.der", "-keyform", "DER", "-signature", "message.sig", "message"],
    );

    assert!(!format!("{key:?}").contains(&format!("{:?}", fs::read(&path).expect("key bytes"))));
    assert!(format!("{key:?}").contains("redacted"));
}

#[test]
fn a_corrupt_key_file_is_reported_and_left_in_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("device.key");
    fs::write(&path, b"not a key").expect("written");
    let error = FileKey::load_or_create(&path).expect_err("corrupt");
    assert!(matches!(error, enrolment::KeyError::Corrupt(_)), "{error:?}");
    assert_eq!(fs::read(&path).expect("still there"), b"not a key");
}
