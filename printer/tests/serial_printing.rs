// SPDX-License-Identifier: GPL-3.0-or-later
//! The serial printer against the printer emulator over a real pseudo-terminal: the receipt's paper is
//! checked by decoding its QR code with an independent reader (rqrr) and finding the tracking number's glyphs.

mod common;

use std::time::{Duration, Instant};

use printer::emulator::Emulator;
use printer::{
    FlowControl, PaperWidth, PrintError, PrinterProfile, ReceiptPrinter, SerialConfig, SerialPrinter, render,
};

use serialport::SerialPort;

use common::{assert_tracking_number_on_paper, decode_qr, sample, save_png};

const WAIT: Duration = Duration::from_secs(10);

fn config(path: &std::path::Path, profile: PrinterProfile) -> SerialConfig {
    let mut config = SerialConfig::new(path, 115_200, profile);
    config.status_timeout = Duration::from_millis(1500);
    config.write_timeout = Duration::from_millis(1500);
    config
}

#[test]
fn raster_receipt_over_pty_carries_status_url_qr_and_tracking_number() {
    let emulator = Emulator::start(PaperWidth::Mm80).expect("pty");
    let mut printer = SerialPrinter::new(config(emulator.device_path(), PrinterProfile::RASTER_80MM));
    let receipt = sample();

    let outcome = printer.print(&receipt).expect("printed");

    let paper = emulator.wait_for_receipts(1, WAIT);
    assert_eq!(paper.len(), 1, "one receipt cut");
    let paper = &paper[0];
    save_png("serial-raster-80mm", paper);
    assert_eq!(paper.width(), 576);
    assert_eq!(decode_qr(paper), vec![receipt.status_url.clone()]);
    assert_tracking_number_on_paper(paper, &receipt.tracking_number, PaperWidth::Mm80);
    assert_eq!(emulator.unknown_bytes(), 0, "only supported ESC/POS commands sent");
    assert!(emulator.native_qr_payloads().is_empty());
    let status_traffic = emulator.bytes_received() - outcome.bytes_sent;
    assert!(
        status_traffic >= 18 && status_traffic.is_multiple_of(9),
        "everything besides the job is 9-byte DLE EOT status queries, before and during printing: {status_traffic}"
    );
    assert!(outcome.status_after.ready());
    assert_eq!(printer.health().receipts_printed, 1);
    assert_eq!(printer.health().fault, None);
}

#[test]
fn printed_paper_is_the_image_the_screen_shows() {
    let emulator = Emulator::start(PaperWidth::Mm80).expect("pty");
    let mut printer = SerialPrinter::new(config(emulator.device_path(), PrinterProfile::RASTER_80MM));
    let receipt = sample();
    printer.print(&receipt).expect("printed");
    let paper = emulator.wait_for_receipts(1, WAIT);
    let on_screen = render(&receipt, PaperWidth::Mm80);
    // The printer adds only the blank feed before the cut.
    let printed = &paper[0];
    assert!(printed.height() > on_screen.height());
    assert_eq!(printed.packed_rows(0, on_screen.height()), on_screen.packed());
    assert_eq!(printed.black_dots(), on_screen.black_dots());
}

#[test]
fn native_qr_printer_gets_fewer_bytes_for_the_same_paper() {
    let receipt = sample();
    let raster_emulator = Emulator::start(PaperWidth::Mm80).expect("pty");
    let native_emulator = Emulator::start(PaperWidth::Mm80).expect("pty");
    let mut raster = SerialPrinter::new(config(raster_emulator.device_path(), PrinterProfile::RASTER_80MM));
    let mut native = SerialPrinter::new(config(native_emulator.device_path(), PrinterProfile::NATIVE_QR_80MM));

    let raster_bytes = raster.print(&receipt).expect("raster printed").bytes_sent;
    let native_bytes = native.print(&receipt).expect("native printed").bytes_sent;

    let raster_paper = raster_emulator.wait_for_receipts(1, WAIT);
    let native_paper = native_emulator.wait_for_receipts(1, WAIT);
    save_png("serial-native-qr-80mm", &native_paper[0]);
    assert!(
        native_bytes + 4000 < raster_bytes,
        "native QR job {native_bytes} B should be kilobytes smaller than raster {raster_bytes} B"
    );
    assert_eq!(native_emulator.native_qr_payloads(), vec![receipt.status_url.clone()]);
    assert_eq!(decode_qr(&native_paper[0]), vec![receipt.status_url.clone()]);
    assert_eq!(native_paper[0], raster_paper[0], "printer's QR engine draws the same symbol");
}

#[test]
fn receipt_on_58mm_paper_is_384_dots_wide_and_scannable() {
    let emulator = Emulator::start(PaperWidth::Mm58).expect("pty");
    let profile = PrinterProfile::raster(PaperWidth::Mm58);
    let mut printer = SerialPrinter::new(config(emulator.device_path(), profile));
    let receipt = sample();
    printer.print(&receipt).expect("printed");
    let paper = emulator.wait_for_receipts(1, WAIT);
    save_png("serial-raster-58mm", &paper[0]);
    assert_eq!(paper[0].width(), 384);
    assert_eq!(decode_qr(&paper[0]), vec![receipt.status_url.clone()]);
    assert_tracking_number_on_paper(&paper[0], &receipt.tracking_number, PaperWidth::Mm58);
}

#[test]
fn paper_running_out_mid_receipt_is_reported_and_next_receipt_prints_after_reload() {
    let emulator = Emulator::start(PaperWidth::Mm80).expect("pty");
    let mut cfg = config(emulator.device_path(), PrinterProfile::RASTER_80MM);
    cfg.chunk_bytes = 2048;
    let mut printer = SerialPrinter::new(cfg);
    emulator.run_out_of_paper_after(300);

    let error = printer.print(&sample()).expect_err("paper ran out");

    match &error {
        PrintError::PaperOut { bytes_sent, bytes_total, status } => {
            assert!(bytes_sent < bytes_total, "stopped sending: {bytes_sent} of {bytes_total}");
            assert!(status.paper_out);
        }
        other => panic!("expected PaperOut, got {other:?}"),
    }
    assert!(emulator.receipts().is_empty(), "no complete receipt was cut");
    assert_eq!(emulator.paper_in_printer().height(), 300, "the stump is 300 rows");
    let health = printer.health();
    assert!(health.fault.as_deref().is_some_and(|f| f.contains("paper ran out")));
    assert!(health.needs_attention());
    assert_eq!(health.receipts_printed, 0);

    // Staff load a new roll: the next receipt prints and the fault clears.
    emulator.load_paper();
    printer.print(&sample()).expect("printed after reload");
    assert_eq!(emulator.wait_for_receipts(1, WAIT).len(), 1);
    assert_eq!(printer.health().fault, None);
}

#[test]
fn printer_out_of_paper_before_printing_gets_nothing_sent() {
    let emulator = Emulator::start(PaperWidth::Mm80).expect("pty");
    let mut printer = SerialPrinter::new(config(emulator.device_path(), PrinterProfile::RASTER_80MM));
    emulator.run_out_of_paper_after(0);
    let error = printer.print(&sample()).expect_err("no paper");
    assert!(matches!(error, PrintError::NotReady(s) if s.paper_out), "{error:?}");
    assert_eq!(emulator.bytes_received(), 9, "only the status request went out");
}

#[test]
fn open_cover_refuses_before_sending_anything() {
    let emulator = Emulator::start(PaperWidth::Mm80).expect("pty");
    let mut printer = SerialPrinter::new(config(emulator.device_path(), PrinterProfile::RASTER_80MM));
    emulator.set_cover_open(true);

    let status = printer.status().expect("printer answers");
    assert!(status.cover_open && !status.ready());
    let error = printer.print(&sample()).expect_err("cover open");
    assert!(matches!(error, PrintError::NotReady(s) if s.cover_open), "{error:?}");
    assert_eq!(emulator.bytes_received(), 18, "two status requests, no print data");
    assert!(printer.health().fault.is_some());

    emulator.set_cover_open(false);
    printer.print(&sample()).expect("printed once the cover is closed");
    assert_eq!(emulator.wait_for_receipts(1, WAIT).len(), 1);
}

#[test]
fn paper_near_end_prints_and_asks_staff_for_a_new_roll() {
    let emulator = Emulator::start(PaperWidth::Mm80).expect("pty");
    let mut printer = SerialPrinter::new(config(emulator.device_path(), PrinterProfile::RASTER_80MM));
    emulator.set_paper_near_end(true);
    let outcome = printer.print(&sample()).expect("still prints");
    assert!(outcome.status_after.paper_near_end);
    let health = printer.health();
    assert_eq!(health.fault, None);
    assert!(health.needs_attention(), "staff see the near-end warning");
    assert_eq!(emulator.wait_for_receipts(1, WAIT).len(), 1);
}

#[test]
fn missing_port_is_a_health_fault_not_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("no-printer-here");
    let mut printer = SerialPrinter::new(config(&path, PrinterProfile::RASTER_80MM));

    let started = Instant::now();
    let status = printer.status().expect_err("no port");
    let print = printer.print(&sample()).expect_err("no port");
    assert!(started.elapsed() < Duration::from_secs(1));

    assert!(matches!(status, PrintError::NotConnected { .. }), "{status:?}");
    assert!(matches!(print, PrintError::NotConnected { .. }), "{print:?}");
    let health = printer.health();
    let fault = health.fault.expect("fault recorded for staff");
    assert!(fault.contains("no-printer-here") && fault.contains("check the cable"), "{fault}");
    assert_eq!(health.status, None);
}

#[test]
fn unplugged_printer_prints_the_next_receipt_once_it_is_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("usb-receipt-printer");
    let emulator = Emulator::start_at(PaperWidth::Mm80, &link).expect("pty");
    let mut printer = SerialPrinter::new(config(&link, PrinterProfile::RASTER_80MM));
    printer.print(&sample()).expect("first receipt");
    assert_eq!(emulator.wait_for_receipts(1, WAIT).len(), 1);

    emulator.unplug();
    let error = printer.print(&sample()).expect_err("printer gone");
    assert!(
        matches!(
            error,
            PrintError::Disconnected { .. } | PrintError::NoResponse { .. } | PrintError::NotConnected { .. }
        ),
        "{error:?}"
    );
    assert!(printer.health().fault.is_some());
    // While it stays away, the port cannot be reopened.
    assert!(matches!(printer.status(), Err(PrintError::NotConnected { .. })));

    let back = Emulator::start_at(PaperWidth::Mm80, &link).expect("pty");
    let receipt = sample();
    printer.print(&receipt).expect("prints after replugging");
    let paper = back.wait_for_receipts(1, WAIT);
    assert_eq!(decode_qr(&paper[0]), vec![receipt.status_url]);
    assert_eq!(printer.health().fault, None);
    assert_eq!(printer.health().receipts_printed, 2);
}

#[test]
fn silent_device_times_out_instead_of_hanging() {
    // A tty where nothing answers (printer switched off behind a USB-serial adapter).
    let (_master, slave) = serialport::TTYPort::pair().expect("pty");
    let path = slave.name().expect("slave path");
    let mut cfg = config(std::path::Path::new(&path), PrinterProfile::RASTER_80MM);
    cfg.status_timeout = Duration::from_millis(300);
    let mut printer = SerialPrinter::new(cfg);

    let started = Instant::now();
    let error = printer.print(&sample()).expect_err("nobody answers");
    let took = started.elapsed();
    assert!(matches!(error, PrintError::NoResponse { .. }), "{error:?}");
    assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(3), "{took:?}");
    assert!(printer.health().fault.is_some_and(|f| f.contains("did not answer")));
}

#[test]
fn configured_flow_control_is_accepted_by_a_real_tty() {
    // serialport verifies the termios settings after applying them, so an unsupported handshake fails here.
    for flow_control in [FlowControl::RtsCts, FlowControl::XonXoff] {
        let emulator = Emulator::start(PaperWidth::Mm80).expect("pty");
        let mut cfg = config(emulator.device_path(), PrinterProfile::RASTER_80MM);
        cfg.flow_control = flow_control;
        let mut printer = SerialPrinter::new(cfg);
        printer.print(&sample()).expect("printed");
        assert_eq!(emulator.wait_for_receipts(1, WAIT).len(), 1, "{flow_control:?}");
    }
}

#[test]
fn text_profile_prints_readable_lines_and_native_qr_in_a_fraction_of_the_bytes() {
    let emulator = Emulator::start(PaperWidth::Mm80).expect("pty");
    let mut printer = SerialPrinter::new(config(emulator.device_path(), PrinterProfile::TEXT_80MM));
    let receipt = sample();

    let outcome = printer.print(&receipt).expect("printed");

    let paper = emulator.wait_for_receipts(1, WAIT);
    save_png("serial-text-80mm", &paper[0]);
    let lines = emulator.text_lines();
    assert!(lines.contains(&receipt.tracking_number), "tracking number is a line of its own: {lines:?}");
    assert!(lines.contains(&"Sperrmüllabholung".to_string()), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("Gebühr") && l.ends_with("25,00 €")), "{lines:?}");
    assert_eq!(emulator.native_qr_payloads(), vec![receipt.status_url.clone()]);
    assert_eq!(decode_qr(&paper[0]), vec![receipt.status_url.clone()]);
    assert_eq!(emulator.unknown_bytes(), 0, "only supported commands, CP858 selected");
    assert!(outcome.bytes_sent < 3000, "text job is small: {} bytes", outcome.bytes_sent);
}

#[test]
fn measured_time_on_a_115200_baud_line_stays_close_to_the_line_limit() {
    // Generous upper bound for loaded CI machines; waiting out a status timeout per chunk (2 s each) would
    // still break it.
    let limits = printer::bench::figures(1);
    let measured = printer::bench::line_figures(115_200).expect("printed over the paced line");
    assert_eq!(measured.len(), 3);
    for m in &measured {
        let variant = m.name.trim_start_matches("receipt_wire_ms_115200_");
        let limit_name = format!("receipt_line_limit_ms_115200_{variant}");
        let limit = limits.iter().find(|f| f.name == limit_name).expect("limit figure").value;
        assert!(
            m.value >= limit * 0.95,
            "{}: {:.0} ms is faster than the line allows ({limit:.0} ms)",
            m.name,
            m.value
        );
        assert!(
            m.value <= limit * 2.0 + 1000.0,
            "{}: {:.0} ms is far above the line limit {limit:.0} ms",
            m.name,
            m.value
        );
    }
}

#[test]
fn printer_replugged_while_idle_prints_the_very_next_receipt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("usb-receipt-printer");
    let emulator = Emulator::start_at(PaperWidth::Mm80, &link).expect("pty");
    let mut printer = SerialPrinter::new(config(&link, PrinterProfile::RASTER_80MM));
    printer.print(&sample()).expect("first receipt");

    // Unplugged and plugged back between two citizens: the open port now points at a device that is gone.
    emulator.unplug();
    let back = Emulator::start_at(PaperWidth::Mm80, &link).expect("pty");

    printer.print(&sample()).expect("next receipt prints without a failed attempt first");
    assert_eq!(back.wait_for_receipts(1, WAIT).len(), 1);
    assert_eq!(printer.health().receipts_printed, 2);
}
