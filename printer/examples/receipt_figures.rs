// SPDX-License-Identifier: GPL-3.0-or-later
//! Prints the receipt benchmark figures and writes the sample receipt as PNG for both paper widths.
//!
//! `cargo run -p printer --example receipt_figures [--features emulator] -- [OUTPUT_DIR]`; with the
//! `emulator` feature it also measures the time on the line (about a minute at 9600 baud).

use printer::{PaperWidth, render};

fn main() -> std::io::Result<()> {
    for figure in printer::bench::figures(50) {
        println!("{:<40} {:>10.2} {}", figure.name, figure.value, figure.unit);
    }
    #[cfg(feature = "emulator")]
    for baud in [115_200, 9600] {
        match printer::bench::line_figures(baud) {
            Ok(figures) => {
                for figure in figures {
                    println!("{:<40} {:>10.2} {}", figure.name, figure.value, figure.unit);
                }
            }
            Err(error) => eprintln!("line measurement at {baud} baud failed: {error}"),
        }
    }
    if let Some(dir) = std::env::args_os().nth(1) {
        let dir = std::path::PathBuf::from(dir);
        let receipt = printer::bench::sample_receipt();
        for (paper, name) in [(PaperWidth::Mm80, "receipt-80mm.png"), (PaperWidth::Mm58, "receipt-58mm.png")] {
            let raster = render(&receipt, paper);
            std::fs::write(dir.join(name), raster.to_png())?;
            println!("{name}: {}×{} dots", raster.width(), raster.height());
        }
    }
    Ok(())
}
