// SPDX-License-Identifier: GPL-3.0-or-later
//! Figures for `kiosk bench`: how big a receipt is on the line and how long it takes there and to render.

use std::time::Instant;

use crate::escpos::{PrinterProfile, encode_job, encode_receipt};
use crate::layout::{PaperWidth, layout, render};
use crate::receipt::Receipt;

/// One benchmark figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Stable name, e.g. `receipt_bytes_raster`.
    pub name: String,
    /// The value.
    pub value: f64,
    /// Unit, e.g. `bytes` or `ms`.
    pub unit: &'static str,
}

/// A representative receipt (German, five detail lines) without any personal data.
pub fn sample_receipt() -> Receipt {
    Receipt {
        municipality: "Stadt Musterstadt".into(),
        title: "Eingangsbestätigung".into(),
        service: "Sperrmüllabholung".into(),
        issued_at: "22.11.2026, 14:05".into(),
        tracking_label: "Vorgangsnummer".into(),
        tracking_number: "BT7K-4Q9X-M2".into(),
        status_url: "https://status.musterstadt.example/v/BT7K-4Q9X-M2".into(),
        details: vec![
            ("Termin".into(), "Di 01.12.2026, 09:30".into()),
            ("Gebühr".into(), "25,00 €".into()),
            ("Übermittlung".into(), "In Warteschlange, wird automatisch gesendet".into()),
            ("Kartendaten".into(), "Name, Anschrift an Abfallwirtschaftsbetrieb".into()),
            ("Terminal".into(), "BT-RATHAUS-01".into()),
        ],
        footer: Some("Bewahren Sie diesen Beleg auf. Status jederzeit über den QR-Code.".into()),
    }
}

/// Line time in milliseconds for `bytes` at `baud`, 8N1 (10 bits per byte): the line's hard limit.
pub fn wire_ms(bytes: usize, baud: u32) -> f64 {
    bytes as f64 * 10.0 * 1000.0 / f64::from(baud)
}

/// Computes the receipt figures on 80 mm paper: job size for the raster, native-QR and text profiles, the
/// line's limit at 115200 and 9600 baud for each (bytes × 10 bits ÷ baud: no serial line can carry the job
/// faster; `line_figures`, with the `emulator` feature, measures the real time), and the median render time over `runs` renderings.
pub fn figures(runs: usize) -> Vec<Figure> {
    let receipt = sample_receipt();
    let blocks = layout(&receipt, PaperWidth::Mm80);
    let raster = encode_job(&blocks, &PrinterProfile::RASTER_80MM).len();
    let native = encode_job(&blocks, &PrinterProfile::NATIVE_QR_80MM).len();
    let text: usize = encode_receipt(&receipt, &PrinterProfile::TEXT_80MM).iter().map(Vec::len).sum();

    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            let paper = render(&receipt, PaperWidth::Mm80);
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            std::hint::black_box(paper);
            ms
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let render_ms = times[times.len() / 2];

    let mut figures = vec![
        figure("receipt_bytes_raster", raster as f64, "bytes"),
        figure("receipt_bytes_native_qr", native as f64, "bytes"),
        figure("receipt_bytes_text", text as f64, "bytes"),
    ];
    for baud in [115_200, 9600] {
        for (variant, bytes) in [("raster", raster), ("native_qr", native), ("text", text)] {
            figures.push(figure(&format!("receipt_line_limit_ms_{baud}_{variant}"), wire_ms(bytes, baud), "ms"));
        }
    }
    figures.push(figure("receipt_render_ms", render_ms, "ms"));
    figures
}

fn figure(name: &str, value: f64, unit: &'static str) -> Figure {
    Figure { name: name.to_string(), value, unit }
}

/// Measures the time on the line: prints the sample receipt through a [`SerialPrinter`] to the printer
/// emulator on a pseudo-terminal that delivers bytes no faster than a serial line at `baud`, for each
/// profile variant (raster, native QR, text). The result includes the status round trips between chunks, so
/// it sits a little above the line limit from [`figures`]. Takes as long as the printing: at 9600 baud the
/// raster variant needs over half a minute.
#[cfg(feature = "emulator")]
pub fn line_figures(baud: u32) -> Result<Vec<Figure>, crate::PrintError> {
    use crate::ReceiptPrinter;
    let receipt = sample_receipt();
    let mut figures = Vec::new();
    for (variant, profile) in [
        ("raster", PrinterProfile::RASTER_80MM),
        ("native_qr", PrinterProfile::NATIVE_QR_80MM),
        ("text", PrinterProfile::TEXT_80MM),
    ] {
        let emulator = crate::emulator::Emulator::start(PaperWidth::Mm80).map_err(|source| {
            crate::PrintError::Disconnected { path: "pseudo-terminal".into(), during: "starting the emulator", source }
        })?;
        emulator.set_line_baud(Some(baud));
        let mut config = crate::SerialConfig::new(emulator.device_path(), baud, profile);
        config.write_timeout = std::time::Duration::from_secs(120);
        let mut printer = crate::SerialPrinter::new(config);
        let start = Instant::now();
        printer.print(&receipt)?;
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        figures.push(figure(&format!("receipt_wire_ms_{baud}_{variant}"), ms, "ms"));
    }
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_qr_and_text_jobs_are_smaller_than_the_raster_job() {
        let figures = figures(1);
        let get = |name: &str| figures.iter().find(|f| f.name == name).map(|f| f.value);
        let raster = get("receipt_bytes_raster").expect("raster figure");
        let native = get("receipt_bytes_native_qr").expect("native figure");
        let text = get("receipt_bytes_text").expect("text figure");
        assert!(native < raster, "native {native} ≥ raster {raster}");
        assert!(text < native / 5.0, "text {text} not far below native {native}");
        assert_eq!(get("receipt_line_limit_ms_9600_raster"), Some(raster * 10.0 * 1000.0 / 9600.0));
    }
}
