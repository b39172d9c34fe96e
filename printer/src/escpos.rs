// SPDX-License-Identifier: GPL-3.0-or-later
//! ESC/POS command encoding and status decoding, without any I/O (the serial transport and the emulator are
//! just feeders of these bytes).
//!
//! Command references are to Epson's "ESC/POS Application Programming Guide" command pages, which thermal
//! receipt printers of other makers follow for the commands used here.

use crate::layout::{Block, PaperWidth, layout, qr_raster};
use crate::raster::Raster;
use crate::receipt::Receipt;
use crate::text_job::encode_text_commands;

/// `ESC @`: initialise printer (clears the buffer and resets modes).
pub const INITIALISE: [u8; 2] = [0x1b, b'@'];
/// `DLE EOT 1`: transmit printer status (real-time).
pub const STATUS_PRINTER: [u8; 3] = [0x10, 0x04, 1];
/// `DLE EOT 2`: transmit off-line cause status (real-time).
pub const STATUS_OFFLINE_CAUSE: [u8; 3] = [0x10, 0x04, 2];
/// `DLE EOT 4`: transmit roll paper sensor status (real-time).
pub const STATUS_PAPER: [u8; 3] = [0x10, 0x04, 4];

/// Rows per `GS v 0` command. Many printers cap one raster image at a few hundred rows; small bands also
/// let the transport check the paper sensor between bands.
pub const BAND_ROWS: u32 = 48;

/// What a particular printer model can do; comes from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrinterProfile {
    /// Paper roll width.
    pub paper: PaperWidth,
    /// Whether the printer has its own QR engine (`GS ( k`, function 165–181). Sending the URL instead of
    /// the symbol's dots saves several kilobytes per receipt.
    pub native_qr: bool,
    /// Whether to print text with the printer's own font (code page 858, `ESC t 19`) instead of raster
    /// dots: about 20× fewer bytes, at the price of the printer's look (see [`crate::text_job`]).
    pub native_text: bool,
}

impl PrinterProfile {
    /// An 80 mm printer that receives everything as raster image: works on every ESC/POS printer.
    pub const RASTER_80MM: PrinterProfile =
        PrinterProfile { paper: PaperWidth::Mm80, native_qr: false, native_text: false };
    /// An 80 mm printer with a built-in QR engine (e.g. the common TM-T88/T20 class); text still as raster.
    pub const NATIVE_QR_80MM: PrinterProfile =
        PrinterProfile { paper: PaperWidth::Mm80, native_qr: true, native_text: false };
    /// An 80 mm printer with QR engine and code page 858, receiving text: the fewest bytes.
    pub const TEXT_80MM: PrinterProfile =
        PrinterProfile { paper: PaperWidth::Mm80, native_qr: true, native_text: true };

    /// An all-raster profile for the given paper: works on every ESC/POS printer.
    pub fn raster(paper: PaperWidth) -> Self {
        PrinterProfile { paper, native_qr: false, native_text: false }
    }
}

/// Encodes a receipt for the profile, one entry per command group: text mode ([`crate::text_job`]) when the
/// profile says so, else the raster layout ([`encode_commands`]).
pub fn encode_receipt(receipt: &Receipt, profile: &PrinterProfile) -> Vec<Vec<u8>> {
    if profile.native_text {
        encode_text_commands(receipt, profile)
    } else {
        encode_commands(&layout(receipt, profile.paper), profile)
    }
}

/// Encodes laid-out receipt blocks as one print job: initialise, image bands (and native QR where the
/// profile allows), feed past the cutter and cut.
pub fn encode_job(blocks: &[Block], profile: &PrinterProfile) -> Vec<u8> {
    encode_commands(blocks, profile).concat()
}

/// The same job as [`encode_job`], one entry per complete command (or command group). A transport that
/// interleaves real-time status requests must only do so between entries: a `DLE EOT` inside a command's
/// parameters or image data would corrupt it.
pub fn encode_commands(blocks: &[Block], profile: &PrinterProfile) -> Vec<Vec<u8>> {
    let width = profile.paper.dots();
    let mut out = vec![INITIALISE.to_vec(), DOT_MOTION_UNITS.to_vec()];
    for block in blocks {
        match block {
            Block::Raster(raster) => raster_bands(&mut out, raster),
            Block::Qr { payload, module_dots, .. } => {
                if let Some(qr) = native_qr(payload, *module_dots).filter(|_| profile.native_qr) {
                    out.push(qr);
                    continue;
                }
                if let Some(code) = qr_raster(payload, *module_dots) {
                    let mut band = Raster::new(width, code.height());
                    band.blit(&code, width.saturating_sub(code.width()) / 2, 0);
                    raster_bands(&mut out, &band);
                }
            }
        }
    }
    // ESC d n: print and feed n lines, so the last line clears the cutter (the head sits ~3 lines above it),
    // then GS V m=1: partial cut (one point left uncut, so the receipt does not drop onto the floor).
    out.push(vec![0x1b, b'd', 4, 0x1d, b'V', 1]);
    out
}

/// `GS P 203 203`: set the motion units to 1/203 inch, one dot, so that `ESC J n` feeds exactly `n` dot rows.
pub const DOT_MOTION_UNITS: [u8; 4] = [0x1d, b'P', 203, 203];

/// Appends the raster as `GS v 0` raster bit image commands of at most [`BAND_ROWS`] rows, replacing runs
/// of blank rows by `ESC J n` (print and feed `n` motion units): a receipt is about half white space, which
/// costs 72 bytes a row as image but 3 bytes per 255 rows as feed. Requires [`DOT_MOTION_UNITS`] first.
pub fn raster_bands(out: &mut Vec<Vec<u8>>, raster: &Raster) {
    let stride = raster.stride() as u16;
    let blank = |y: u32| raster.packed_rows(y, y + 1).iter().all(|b| *b == 0);
    let mut y = 0;
    while y < raster.height() {
        if blank(y) {
            let start = y;
            while y < raster.height() && blank(y) && y - start < 255 {
                y += 1;
            }
            out.push(vec![0x1b, b'J', (y - start) as u8]);
            continue;
        }
        let start = y;
        while y < raster.height() && !blank(y) && y - start < BAND_ROWS {
            y += 1;
        }
        let rows = (y - start) as u16;
        let data = raster.packed_rows(start, y);
        let mut command = Vec::with_capacity(8 + data.len());
        // GS v 0 m xL xH yL yH d1...dk, m = 0 (normal density); x in bytes, y in dots.
        command.extend_from_slice(&[0x1d, b'v', b'0', 0]);
        command.extend_from_slice(&stride.to_le_bytes());
        command.extend_from_slice(&rows.to_le_bytes());
        command.extend_from_slice(data);
        out.push(command);
    }
}

/// The `GS ( k` QR sequence, centred; `None` if the payload is too long for the store command or the module
/// size is outside 1–16.
pub(crate) fn native_qr(payload: &str, module_dots: u32) -> Option<Vec<u8>> {
    let data = payload.as_bytes();
    let store_len = u16::try_from(data.len() + 3).ok()?;
    let module = u8::try_from(module_dots).ok()?;
    if !(1..=16).contains(&module) {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() + 48);
    // ESC a 1: centre.
    out.extend_from_slice(&[0x1b, b'a', 1]);
    // Function 165: select model 2.
    out.extend_from_slice(&[0x1d, b'(', b'k', 4, 0, 0x31, 0x41, 0x32, 0x00]);
    // Function 167: module size in dots.
    out.extend_from_slice(&[0x1d, b'(', b'k', 3, 0, 0x31, 0x43, module]);
    // Function 169: error correction level M (0x31), as in the raster rendering.
    out.extend_from_slice(&[0x1d, b'(', b'k', 3, 0, 0x31, 0x45, 0x31]);
    // Function 180: store the data in the symbol storage area.
    out.extend_from_slice(&[0x1d, b'(', b'k']);
    out.extend_from_slice(&store_len.to_le_bytes());
    out.extend_from_slice(&[0x31, 0x50, 0x30]);
    out.extend_from_slice(data);
    // Function 181: print the symbol.
    out.extend_from_slice(&[0x1d, b'(', b'k', 3, 0, 0x31, 0x51, 0x30]);
    // ESC a 0: back to left alignment.
    out.extend_from_slice(&[0x1b, b'a', 0]);
    Some(out)
}

/// The printer's condition as reported by the `DLE EOT` real-time status replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrinterStatus {
    /// The printer accepts data (not off-line for cover, paper or error).
    pub online: bool,
    /// The paper roll cover is open.
    pub cover_open: bool,
    /// The roll is nearly used up: staff should replace it soon, printing still works.
    pub paper_near_end: bool,
    /// No paper: printing stopped.
    pub paper_out: bool,
}

impl PrinterStatus {
    /// Whether a receipt can be printed now.
    pub fn ready(&self) -> bool {
        self.online && !self.cover_open && !self.paper_out
    }

    /// Decodes the three status bytes answered to `DLE EOT 1`, `DLE EOT 2` and `DLE EOT 4`.
    /// Returns `None` if a byte does not carry the fixed bit pattern of a status reply (bit 0 = 0, bit 1 = 1,
    /// bit 4 = 1, bit 7 = 0), i.e. something other than an ESC/POS printer answered.
    pub fn from_replies(printer: u8, offline_cause: u8, paper: u8) -> Option<Self> {
        let valid = |b: u8| b & 0b1001_0011 == 0b0001_0010;
        if !(valid(printer) && valid(offline_cause) && valid(paper)) {
            return None;
        }
        Some(Self {
            // DLE EOT 1, bit 3: off-line.
            online: printer & 0x08 == 0,
            // DLE EOT 2, bit 2: cover open.
            cover_open: offline_cause & 0x04 != 0,
            // DLE EOT 4, bits 2–3: roll paper near-end sensor.
            paper_near_end: paper & 0x0c != 0,
            // DLE EOT 4, bits 5–6: roll paper end sensor; DLE EOT 2 bit 5: stopped by paper end.
            paper_out: paper & 0x60 != 0 || offline_cause & 0x20 != 0,
        })
    }

    /// The replies a printer in this condition gives to `DLE EOT 1`, `2` and `4` (used by the emulator).
    pub fn to_replies(&self) -> [u8; 3] {
        let base = 0b0001_0010;
        let offline = !self.online || self.cover_open || self.paper_out;
        [
            base | if offline { 0x08 } else { 0 },
            base | if self.cover_open { 0x04 } else { 0 } | if self.paper_out { 0x20 } else { 0 },
            base | if self.paper_near_end || self.paper_out { 0x0c } else { 0 } | if self.paper_out { 0x60 } else { 0 },
        ]
    }
}

impl std::fmt::Display for PrinterStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        parts.push(if self.online { "online" } else { "offline" });
        if self.cover_open {
            parts.push("cover open");
        }
        if self.paper_out {
            parts.push("paper out");
        } else if self.paper_near_end {
            parts.push("paper near end");
        }
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_replies_round_trip_for_every_condition() {
        for bits in 0..16u8 {
            let status = PrinterStatus {
                online: bits & 1 != 0,
                cover_open: bits & 2 != 0,
                paper_near_end: bits & 4 != 0,
                paper_out: bits & 8 != 0,
            };
            let [a, b, c] = status.to_replies();
            let back = PrinterStatus::from_replies(a, b, c).expect("valid replies");
            assert_eq!(back.cover_open, status.cover_open);
            assert_eq!(back.paper_out, status.paper_out);
            assert_eq!(back.ready(), status.ready());
        }
    }

    #[test]
    fn idle_printer_reply_0x12_means_ready() {
        let status = PrinterStatus::from_replies(0x12, 0x12, 0x12).expect("valid");
        assert!(status.ready());
        assert!(!status.paper_near_end);
    }

    #[test]
    fn bytes_without_the_fixed_status_bits_are_rejected() {
        assert_eq!(PrinterStatus::from_replies(0x00, 0x12, 0x12), None);
        assert_eq!(PrinterStatus::from_replies(0x12, 0xff, 0x12), None);
    }

    #[test]
    fn raster_bands_carry_width_in_bytes_and_height_in_rows() {
        let mut r = Raster::new(16, 50);
        r.fill_rect(0, 0, 1, 50);
        let mut out = Vec::new();
        raster_bands(&mut out, &r);
        assert_eq!(out.len(), 2);
        assert_eq!(&out[0][..8], &[0x1d, b'v', b'0', 0, 2, 0, 48, 0]);
        assert_eq!(out[0].len(), 8 + 2 * 48);
        assert_eq!(out[1], [0x1d, b'v', b'0', 0, 2, 0, 2, 0, 0x80, 0, 0x80, 0]);
    }

    #[test]
    fn blank_rows_become_paper_feed_instead_of_image_data() {
        let mut r = Raster::new(16, 300);
        r.set(0, 0, true);
        r.set(15, 299, true);
        let mut out = Vec::new();
        raster_bands(&mut out, &r);
        assert_eq!(
            out,
            vec![
                vec![0x1d, b'v', b'0', 0, 2, 0, 1, 0, 0x80, 0],
                vec![0x1b, b'J', 255],
                vec![0x1b, b'J', 43],
                vec![0x1d, b'v', b'0', 0, 2, 0, 1, 0, 0, 0x01],
            ]
        );
    }
}
