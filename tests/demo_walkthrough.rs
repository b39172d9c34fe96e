// SPDX-License-Identifier: GPL-3.0-or-later
//! `kiosk-demo demo --headless`: a scripted citizen books a bulky-waste pickup
//! with the specimen card, takes the printed receipt and checks the status;
//! every screen is written as a PNG, in order.

use std::process::Command;

const STATUS_URL: &str = "https://buergerterminal.musterstadt.example/status/";

fn png_size(path: &std::path::Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).expect("open png")));
    let reader = decoder.read_info().expect("a valid PNG");
    let info = reader.info();
    (info.width, info.height)
}

fn decode_qr(path: &std::path::Path) -> String {
    let mut decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).expect("open receipt")));
    // The paper is a 1-bit image: expand it to one byte per sample.
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a valid PNG");
    let mut buffer = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buffer).expect("receipt pixels");
    let channels = frame.color_type.samples();
    let (width, height) = (frame.width as usize, frame.height as usize);
    let luma: Vec<u8> = buffer[..frame.buffer_size()].chunks(channels).map(|px| px[0]).collect();
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| luma[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code on the receipt");
    grids[0].decode().expect("the QR code decodes").1
}

#[test]
fn headless_demo_walks_through_the_journey_and_writes_every_screen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = tempfile::tempdir().expect("data dir");
    let output = Command::new(env!("CARGO_BIN_EXE_kiosk-demo"))
        .args(["demo", "--headless", "--screenshots"])
        .arg(dir.path())
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .expect("run the kiosk");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "demo failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));

    let tracking =
        stdout.lines().find_map(|l| l.strip_prefix("tracking number: ")).expect("the demo prints the tracking number");
    assert_eq!(tracking.len(), 14, "grouped tracking number: {tracking}");
    let taps: usize = stdout
        .lines()
        .find_map(|l| l.strip_prefix("taps: "))
        .and_then(|n| n.parse().ok())
        .expect("the demo prints the number of taps");
    assert!((20..200).contains(&taps), "taps: {taps}");

    let mut files: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    let expected = [
        "01-welcome.png",
        "02-catalogue.png",
        "03-service-info.png",
        "04-insert-card.png",
        "05-pin.png",
        "06-reading.png",
        "07-form.png",
        "08-form-filled.png",
        "09-booking.png",
        "10-review.png",
        "11-receipt.png",
        "12-printed-receipt.png",
        "13-take-card.png",
        "14-status-entry.png",
        "15-status-result.png",
        "16-pin-service.png",
        "17-pin-changed.png",
    ];
    assert_eq!(files, expected);
    for name in expected.iter().filter(|n| !n.contains("printed")) {
        assert_eq!(png_size(&dir.path().join(name)), (1920, 1080), "{name}");
    }

    let paper = dir.path().join("12-printed-receipt.png");
    assert_eq!(png_size(&paper).0, 576, "80 mm paper is 576 dots wide");
    let compact: String = tracking.chars().filter(|c| *c != '-').collect();
    assert_eq!(decode_qr(&paper), format!("{STATUS_URL}{compact}"));
}
