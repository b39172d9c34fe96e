// SPDX-License-Identifier: GPL-3.0-or-later
//! What goes on the paper: the [`Receipt`] the kiosk hands over, and the municipality's [`Logo`].
//!
//! Privacy rule (issue 5): a receipt left on the counter must not expose anyone. The caller therefore never
//! puts a name, an address, a date of birth or any other personal data into a `Receipt`; the tracking number,
//! the service and the *kinds* of card data that were transmitted ("Name, Anschrift → Bürgeramt") are enough
//! for the citizen to follow up. This crate prints exactly what it is given and logs none of it.

use crate::raster::Raster;

/// A receipt whose text is already in the session's language (German or English); this crate translates nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Issuing authority, e.g. "Stadt Musterstadt".
    pub municipality: String,
    /// Optional 1-bit logo printed centred above the municipality name.
    pub logo: Option<Logo>,
    /// Heading, e.g. "Eingangsbestätigung" / "Confirmation of receipt".
    pub title: String,
    /// The service requested, e.g. "Sperrmüllabholung".
    pub service: String,
    /// Date and time of submission, already formatted, e.g. "22.11.2026, 14:05".
    pub issued_at: String,
    /// Label above the tracking number, e.g. "Vorgangsnummer".
    pub tracking_label: String,
    /// The tracking number, printed in large type, e.g. "BT7K-4Q9X-M2".
    pub tracking_number: String,
    /// Payload of the QR code: the configured status base URL plus the tracking number.
    pub status_url: String,
    /// Label/value lines: booked slot, fee, delivery state ("Gesendet" / "In Warteschlange, wird automatisch
    /// gesendet"), which card data went to which authority, terminal id.
    pub details: Vec<(String, String)>,
    /// Optional closing text in small type.
    pub footer: Option<String>,
}

/// Why a logo file could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogoError {
    /// The data does not start with the `P1` (plain) or `P4` (raw) magic of a portable bitmap.
    #[error(
        "logo is not a PBM bitmap (expected magic P1 or P4); convert it with e.g. `pngtopnm logo.png | pamditherbw | pnmtoplainpnm`"
    )]
    NotPbm,
    /// Header fields are missing or not numbers.
    #[error("logo PBM header is malformed: {0}")]
    BadHeader(&'static str),
    /// The pixel data is shorter than width × height announces.
    #[error("logo PBM data is truncated: {width}×{height} needs more pixel data than the file has")]
    Truncated {
        /// Announced width.
        width: u32,
        /// Announced height.
        height: u32,
    },
    /// The PNG file could not be decoded.
    #[error("logo PNG cannot be decoded: {0}; re-export it as an ordinary PNG")]
    Png(String),
    /// The logo is wider than any supported paper or absurdly tall.
    #[error("logo is {width}×{height} dots; at most 576 dots wide and 1000 dots tall fit on a receipt")]
    TooLarge {
        /// Width in dots.
        width: u32,
        /// Height in dots.
        height: u32,
    },
}

/// A 1-bit image (black on white) at printer resolution, e.g. the town's coat of arms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    raster: Raster,
    width: u32,
}

const MAX_LOGO_WIDTH: u32 = 576;
const MAX_LOGO_HEIGHT: u32 = 1000;

impl Logo {
    /// Parses a portable bitmap (Netpbm PBM, plain `P1` or raw `P4`); 1 = black as in the Netpbm format.
    pub fn from_pbm(data: &[u8]) -> Result<Self, LogoError> {
        let mut cursor = PbmCursor { data, pos: 0 };
        let magic = cursor.token().ok_or(LogoError::NotPbm)?;
        let raw = match magic {
            b"P1" => false,
            b"P4" => true,
            _ => return Err(LogoError::NotPbm),
        };
        let width = cursor.number().ok_or(LogoError::BadHeader("width"))?;
        let height = cursor.number().ok_or(LogoError::BadHeader("height"))?;
        if width == 0 || height == 0 || width > MAX_LOGO_WIDTH || height > MAX_LOGO_HEIGHT {
            return Err(LogoError::TooLarge { width, height });
        }
        let mut raster = Raster::new(width, height);
        if raw {
            // Exactly one whitespace byte separates the header from the raster (Netpbm pbm(5)).
            let start = cursor.pos + 1;
            let row_bytes = width.div_ceil(8) as usize;
            let needed = row_bytes * height as usize;
            let pixels = data.get(start..start + needed).ok_or(LogoError::Truncated { width, height })?;
            for y in 0..height {
                for x in 0..width {
                    let byte = pixels[y as usize * row_bytes + (x / 8) as usize];
                    if byte & (0x80 >> (x % 8)) != 0 {
                        raster.set(x, y, true);
                    }
                }
            }
        } else {
            for y in 0..height {
                for x in 0..width {
                    match cursor.plain_bit() {
                        Some(true) => raster.set(x, y, true),
                        Some(false) => {}
                        None => return Err(LogoError::Truncated { width, height }),
                    }
                }
            }
        }
        Ok(Self { raster, width })
    }

    /// Reads a PNG (any colour type) and thresholds it: pixels darker than mid-grey, and not transparent, become
    /// black dots. The image should already be at printer resolution (8 dots per mm) and black-and-white.
    pub fn from_png(data: &[u8]) -> Result<Self, LogoError> {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(data));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().map_err(|e| LogoError::Png(e.to_string()))?;
        let (width, height) = {
            let info = reader.info();
            (info.width, info.height)
        };
        if width == 0 || height == 0 || width > MAX_LOGO_WIDTH || height > MAX_LOGO_HEIGHT {
            return Err(LogoError::TooLarge { width, height });
        }
        let mut buf = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut buf).map_err(|e| LogoError::Png(e.to_string()))?;
        let channels = frame.color_type.samples();
        let mut raster = Raster::new(width, height);
        for y in 0..height {
            let start = y as usize * frame.line_size;
            let row =
                buf.get(start..start + width as usize * channels).ok_or(LogoError::Truncated { width, height })?;
            for (x, px) in row.chunks_exact(channels).enumerate() {
                let (luma, alpha) = match px {
                    [l] => (u32::from(*l), 255),
                    [l, a] => (u32::from(*l), *a),
                    [r, g, b] => ((u32::from(*r) * 299 + u32::from(*g) * 587 + u32::from(*b) * 114) / 1000, 255),
                    [r, g, b, a] => ((u32::from(*r) * 299 + u32::from(*g) * 587 + u32::from(*b) * 114) / 1000, *a),
                    _ => (255, 0),
                };
                if luma < 128 && alpha >= 128 {
                    raster.set(x as u32, y, true);
                }
            }
        }
        Ok(Self { raster, width })
    }

    /// Builds a logo from an existing raster (its full width is used).
    pub fn from_raster(raster: Raster) -> Self {
        let width = raster.width();
        Self { raster, width }
    }

    /// Width in dots as drawn (the PBM width, not rounded to bytes).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in dots.
    pub fn height(&self) -> u32 {
        self.raster.height()
    }

    /// The bitmap.
    pub fn raster(&self) -> &Raster {
        &self.raster
    }
}

struct PbmCursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> PbmCursor<'a> {
    fn skip_space_and_comments(&mut self) {
        while let Some(&b) = self.data.get(self.pos) {
            if b == b'#' {
                while let Some(&c) = self.data.get(self.pos) {
                    if c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else if b.is_ascii_whitespace() {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn token(&mut self) -> Option<&'a [u8]> {
        self.skip_space_and_comments();
        let start = self.pos;
        while self.data.get(self.pos).is_some_and(|b| !b.is_ascii_whitespace() && *b != b'#') {
            self.pos += 1;
        }
        (self.pos > start).then(|| &self.data[start..self.pos])
    }

    fn number(&mut self) -> Option<u32> {
        std::str::from_utf8(self.token()?).ok()?.parse().ok()
    }

    fn plain_bit(&mut self) -> Option<bool> {
        self.skip_space_and_comments();
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        match b {
            b'0' => Some(false),
            b'1' => Some(true),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_pbm_with_comment_is_read_as_black_on_white() {
        let logo = Logo::from_pbm(b"P1\n# crest\n3 2\n1 0 1\n0 1 0\n").expect("valid");
        assert_eq!((logo.width(), logo.height()), (3, 2));
        assert!(logo.raster().is_black(0, 0));
        assert!(!logo.raster().is_black(1, 0));
        assert!(logo.raster().is_black(1, 1));
    }

    #[test]
    fn raw_pbm_is_read_row_by_row() {
        let mut data = b"P4\n10 2\n".to_vec();
        data.extend_from_slice(&[0b1000_0000, 0b0100_0000, 0, 0b1100_0000]);
        let logo = Logo::from_pbm(&data).expect("valid");
        assert!(logo.raster().is_black(0, 0));
        assert!(logo.raster().is_black(9, 0));
        assert!(logo.raster().is_black(8, 1) && logo.raster().is_black(9, 1));
        assert_eq!(logo.raster().black_dots(), 4);
    }

    #[test]
    fn png_logo_is_thresholded_to_black_dots() {
        let mut source = Raster::new(16, 4);
        source.fill_rect(2, 1, 3, 2);
        let logo = Logo::from_png(&source.to_png()).expect("valid PNG");
        assert_eq!((logo.width(), logo.height()), (16, 4));
        assert_eq!(logo.raster(), &source);
        assert!(matches!(Logo::from_png(b"P1 1 1 1"), Err(LogoError::Png(_))));
    }

    #[test]
    fn truncated_or_foreign_files_are_rejected() {
        assert_eq!(Logo::from_pbm(b"P4\n16 2\n\x00"), Err(LogoError::Truncated { width: 16, height: 2 }));
        assert_eq!(Logo::from_pbm(b"\x89PNG"), Err(LogoError::NotPbm));
        assert!(matches!(Logo::from_pbm(b"P1 5000 1 1"), Err(LogoError::TooLarge { .. })));
    }
}
