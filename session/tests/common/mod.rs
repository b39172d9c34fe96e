// SPDX-License-Identifier: GPL-3.0-or-later
//! The harness every journey's tests share: the default catalogue, a fake
//! clock, the specimen identity, and short ways to the screens tests start
//! from.

#![allow(dead_code, reason = "each test binary uses the part of the harness it needs")]

use session::{
    Address, CardData, CardDate, Config, Effect, Event, FormField, IdentifyStep, Identity, Millis, PinService, Request,
    Screen, Seed, Session, Slot, SlotKind, StaffSeeds, StatusCheck, Timeouts,
};

pub const TIMEOUTS: Timeouts =
    Timeouts { idle_ms: 60_000, warning_ms: 20_000, take_card_ms: 30_000, notice_ms: 10_000 };

pub struct Harness {
    pub session: Session,
    pub now: u64,
}

impl Harness {
    pub fn new() -> Self {
        let catalogue = Config::defaults().expect("the default configuration loads").catalogue;
        Harness { session: Session::new(catalogue, TIMEOUTS, [7; 32]), now: 0 }
    }

    /// A terminal whose staff codes come from [`staff_seed`] and
    /// [`maintainer_seed`].
    pub fn with_staff() -> Self {
        let mut h = Harness::new();
        let seeds = StaffSeeds { staff: staff_seed(), maintainer: maintainer_seed() };
        h.session = h.session.with_staff_seeds(Some(seeds));
        h
    }

    pub fn at(&mut self, ms: u64) -> &mut Self {
        self.now = ms;
        self
    }

    /// One event, 100 ms after the previous one.
    pub fn send(&mut self, event: Event) -> Vec<Effect> {
        self.now += 100;
        self.session.handle(Millis(self.now), event)
    }

    pub fn tick(&mut self, ms: u64) -> Vec<Effect> {
        self.now = ms;
        self.session.tick(Millis(ms))
    }

    pub fn screen(&self) -> Screen {
        self.session.screen()
    }

    pub fn request(&self) -> Option<&Request> {
        self.session.journey().request()
    }

    pub fn pin_service(&self) -> Option<&PinService> {
        self.session.journey().pin_service()
    }

    pub fn status_check(&self) -> Option<&StatusCheck> {
        self.session.journey().status_check()
    }

    /// Where the identification of a request stands.
    pub fn identify_step(&self) -> Option<&IdentifyStep> {
        self.request()?.identification().map(|i| i.step())
    }

    /// How many digits are on the request's PIN pad.
    pub fn pin_len(&self) -> usize {
        self.request().and_then(Request::identification).map_or(0, |i| i.digits_typed())
    }

    /// The form rows of a request, as the form or the review shows them.
    pub fn form_rows(&self) -> Vec<FormField> {
        let Some(request) = self.request() else { return Vec::new() };
        request.applicant().map(|a| a.rows(request.service(), self.session.lang())).unwrap_or_default()
    }

    /// Welcome → catalogue → service info → identify, card already inserted.
    pub fn reach_pin_pad(&mut self, service: &str) {
        self.send(Event::CardInserted);
        self.send(Event::Start);
        self.send(Event::ChooseService(service.into()));
        self.send(Event::Agree);
        assert!(matches!(self.identify_step(), Some(IdentifyStep::EnterSecret { error: None, .. })));
    }

    /// Types `digits` on the PIN pad and confirms.
    pub fn type_pin(&mut self, digits: &str) -> Vec<Effect> {
        for d in digits.chars() {
            self.send(Event::PinDigit(d));
        }
        self.send(Event::PinConfirm)
    }

    /// Up to the form with Erika's data read from the card.
    pub fn reach_form(&mut self, service: &str) {
        self.reach_pin_pad(service);
        let effects = self.type_pin("123456");
        assert!(matches!(effects.as_slice(), [Effect::ReadCard { .. }]));
        self.send(Event::CardRead(Ok(CardData { identity: erika() })));
        assert_eq!(self.screen(), Screen::Form);
    }

    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(Event::Type(c));
        }
    }

    /// Up to the review screen of a bulky-waste request with an express slot.
    pub fn reach_review(&mut self) {
        self.reach_form("bulky-waste");
        self.type_text("Sofa, zwei Stühle");
        self.send(Event::FocusField(1));
        self.type_text("3");
        let effects = self.send(Event::FormDone);
        assert!(matches!(effects.as_slice(), [Effect::LoadSlots { .. }]));
        self.send(Event::SlotsLoaded(Ok(slots())));
        self.send(Event::ChooseSlot(1));
        self.send(Event::BookingDone);
        assert_eq!(self.screen(), Screen::Review);
    }
}

/// The staff level's seed.
pub fn staff_seed() -> Seed {
    Seed::from_bytes(b"staff-seed-of-musterstadt".to_vec()).unwrap()
}

/// The maintainer level's seed.
pub fn maintainer_seed() -> Seed {
    Seed::from_bytes(b"maintainer-seed-of-musterstadt".to_vec()).unwrap()
}

/// The specimen identity of the German ID card, as a reader returns it.
pub fn erika() -> Identity {
    let mut identity = Identity::default();
    identity.document_type = Some("ID".into());
    identity.given_names = Some("ERIKA".into());
    identity.family_names = Some("MUSTERMANN".into());
    identity.date_of_birth = Some(CardDate::new(1964, 8, 12));
    identity.place_of_birth = Some("BERLIN".into());
    identity.place_of_residence = Some(Address {
        street: "HEIDESTRASSE 17".into(),
        postal_code: "51147".into(),
        city: "KÖLN".into(),
        country: "D".into(),
    });
    identity
}

/// A standard and an express bulky-waste pickup.
pub fn slots() -> Vec<Slot> {
    vec![
        Slot {
            id: "std-1".into(),
            date: (2026, 12, 7),
            weekday: 0,
            time: None,
            kind: SlotKind::Standard,
            fee_cents: 0,
        },
        Slot {
            id: "exp-1".into(),
            date: (2026, 11, 26),
            weekday: 3,
            time: None,
            kind: SlotKind::Express,
            fee_cents: 4500,
        },
    ]
}
