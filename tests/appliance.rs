// SPDX-License-Identifier: GPL-3.0-or-later
//! `kiosk run` as systemd starts it on a terminal that is not set up yet: it
//! must come up anyway, say so in the journal, report ready over the
//! notification socket and feed the watchdog, instead of failing and being
//! restarted in a loop (which would also roll back an update). The same for
//! `kiosk out-of-service`, which the image starts when the storage cannot be
//! unlocked or mounted.

use std::io::Read;
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn receive(socket: &UnixDatagram, deadline: Instant) -> Option<String> {
    let mut buf = [0u8; 512];
    while Instant::now() < deadline {
        if let Ok(n) = socket.recv(&mut buf) {
            return Some(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
    None
}

/// `kiosk run` on `config`, as systemd starts it: it must report ready and
/// feed the watchdog. Returns what it logged until then.
fn run_until_ready(dir: &std::path::Path, config: &std::path::Path) -> String {
    let mut args = vec![std::ffi::OsString::from("run"), "--config".into()];
    args.push(config.into());
    until_ready(dir, &args)
}

/// The kiosk with `args`, as systemd starts it: it must report ready and
/// feed the watchdog. Returns what it logged until then.
fn until_ready(dir: &std::path::Path, args: &[std::ffi::OsString]) -> String {
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let socket_path = dir.join("notify");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(200))).unwrap();

    let mut child = Killed(
        Command::new(env!("CARGO_BIN_EXE_kiosk"))
            .args(args)
            .env("NOTIFY_SOCKET", &socket_path)
            .env("WATCHDOG_USEC", "1000000")
            .env("STATE_DIRECTORY", &state)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let ready = receive(&socket, deadline).expect("READY=1 within a minute");
    assert!(ready.starts_with("READY=1"), "first message: {ready:?}");
    let watchdog = receive(&socket, Instant::now() + Duration::from_secs(10)).expect("a watchdog ping");
    assert_eq!(watchdog, "WATCHDOG=1");
    assert!(child.0.try_wait().unwrap().is_none(), "the kiosk keeps running");

    let _ = child.0.kill();
    let mut log = String::new();
    child.0.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    log
}

#[test]
fn an_unenrolled_terminal_reports_ready_out_of_service_and_feeds_the_watchdog() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("etc");
    std::fs::create_dir_all(&config).unwrap();
    let log = run_until_ready(dir.path(), &config);
    assert!(log.contains("out of service"), "the journal says why: {log}");
    assert!(log.contains("appliance.toml"), "and names the missing file: {log}");
}

#[test]
fn a_fifo_in_the_eid_directory_does_not_keep_the_terminal_from_coming_up() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("etc");
    let eid = dir.path().join("eid");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(eid.join("terminal")).unwrap();
    let fifo = eid.join("terminal/cvca.cvcert");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/appliance.toml")).unwrap();
    let appliance = shipped.replace("eid-dir = \"/var/lib/kiosk/device/eid\"", &format!("eid-dir = {eid:?}"));
    assert_ne!(appliance, shipped);
    std::fs::write(config.join("appliance.toml"), appliance).unwrap();
    let log = run_until_ready(dir.path(), &config);
    assert!(log.contains("out of service") && log.contains("FIFO"), "the journal names the FIFO: {log}");
}

/// A terminal configured in `DIR/etc` whose eID authorisation in `DIR/eid`
/// (the shipped appliance.toml pointed there) has expired: the terminal
/// certificate of `DIR/expired` (`DETESTKIOSK00003`, with its DV's key in
/// `DIR/expired/keys`) ended last year.
struct Expired {
    dir: tempfile::TempDir,
    config: std::path::PathBuf,
    eid: std::path::PathBuf,
    expired: std::path::PathBuf,
}

impl Expired {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("etc");
        let eid = dir.path().join("eid");
        std::fs::create_dir_all(&config).unwrap();
        eid_sim_card::personalise::personalise(&eid).unwrap();
        let expired = dir.path().join("expired");
        eid_sim_card::personalise::expired_terminal_chain(&eid, &expired).unwrap();
        for file in ["dv.cvcert", "terminal.cvcert", "terminal.pkcs8"] {
            std::fs::copy(expired.join(file), eid.join("terminal").join(file)).unwrap();
        }
        let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/appliance.toml")).unwrap();
        let appliance = shipped.replace("eid-dir = \"/var/lib/kiosk/device/eid\"", &format!("eid-dir = {eid:?}"));
        std::fs::write(config.join("appliance.toml"), appliance).unwrap();
        Self { dir, config, eid, expired }
    }
}

#[test]
fn a_terminal_whose_eid_authorisation_expired_says_so_and_reports_ready() {
    let Expired { dir, config, .. } = Expired::new();
    let log = run_until_ready(dir.path(), &config);
    assert!(log.contains("out of service: the eID authorisation is not valid today"), "the journal says why: {log}");
    assert!(log.contains("DETESTKIOSK00003"), "and names the certificate: {log}");
}

/// `kiosk` with `args`; its standard output, after asserting it succeeded.
fn kiosk(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kiosk")).args(args).output().unwrap();
    assert!(out.status.success(), "kiosk {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn an_expired_authorisation_is_renewed_with_eid_request_and_eid_install() {
    let Expired { dir, config, eid, expired } = Expired::new();

    let said = kiosk(&["eid-request".as_ref(), "--config".as_ref(), config.as_os_str()]);
    assert!(said.starts_with("authenticated request for DETESTKIOSK00004 written to "), "{said}");
    let request = std::fs::read(eid.join("renewal/request.cvreq")).unwrap();
    // The DV of the expired chain answers, and sends its certificate along.
    let answer =
        eid_sim_card::personalise::dv_answer(&expired.join("keys/dv.pkcs8"), &request, &dir.path().join("dv")).unwrap();
    let current_dv = expired.join("dv.cvcert");
    let certificate = dir.path().join("answer.cvcert");
    std::fs::write(&certificate, answer).unwrap();
    let said = kiosk(&[
        "eid-install".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        certificate.as_os_str(),
        "--dv".as_ref(),
        current_dv.as_os_str(),
    ]);
    assert!(said.starts_with("eID authorisation DETESTKIOSK00004 installed, valid until "), "{said}");
    let renewed = card_reader::EidConfig::load(&eid).unwrap();
    assert_eq!(renewed.chain().terminal.chr, "DETESTKIOSK00004");
    assert_eq!(renewed.chain().dv.chr, "DETESTDVEID0003");
}

#[test]
fn a_terminal_whose_storage_is_locked_says_so_and_reports_ready() {
    for reason in ["storage-locked", "storage-unavailable"] {
        let dir = tempfile::tempdir().unwrap();
        let log = until_ready(dir.path(), &["out-of-service".into(), "--reason".into(), reason.into()]);
        let ready = format!("kiosk out of service: reason={reason}");
        assert!(log.contains(&ready), "the journal says {ready:?}: {log}");
        assert!(!log.contains("kiosk ready"), "and not that the kiosk is ready: {log}");
        assert_eq!(std::fs::read_dir(dir.path().join("state")).unwrap().count(), 0, "nothing in the state directory");
    }
}
