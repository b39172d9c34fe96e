// SPDX-License-Identifier: GPL-3.0-or-later
//! The receipt, on paper and on screen: the paper's layout from the
//! session's receipt view, the QR code of the status URL, and the same
//! paper shown on screen when printing failed. A receipt carries no personal
//! data: only the names of the card items sent, never their values.

use super::{WallClock, text};
use crate::{Api, PrintStateId};
use session::journey::{PrintState, Receipt};
use session::{CardItem, Config, Delivered, Lang, Millis, ReceiptLabel, ReceiptView, TerminalSettings, format_cents};
use slint::{Image, Rgb8Pixel, SharedPixelBuffer};

/// Images drawn for the receipt shown, kept so that each is drawn once.
#[derive(Default)]
pub(super) struct Images {
    qr_for: Option<String>,
    paper_for: Option<(String, Lang)>,
}

/// The printer's paper for this terminal.
pub fn paper_width(settings: &TerminalSettings) -> printer::PaperWidth {
    if settings.paper_width_mm == 58 { printer::PaperWidth::Mm58 } else { printer::PaperWidth::Mm80 }
}

/// The paper receipt, in `lang` where the printer's fonts have its letters
/// (German, Leichte Sprache, English), in German otherwise (Turkish,
/// Arabic, Ukrainian, Russian): a receipt in German that the town hall can
/// read is worth more than one in the citizen's language printed as
/// question marks.
pub(super) fn paper(view: &ReceiptView, lang: &Lang, config: &Config, clock: &WallClock) -> printer::Receipt {
    let paper = paper_in(view, lang, config, clock);
    if paper.printable() { paper } else { paper_in(view, &Lang::German, config, clock) }
}

fn paper_in(view: &ReceiptView, lang: &Lang, config: &Config, clock: &WallClock) -> printer::Receipt {
    let label = |l: ReceiptLabel| config.texts.receipt(l, lang).to_owned();
    let mut details = Vec::new();
    if let Some(slot) = &view.slot {
        details.push((label(ReceiptLabel::Date), slot.describe(lang)));
    }
    details.push((label(ReceiptLabel::Fee), format_cents(view.fee_cents, lang)));
    let state = if view.delivered == Delivered::Sent { ReceiptLabel::Sent } else { ReceiptLabel::Queued };
    details.push((label(ReceiptLabel::State), label(state)));
    details.push((label(ReceiptLabel::Recipient), view.authority.get(lang).to_owned()));
    if !view.items_sent.is_empty() {
        details.push((label(ReceiptLabel::CardData), config.texts.card_items(&view.items_sent, lang)));
    }
    if let Some(assisted) = assisted(view, lang, config) {
        details.push((label(ReceiptLabel::Assisted), assisted));
    }
    details.push((label(ReceiptLabel::Terminal), config.terminal.terminal_id.clone()));
    printer::Receipt {
        municipality: config.terminal.municipality.clone(),
        title: label(ReceiptLabel::Title),
        service: view.service.get(lang).to_owned(),
        issued_at: clock.date_and_time_of(view.issued_at),
        tracking_label: label(ReceiptLabel::Tracking),
        tracking_number: view.tracking.to_string(),
        status_url: config.terminal.status_url_for(&view.tracking),
        details,
        footer: Some(label(ReceiptLabel::Footer)),
    }
}

/// The transparency note when staff helped: that they saw masked screens
/// only, or which fields the citizen showed them.
fn assisted(view: &ReceiptView, lang: &Lang, config: &Config) -> Option<String> {
    let shown = view.assisted.as_ref()?;
    if shown.is_empty() {
        return Some(config.texts.receipt(ReceiptLabel::AssistedMasked, lang).to_owned());
    }
    let names: Vec<&str> = shown
        .iter()
        .map(|id| match CardItem::from_key(id) {
            Some(item) => config.texts.card_item(item, lang),
            None => config
                .catalogue
                .service(&view.service_id)
                .and_then(|service| service.fields.iter().find(|field| field.id == *id))
                .map_or(id.as_str(), |field| field.label.get(lang)),
        })
        .collect();
    Some(format!("{}{}", config.texts.receipt(ReceiptLabel::AssistedShown, lang), names.join(", ")))
}

/// The staff's test receipt: the terminal's own data, no citizen's; in
/// German where the printer lacks the letters of `lang`, as [`paper`].
pub(super) fn test_paper(lang: &Lang, config: &Config, clock: &WallClock, now: Millis) -> printer::Receipt {
    let paper = test_paper_in(lang, config, clock, now);
    if paper.printable() { paper } else { test_paper_in(&Lang::German, config, clock, now) }
}

fn test_paper_in(lang: &Lang, config: &Config, clock: &WallClock, now: Millis) -> printer::Receipt {
    let label = |l: ReceiptLabel| config.texts.receipt(l, lang).to_owned();
    printer::Receipt {
        municipality: config.terminal.municipality.clone(),
        title: label(ReceiptLabel::TestPrint),
        service: label(ReceiptLabel::TestPrint),
        issued_at: clock.date_and_time_of(now),
        tracking_label: label(ReceiptLabel::Terminal),
        tracking_number: config.terminal.terminal_id.clone(),
        status_url: config.terminal.status_url_base().to_owned(),
        details: vec![(label(ReceiptLabel::Terminal), config.terminal.terminal_id.clone())],
        footer: None,
    }
}

/// Writes the receipt shown, or clears it (and forgets its images).
pub(super) fn show(
    api: &Api<'_>,
    receipt: Option<&Receipt>,
    lang: &Lang,
    config: &Config,
    clock: &WallClock,
    images: &mut Images,
) {
    let Some(receipt) = receipt else {
        if images.qr_for.is_some() || images.paper_for.is_some() {
            api.set_qr_code(Image::default());
            api.set_receipt_image(Image::default());
            *images = Images::default();
        }
        api.set_tracking(text(""));
        api.set_delivered_sent(false);
        api.set_receipt_slot(text(""));
        api.set_receipt_assisted(text(""));
        api.set_print_state(PrintStateId::Printing);
        return;
    };
    let view = receipt.view();
    api.set_tracking(text(view.tracking.to_string()));
    api.set_delivered_sent(view.delivered == Delivered::Sent);
    api.set_receipt_slot(text(view.slot.as_ref().map(|s| s.describe(lang)).unwrap_or_default()));
    api.set_receipt_assisted(text(assisted(view, lang, config).unwrap_or_default()));
    let print_state = receipt.print_state();
    api.set_print_state(match print_state {
        PrintState::Printing => PrintStateId::Printing,
        PrintState::Printed => PrintStateId::Printed,
        PrintState::Failed => PrintStateId::Failed,
    });
    let status_url = config.terminal.status_url_for(&view.tracking);
    if images.qr_for.as_ref() != Some(&status_url) {
        api.set_qr_code(qr_image(&status_url));
        images.qr_for = Some(status_url);
    }
    let key = (view.tracking.to_string(), *lang);
    if print_state == PrintState::Failed && images.paper_for.as_ref() != Some(&key) {
        let raster = printer::render(&paper(view, lang, config, clock), paper_width(&config.terminal));
        let pixels = rgb(&raster.to_luma8());
        let buffer = SharedPixelBuffer::<Rgb8Pixel>::clone_from_slice(&pixels, raster.width(), raster.height());
        api.set_receipt_image(Image::from_rgb8(buffer));
        images.paper_for = Some(key);
    }
}

fn rgb(luma: &[u8]) -> Vec<u8> {
    luma.iter().flat_map(|&l| [l, l, l]).collect()
}

/// The status URL as a QR code image, one pixel per module plus a quiet zone
/// (the UI scales it up without smoothing).
fn qr_image(url: &str) -> Image {
    let Ok(code) = qrcode::QrCode::new(url.as_bytes()) else { return Image::default() };
    let width = code.width();
    let quiet = 2;
    let side = width + 2 * quiet;
    let colors = code.to_colors();
    let pixels: Vec<u8> = (0..side * side)
        .flat_map(|i| {
            let (x, y) = (i % side, i / side);
            let dark = x >= quiet
                && y >= quiet
                && x < width + quiet
                && y < width + quiet
                && colors[(y - quiet) * width + (x - quiet)] == qrcode::Color::Dark;
            let v = if dark { 0 } else { 255 };
            [v, v, v]
        })
        .collect();
    let side = u32::try_from(side).unwrap_or(0);
    Image::from_rgb8(SharedPixelBuffer::clone_from_slice(&pixels, side, side))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_is_in_the_citizens_language_where_the_printer_has_its_letters_and_in_german_otherwise() {
        let config = Config::defaults().unwrap();
        let clock = WallClock::new();
        let title = |lang: Lang| config.texts.receipt(ReceiptLabel::TestPrint, &lang).to_owned();
        for lang in Lang::ALL {
            let paper = test_paper(&lang, &config, &clock, Millis(0));
            assert!(paper.printable(), "{lang:?}");
            let expected = match lang {
                Lang::German | Lang::EasyGerman | Lang::English => title(lang),
                Lang::Turkish | Lang::Arabic | Lang::Ukrainian | Lang::Russian => title(Lang::German),
            };
            assert_eq!(paper.title, expected, "{lang:?}");
        }
        assert_ne!(title(Lang::EasyGerman), title(Lang::German), "Leichte Sprache has its own words");
    }
}
