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
