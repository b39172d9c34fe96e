// SPDX-License-Identifier: GPL-3.0-or-later
//! A receipt printer emulator on a real pseudo-terminal, for tests (feature `emulator`).
//!
//! [`Emulator::start`] opens a pty pair; the slave side is the "serial device" a [`crate::SerialPrinter`]
//! opens, the master side is served by a thread that parses the ESC/POS commands it receives into paper (a
//! [`Raster`]), answers `DLE EOT` status requests, and on cue runs out of paper, opens its cover or is
//! unplugged. Native QR commands are printed with an independent QR engine call, like a printer's firmware.
//! The [`Machine`] that does the parsing is sans-I/O and can be fed bytes directly.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};

use crate::escpos::PrinterStatus;
use crate::layout::{PaperWidth, qr_raster};
use crate::raster::Raster;
use embedded_graphics::mono_font::iso_8859_15::{FONT_7X13, FONT_10X20};

/// Default vertical motion unit, 1/180 inch (common on 203 dpi Epson-compatible printers).
const DEFAULT_MOTION_UNIT: u32 = 180;

/// Dots fed per line by `ESC d n` (default line spacing).
const LINE_DOTS: u32 = 30;

/// The printer's mechanism and command parser, without I/O.
#[derive(Debug)]
pub struct Machine {
    width: u32,
    pending: Vec<u8>,
    paper: Raster,
    receipts: Vec<Raster>,
    centred: bool,
    qr_module: u32,
    qr_data: Vec<u8>,
    rows_left: Option<u32>,
    cover_open: bool,
    paper_near_end: bool,
    paper_out: bool,
    bytes_received: usize,
    unknown_bytes: usize,
    native_qr_payloads: Vec<String>,
    code_page: u8,
    bold: bool,
    size: u32,
    font_b: bool,
    motion_unit: u32,
    line: Vec<(u8, bool)>,
    text_lines: Vec<String>,
}

impl Machine {
    /// A printer with paper of the given width, loaded, cover closed.
    pub fn new(paper: PaperWidth) -> Self {
        Self {
            width: paper.dots(),
            pending: Vec::new(),
            paper: Raster::new(paper.dots(), 0),
            receipts: Vec::new(),
            centred: false,
            qr_module: 3,
            qr_data: Vec::new(),
            rows_left: None,
            cover_open: false,
            paper_near_end: false,
            paper_out: false,
            bytes_received: 0,
            unknown_bytes: 0,
            native_qr_payloads: Vec::new(),
            code_page: 0,
            bold: false,
            size: 1,
            font_b: false,
            motion_unit: DEFAULT_MOTION_UNIT,
            line: Vec::new(),
            text_lines: Vec::new(),
        }
    }

    /// The condition the printer reports.
    pub fn status(&self) -> PrinterStatus {
        PrinterStatus {
            online: !self.cover_open && !self.paper_out,
            cover_open: self.cover_open,
            paper_near_end: self.paper_near_end,
            paper_out: self.paper_out,
        }
    }

    /// Consumes bytes from the line; returns the bytes the printer sends back (status replies).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.bytes_received += bytes.len();
        self.pending.extend_from_slice(bytes);
        let mut replies = Vec::new();
        let pending = std::mem::take(&mut self.pending);
        let mut at = 0;
        while let Some(used) = self.step(&pending[at..], &mut replies) {
            at += used;
        }
        self.pending = pending[at..].to_vec();
        replies
    }

    /// Parses one command at the start of `p`; `None` when it is incomplete (wait for more bytes).
    fn step(&mut self, p: &[u8], replies: &mut Vec<u8>) -> Option<usize> {
        let first = *p.first()?;
        match first {
            0x10 => {
                let (kind, n) = (*p.get(1)?, *p.get(2)?);
                if kind != 0x04 {
                    self.unknown_bytes += 1;
                    return Some(1);
                }
                let [printer, offline, paper] = self.status().to_replies();
                replies.push(match n {
                    1 => printer,
                    2 => offline,
                    4 => paper,
                    _ => 0x12,
                });
                Some(3)
            }
            0x1b => match *p.get(1)? {
                b'@' => {
                    self.centred = false;
                    self.bold = false;
                    self.size = 1;
                    self.code_page = 0;
                    self.font_b = false;
                    self.motion_unit = DEFAULT_MOTION_UNIT;
                    self.line.clear();
                    Some(2)
                }
                b'E' => {
                    self.bold = *p.get(2)? & 1 == 1;
                    Some(3)
                }
                b'M' => {
                    self.font_b = *p.get(2)? & 1 == 1;
                    Some(3)
                }
                b't' => {
                    self.code_page = *p.get(2)?;
                    Some(3)
                }
                b'a' => {
                    self.centred = matches!(*p.get(2)?, 1 | b'1');
                    Some(3)
                }
                b'J' => {
                    // ESC J n: feed n vertical motion units (dots after GS P 203 203).
                    let units = u32::from(*p.get(2)?);
                    self.feed_rows(units * 203 / self.motion_unit);
                    Some(3)
                }
                b'd' => {
                    let lines = u32::from(*p.get(2)?);
                    self.feed_rows(lines * LINE_DOTS);
                    Some(3)
                }
                _ => {
                    self.unknown_bytes += 1;
                    Some(1)
                }
            },
            0x1d => match *p.get(1)? {
                b'v' => {
                    let header = p.get(..8)?;
                    let x_bytes = u32::from(u16::from_le_bytes([header[4], header[5]]));
                    let rows = u32::from(u16::from_le_bytes([header[6], header[7]]));
                    let len = (x_bytes * rows) as usize;
                    let data = p.get(8..8 + len)?;
                    if header[2] == b'0' || header[2] == 0 {
                        if let Some(image) = Raster::from_packed(x_bytes * 8, rows, data.to_vec()) {
                            self.print_image(&image);
                        }
                    } else {
                        self.unknown_bytes += 8 + len;
                    }
                    Some(8 + len)
                }
                b'(' => {
                    let header = p.get(..5)?;
                    let len = usize::from(u16::from_le_bytes([header[3], header[4]]));
                    let body = p.get(5..5 + len)?;
                    if header[2] == b'k' && body.len() >= 2 && body[0] == 0x31 {
                        self.qr_function(body[1], &body[2..]);
                    } else {
                        self.unknown_bytes += 5 + len;
                    }
                    Some(5 + len)
                }
                b'P' => {
                    let vertical = *p.get(3)?;
                    // GS P x y: vertical motion unit 1/y inch; 0 restores the default.
                    self.motion_unit = if vertical == 0 { DEFAULT_MOTION_UNIT } else { u32::from(vertical) };
                    Some(4)
                }
                b'!' => {
                    let n = *p.get(2)?;
                    // Width multiplier in bits 4–6, height in bits 0–2; text mode only uses equal ones.
                    self.size = u32::from((n >> 4 & 7).max(n & 7)) + 1;
                    Some(3)
                }
                b'V' => {
                    let m = *p.get(2)?;
                    let used = if m >= 65 {
                        p.get(3)?;
                        4
                    } else {
                        3
                    };
                    self.cut();
                    Some(used)
                }
                _ => {
                    self.unknown_bytes += 1;
                    Some(1)
                }
            },
            0x0a => {
                self.print_line();
                Some(1)
            }
            0x20..=0x7e | 0x80..=0xff => {
                self.line.push((first, self.bold));
                Some(1)
            }
            _ => {
                self.unknown_bytes += 1;
                Some(1)
            }
        }
    }

    /// Prints the buffered text line, as the printer does on LF: Font A in 12 × 24 cells (drawn with the
    /// 10 × 20 Latin-9 glyphs) or Font B in 9 × 17 cells (7 × 13 glyphs), bold per character.
    fn print_line(&mut self) {
        let cells = std::mem::take(&mut self.line);
        if self.code_page != crate::codepage::ESC_T_CP858 && cells.iter().any(|(b, _)| *b >= 0x80) {
            // Only CP858 is emulated; anything else would print wrong characters on a real printer.
            self.unknown_bytes += cells.len();
        }
        let (font, cell_w, cell_h) = if self.font_b {
            (&FONT_7X13, crate::text_job::FONT_B_WIDTH, 17)
        } else {
            (&FONT_10X20, crate::text_job::FONT_A_WIDTH, 24)
        };
        let scale = self.size;
        let text: String = cells.iter().filter_map(|(b, _)| crate::codepage::decode_byte(*b)).collect();
        let mut image = Raster::new(self.width, cell_h * scale + 6);
        let x0 = if self.centred { self.width.saturating_sub(cells.len() as u32 * cell_w * scale) / 2 } else { 0 };
        for (i, (byte, bold)) in cells.iter().enumerate() {
            let Some(c) = crate::codepage::decode_byte(*byte) else { continue };
            let glyph = crate::layout::text_raster(&c.to_string(), font, scale);
            let x = x0 + i as u32 * cell_w * scale + scale;
            image.blit(&glyph, x, 2 * scale);
            if *bold {
                image.blit(&glyph, x + 1, 2 * scale);
            }
        }
        let was_centred = std::mem::replace(&mut self.centred, false);
        self.print_image(&image);
        self.centred = was_centred;
        self.text_lines.push(text);
    }

    fn qr_function(&mut self, function: u8, args: &[u8]) {
        match function {
            // 167: module size.
            0x43 => self.qr_module = u32::from(args.first().copied().unwrap_or(3)),
            // 180: store data (after the m = 0x30 byte).
            0x50 => self.qr_data = args.get(1..).unwrap_or_default().to_vec(),
            // 181: print.
            0x51 => {
                let payload = String::from_utf8_lossy(&self.qr_data).into_owned();
                if let Some(symbol) = qr_raster(&payload, self.qr_module) {
                    self.print_image(&symbol);
                }
                self.native_qr_payloads.push(payload);
            }
            // 165 model, 169 error correction: accepted.
            _ => {}
        }
    }

    fn print_image(&mut self, image: &Raster) {
        if self.paper_out || self.cover_open {
            return;
        }
        let x = if self.centred { self.width.saturating_sub(image.width()) / 2 } else { 0 };
        let rows = self.take_paper(image.height());
        let y = self.paper.height();
        for row in 0..rows {
            for col in 0..image.width() {
                if image.is_black(col, row) {
                    self.paper.set(x + col, y + row, true);
                }
            }
        }
        self.paper.grow_to(y + rows);
    }

    fn feed_rows(&mut self, rows: u32) {
        if self.paper_out || self.cover_open {
            return;
        }
        let rows = self.take_paper(rows);
        let height = self.paper.height() + rows;
        self.paper.grow_to(height);
    }

    /// Takes up to `rows` rows off the roll; the paper-end sensor trips when the roll is used up.
    fn take_paper(&mut self, rows: u32) -> u32 {
        match self.rows_left {
            None => rows,
            Some(left) => {
                let taken = rows.min(left);
                self.rows_left = Some(left - taken);
                if taken < rows || left - taken == 0 {
                    self.paper_out = true;
                }
                taken
            }
        }
    }

    fn cut(&mut self) {
        if self.paper_out || self.cover_open {
            return;
        }
        let width = self.width;
        let cut = std::mem::replace(&mut self.paper, Raster::new(width, 0));
        self.receipts.push(cut);
    }
}

/// Shared between the test and the emulator thread.
struct Shared {
    machine: Mutex<Machine>,
    cut: Condvar,
    /// Simulated line speed in baud; 0 = as fast as the pty goes.
    line_baud: AtomicU32,
}

/// A printer emulator serving the master side of a pseudo-terminal on a background thread.
pub struct Emulator {
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    device: PathBuf,
    link: Option<PathBuf>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").field("device", &self.device).field("link", &self.link).finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulated printer on a new pseudo-terminal; its slave path is [`Emulator::device_path`].
    pub fn start(paper: PaperWidth) -> std::io::Result<Self> {
        Self::spawn(paper, None)
    }

    /// Starts an emulated printer and makes `link` a symlink to its device, like udev's
    /// `/dev/serial/by-id/…` names: a printer started again at the same link after an unplug appears under
    /// the same configured path.
    pub fn start_at(paper: PaperWidth, link: &Path) -> std::io::Result<Self> {
        Self::spawn(paper, Some(link.to_path_buf()))
    }

    fn spawn(paper: PaperWidth, link: Option<PathBuf>) -> std::io::Result<Self> {
        let (mut master, slave) = TTYPort::pair().map_err(std::io::Error::from)?;
        let device = slave
            .name()
            .map(PathBuf::from)
            .ok_or_else(|| std::io::Error::other("pseudo-terminal without a slave path"))?;
        if let Some(link) = &link {
            if link.symlink_metadata().is_ok() {
                std::fs::remove_file(link)?;
            }
            std::os::unix::fs::symlink(&device, link)?;
        }
        master.set_timeout(Duration::from_millis(20)).map_err(std::io::Error::from)?;
        let shared = Arc::new(Shared {
            machine: Mutex::new(Machine::new(paper)),
            cut: Condvar::new(),
            line_baud: AtomicU32::new(0),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let shared = Arc::clone(&shared);
            let stop = Arc::clone(&stop);
            std::thread::Builder::new()
                .name("printer-emulator".into())
                .spawn(move || serve(master, slave, &shared, &stop))?
        };
        Ok(Self { shared, stop, thread: Some(thread), device, link })
    }

    /// The path a serial printer should open: the symlink if one was requested, else the pty slave.
    pub fn device_path(&self) -> &Path {
        self.link.as_deref().unwrap_or(&self.device)
    }

    fn machine(&self) -> MutexGuard<'_, Machine> {
        self.shared.machine.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Receipts cut off so far, oldest first.
    pub fn receipts(&self) -> Vec<Raster> {
        self.machine().receipts.clone()
    }

    /// Waits until at least `count` receipts have been cut, or `timeout` passes; returns them either way.
    pub fn wait_for_receipts(&self, count: usize, timeout: Duration) -> Vec<Raster> {
        let deadline = Instant::now() + timeout;
        let mut machine = self.machine();
        while machine.receipts.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            machine = match self.shared.cut.wait_timeout(machine, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        machine.receipts.clone()
    }

    /// Paper printed but not cut off yet (e.g. the stump of a receipt interrupted by paper end).
    pub fn paper_in_printer(&self) -> Raster {
        self.machine().paper.clone()
    }

    /// Payloads received through the native QR command (`GS ( k` function 180/181).
    pub fn native_qr_payloads(&self) -> Vec<String> {
        self.machine().native_qr_payloads.clone()
    }

    /// Lines printed as text (decoded from code page 858), in order.
    pub fn text_lines(&self) -> Vec<String> {
        self.machine().text_lines.clone()
    }

    /// Bytes received on the line so far.
    pub fn bytes_received(&self) -> usize {
        self.machine().bytes_received
    }

    /// Bytes the parser did not recognise as a supported command (should stay 0).
    pub fn unknown_bytes(&self) -> usize {
        self.machine().unknown_bytes
    }

    /// The roll ends after `rows` more dot rows: printing stops and the paper-end sensor reports it.
    pub fn run_out_of_paper_after(&self, rows: u32) {
        let mut machine = self.machine();
        machine.rows_left = Some(rows);
        machine.paper_out = rows == 0;
    }

    /// Loads a fresh roll (the interrupted stump is torn off and discarded).
    pub fn load_paper(&self) {
        let mut machine = self.machine();
        machine.rows_left = None;
        machine.paper_out = false;
        let width = machine.width;
        machine.paper = Raster::new(width, 0);
    }

    /// Makes the line as slow as a real serial line at `baud` (8N1, 10 bits per byte), or unlimited with `None`:
    /// bytes are taken off the pty no faster than they would arrive over the wire, so the sender's writes back
    /// up exactly as they would in front of a UART.
    pub fn set_line_baud(&self, baud: Option<u32>) {
        self.shared.line_baud.store(baud.unwrap_or(0), Ordering::SeqCst);
    }

    /// Opens or closes the roll cover.
    pub fn set_cover_open(&self, open: bool) {
        self.machine().cover_open = open;
    }

    /// Sets the paper near-end sensor.
    pub fn set_paper_near_end(&self, near_end: bool) {
        self.machine().paper_near_end = near_end;
    }

    /// Unplugs the printer: the pseudo-terminal is closed (the open port fails with I/O errors) and the
    /// symlink disappears.
    pub fn unplug(self) {
        drop(self);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // The thread polls `stop` every 20 ms; a panic inside it has already failed the test.
            let _ = thread.join();
        }
        if let Some(link) = &self.link {
            let _ = std::fs::remove_file(link);
        }
    }
}

fn serve(mut master: TTYPort, slave: TTYPort, shared: &Shared, stop: &AtomicBool) {
    // Holding the slave open keeps the master from seeing a hang-up while the printer port is closed.
    let _slave = slave;
    let mut buf = [0u8; 4096];
    // When the simulated line will have delivered everything read so far.
    let mut line_free_at = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        let baud = shared.line_baud.load(Ordering::SeqCst);
        // At a limited baud rate, take at most ~10 ms worth of bytes at a time.
        let limit = if baud == 0 { buf.len() } else { (baud as usize / 1000).clamp(1, buf.len()) };
        match master.read(&mut buf[..limit]) {
            Ok(0) => {}
            Ok(n) => {
                if baud != 0 {
                    let on_wire = Duration::from_micros(n as u64 * 10_000_000 / u64::from(baud));
                    line_free_at = line_free_at.max(Instant::now()) + on_wire;
                    // Simulated transmission time: the bytes "arrive" when the line has carried them.
                    std::thread::sleep(line_free_at.saturating_duration_since(Instant::now()));
                }
                let (replies, cuts_before, cuts_after) = {
                    let mut machine = shared.machine.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    let before = machine.receipts.len();
                    let replies = machine.feed(&buf[..n]);
                    (replies, before, machine.receipts.len())
                };
                if cuts_after != cuts_before {
                    shared.cut.notify_all();
                }
                if !replies.is_empty() && master.write_all(&replies).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => {
                // EIO on the master while the slave has no reader: back off briefly and try again.
                std::thread::park_timeout(Duration::from_millis(5));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_answers_status_requests_in_order() {
        let mut m = Machine::new(PaperWidth::Mm58);
        m.set_near_end_for_test();
        let replies = m.feed(&[0x10, 0x04, 1, 0x10, 0x04, 4]);
        assert_eq!(replies, vec![0x12, 0x12 | 0x0c]);
    }

    #[test]
    fn machine_waits_for_a_split_raster_command() {
        let mut m = Machine::new(PaperWidth::Mm58);
        let mut job = vec![0x1d, b'v', b'0', 0, 1, 0, 2, 0, 0xff];
        m.feed(&job);
        assert_eq!(m.paper.height(), 0);
        job = vec![0x80, 0x1d, b'V', 1];
        m.feed(&job);
        assert_eq!(m.receipts.len(), 1);
        assert_eq!(m.receipts[0].black_dots(), 9);
        assert_eq!(m.unknown_bytes, 0);
    }

    impl Machine {
        fn set_near_end_for_test(&mut self) {
            self.paper_near_end = true;
        }
    }
}
