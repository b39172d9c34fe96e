// SPDX-License-Identifier: GPL-3.0-or-later
//! Writes the session's state into the UI's `Api` global. This is the only
//! place Rust writes to the UI; it never reaches into the widget tree.

use crate::config::Config;
use crate::hardware::printed_receipt;
use crate::{
    Api, App, CardProblem, FieldKindId, FieldProblem, FormRow, IdentifyStepId, LogRow, NoticeId, PinStepId, PinTaskId,
    PrintStateId, RequestStateId, ScreenId, ServiceDetail, ServiceTile, SlotRow, SlotsState, SummaryRow,
};
use chrono::{DateTime, Local};
use session::{
    CardError, Delivered, FieldError, FieldKind, IdentifyStep, Millis, Notice, PinStep, PinTask, PrintState,
    RequestState, Screen, Session, SlotKind, StatusOutcome, TransparencyEntry, WipeReason, format_cents,
};
use slint::{ComponentHandle, Image, ModelRc, Rgb8Pixel, SharedPixelBuffer, SharedString, VecModel};
use std::time::Duration;

/// Turns the session's monotonic clock into the wall-clock times citizens read.
pub struct WallClock {
    start: DateTime<Local>,
}

impl WallClock {
    /// Anchors the session clock's zero at the current wall-clock time.
    pub fn new() -> Self {
        WallClock { start: Local::now() }
    }

    fn time_of(&self, at: Millis) -> String {
        (self.start + Duration::from_millis(at.0)).format("%H:%M").to_string()
    }
}

/// Images drawn for the current session, kept so that they are drawn once.
/// They carry no personal data (QR code of the status URL, the receipt).
#[derive(Default)]
pub struct ImageCache {
    qr_for: String,
    receipt_for: String,
}

impl ImageCache {
    /// Forgets the images (the session ended).
    pub fn clear(&mut self, app: &App) {
        *self = ImageCache::default();
        let api = app.global::<Api>();
        api.set_qr_code(Image::default());
        api.set_receipt_image(Image::default());
    }
}

fn model<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(items))
}

fn text(s: impl AsRef<str>) -> SharedString {
    SharedString::from(s.as_ref())
}

/// Writes everything the current screen shows.
pub fn show(app: &App, session: &Session, now: Millis, config: &Config, clock: &WallClock, cache: &mut ImageCache) {
    let api = app.global::<Api>();
    let lang = session.lang();
    api.set_lang(text(lang.code()));
    api.set_screen(screen_id(session.screen()));
    api.set_warning_seconds(session.warning_seconds_left(now).map_or(0, |s| i32::try_from(s).unwrap_or(i32::MAX)));
    api.set_notice(match session.notice() {
        Some(Notice::Ended(WipeReason::TimedOut)) => NoticeId::TimedOut,
        Some(Notice::Ended(WipeReason::CardRemoved)) => NoticeId::CardRemoved,
        Some(Notice::Ended(WipeReason::Cancelled)) => NoticeId::Cancelled,
        Some(Notice::Ended(WipeReason::Finished)) | None => NoticeId::None,
    });
    api.set_card_present(session.card_present());
    api.set_services(model(
        session
            .catalogue()
            .services()
            .iter()
            .map(|s| ServiceTile { id: text(&s.id), name: text(s.name.get(lang)), summary: text(s.summary.get(lang)) })
            .collect(),
    ));
    let service = session.service();
    api.set_service(service.map_or_else(ServiceDetail::default, |s| ServiceDetail {
        name: text(s.name.get(lang)),
        summary: text(s.summary.get(lang)),
        needs: text(s.needs.get(lang)),
        fee: text(s.fee_text.get(lang)),
        authority: text(s.authority.as_ref().map(|a| a.name.get(lang)).unwrap_or_default()),
        card_items: model(s.card_data.iter().map(|&i| text(config.texts.card_item(i, lang))).collect()),
        status_check: s.kind == session::ServiceKind::StatusCheck,
    }));
    show_identify(app, session);
    show_pin_service(app, session);
    show_form(app, session, config);
    show_booking(app, session);
    show_review(app, session, config, clock);
    show_receipt(app, session, config, cache);
    show_status(app, session);
}

fn screen_id(screen: Screen) -> ScreenId {
    match screen {
        Screen::Welcome => ScreenId::Welcome,
        Screen::Catalogue => ScreenId::Catalogue,
        Screen::ServiceInfo => ScreenId::ServiceInfo,
        Screen::Identify => ScreenId::Identify,
        Screen::Form => ScreenId::Form,
        Screen::Booking => ScreenId::Booking,
        Screen::Review => ScreenId::Review,
        Screen::Sending => ScreenId::Sending,
        Screen::Receipt => ScreenId::Receipt,
        Screen::TakeCard => ScreenId::TakeCard,
        Screen::StatusEntry => ScreenId::StatusEntry,
        Screen::StatusResult => ScreenId::StatusResult,
        Screen::PinService => ScreenId::PinService,
    }
}

fn show_identify(app: &App, session: &Session) {
    let api = app.global::<Api>();
    let (step, problem) = match session.identify_step() {
        None | Some(IdentifyStep::InsertCard) => (IdentifyStepId::InsertCard, None),
        Some(IdentifyStep::EnterPin { error }) => (IdentifyStepId::EnterPin, error.as_ref()),
        Some(IdentifyStep::EnterCan { error }) => (IdentifyStepId::EnterCan, error.as_ref()),
        Some(IdentifyStep::Reading) => (IdentifyStepId::Reading, None),
        Some(IdentifyStep::Failed(error)) => (IdentifyStepId::Failed, Some(error)),
    };
    if session.screen() == Screen::Identify {
        api.set_identify_step(step);
        show_card_problem(&api, problem);
    }
    api.set_pin_length(i32::try_from(session.pin_len()).unwrap_or(0));
    api.set_pin_needed(i32::try_from(session.pin_needed()).unwrap_or(6));
}

/// The card's answer in the UI's words; the detail of maintainers' errors
/// stays in the log.
fn show_card_problem(api: &Api<'_>, problem: Option<&CardError>) {
    api.set_attempts_left(match problem {
        Some(CardError::WrongPin { attempts_left }) => i32::from(*attempts_left),
        _ => 0,
    });
    api.set_card_problem(match problem {
        None => CardProblem::None,
        Some(CardError::WrongPin { .. }) => CardProblem::WrongPin,
        Some(CardError::PinSuspended) => CardProblem::PinSuspended,
        Some(CardError::WrongCan) => CardProblem::WrongCan,
        Some(CardError::PinBlocked) => CardProblem::PinBlocked,
        Some(CardError::WrongPuk) => CardProblem::WrongPuk,
        Some(CardError::Deactivated) => CardProblem::Deactivated,
        Some(CardError::CardRemoved) => CardProblem::CardRemoved,
        Some(CardError::NoCard) => CardProblem::NoCard,
        Some(CardError::Unreadable(_)) => CardProblem::Unreadable,
        Some(CardError::NotGenuine(_)) => CardProblem::NotGenuine,
        Some(CardError::TerminalRefused(_) | CardError::Reader(_)) => CardProblem::Reader,
    });
}

fn show_pin_service(app: &App, session: &Session) {
    if session.screen() != Screen::PinService {
        return;
    }
    let api = app.global::<Api>();
    let (step, problem) = match session.pin_service_step() {
        None | Some(PinStep::ChooseTask) => (PinStepId::ChooseTask, None),
        Some(PinStep::InsertCard) => (PinStepId::InsertCard, None),
        Some(PinStep::EnterCan { error }) => (PinStepId::EnterCan, error.as_ref()),
        Some(PinStep::EnterCurrent { error }) => (PinStepId::EnterCurrent, error.as_ref()),
        Some(PinStep::EnterNew { .. }) => (PinStepId::EnterNew, None),
        Some(PinStep::RepeatNew) => (PinStepId::RepeatNew, None),
        Some(PinStep::Working) => (PinStepId::Working, None),
        Some(PinStep::Done) => (PinStepId::Done, None),
        Some(PinStep::Failed(error)) => (PinStepId::Failed, Some(error)),
    };
    api.set_pin_step(step);
    api.set_pin_mismatch(matches!(session.pin_service_step(), Some(PinStep::EnterNew { mismatch: true })));
    api.set_pin_task(match session.pin_task() {
        Some(PinTask::Change) | None => PinTaskId::Change,
        Some(PinTask::ReplaceTransportPin) => PinTaskId::Transport,
        Some(PinTask::Unblock) => PinTaskId::Unblock,
    });
    show_card_problem(&api, problem);
}

fn show_form(app: &App, session: &Session, config: &Config) {
    let api = app.global::<Api>();
    let lang = session.lang();
    let focus = session.form_focus();
    let service = session.service();
    let mut own = 0usize;
    let rows = session
        .form_rows()
        .into_iter()
        .map(|row| {
            let (problem, n1, n2) = match row.error {
                None => (FieldProblem::None, 0, 0),
                Some(FieldError::Required) => (FieldProblem::Required, 0, 0),
                Some(FieldError::DigitsExactly(n)) => (FieldProblem::DigitsExactly, i32::try_from(n).unwrap_or(0), 0),
                Some(FieldError::NumberBetween(a, b)) => {
                    (FieldProblem::NumberBetween, i32::try_from(a).unwrap_or(0), i32::try_from(b).unwrap_or(0))
                }
                Some(FieldError::Phone) => (FieldProblem::Phone, 0, 0),
                Some(FieldError::Choose) => (FieldProblem::Choose, 0, 0),
            };
            let (kind, field) = match &row.kind {
                None => (FieldKindId::Card, -1),
                Some(kind) => {
                    let index = own;
                    own += 1;
                    let kind = match kind {
                        FieldKind::Text => FieldKindId::Text,
                        FieldKind::Number => FieldKindId::Number,
                        FieldKind::Digits => FieldKindId::Digits,
                        FieldKind::Phone => FieldKindId::Phone,
                        FieldKind::Choice => FieldKindId::Choice,
                    };
                    (kind, i32::try_from(index).unwrap_or(-1))
                }
            };
            let spec = usize::try_from(field).ok().and_then(|i| service?.fields.get(i));
            let options: Vec<SharedString> =
                spec.map(|s| s.options.iter().map(|o| text(o.label.get(lang))).collect()).unwrap_or_default();
            let chosen = spec
                .and_then(|s| s.options.iter().position(|o| o.label.get(lang) == row.value.as_str()))
                .map_or(-1, |i| i32::try_from(i).unwrap_or(-1));
            let label = match session::CardItem::from_key(&row.id).filter(|_| row.from_card) {
                Some(item) => config.texts.card_item(item, lang),
                None => row.label.clone(),
            };
            FormRow {
                label: text(label),
                hint: text(&row.hint),
                value: text(row.value.as_str()),
                kind,
                field,
                focused: field >= 0 && usize::try_from(field).ok() == Some(focus),
                problem,
                n1,
                n2,
                options: model(options),
                chosen,
            }
        })
        .collect::<Vec<_>>();
    api.set_keyboard_numeric(
        rows.iter()
            .any(|r| r.focused && matches!(r.kind, FieldKindId::Digits | FieldKindId::Number | FieldKindId::Phone)),
    );
    let (card, own): (Vec<FormRow>, Vec<FormRow>) = rows.into_iter().partition(|r| r.kind == FieldKindId::Card);
    api.set_card_rows(model(card));
    api.set_form_rows(model(own));
}

fn show_booking(app: &App, session: &Session) {
    let api = app.global::<Api>();
    let lang = session.lang();
    let (state, rows) = match session.slots() {
        None => (SlotsState::Loading, Vec::new()),
        Some(Err(_)) => (SlotsState::Failed, Vec::new()),
        Some(Ok(slots)) => (
            SlotsState::Loaded,
            slots
                .iter()
                .map(|s| SlotRow {
                    label: text(s.describe(lang)),
                    express: s.kind == SlotKind::Express,
                    fee: text(format_cents(s.fee_cents, lang)),
                })
                .collect(),
        ),
    };
    api.set_slots_state(state);
    api.set_slots(model(rows));
    api.set_chosen_slot(session.chosen_slot_index().map_or(-1, |i| i32::try_from(i).unwrap_or(-1)));
    api.set_total_fee(text(session.total_fee()));
}

fn show_review(app: &App, session: &Session, config: &Config, clock: &WallClock) {
    let api = app.global::<Api>();
    let lang = session.lang();
    let mut summary: Vec<SummaryRow> = Vec::new();
    if let Some(service) = session.service() {
        summary.push(SummaryRow {
            label: text(config.texts.receipt("service", lang)),
            value: text(service.name.get(lang)),
            from_card: false,
        });
    }
    for row in session.form_rows() {
        let label = match session::CardItem::from_key(&row.id).filter(|_| row.from_card) {
            Some(item) => config.texts.card_item(item, lang),
            None => row.label.clone(),
        };
        summary.push(SummaryRow { label: text(label), value: text(row.value.as_str()), from_card: row.from_card });
    }
    if let Some(slot) = session.chosen_slot_text() {
        summary.push(SummaryRow {
            label: text(config.texts.receipt("date", lang)),
            value: text(slot),
            from_card: false,
        });
    }
    api.set_summary(model(summary));
    api.set_consent(session.consent());
    api.set_submit_failed(session.submit_error().is_some());
    api.set_transparency(model(
        session
            .transparency_log()
            .iter()
            .map(|entry| match entry {
                TransparencyEntry::Read { at, items } => LogRow {
                    sent: false,
                    time: text(clock.time_of(*at)),
                    items: text(config.texts.card_items(items, lang)),
                    to: SharedString::new(),
                },
                TransparencyEntry::Sent { at, items, to, .. } => LogRow {
                    sent: true,
                    time: text(clock.time_of(*at)),
                    items: text(config.texts.card_items(items, lang)),
                    to: text(to),
                },
            })
            .collect(),
    ));
}

fn show_receipt(app: &App, session: &Session, config: &Config, cache: &mut ImageCache) {
    let api = app.global::<Api>();
    let Some(receipt) = session.receipt() else {
        api.set_print_state(PrintStateId::Printing);
        return;
    };
    let lang = &receipt.lang;
    api.set_tracking(text(&receipt.tracking));
    api.set_delivered_sent(receipt.delivered == Delivered::Sent);
    api.set_receipt_slot(text(receipt.slot.clone().unwrap_or_default()));
    api.set_total_fee(text(&receipt.fee));
    let print_state = match session.print_state() {
        Some(PrintState::Printed) => PrintStateId::Printed,
        Some(PrintState::Failed) => PrintStateId::Failed,
        Some(PrintState::Printing) | None => PrintStateId::Printing,
    };
    api.set_print_state(print_state);
    let status_url = config.terminal.status_url_for(&receipt.tracking);
    if cache.qr_for != status_url {
        api.set_qr_code(qr_image(&status_url));
        cache.qr_for = status_url;
    }
    let receipt_key = format!("{}/{}", receipt.tracking, lang.code());
    if print_state == PrintStateId::Failed && cache.receipt_for != receipt_key {
        let raster = printer::render(&printed_receipt(receipt, config), config.terminal.paper());
        let buffer =
            SharedPixelBuffer::<Rgb8Pixel>::clone_from_slice(&rgb(&raster.to_luma8()), raster.width(), raster.height());
        api.set_receipt_image(Image::from_rgb8(buffer));
        cache.receipt_for = receipt_key;
    }
}

fn show_status(app: &App, session: &Session) {
    let api = app.global::<Api>();
    let typed = session.status_input();
    let grouped: Vec<String> = typed.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    api.set_status_input(text(grouped.join("-")));
    api.set_status_complete(typed.len() == 12);
    api.set_status_invalid(session.status_input_invalid());
    if session.screen() != Screen::StatusResult {
        return;
    }
    api.set_tracking(text(grouped.join("-")));
    let (state, processing, service) = match session.status() {
        None => (RequestStateId::Checking, None, None),
        Some((_, StatusOutcome::NotFound)) => (RequestStateId::NotFound, None, None),
        Some((_, StatusOutcome::Unavailable)) => (RequestStateId::Unavailable, None, None),
        Some((_, StatusOutcome::Found { state, processing, service_id })) => (
            match state {
                RequestState::Queued => RequestStateId::Queued,
                RequestState::Sent => RequestStateId::Sent,
                RequestState::Received => RequestStateId::Received,
                RequestState::Accepted => RequestStateId::Accepted,
                RequestState::Rejected => RequestStateId::Rejected,
            },
            processing.clone(),
            service_id
                .as_deref()
                .and_then(|id| session.catalogue().service(id))
                .map(|s| s.name.get(session.lang()).to_owned()),
        ),
    };
    api.set_request_state(state);
    api.set_request_processing(text(processing.unwrap_or_default()));
    api.set_request_service(text(service.unwrap_or_default()));
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
