// SPDX-License-Identifier: GPL-3.0-or-later
//! Test harness: a pcscd of our own and a simulated card on the vpcd reader.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The first virtual reader of `vsmartcard-vpcd`; its card connects to TCP 35963.
pub const READER: &str = "Virtual PCD 00 00";
const VPCD_PORT: u16 = 35963;
const PCSCD_SOCKET: &str = "/run/pcscd/pcscd.comm";
const DEADLINE: Duration = Duration::from_secs(10);

/// ATR with card capabilities (historical bytes `80 73 00 00 40`) announcing
/// extended Lc/Le (ISO/IEC 7816-4 8.1.1.2.7); T=1; last byte is TCK.
pub const ATR_EXTENDED: &[u8] = &[0x3B, 0x85, 0x01, 0x80, 0x73, 0x00, 0x00, 0x40, 0xB7];
/// The same ATR without the extended-length bit.
pub const ATR_SHORT: &[u8] = &[0x3B, 0x85, 0x01, 0x80, 0x73, 0x00, 0x00, 0x00, 0xF7];

/// Test instruction: answers the number of data bytes received (2 bytes big-endian).
pub const INS_COUNT: u8 = 0xDA;
/// Test instruction: the card leaves the reader without answering.
pub const INS_VANISH: u8 = 0xEE;
/// Content of the one file (FID 0101) of the test card: 300 bytes.
pub const FILE_0101: [u8; 300] = {
    let mut f = [0u8; 300];
    let mut i = 0;
    while i < 300 {
        f[i] = (i * 7 % 251) as u8;
        i += 1;
    }
    f
};

static SERIAL: Mutex<()> = Mutex::new(());

/// One test's exclusive use of pcscd and the virtual reader. Starts pcscd
/// unless one runs, and stops the one it started when dropped.
pub struct Env {
    pcscd: Option<Child>,
    _serial: MutexGuard<'static, ()>,
}

impl Env {
    pub fn start() -> Self {
        let serial = SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut env = Self { pcscd: None, _serial: serial };
        if UnixStream::connect(PCSCD_SOCKET).is_err() {
            env.start_pcscd();
        }
        env.wait_for_reader();
        env
    }

    pub fn start_pcscd(&mut self) {
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
            .expect("start pcscd (Debian package pcscd)");
        self.pcscd = Some(child);
        poll(|| UnixStream::connect(PCSCD_SOCKET).is_ok(), "pcscd socket");
        self.wait_for_reader();
    }

    pub fn stop_pcscd(&mut self) {
        let mut child = self.pcscd.take().expect("this test started pcscd itself (none may run beforehand)");
        let _ = child.kill();
        let _ = child.wait();
    }

    fn wait_for_reader(&self) {
        poll(
            || reader_pcsc::list_readers().is_ok_and(|r| r.iter().any(|n| n == READER)),
            "the vpcd reader to be listed",
        );
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(mut child) = self.pcscd.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn poll(mut ready: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + DEADLINE;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[derive(Default)]
struct Log {
    commands: Vec<Vec<u8>>,
    resets: usize,
}

/// A simulated card connected to the vpcd reader over TCP.
pub struct TestCard {
    stream: TcpStream,
    log: Arc<Mutex<Log>>,
    thread: Option<JoinHandle<()>>,
}

impl TestCard {
    /// Puts a card with `atr` into the reader.
    pub fn insert(atr: &'static [u8]) -> Self {
        let mut stream = None;
        poll(
            || {
                stream = TcpStream::connect(("127.0.0.1", VPCD_PORT)).ok();
                stream.is_some()
            },
            "vpcd to accept a card",
        );
        let stream = stream.expect("polled until connected");
        let log = Arc::new(Mutex::new(Log::default()));
        let (reader, thread_log) = (stream.try_clone().expect("clone socket"), log.clone());
        let thread = std::thread::spawn(move || serve(reader, atr, &thread_log));
        Self { stream, log, thread: Some(thread) }
    }

    /// Takes the card out of the reader.
    pub fn remove(mut self) {
        self.close();
    }

    fn close(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// The raw command APDUs received with instruction `ins`.
    pub fn commands_with_ins(&self, ins: u8) -> Vec<Vec<u8>> {
        let log = self.log.lock().expect("card log");
        log.commands.iter().filter(|c| c.get(1) == Some(&ins)).cloned().collect()
    }

    /// How many resets the card has seen.
    pub fn resets(&self) -> usize {
        self.log.lock().expect("card log").resets
    }
}

impl Drop for TestCard {
    fn drop(&mut self) {
        self.close();
    }
}

/// The vpcd protocol: each message is a 2-byte big-endian length and a
/// payload; a 1-byte payload is a control byte (0 power off, 1 power on,
/// 2 reset, 4 send ATR), anything longer is an APDU to answer.
fn serve(mut stream: TcpStream, atr: &[u8], log: &Mutex<Log>) {
    let mut card = CardState::default();
    loop {
        let mut len = [0u8; 2];
        if stream.read_exact(&mut len).is_err() {
            return;
        }
        let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
        if stream.read_exact(&mut payload).is_err() {
            return;
        }
        let answer = match payload.as_slice() {
            [4] => Some(atr.to_vec()),
            [2] => {
                card = CardState::default();
                log.lock().expect("card log").resets += 1;
                None
            }
            [0] | [1] => {
                card = CardState::default();
                None
            }
            apdu => {
                log.lock().expect("card log").commands.push(apdu.to_vec());
                if apdu.get(1) == Some(&INS_VANISH) {
                    let _ = stream.shutdown(Shutdown::Both);
                    return;
                }
                Some(card.answer(apdu))
            }
        };
        if let Some(answer) = answer {
            let mut msg = (answer.len() as u16).to_be_bytes().to_vec();
            msg.extend_from_slice(&answer);
            match stream.write_all(&msg) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }
}

#[derive(Default)]
struct CardState {
    selected: bool,
    chained: Vec<u8>,
}

impl CardState {
    fn answer(&mut self, apdu: &[u8]) -> Vec<u8> {
        let Some((cla, ins, p1, p2, data, le)) = parse(apdu) else {
            return vec![0x67, 0x00];
        };
        if cla & 0x10 != 0 {
            self.chained.extend_from_slice(&data);
            return vec![0x90, 0x00];
        }
        let mut whole = std::mem::take(&mut self.chained);
        whole.extend_from_slice(&data);
        let data = whole;
        match ins {
            0xA4 if data == [0x01, 0x01] => {
                self.selected = true;
                vec![0x90, 0x00]
            }
            0xA4 => vec![0x6A, 0x82],
            0xB0 if !self.selected => vec![0x69, 0x86],
            0xB0 => {
                let offset = usize::from(u16::from_be_bytes([p1 & 0x7F, p2]));
                if offset > FILE_0101.len() {
                    return vec![0x6B, 0x00];
                }
                let end = (offset + le.unwrap_or(0)).min(FILE_0101.len());
                let mut out = FILE_0101[offset..end].to_vec();
                out.extend_from_slice(&[0x90, 0x00]);
                out
            }
            INS_COUNT => {
                let mut out = (data.len() as u16).to_be_bytes().to_vec();
                out.extend_from_slice(&[0x90, 0x00]);
                out
            }
            _ => vec![0x6D, 0x00],
        }
    }
}

type Parsed = (u8, u8, u8, u8, Vec<u8>, Option<usize>);

/// Splits a command APDU per ISO/IEC 7816-4 5.1 (cases 1, 2S/E, 3S/E, 4S/E).
fn parse(apdu: &[u8]) -> Option<Parsed> {
    let (&[cla, ins, p1, p2], body) = (apdu.first_chunk::<4>()?, &apdu[4..]);
    let short_le = |b: u8| if b == 0 { 256 } else { usize::from(b) };
    let long_le = |hi: u8, lo: u8| match u16::from_be_bytes([hi, lo]) {
        0 => 65_536,
        n => usize::from(n),
    };
    let (data, le) = match body {
        [] => (Vec::new(), None),
        [le] => (Vec::new(), Some(short_le(*le))),
        [0, hi, lo] => (Vec::new(), Some(long_le(*hi, *lo))),
        [0, hi, lo, rest @ ..] => {
            let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
            match &rest.get(lc..)? {
                [] => (rest[..lc].to_vec(), None),
                [a, b] => (rest[..lc].to_vec(), Some(long_le(*a, *b))),
                _ => return None,
            }
        }
        [lc, rest @ ..] => {
            let lc = usize::from(*lc);
            match &rest.get(lc..)? {
                [] => (rest[..lc].to_vec(), None),
                [le] => (rest[..lc].to_vec(), Some(short_le(*le))),
                _ => return None,
            }
        }
    };
    Some((cla, ins, p1, p2, data, le))
}
