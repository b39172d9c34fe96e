// SPDX-License-Identifier: GPL-3.0-or-later
//! Demo mode's simulated printer, the background print worker, and what the rendered receipt contains.

mod common;

use std::time::{Duration, Instant};

use printer::emulator::Emulator;
use printer::{
    PaperWidth, PrintError, PrintWorker, PrinterProfile, Raster, ReceiptPrinter, SerialConfig, SerialPrinter,
    SimulatedPrinter, render,
};
use serialport::SerialPort;

use common::{assert_tracking_number_on_paper, decode_qr, find, sample, save_png};

fn decode_png(path: &std::path::Path) -> Raster {
    let file = std::fs::File::open(path).expect("PNG written");
    let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Grayscale, png::BitDepth::One));
    let packed: Vec<u8> = buf[..info.line_size * info.height as usize].iter().map(|b| !b).collect();
    Raster::from_packed(info.width, info.height, packed).expect("whole bytes per row")
}

#[test]
fn demo_printer_saves_numbered_pngs_of_the_same_rendering() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("receipt-1.png"), b"from an earlier run").expect("seed file");
    let mut printer = SimulatedPrinter::new(dir.path(), PaperWidth::Mm80);
    let receipt = sample();

    let first = printer.print(&receipt).expect("saved");
    let second = printer.print(&receipt).expect("saved");

    let first_path = first.saved_to.expect("path");
    assert_eq!(first_path, dir.path().join("receipt-2.png"), "existing files are not overwritten");
    assert_eq!(second.saved_to, Some(dir.path().join("receipt-3.png")));
    let paper = decode_png(&first_path);
    assert_eq!(paper, render(&receipt, PaperWidth::Mm80));
    assert_eq!(decode_qr(&paper), vec![receipt.status_url.clone()]);
    assert_tracking_number_on_paper(&paper, &receipt.tracking_number, PaperWidth::Mm80);
    assert_eq!(printer.health().receipts_printed, 2);
}

#[test]
fn demo_printer_reports_an_unwritable_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut printer = SimulatedPrinter::new(dir.path().join("missing"), PaperWidth::Mm58);
    let error = printer.print(&sample()).expect_err("no directory");
    assert!(matches!(error, PrintError::SaveFailed { .. }), "{error:?}");
    assert!(printer.health().fault.is_some_and(|f| f.contains("writable")));
}

#[test]
fn german_text_with_umlauts_is_drawn_not_replaced() {
    let receipt = sample();
    let paper = render(&receipt, PaperWidth::Mm80);
    save_png("render-80mm", &paper);
    let font = embedded_graphics::mono_font::iso_8859_15::FONT_10X20;
    for word in ["Sperrmüllabholung", "25,00 €"] {
        let needle = printer::layout::text_raster(word, &font, 1);
        assert!(find(&paper, &needle).is_some(), "{word} not on the paper");
    }
    let question = printer::layout::text_raster("Sperrm?llabholung", &font, 1);
    assert_eq!(find(&paper, &question), None, "umlaut fell back to '?'");
}

#[test]
fn receipt_shows_only_what_the_caller_put_in() {
    let mut receipt = sample();
    let full = render(&receipt, PaperWidth::Mm80);
    receipt.details.clear();
    receipt.footer = None;
    let bare = render(&receipt, PaperWidth::Mm80);
    assert!(bare.height() < full.height());
    assert!(bare.black_dots() < full.black_dots());
}

#[test]
fn worker_returns_at_once_and_answers_within_the_printer_timeout() {
    // A tty where nothing answers: the worst case for blocking.
    let (_master, slave) = serialport::TTYPort::pair().expect("pty");
    let path = slave.name().expect("slave path");
    let mut config = SerialConfig::new(path, 115_200, PrinterProfile::RASTER_80MM);
    config.status_timeout = Duration::from_millis(400);
    let worker = PrintWorker::spawn(Box::new(SerialPrinter::new(config))).expect("thread");

    let started = Instant::now();
    let ticket = worker.submit(sample());
    assert!(started.elapsed() < Duration::from_millis(200), "submit must not wait for the printer");
    assert!(ticket.poll().is_none(), "still waiting for the printer");

    let result = ticket.wait(Duration::from_secs(5)).expect("answered within bound");
    assert!(matches!(result, Ok(Err(PrintError::NoResponse { .. }))), "{result:?}");
    assert!(worker.health().fault.is_some());
}

#[test]
fn worker_prints_receipts_in_order_through_the_emulator() {
    let emulator = Emulator::start(PaperWidth::Mm80).expect("pty");
    let config = SerialConfig::new(emulator.device_path(), 115_200, PrinterProfile::NATIVE_QR_80MM);
    let worker = PrintWorker::spawn(Box::new(SerialPrinter::new(config))).expect("thread");
    let mut second = sample();
    second.tracking_number = "ZZ99-0000-A1".into();
    second.status_url = "https://status.musterstadt.example/v/ZZ99-0000-A1".into();

    let tickets = [worker.submit(sample()), worker.submit(second.clone())];
    for ticket in &tickets {
        let result = ticket.wait(Duration::from_secs(10)).expect("answered");
        assert!(matches!(result, Ok(Ok(_))), "{result:?}");
    }
    let paper = emulator.wait_for_receipts(2, Duration::from_secs(10));
    assert_eq!(decode_qr(&paper[1]), vec![second.status_url]);
    assert_eq!(worker.health().receipts_printed, 2);
}

#[test]
fn dropping_the_worker_finishes_the_queued_receipt_first() {
    let worker = PrintWorker::spawn(Box::new(SimulatedPrinter::new("/nonexistent", PaperWidth::Mm58))).expect("thread");
    let ticket = worker.submit(sample());
    drop(worker);
    // Drop joins the thread after the queue is drained, so the ticket already has its answer.
    assert!(matches!(ticket.poll(), Some(Ok(Err(PrintError::SaveFailed { .. })))));
}
