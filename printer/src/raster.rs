// SPDX-License-Identifier: GPL-3.0-or-later
//! The 1-bit paper image: what a thermal head burns, row by row.
//!
//! Rows are packed eight dots to a byte, most significant bit first, a set bit meaning a black dot. This is
//! exactly the layout of the ESC/POS `GS v 0` raster bit image (ESC/POS Application Programming Guide,
//! "GS v 0"), so encoding a band is a slice copy. The width is always a multiple of eight dots.

use std::convert::Infallible;

use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::{Dimensions, DrawTarget, Pixel, Point, Size};
use embedded_graphics::primitives::Rectangle;

/// A 1-bit image as wide as the paper; it grows downwards while a receipt is laid out.
#[derive(Clone, PartialEq, Eq)]
pub struct Raster {
    width: u32,
    height: u32,
    bits: Vec<u8>,
}

impl std::fmt::Debug for Raster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Raster").field("width", &self.width).field("height", &self.height).finish_non_exhaustive()
    }
}

impl Raster {
    /// An all-white raster. `width` is rounded up to a whole number of bytes (multiple of 8 dots).
    pub fn new(width: u32, height: u32) -> Self {
        let width = width.div_ceil(8) * 8;
        Self { width, height, bits: vec![0; (width / 8) as usize * height as usize] }
    }

    /// Builds a raster from packed rows (MSB first, 1 = black), as carried by `GS v 0`.
    /// Returns `None` when `bits` is not exactly `width / 8 × height` bytes or `width` is not a multiple of 8.
    pub fn from_packed(width: u32, height: u32, bits: Vec<u8>) -> Option<Self> {
        if !width.is_multiple_of(8) || bits.len() != (width / 8) as usize * height as usize {
            return None;
        }
        Some(Self { width, height, bits })
    }

    /// Width in dots.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in dots (rows).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes per row.
    pub fn stride(&self) -> usize {
        (self.width / 8) as usize
    }

    /// The packed rows, `stride() × height()` bytes, MSB first, 1 = black.
    pub fn packed(&self) -> &[u8] {
        &self.bits
    }

    /// Packed bytes of rows `start..end` (clamped to the raster).
    pub fn packed_rows(&self, start: u32, end: u32) -> &[u8] {
        let end = end.min(self.height);
        let start = start.min(end);
        &self.bits[start as usize * self.stride()..end as usize * self.stride()]
    }

    /// Whether the dot at (`x`, `y`) is black; dots outside the raster are white.
    pub fn is_black(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let byte = self.bits[y as usize * self.stride() + (x / 8) as usize];
        byte & (0x80 >> (x % 8)) != 0
    }

    /// Blackens or whitens one dot, growing the raster downwards if `y` is below the last row.
    /// Dots left or right of the paper are ignored.
    pub fn set(&mut self, x: u32, y: u32, black: bool) {
        if x >= self.width {
            return;
        }
        if y >= self.height {
            self.grow_to(y + 1);
        }
        let index = y as usize * self.stride() + (x / 8) as usize;
        let mask = 0x80 >> (x % 8);
        if black {
            self.bits[index] |= mask;
        } else {
            self.bits[index] &= !mask;
        }
    }

    /// Extends the raster with white rows until it is `height` rows tall (never shrinks).
    pub fn grow_to(&mut self, height: u32) {
        if height > self.height {
            self.bits.resize(self.stride() * height as usize, 0);
            self.height = height;
        }
    }

    /// Copies `other` onto this raster with its top-left corner at (`x`, `y`); black dots are OR-ed in.
    pub fn blit(&mut self, other: &Raster, x: u32, y: u32) {
        self.grow_to(y + other.height);
        for oy in 0..other.height {
            for ox in 0..other.width {
                if other.is_black(ox, oy) {
                    self.set(x + ox, y + oy, true);
                }
            }
        }
    }

    /// Fills the rectangle with black dots (growing the raster if needed).
    pub fn fill_rect(&mut self, x: u32, y: u32, width: u32, height: u32) {
        for yy in y..y + height {
            for xx in x..(x + width).min(self.width) {
                self.set(xx, yy, true);
            }
        }
    }

    /// Number of black dots: a cheap fingerprint for tests.
    pub fn black_dots(&self) -> u64 {
        self.bits.iter().map(|b| u64::from(b.count_ones())).sum()
    }

    /// One byte per dot, 0 = black and 255 = white: ready for a grey-scale image on screen.
    pub fn to_luma8(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.width as usize * self.height as usize);
        for y in 0..self.height {
            for x in 0..self.width {
                out.push(if self.is_black(x, y) { 0 } else { 255 });
            }
        }
        out
    }

    /// Encodes the raster as a 1-bit grey-scale PNG (black on white), e.g. for the kiosk screen or demo mode.
    pub fn to_png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height.max(1));
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        // PNG 1-bit grey-scale is MSB first with 1 = white: the inverse of our packing.
        let mut data: Vec<u8> = self.bits.iter().map(|b| !b).collect();
        if self.height == 0 {
            data = vec![0xff; self.stride()];
        }
        // Writing into a Vec cannot fail for I/O reasons, and the header always matches `data`'s length.
        if let Ok(mut writer) = encoder.write_header() {
            let written = writer.write_image_data(&data).is_ok() && writer.finish().is_ok();
            debug_assert!(written, "PNG encoding of a well-formed raster");
        }
        out
    }
}

impl Dimensions for Raster {
    fn bounding_box(&self) -> Rectangle {
        // The paper is endless below: drawing past the last row grows the raster.
        Rectangle::new(Point::zero(), Size::new(self.width, u32::MAX / 4))
    }
}

impl DrawTarget for Raster {
    type Color = BinaryColor;
    type Error = Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(point, color) in pixels {
            if let (Ok(x), Ok(y)) = (u32::try_from(point.x), u32::try_from(point.y)) {
                self.set(x, y, color.is_on());
            }
        }
        Ok(())
    }
}

/// Draws into an inner raster with every pixel enlarged to a `scale × scale` block of dots:
/// how the receipt gets large type from a bitmap font.
pub(crate) struct Scaled<'a> {
    pub(crate) target: &'a mut Raster,
    pub(crate) scale: u32,
    pub(crate) origin: Point,
}

impl Dimensions for Scaled<'_> {
    fn bounding_box(&self) -> Rectangle {
        Rectangle::new(Point::zero(), Size::new(u32::MAX / 8, u32::MAX / 8))
    }
}

impl DrawTarget for Scaled<'_> {
    type Color = BinaryColor;
    type Error = Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(point, color) in pixels {
            let (Ok(px), Ok(py)) = (u32::try_from(point.x), u32::try_from(point.y)) else {
                continue;
            };
            let (Ok(ox), Ok(oy)) = (u32::try_from(self.origin.x), u32::try_from(self.origin.y)) else {
                continue;
            };
            for dy in 0..self.scale {
                for dx in 0..self.scale {
                    self.target.set(ox + px * self.scale + dx, oy + py * self.scale + dy, color.is_on());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_dots_are_packed_msb_first_with_black_as_one() {
        let mut r = Raster::new(16, 1);
        r.set(0, 0, true);
        r.set(9, 0, true);
        assert_eq!(r.packed(), &[0x80, 0x40]);
        assert!(r.is_black(9, 0));
        assert!(!r.is_black(8, 0));
    }

    #[test]
    fn drawing_below_the_last_row_grows_the_paper() {
        let mut r = Raster::new(8, 0);
        r.set(1, 5, true);
        assert_eq!(r.height(), 6);
        assert_eq!(r.black_dots(), 1);
    }

    #[test]
    fn png_round_trips_through_a_decoder() {
        let mut r = Raster::new(24, 3);
        r.set(2, 1, true);
        let png_bytes = r.to_png();
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("valid PNG");
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).expect("one frame");
        assert_eq!((info.width, info.height), (24, 3));
        // Row 1, byte 0: dot 2 black (0 in PNG), all other dots white.
        assert_eq!(buf[info.line_size], 0b1101_1111);
    }
}
