// SPDX-License-Identifier: GPL-3.0-or-later
//! A request: the service's information, the form, the booking, the review
//! with the transparency log, and the fee. The receipt's images are in
//! [`super::receipt`].

use super::assist::MASK;
use super::{WallClock, int, model, text};
use crate::{Api, FieldKindId, FieldProblem, FormRow, LogKind, LogRow, ServiceDetail, SlotRow, SlotsState, SummaryRow};
use session::journey::RequestStep;
use session::{
    CardItem, Config, Delivered, FieldError, FieldKind, FormField, Lang, ReceiptLabel, Request, ServiceSpec, SlotKind,
    TransparencyEntry, format_cents,
};
use slint::SharedString;

/// Writes the request shown, or clears it. `masked` says which values a
/// helper must not see (by card item key or field id).
pub(super) fn show(
    api: &Api<'_>,
    request: Option<&Request>,
    lang: &Lang,
    config: &Config,
    clock: &WallClock,
    masked: &dyn Fn(&str) -> bool,
) {
    let service = request.map(Request::service);
    api.set_service(service.map_or_else(ServiceDetail::default, |s| detail(s, lang, config)));
    let step = request.map(Request::step);
    let rows = request.and_then(|request| applicant_rows(request, lang));
    show_form(api, rows.as_ref().map(|(rows, focus)| (rows.as_slice(), *focus)), service, lang, config, masked);
    show_booking(api, request, lang);
    show_review(api, request, rows.as_ref().map(|(rows, _)| rows.as_slice()), lang, config, clock, masked);
    let fee = match step {
        Some(RequestStep::Receipt(receipt)) => Some(receipt.view().fee_cents),
        Some(_) => request.map(Request::fee_cents),
        None => None,
    };
    api.set_total_fee(text(fee.map(|cents| format_cents(cents, lang)).unwrap_or_default()));
}

/// The form rows and the keyboard's field, while the request holds the
/// citizen's data.
fn applicant_rows(request: &Request, lang: &Lang) -> Option<(Vec<FormField>, usize)> {
    let applicant = request.applicant()?;
    Some((applicant.rows(request.service(), lang), applicant.focus()))
}

fn detail(service: &ServiceSpec, lang: &Lang, config: &Config) -> ServiceDetail {
    ServiceDetail {
        name: text(service.name.get(lang)),
        summary: text(service.summary.get(lang)),
        needs: text(service.needs.get(lang)),
        fee: text(service.fee_text.get(lang)),
        authority: text(service.authority.as_ref().map(|a| a.name.get(lang)).unwrap_or_default()),
        card_items: model(service.card_data.iter().map(|&i| text(config.texts.card_item(i, lang))).collect()),
    }
}

/// The label of a form row: the card item's name for card data, the
/// field's label for the service's own fields.
fn row_label<'a>(row: &'a FormField, lang: &Lang, config: &'a Config) -> &'a str {
    match CardItem::from_key(&row.id).filter(|_| row.from_card) {
        Some(item) => config.texts.card_item(item, lang),
        None => &row.label,
    }
}

/// A row's value as the screen may show it: `•••` for a masked one.
fn shown(row: &FormField, masked: &dyn Fn(&str) -> bool) -> (SharedString, bool) {
    if masked(&row.id) { (text(MASK), true) } else { (text(row.value.as_str()), false) }
}

fn show_form(
    api: &Api<'_>,
    rows: Option<(&[FormField], usize)>,
    service: Option<&ServiceSpec>,
    lang: &Lang,
    config: &Config,
    masked: &dyn Fn(&str) -> bool,
) {
    let (rows, focus) = rows.unwrap_or((&[], 0));
    let mut own = 0usize;
    let rows: Vec<FormRow> = rows
        .iter()
        .map(|row| {
            let (problem, n1, n2) = match row.error {
                None => (FieldProblem::None, 0, 0),
                Some(FieldError::Required) => (FieldProblem::Required, 0, 0),
                Some(FieldError::DigitsExactly(n)) => (FieldProblem::DigitsExactly, int(n), 0),
                Some(FieldError::NumberBetween(a, b)) => (
                    FieldProblem::NumberBetween,
                    i32::try_from(a).unwrap_or(i32::MIN),
                    i32::try_from(b).unwrap_or(i32::MAX),
                ),
                Some(FieldError::Phone) => (FieldProblem::Phone, 0, 0),
                Some(FieldError::Choose) => (FieldProblem::Choose, 0, 0),
            };
            let (kind, field) = match &row.kind {
                None => (FieldKindId::Card, None),
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
                    (kind, Some(index))
                }
            };
            let spec = field.and_then(|i| service?.fields.get(i));
            let options = spec.map(|s| s.options.iter().map(|o| text(o.label.get(lang))).collect()).unwrap_or_default();
            let (value, is_masked) = shown(row, masked);
            // A masked choice shows no option as chosen.
            let chosen = spec
                .filter(|_| !is_masked)
                .and_then(|s| s.options.iter().position(|o| o.label.get(lang) == row.value.as_str()));
            FormRow {
                id: text(&row.id),
                label: text(row_label(row, lang, config)),
                hint: text(&row.hint),
                value,
                masked: is_masked,
                kind,
                field: field.map_or(-1, int),
                focused: field == Some(focus),
                problem,
                n1,
                n2,
                options: model(options),
                chosen: chosen.map_or(-1, int),
            }
        })
        .collect();
    api.set_keyboard_numeric(
        rows.iter()
            .any(|r| r.focused && matches!(r.kind, FieldKindId::Digits | FieldKindId::Number | FieldKindId::Phone)),
    );
    let (card, own): (Vec<FormRow>, Vec<FormRow>) = rows.into_iter().partition(|r| r.kind == FieldKindId::Card);
    api.set_card_rows(model(card));
    api.set_form_rows(model(own));
}

fn show_booking(api: &Api<'_>, request: Option<&Request>, lang: &Lang) {
    let calendar = request.and_then(Request::calendar);
    let (state, rows) = match calendar.map(|c| c.slots()) {
        None | Some(None) => (SlotsState::Loading, Vec::new()),
        Some(Some(Err(_))) => (SlotsState::Failed, Vec::new()),
        Some(Some(Ok(slots))) => (
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
    api.set_chosen_slot(calendar.and_then(|c| c.chosen_index()).map_or(-1, int));
}

fn show_review(
    api: &Api<'_>,
    request: Option<&Request>,
    rows: Option<&[FormField]>,
    lang: &Lang,
    config: &Config,
    clock: &WallClock,
    masked: &dyn Fn(&str) -> bool,
) {
    let review = match request.map(Request::step) {
        Some(RequestStep::Review(review)) => Some(review),
        _ => None,
    };
    let mut summary: Vec<SummaryRow> = Vec::new();
    if let (Some(request), Some(review)) = (request, review) {
        let plain = |label: ReceiptLabel, value: &str| SummaryRow {
            id: text(""),
            label: text(config.texts.receipt(label, lang)),
            value: text(value),
            masked: false,
            from_card: false,
        };
        summary.push(plain(ReceiptLabel::Service, request.service().name.get(lang)));
        for row in rows.unwrap_or_default() {
            let (value, masked) = shown(row, masked);
            summary.push(SummaryRow {
                id: text(&row.id),
                label: text(row_label(row, lang, config)),
                value,
                masked,
                from_card: row.from_card,
            });
        }
        if let Some(slot) = review.slot() {
            summary.push(plain(ReceiptLabel::Date, &slot.describe(lang)));
        }
    }
    api.set_summary(model(summary));
    api.set_consent(review.is_some_and(|r| r.consent()));
    api.set_submit_failed(review.is_some_and(|r| r.failure().is_some()));
    let log = request.map(Request::transparency_log).unwrap_or_default();
    api.set_transparency(model(
        log.iter()
            .map(|entry| match entry {
                TransparencyEntry::Read { at, items } => LogRow {
                    kind: LogKind::Read,
                    time: text(clock.time_of(*at)),
                    items: text(config.texts.card_items(items, lang)),
                    to: text(""),
                },
                TransparencyEntry::Handover { at, items, to, delivered, .. } => LogRow {
                    kind: match delivered {
                        Delivered::Sent => LogKind::Sent,
                        Delivered::Queued => LogKind::WillBeSent,
                    },
                    time: text(clock.time_of(*at)),
                    items: text(config.texts.card_items(items, lang)),
                    to: text(to.get(lang)),
                },
            })
            .collect(),
    ));
}
