// SPDX-License-Identifier: GPL-3.0-or-later
//! Text-mode print job: the printer's own fonts (code page 858) and QR engine instead of raster dots.
//!
//! A raster receipt is tens of kilobytes; the same content as text is about two. On a 9600 baud line that is
//! the difference between a minute and a couple of seconds. The look is the printer's (Font A, 12 × 24 dots),
//! so the on-screen image from [`crate::render`] shows the same content but not the same pixels.

use crate::codepage::{ESC_T_CP858, encode};
use crate::escpos::{DOT_MOTION_UNITS, INITIALISE, PrinterProfile, native_qr, raster_bands};
use crate::layout::{Block, PaperWidth, latin9, layout, wrap};
use crate::raster::Raster;
use crate::receipt::Receipt;

/// Font A cell width in dots (ESC/POS default font on 203 dpi printers).
pub const FONT_A_WIDTH: u32 = 12;

/// Font B cell width in dots (the small font, 9 × 17).
pub const FONT_B_WIDTH: u32 = 9;

/// Characters per line in Font A at normal size.
pub fn columns(paper: PaperWidth) -> usize {
    (paper.dots() / FONT_A_WIDTH) as usize
}

/// The character size (1–3, width = height) the tracking number is printed with in text mode.
pub fn tracking_number_size(tracking_number: &str, paper: PaperWidth) -> u8 {
    let chars = tracking_number.chars().count().max(1);
    (columns(paper) / chars).clamp(1, 3) as u8
}

/// Encodes the receipt as text commands, one entry per command group (see [`crate::escpos::encode_commands`]).
pub fn encode_text_commands(receipt: &Receipt, profile: &PrinterProfile) -> Vec<Vec<u8>> {
    let paper = profile.paper;
    let cols = columns(paper);
    let mut out = vec![INITIALISE.to_vec(), DOT_MOTION_UNITS.to_vec(), vec![0x1b, b't', ESC_T_CP858]];

    let mut text = Text { out: &mut out, cols };
    text.align(1);
    text.lines(&receipt.municipality, 2, false);
    text.rule();
    text.lines(&receipt.title, 1, true);
    text.lines(&receipt.service, 1, false);
    text.lines(&receipt.issued_at, 1, false);
    text.blank();
    text.lines(&receipt.tracking_label, 1, true);
    text.lines(&receipt.tracking_number, tracking_number_size(&receipt.tracking_number, paper), true);
    text.blank();

    // The QR code exactly as the raster layout sizes it.
    for block in layout_qr(receipt, paper) {
        if let Block::Qr { payload, module_dots, .. } = &block {
            match native_qr(payload, *module_dots).filter(|_| profile.native_qr) {
                Some(qr) => out.push(qr),
                None => {
                    if let Some(code) = crate::layout::qr_raster(payload, *module_dots) {
                        let mut band = Raster::new(paper.dots(), code.height());
                        band.blit(&code, paper.dots().saturating_sub(code.width()) / 2, 0);
                        raster_bands(&mut out, &band);
                    }
                }
            }
        }
    }
    let mut text = Text { out: &mut out, cols };
    text.align(1);
    // The URL in Font B (ESC M 1): 64 columns on 80 mm paper, so a typical status URL fits on one line.
    text.out.push(vec![0x1b, b'M', 1]);
    text.cols = (paper.dots() / FONT_B_WIDTH) as usize;
    text.lines(&receipt.status_url, 1, false);
    text.out.push(vec![0x1b, b'M', 0]);
    text.cols = cols;
    text.align(0);
    text.rule();
    for (label, value) in &receipt.details {
        text.detail(label, value);
    }
    if let Some(footer) = &receipt.footer {
        text.rule();
        text.align(1);
        text.lines(footer, 1, false);
        text.align(0);
    }
    out.push(vec![0x1b, b'd', 4, 0x1d, b'V', 1]);
    out
}

fn layout_qr(receipt: &Receipt, paper: PaperWidth) -> Vec<Block> {
    let mut bare = receipt.clone();
    bare.details.clear();
    bare.footer = None;
    layout(&bare, paper).into_iter().filter(|b| matches!(b, Block::Qr { .. })).collect()
}

struct Text<'a> {
    out: &'a mut Vec<Vec<u8>>,
    cols: usize,
}

impl Text<'_> {
    fn align(&mut self, n: u8) {
        // ESC a n: 0 left, 1 centre.
        self.out.push(vec![0x1b, b'a', n]);
    }

    /// Wrapped lines at character size `size` (GS ! with equal width and height multipliers).
    fn lines(&mut self, text: &str, size: u8, bold: bool) {
        let size = size.clamp(1, 8);
        let mut group = Vec::new();
        let magnify = (size - 1) << 4 | (size - 1);
        if magnify != 0 {
            group.extend_from_slice(&[0x1d, b'!', magnify]);
        }
        if bold {
            group.extend_from_slice(&[0x1b, b'E', 1]);
        }
        self.out.push(group);
        for line in wrap(&latin9(text), self.cols / usize::from(size)) {
            let mut bytes = encode(&line);
            bytes.push(b'\n');
            self.out.push(bytes);
        }
        let mut reset = Vec::new();
        if bold {
            reset.extend_from_slice(&[0x1b, b'E', 0]);
        }
        if magnify != 0 {
            reset.extend_from_slice(&[0x1d, b'!', 0]);
        }
        if !reset.is_empty() {
            self.out.push(reset);
        }
    }

    fn blank(&mut self) {
        self.out.push(b"\n".to_vec());
    }

    fn rule(&mut self) {
        let mut line = vec![b'-'; self.cols];
        line.push(b'\n');
        self.out.push(line);
    }

    /// "Label ........ value" when it fits on one line, else the label and the value wrapped below it.
    fn detail(&mut self, label: &str, value: &str) {
        let (label, value) = (latin9(label), latin9(value));
        let (l, v) = (label.chars().count(), value.chars().count());
        if l + 2 + v <= self.cols {
            let mut bytes = vec![0x1b, b'E', 1];
            bytes.extend(encode(&label));
            bytes.extend_from_slice(&[0x1b, b'E', 0]);
            bytes.extend(std::iter::repeat_n(b' ', self.cols - l - v));
            bytes.extend(encode(&value));
            bytes.push(b'\n');
            self.out.push(bytes);
        } else {
            self.lines(&label, 1, true);
            for line in wrap(&value, self.cols - 2) {
                let mut bytes = b"  ".to_vec();
                bytes.extend(encode(&line));
                bytes.push(b'\n');
                self.out.push(bytes);
            }
        }
    }
}
