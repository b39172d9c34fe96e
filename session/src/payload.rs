// SPDX-License-Identifier: GPL-3.0-or-later
//! The request's data as the authority receives it: one JSON document per
//! request, generic over services, so that a new service needs catalogue
//! data and a schema (`portal/schemas/`), not code.
//!
//! ```json
//! { "service": "bulky-waste", "trackingNumber": "QY4YEAJ8W342",
//!   "applicant": { "givenNames": "…", "placeOfResidence": { "street": "…", … } },
//!   "fields": { "items": "…", "volume": 3, "phone": null },
//!   "booking": { "slotId": "…", "kind": "express", "date": "2026-11-26", "feeCents": 4500 } }
//! ```
//!
//! `applicant` holds exactly the card items the service declares; dates go
//! to machines in ISO 8601.

use crate::catalogue::{FieldKind, ServiceSpec};
use crate::form::FormState;
use crate::identity::{CardItem, Identity};
use crate::slot::{Slot, SlotKind};
use crate::tracking::TrackingNumber;
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

/// The request's data as JSON: personal data, zeroized on drop.
pub(crate) fn request_data(
    service: &ServiceSpec,
    tracking: &TrackingNumber,
    identity: &Identity,
    form: &FormState,
    slot: Option<&Slot>,
) -> Zeroizing<String> {
    let mut applicant = Map::new();
    for &item in &service.card_data {
        let value = match (item, &identity.place_of_residence) {
            (CardItem::PlaceOfResidence, Some(a)) => json!({
                "street": a.street, "postalCode": a.postal_code, "city": a.city, "country": a.country,
            }),
            (CardItem::DateOfBirth | CardItem::DateOfExpiry, _) => {
                identity.date(item).map_or(Value::Null, |d| Value::String(d.iso()))
            }
            _ => identity.display(item).map_or(Value::Null, |v| Value::String(v.to_string())),
        };
        applicant.insert(camel(item.key()), value);
    }
    let mut fields = Map::new();
    for (i, spec) in service.fields.iter().enumerate() {
        let raw = form.value(i).unwrap_or("").trim();
        let value = match spec.kind {
            FieldKind::Number => raw.parse::<i64>().map_or(Value::Null, Value::from),
            _ if raw.is_empty() => Value::Null,
            _ => Value::String(raw.to_owned()),
        };
        fields.insert(spec.id.clone(), value);
    }
    let mut body = json!({
        "service": service.id,
        "trackingNumber": tracking.as_str(),
        "applicant": applicant,
        "fields": fields,
    });
    if let (Some(slot), Some(map)) = (slot, body.as_object_mut()) {
        let (y, m, d) = slot.date;
        let kind = match slot.kind {
            SlotKind::Standard => "standard",
            SlotKind::Express => "express",
            SlotKind::Appointment => "appointment",
        };
        map.insert(
            "booking".into(),
            json!({ "slotId": slot.id, "kind": kind, "date": format!("{y:04}-{m:02}-{d:02}"), "feeCents": slot.fee_cents }),
        );
    }
    Zeroizing::new(body.to_string())
}

/// `given-names` → `givenNames`.
fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        match (c, upper) {
            ('-', _) => upper = true,
            (c, true) => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            (c, false) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::camel;

    #[test]
    fn card_item_keys_become_camel_case_json_names() {
        assert_eq!(camel("given-names"), "givenNames");
        assert_eq!(camel("place-of-residence"), "placeOfResidence");
        assert_eq!(camel("document-type"), "documentType");
    }
}
