// SPDX-License-Identifier: GPL-3.0-or-later
//! Shared helpers for the printer's integration tests.

use printer::layout::{text_raster, tracking_number_style};
use printer::{PaperWidth, Raster, Receipt};

/// The benchmark's sample receipt (German, with umlauts, ß and €).
pub fn sample() -> Receipt {
    printer::bench::sample_receipt()
}

/// Decodes every QR code on the paper with rqrr, an implementation independent of the `qrcode` encoder.
pub fn decode_qr(paper: &Raster) -> Vec<String> {
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(paper.width() as usize, paper.height() as usize, |x, y| {
            if paper.is_black(x as u32, y as u32) { 0 } else { 255 }
        });
    image.detect_grids().iter().filter_map(|grid| grid.decode().ok().map(|(_, text)| text)).collect()
}

/// Asserts that the tracking number's glyphs, in the large type the layout uses, appear dot for dot
/// somewhere on the paper.
pub fn assert_tracking_number_on_paper(paper: &Raster, tracking_number: &str, width: PaperWidth) {
    let (font, scale) = tracking_number_style(tracking_number, width);
    assert!(scale >= 2, "tracking number must be in large type");
    let needle = text_raster(tracking_number, &font, scale);
    assert!(find(paper, &needle).is_some(), "tracking number {tracking_number} not found on the paper");
}

/// Top-left position where `needle` matches `haystack` exactly (black and white dots).
pub fn find(haystack: &Raster, needle: &Raster) -> Option<(u32, u32)> {
    let (ax, ay) = (0..needle.height())
        .flat_map(|y| (0..needle.width()).map(move |x| (x, y)))
        .find(|&(x, y)| needle.is_black(x, y))?;
    for y in ay..haystack.height() {
        for x in ax..haystack.width() {
            if !haystack.is_black(x, y) {
                continue;
            }
            let (ox, oy) = (x - ax, y - ay);
            if ox + needle.width() > haystack.width() || oy + needle.height() > haystack.height() {
                continue;
            }
            let matches = (0..needle.height())
                .all(|ny| (0..needle.width()).all(|nx| needle.is_black(nx, ny) == haystack.is_black(ox + nx, oy + ny)));
            if matches {
                return Some((ox, oy));
            }
        }
    }
    None
}

/// Saves the paper as PNG under the target directory so a human can look at it.
pub fn save_png(name: &str, paper: &Raster) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("receipts");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(format!("{name}.png")), paper.to_png());
    }
}
