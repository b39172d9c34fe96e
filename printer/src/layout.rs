// SPDX-License-Identifier: GPL-3.0-or-later
//! Lays a [`Receipt`] out on paper of a given width.
//!
//! The layout is a top-to-bottom list of [`Block`]s: bands of 1-bit raster and the QR code. [`render`] paints
//! all of them into one [`Raster`] (what the screen, demo mode and raster printers show); the ESC/POS encoder
//! can instead hand the QR block to a printer's own QR engine, which needs far fewer bytes on the line.
//!
//! Fonts: embedded-graphics' ISO 8859-15 (Latin-9) mono fonts, which carry ä ö ü Ä Ö Ü ß and €. A few
//! common typographic characters outside Latin-9 (arrows, dashes, curly quotes) are replaced by ASCII look-alikes;
//! anything else outside Latin-9 prints as `?`.

use embedded_graphics::mono_font::iso_8859_15::{FONT_7X13, FONT_9X18_BOLD, FONT_10X20};
use embedded_graphics::mono_font::{MonoFont, MonoTextStyle};
use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use embedded_graphics::text::{Baseline, Text};
use qrcode::{EcLevel, QrCode};

use crate::raster::{Raster, Scaled};
use crate::receipt::Receipt;

/// Paper roll width; decides the raster width in dots (8 dots per mm, 203 dpi heads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaperWidth {
    /// 80 mm paper, 72 mm printable: 576 dots.
    Mm80,
    /// 58 mm paper, 48 mm printable: 384 dots.
    Mm58,
}

impl PaperWidth {
    /// Printable width in dots.
    pub fn dots(self) -> u32 {
        match self {
            PaperWidth::Mm80 => 576,
            PaperWidth::Mm58 => 384,
        }
    }
}

/// One piece of the laid-out receipt, full paper width, in printing order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Dots to print as they are.
    Raster(Raster),
    /// A QR code, centred, `module_dots` dots per module, with a quiet zone of 4 modules on every side
    /// (ISO/IEC 18004:2015 clause 9.1).
    Qr {
        /// The encoded text (the status URL).
        payload: String,
        /// Dots per module edge.
        module_dots: u32,
        /// Modules per side, without quiet zone.
        modules: u32,
    },
}

/// Error correction level M (15 %) survives a crumpled receipt and keeps the symbol small.
pub(crate) const QR_EC_LEVEL: EcLevel = EcLevel::M;
const QUIET_ZONE_MODULES: u32 = 4;
const MARGIN: u32 = 8;
const GAP: u32 = 12;

/// Lays the receipt out as blocks. Never fails: overlong text wraps, and a status URL too long for a QR code
/// (over ~2 kB) is printed as text instead of a code.
pub fn layout(receipt: &Receipt, paper: PaperWidth) -> Vec<Block> {
    let width = paper.dots();
    let usable = width - 2 * MARGIN;
    let mut top = Pen::new(width);

    let heading_scale = if paper == PaperWidth::Mm80 { 2 } else { 1 };
    top.centred(&receipt.municipality, &FONT_10X20, heading_scale, usable);
    top.rule(usable);
    top.centred(&receipt.title, &FONT_9X18_BOLD, 1, usable);
    top.y += GAP / 2;
    top.centred(&receipt.service, &FONT_10X20, 1, usable);
    top.centred(&receipt.issued_at, &FONT_10X20, 1, usable);
    top.y += GAP;
    top.centred(&receipt.tracking_label, &FONT_9X18_BOLD, 1, usable);
    let (font, big) = tracking_number_style(&receipt.tracking_number, paper);
    top.centred(&receipt.tracking_number, &font, big, usable);
    top.y += GAP / 2;

    let mut blocks = Vec::new();
    if let Ok(code) = QrCode::with_error_correction_level(receipt.status_url.as_bytes(), QR_EC_LEVEL) {
        let modules = code.width() as u32;
        let module_dots = (usable * 2 / 3 / (modules + 2 * QUIET_ZONE_MODULES)).clamp(2, 8);
        blocks.push(Block::Raster(top.finish()));
        blocks.push(Block::Qr { payload: receipt.status_url.clone(), module_dots, modules });
        top = Pen::new(width);
    }
    top.centred(&receipt.status_url, &FONT_7X13, 1, usable);
    top.rule(usable);
    for (label, value) in &receipt.details {
        top.detail(label, value, usable);
    }
    if let Some(footer) = &receipt.footer {
        top.rule(usable);
        top.centred(footer, &FONT_7X13, 1, usable);
    }
    top.y += GAP;
    blocks.push(Block::Raster(top.finish()));
    blocks
}

/// Renders the receipt into one raster at the paper's width: the very image that the printer puts on paper,
/// that demo mode saves and that the kiosk shows on screen when the printer fails.
pub fn render(receipt: &Receipt, paper: PaperWidth) -> Raster {
    flatten(&layout(receipt, paper), paper.dots())
}

/// Paints laid-out blocks into a single raster `width` dots wide.
pub fn flatten(blocks: &[Block], width: u32) -> Raster {
    let mut out = Raster::new(width, 0);
    for block in blocks {
        let y = out.height();
        match block {
            Block::Raster(r) => out.blit(r, 0, y),
            Block::Qr { payload, module_dots, .. } => {
                if let Some(code) = qr_raster(payload, *module_dots) {
                    let x = width.saturating_sub(code.width()) / 2;
                    out.blit(&code, x, y);
                }
            }
        }
    }
    out
}

/// The QR symbol for `payload` with its quiet zone, `module_dots` dots per module; `None` if the payload does
/// not fit in a QR code at level M.
pub fn qr_raster(payload: &str, module_dots: u32) -> Option<Raster> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), QR_EC_LEVEL).ok()?;
    let modules = code.width() as u32;
    let side = (modules + 2 * QUIET_ZONE_MODULES) * module_dots;
    let mut raster = Raster::new(side, side);
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == qrcode::Color::Dark {
            let mx = i as u32 % modules + QUIET_ZONE_MODULES;
            let my = i as u32 / modules + QUIET_ZONE_MODULES;
            raster.fill_rect(mx * module_dots, my * module_dots, module_dots, module_dots);
        }
    }
    Some(raster)
}

/// Renders one line of text in the given font and scale, as tight as the font's cell: used by tests that look
/// for the tracking number on the paper.
pub fn text_raster(text: &str, font: &MonoFont<'_>, scale: u32) -> Raster {
    let text = &latin9(text);
    let chars = text.chars().count() as u32;
    let mut raster = Raster::new(chars * font.character_size.width * scale, 0);
    draw_text(&mut raster, text, font, scale, Point::zero());
    raster.grow_to(font.character_size.height * scale);
    raster
}

/// The font and scale the tracking number is printed with on `paper`.
pub fn tracking_number_style(tracking_number: &str, paper: PaperWidth) -> (MonoFont<'static>, u32) {
    let usable = paper.dots() - 2 * MARGIN;
    let chars = (tracking_number.chars().count() as u32).max(1);
    let big = (usable / (chars * FONT_10X20.character_size.width)).clamp(1, 3);
    (FONT_10X20, big)
}

/// Replaces typographic characters that Latin-9 lacks by look-alikes it has.
pub(crate) fn latin9(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '→' | '⇒' => out.push_str("->"),
            '←' => out.push_str("<-"),
            '–' | '—' | '‐' | '‑' | '−' => out.push('-'),
            '„' | '“' | '”' | '«' | '»' => out.push('"'),
            '‚' | '‘' | '’' | '‹' | '›' => out.push('\''),
            '…' => out.push_str("..."),
            '\u{a0}' | '\u{202f}' | '\u{2009}' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

fn draw_text(target: &mut Raster, text: &str, font: &MonoFont<'_>, scale: u32, at: Point) {
    let style = MonoTextStyle::new(font, BinaryColor::On);
    let mut scaled = Scaled { target, scale, origin: at };
    // Drawing into a raster cannot fail (its error type is `Infallible`).
    let Ok(_) = Text::with_baseline(text, Point::zero(), style, Baseline::Top).draw(&mut scaled);
}

/// Breaks `text` into lines of at most `max_chars` characters, at spaces where possible.
pub(crate) fn wrap(text: &str, max_chars: usize) -> Vec<String> {
    let max_chars = max_chars.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let line_len = line.chars().count();
            let sep = usize::from(line_len > 0);
            if line_len + sep + word.len() <= max_chars {
                if sep == 1 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if line_len > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            let rest = word.split_off(max_chars);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Writes blocks of content downwards on a growing raster.
struct Pen {
    raster: Raster,
    y: u32,
}

impl Pen {
    fn new(width: u32) -> Self {
        Self { raster: Raster::new(width, 0), y: MARGIN }
    }

    fn centred(&mut self, text: &str, font: &MonoFont<'_>, scale: u32, usable: u32) {
        let text = &latin9(text);
        let cell = font.character_size.width * scale;
        for line in wrap(text, (usable / cell) as usize) {
            let w = line.chars().count() as u32 * cell;
            let x = (self.raster.width() - w) / 2;
            draw_text(&mut self.raster, &line, font, scale, point(x, self.y));
            self.y += font.character_size.height * scale;
        }
    }

    fn left(&mut self, text: &str, font: &MonoFont<'_>, usable: u32) {
        let text = &latin9(text);
        for line in wrap(text, (usable / font.character_size.width) as usize) {
            draw_text(&mut self.raster, &line, font, 1, point(MARGIN, self.y));
            self.y += font.character_size.height;
        }
    }

    /// "Label        value" on one line when both fit, else the label with the value wrapped below it.
    fn detail(&mut self, label: &str, value: &str, usable: u32) {
        let (label, value) = (&latin9(label), &latin9(value));
        let label_w = label.chars().count() as u32 * FONT_9X18_BOLD.character_size.width;
        let value_cell = FONT_10X20.character_size.width;
        let value_w = value.chars().count() as u32 * value_cell;
        if label_w + 2 * value_cell + value_w <= usable {
            draw_text(&mut self.raster, label, &FONT_9X18_BOLD, 1, point(MARGIN, self.y + 1));
            let x = MARGIN + usable - value_w;
            draw_text(&mut self.raster, value, &FONT_10X20, 1, point(x, self.y));
            self.y += FONT_10X20.character_size.height + 4;
        } else {
            self.left(label, &FONT_9X18_BOLD, usable);
            let indent = 2 * value_cell;
            for line in wrap(value, ((usable - indent) / value_cell) as usize) {
                draw_text(&mut self.raster, &line, &FONT_10X20, 1, point(MARGIN + indent, self.y));
                self.y += FONT_10X20.character_size.height;
            }
            self.y += 4;
        }
    }

    fn rule(&mut self, usable: u32) {
        self.y += GAP / 2;
        self.raster.fill_rect(MARGIN, self.y, usable, 2);
        self.y += 2 + GAP / 2;
    }

    fn finish(mut self) -> Raster {
        self.raster.grow_to(self.y);
        self.raster
    }
}

fn point(x: u32, y: u32) -> Point {
    Point::new(i32::try_from(x).unwrap_or(i32::MAX), i32::try_from(y).unwrap_or(i32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_at_spaces_and_splits_overlong_words() {
        assert_eq!(wrap("In Warteschlange, wird gesendet", 16), ["In", "Warteschlange,", "wird gesendet"]);
        assert_eq!(wrap("ABCDEFGHIJ", 4), ["ABCD", "EFGH", "IJ"]);
        assert_eq!(wrap("", 4), [""]);
    }

    #[test]
    fn typographic_characters_print_as_latin9_look_alikes() {
        assert_eq!(latin9("Name → Amt – „OK“…"), "Name -> Amt - \"OK\"...");
        assert_eq!(text_raster("→", &FONT_10X20, 1), text_raster("->", &FONT_10X20, 1));
    }

    #[test]
    fn umlauts_and_sharp_s_have_their_own_glyphs() {
        let question = text_raster("?", &FONT_10X20, 1);
        for c in ["ä", "ö", "ü", "Ä", "Ö", "Ü", "ß", "€"] {
            let glyph = text_raster(c, &FONT_10X20, 1);
            assert!(glyph.black_dots() > 0, "{c} is blank");
            assert_ne!(glyph, question, "{c} falls back to the replacement glyph");
        }
    }
}
