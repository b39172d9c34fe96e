// SPDX-License-Identifier: GPL-3.0-or-later
//! The form a citizen fills in: fields prefilled from the card (read-only)
//! and the service's own fields, with inline validation.

use crate::catalogue::{FieldKind, FieldSpec, ServiceSpec};
use crate::identity::Identity;
use crate::text::Lang;
use zeroize::{Zeroize, Zeroizing};

/// Why a field's value is not accepted. The UI words each in plain
/// language ("Please enter exactly 15 digits.").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    /// Required but empty.
    Required,
    /// Must be exactly this many digits.
    DigitsExactly(usize),
    /// Must be a whole number in this range.
    NumberBetween(i64, i64),
    /// Only digits, spaces, `+`, `/` and `-` are allowed.
    Phone,
    /// An option must be chosen.
    Choose,
}

/// One row of the form as the UI shows it.
#[derive(Debug, Clone)]
pub struct FormField {
    /// Field id (for service fields) or card item key (for card data).
    pub id: String,
    /// The label in the session's language.
    pub label: String,
    /// Help text, if any.
    pub hint: String,
    /// The current value (a choice shows its option's label).
    pub value: Zeroizing<String>,
    /// Read from the ID card: shown marked as such and not editable.
    pub from_card: bool,
    /// Error to show under the field, once errors are shown.
    pub error: Option<FieldError>,
    /// What the field accepts.
    pub kind: Option<FieldKind>,
}

/// The values of a service's own fields, in the order the catalogue declares
/// them. Zeroized on drop.
#[derive(Debug, Default)]
pub struct FormState {
    values: Vec<Zeroizing<String>>,
    focus: usize,
    show_errors: bool,
}

impl FormState {
    /// An empty form for `service`.
    pub fn new(service: &ServiceSpec) -> Self {
        FormState {
            values: service.fields.iter().map(|_| Zeroizing::new(String::new())).collect(),
            focus: 0,
            show_errors: false,
        }
    }

    /// Index of the field the keyboard types into.
    pub fn focus(&self) -> usize {
        self.focus
    }

    /// Moves the keyboard to field `index` (ignored if out of range).
    pub fn set_focus(&mut self, index: usize) {
        if index < self.values.len() {
            self.focus = index;
        }
    }

    /// Types one character into the focused field, within its limit.
    pub fn type_char(&mut self, service: &ServiceSpec, c: char) {
        let Some(spec) = service.fields.get(self.focus) else { return };
        let Some(value) = self.values.get_mut(self.focus) else { return };
        let allowed = match spec.kind {
            FieldKind::Digits | FieldKind::Number => c.is_ascii_digit(),
            FieldKind::Choice => false,
            FieldKind::Text | FieldKind::Phone => !c.is_control(),
        };
        if allowed && value.chars().count() < spec.input_limit() {
            value.push(c);
        }
    }

    /// Deletes the last character of the focused field.
    pub fn erase(&mut self) {
        if let Some(value) = self.values.get_mut(self.focus) {
            value.pop();
        }
    }

    /// Chooses option `option` of the choice field `index`.
    pub fn choose(&mut self, service: &ServiceSpec, index: usize, option: usize) {
        let chosen = service.fields.get(index).and_then(|f| f.options.get(option));
        if let (Some(chosen), Some(value)) = (chosen, self.values.get_mut(index)) {
            value.zeroize();
            value.push_str(&chosen.id);
            self.focus = index;
        }
    }

    /// The value of field `index`.
    pub fn value(&self, index: usize) -> Option<&str> {
        self.values.get(index).map(|v| v.as_str())
    }

    /// Checks every field; from now on errors are shown inline. Returns the
    /// index of the first field in error, and moves the focus there.
    pub fn submit(&mut self, service: &ServiceSpec) -> Result<(), usize> {
        self.show_errors = true;
        match (0..self.values.len()).find(|&i| self.error(service, i).is_some()) {
            Some(first) => {
                self.focus = first;
                Err(first)
            }
            None => Ok(()),
        }
    }

    /// The error of field `index`, whether or not it is shown yet.
    pub fn error(&self, service: &ServiceSpec, index: usize) -> Option<FieldError> {
        validate(service.fields.get(index)?, self.values.get(index)?)
    }

    /// The rows of the form in the UI's order: card data first, then the
    /// service's fields.
    pub fn rows(&self, service: &ServiceSpec, identity: &Identity, lang: &Lang) -> Vec<FormField> {
        let card_rows = service.card_data.iter().filter_map(|&item| {
            Some(FormField {
                id: item.key().into(),
                label: String::new(),
                hint: String::new(),
                value: identity.display(item)?,
                from_card: true,
                error: None,
                kind: None,
            })
        });
        let own_rows = service.fields.iter().enumerate().map(|(i, spec)| {
            let raw = self.values.get(i).map(|v| v.as_str()).unwrap_or("");
            let shown = match spec.kind {
                FieldKind::Choice => spec.option_label(raw, lang).unwrap_or_default(),
                _ => raw.to_owned(),
            };
            FormField {
                id: spec.id.clone(),
                label: spec.label.get(lang).into(),
                hint: spec.hint.get(lang).into(),
                value: Zeroizing::new(shown),
                from_card: false,
                error: self.error(service, i).filter(|_| self.show_errors),
                kind: Some(spec.kind.clone()),
            }
        });
        card_rows.chain(own_rows).collect()
    }
}

/// Validates one value against its field's declaration.
pub fn validate(spec: &FieldSpec, value: &str) -> Option<FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return spec.required.then_some(if spec.kind == FieldKind::Choice {
            FieldError::Choose
        } else {
            FieldError::Required
        });
    }
    match spec.kind {
        FieldKind::Text => None,
        FieldKind::Digits => {
            let n = spec.length.unwrap_or(0);
            (value.len() != n || !value.bytes().all(|b| b.is_ascii_digit())).then_some(FieldError::DigitsExactly(n))
        }
        FieldKind::Number => {
            let (lo, hi) = (spec.min.unwrap_or(i64::MIN), spec.max.unwrap_or(i64::MAX));
            match value.parse::<i64>() {
                Ok(n) if (lo..=hi).contains(&n) => None,
                _ => Some(FieldError::NumberBetween(lo, hi)),
            }
        }
        FieldKind::Phone => {
            let ok = value.chars().all(|c| c.is_ascii_digit() || " +/-".contains(c))
                && value.chars().filter(char::is_ascii_digit).count() >= 4;
            (!ok).then_some(FieldError::Phone)
        }
        FieldKind::Choice => (!spec.options.iter().any(|o| o.id == value)).then_some(FieldError::Choose),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Catalogue;

    fn catalogue() -> Catalogue {
        Catalogue::from_toml(include_str!("../config/catalogue.toml")).unwrap()
    }

    #[test]
    fn microchip_number_needs_exactly_fifteen_digits() {
        let catalogue = catalogue();
        let dog = catalogue.service("dog-registration").unwrap();
        let chip = dog.fields.iter().find(|f| f.id == "microchip").unwrap();
        assert_eq!(validate(chip, "27609810000123"), Some(FieldError::DigitsExactly(15)));
        assert_eq!(validate(chip, "276098100001234"), None);
        assert_eq!(validate(chip, ""), Some(FieldError::Required));
    }

    #[test]
    fn keyboard_respects_field_kind_and_length() {
        let catalogue = catalogue();
        let dog = catalogue.service("dog-registration").unwrap();
        let mut form = FormState::new(dog);
        form.set_focus(2);
        for c in "12a34567890123456789".chars() {
            form.type_char(dog, c);
        }
        assert_eq!(form.value(2), Some("123456789012345"));
        form.set_focus(0);
        for c in "Bärbel ß".chars() {
            form.type_char(dog, c);
        }
        assert_eq!(form.value(0), Some("Bärbel ß"));
    }

    #[test]
    fn errors_are_shown_only_after_the_first_submit() {
        let catalogue = catalogue();
        let bulky = catalogue.service("bulky-waste").unwrap();
        let mut form = FormState::new(bulky);
        let identity = Identity::default();
        assert!(form.rows(bulky, &identity, &Lang::german()).iter().all(|r| r.error.is_none()));
        assert_eq!(form.submit(bulky), Err(0));
        let rows = form.rows(bulky, &identity, &Lang::german());
        assert_eq!(rows[0].error, Some(FieldError::Required));
        assert_eq!(rows[1].error, Some(FieldError::Required));
        assert_eq!(rows[2].error, None, "phone is optional");
        form.set_focus(1);
        form.type_char(bulky, '9');
        let rows = form.rows(bulky, &identity, &Lang::german());
        assert_eq!(rows[1].error, Some(FieldError::NumberBetween(1, 8)));
    }

    #[test]
    fn choice_shows_the_option_label_in_the_session_language() {
        let catalogue = catalogue();
        let appointment = catalogue.service("citizens-office-appointment").unwrap();
        let mut form = FormState::new(appointment);
        form.choose(appointment, 0, 1);
        assert_eq!(form.value(0), Some("passport"));
        let rows = form.rows(appointment, &Identity::default(), &Lang::english());
        assert_eq!(&*rows[0].value, "Passport");
        assert_eq!(form.submit(appointment), Ok(()));
    }
}
