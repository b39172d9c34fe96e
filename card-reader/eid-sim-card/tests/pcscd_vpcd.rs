// SPDX-License-Identifier: GPL-3.0-or-later
//! The card in the real PC/SC stack: Debian's pcscd (`pcscd -f -a`) with
//! the `vsmartcard-vpcd` reader driver, reached through pcsc-lite by the
//! `pcsc` crate exactly as a physical reader would be.
//!
//! This binary uses vpcd's second reader ("Virtual PCD 00 01", port 35964)
//! so it does not compete with reader-pcsc's tests for the first one; its
//! tests serialize on a mutex.

mod common;

use std::ffi::CStr;
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::{Fixture, PIN, Terminal, Transport};
use eid::chat::DataItem;
use eid::identity::Identity;
use eid::password::Password;
use eid_sim_card::VirtualCard;

const READER: &CStr = c"Virtual PCD 00 01";
const PORT: u16 = 35964;
const SOCKET: &str = "/run/pcscd/pcscd.comm";
const DEADLINE: Duration = Duration::from_secs(10);

static SERIAL: Mutex<()> = Mutex::new(());

fn poll<T>(what: &str, mut attempt: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = attempt() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// pcscd, started by this test unless one already serves the socket.
struct Pcscd {
    child: Option<Child>,
    _serial: MutexGuard<'static, ()>,
}

impl Pcscd {
    fn start() -> Self {
        let serial = SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let child = if UnixStream::connect(SOCKET).is_ok() {
            None
        } else {
            let child = Command::new("pcscd")
                .args(["-f", "-a"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .or_else(|_| {
                    Command::new("/usr/sbin/pcscd")
                        .args(["-f", "-a"])
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                })
                .expect("start pcscd (Debian packages pcscd and vsmartcard-vpcd)");
            Some(child)
        };
        let pcscd = Pcscd { child, _serial: serial };
        poll("pcscd socket", || UnixStream::connect(SOCKET).ok());
        poll("the vpcd reader", || {
            let ctx = pcsc::Context::establish(pcsc::Scope::User).ok()?;
            let readers = ctx.list_readers_owned().ok()?;
            readers.iter().any(|r| r.as_c_str() == READER).then_some(())
        });
        pcscd
    }

    /// Connects to the card once pcscd sees it in the reader.
    fn connect(&self) -> pcsc::Card {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
        poll("the card in the reader", || ctx.connect(READER, pcsc::ShareMode::Shared, pcsc::Protocols::ANY).ok())
    }

    /// Waits until pcscd's reader thread has itself seen the card leave:
    /// the reader reports it empty with an event count beyond `since`.
    /// (A transmit failure marks the reader empty at once, but a card
    /// inserted before the reader thread notices is never powered up.)
    fn wait_until_removal_noticed(&self, since: u32) {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
        let mut states = [pcsc::ReaderState::new(READER, pcsc::State::UNAWARE)];
        poll("pcscd to see the card gone", || {
            let _ = ctx.get_status_change(Duration::from_millis(100), &mut states);
            let state = &states[0];
            let seen = state.event_state().contains(pcsc::State::EMPTY) && state.event_count() > since;
            states[0].sync_current_state();
            seen.then_some(())
        });
    }

    /// Puts `card` into the reader and waits until pcscd reports it
    /// present; returns it with the event count of that insertion.
    fn insert(&self, card: eid_sim_card::SimCard) -> (VirtualCard, u32) {
        let inserted = VirtualCard::insert(PORT, card).unwrap();
        let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
        let mut states = [pcsc::ReaderState::new(READER, pcsc::State::UNAWARE)];
        let count = poll("pcscd to see the card", || {
            let _ = ctx.get_status_change(Duration::from_millis(100), &mut states);
            let state = &states[0];
            let present = state.event_state().contains(pcsc::State::PRESENT);
            let count = state.event_count();
            states[0].sync_current_state();
            present.then_some(count)
        });
        (inserted, count)
    }

    /// Pulls the card and waits until pcscd has noticed, so that the next
    /// card inserted (by this or another test) is seen as new.
    fn pull(&self, (inserted, count): (VirtualCard, u32)) -> eid_sim_card::SimCard {
        let card = inserted.remove();
        self.wait_until_removal_noticed(count);
        card
    }

    /// The reader's current event count.
    fn event_count(&self) -> u32 {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
        let mut states = [pcsc::ReaderState::new(READER, pcsc::State::UNAWARE)];
        ctx.get_status_change(Duration::from_millis(100), &mut states).unwrap();
        states[0].event_count()
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

struct Pcsc(pcsc::Card);

impl Transport for Pcsc {
    fn exchange(&mut self, apdu: &[u8]) -> Vec<u8> {
        let mut buffer = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        self.0.transmit(apdu, &mut buffer).map(<[u8]>::to_vec).unwrap_or_else(|e| panic!("transmit: {e}"))
    }
}

fn transmit(card: &pcsc::Card, apdu: &[u8]) -> Result<Vec<u8>, pcsc::Error> {
    let mut buffer = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
    card.transmit(apdu, &mut buffer).map(<[u8]>::to_vec)
}

#[test]
fn select_and_read_card_access_through_pcscd() {
    let pcscd = Pcscd::start();
    let fixture = Fixture::new();
    let inserted = pcscd.insert(fixture.card());
    let card = pcscd.connect();
    let (_, atr) = card.status2_owned().map(|s| (s.reader_names().len(), s.atr().to_vec())).unwrap();
    assert_eq!(atr, fixture.card().atr());
    assert_eq!(&atr[3..8], &[0x80, 0x73, 0x00, 0x00, 0x40], "card capabilities: extended Lc/Le");
    assert_eq!(transmit(&card, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C]).unwrap(), [0x90, 0x00]);
    let expected = std::fs::read(fixture.made.card_dir.join("card_access.der")).unwrap();
    let answer = transmit(&card, &[0x00, 0xB0, 0x00, 0x00, 0x00]).unwrap();
    let (data, sw) = answer.split_at(answer.len() - 2);
    assert_eq!(data, expected.as_slice());
    assert_eq!(sw, [0x62, 0x82], "end of file before 256 bytes (ISO/IEC 7816-4 11.2.3)");
    // Extended length: Le = 0000 reads the same file.
    let answer = transmit(&card, &[0x00, 0xB0, 0x9C, 0x00, 0x00, 0x00, 0x00]).unwrap();
    assert_eq!(&answer[..answer.len() - 2], expected.as_slice());
    drop(card);
    assert_eq!(pcscd.pull(inserted).pin_retries(), 3);
}

#[test]
fn full_eac_read_through_pcscd_with_the_eid_core() {
    let pcscd = Pcscd::start();
    let fixture = Fixture::new();
    let inserted = pcscd.insert(fixture.card());
    let started = Instant::now();
    let mut terminal = Terminal::over(Pcsc(pcscd.connect()));
    let items = [DataItem::DocumentType, DataItem::GivenNames, DataItem::FamilyNames, DataItem::PlaceOfResidence];
    terminal.eac(&fixture, Password::pin(PIN).unwrap(), &items);
    let mut identity = Identity::default();
    for item in items {
        identity.add_data_group(item, &terminal.read(item.short_file_id()).unwrap()).unwrap();
    }
    let elapsed = started.elapsed();
    assert_eq!(identity.document_type.as_deref(), Some("ID"));
    assert_eq!(identity.family_names.as_deref(), Some("Müller-Lüdenscheidt"));
    eprintln!("PACE+TA+PA+CA+4 DGs through pcscd: {} APDUs, {} bytes, {elapsed:?}", terminal.apdus, terminal.bytes);
    drop(terminal);
    pcscd.pull(inserted);
}

#[test]
fn card_pulled_mid_pace_gives_an_error_and_no_hang_then_reinserted_card_works() {
    let pcscd = Pcscd::start();
    let fixture = Fixture::new();
    let (inserted, count) = pcscd.insert(fixture.card());
    let card = pcscd.connect();
    inserted.pull_after(2);
    let started = Instant::now();
    // SELECT and MSE:Set AT are answered; the first GENERAL AUTHENTICATE is not.
    assert_eq!(transmit(&card, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C]).unwrap(), [0x90, 0x00]);
    let mut set_at =
        vec![0x00, 0x22, 0xC1, 0xA4, 0x0F, 0x80, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02];
    set_at.extend([0x83, 0x01, 0x03]);
    assert_eq!(transmit(&card, &set_at).unwrap(), [0x90, 0x00]);
    // vpcd reports the vanished card as an answer without status word (an
    // empty response from SCardTransmit) or as an error, never as a hang.
    let vanished = transmit(&card, &[0x10, 0x86, 0x00, 0x00, 0x02, 0x7C, 0x00, 0x00]);
    assert!(vanished.as_ref().map_or(true, |r| r.len() < 2), "{vanished:02X?}");
    assert!(started.elapsed() < DEADLINE);
    let pulled = inserted.remove();
    drop(card);
    assert_eq!(pulled.pin_retries(), 3, "an aborted PACE costs no attempt");

    pcscd.wait_until_removal_noticed(count);
    let again = pcscd.insert(pulled);
    let card = pcscd.connect();
    assert_eq!(transmit(&card, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x01, 0x1C]).unwrap(), [0x90, 0x00]);
    drop(card);
    pcscd.pull(again);
}

#[test]
fn the_binary_serves_a_freshly_personalised_card_from_a_holder_file() {
    let pcscd = Pcscd::start();
    let dir = tempfile::tempdir().unwrap();
    let holder = concat!(env!("CARGO_MANIFEST_DIR"), "/holder.example.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_eid-sim-card"))
        .args(["--port", &PORT.to_string(), "--personalise"])
        .arg(dir.path())
        .args(["--holder", holder])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let card = pcscd.connect();
    let count = pcscd.event_count();
    let expected = std::fs::read(dir.path().join("card/card_access.der")).unwrap();
    let answer = transmit(&card, &[0x00, 0xB0, 0x9C, 0x00, 0x00]).unwrap();
    assert_eq!(&answer[..answer.len() - 2], expected.as_slice());
    drop(card);
    let _ = child.kill();
    let _ = child.wait();
    pcscd.wait_until_removal_noticed(count);
}

/// OpenSC (Debian package `opensc`), an eID client written independently,
/// recognises the German ID card by its EF.DIR: before the card had one,
/// `opensc-tool` called it "Unsupported card".
#[test]
fn opensc_recognises_the_card_as_a_german_id_card() {
    let pcscd = Pcscd::start();
    let fixture = Fixture::new();
    let inserted = pcscd.insert(fixture.card());
    let reader = READER.to_str().unwrap();
    let output = Command::new("opensc-tool")
        .args(["--reader", reader, "--name", "--send-apdu", "00A4020C022F00", "--send-apdu", "00B000005A"])
        .output()
        .expect("run opensc-tool (Debian package opensc)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.lines().next(), Some("German ID card (neuer Personalausweis, nPA)"), "{stdout}");
    assert_eq!(stdout.matches("Received (SW1=0x90, SW2=0x00)").count(), 2, "EF.DIR selected and read: {stdout}");
    assert!(stdout.contains("0B 4F 09 E8 07 04 00 7F 00 07 03 02"), "the eID application's template: {stdout}");
    pcscd.pull(inserted);
}
