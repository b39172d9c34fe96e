// SPDX-License-Identifier: GPL-3.0-or-later
//! The session machine: the one place that dispatches events to the journey
//! and to the help around it ([`crate::assist`]), keeps the idle timing with
//! its countdown warning, decides what a pulled card means, and wipes.
//!
//! The kiosk calls [`Session::handle`] for each event and [`Session::tick`]
//! regularly, passing its clock's time; it never changes the state any other
//! way. A session ends by finishing, cancelling, timing out or the card being
//! pulled; each way goes through the wipe, which returns to
//! [`Journey::Welcome`]: dropping the journey zeroizes everything it held.

use crate::accessibility::Accessibility;
use crate::assist::{Help, HelpOutcome, OutOfServiceReason};
use crate::catalogue::{Catalogue, ServiceKind};
use crate::journey::{CardUse, Context, Exit, Journey, Next, PinService, Request, Screen, StatusCheck};
use crate::staff_code::{StaffGate, StaffSeeds};
use crate::text::Lang;
use crate::{Effect, Event, Millis, PinEntry};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// How long the terminal waits for the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Without a touch for this long, the warning with a countdown appears.
    pub idle_ms: u64,
    /// The countdown: without a touch for this long after the warning, the
    /// session is wiped.
    pub warning_ms: u64,
    /// How long "please take your card" waits before the session ends anyway.
    pub take_card_ms: u64,
    /// How long a notice on the welcome screen stays.
    pub notice_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { idle_ms: 90_000, warning_ms: 30_000, take_card_ms: 30_000, notice_ms: 15_000 }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WipeReason {
    /// The citizen finished (took the card or left the last screen).
    Finished,
    /// The citizen cancelled.
    Cancelled,
    /// Nobody touched the screen after the warning.
    TimedOut,
    /// The card was pulled out while it was in use.
    CardRemoved,
    /// The terminal went out of service before the card could be used.
    OutOfService,
}

/// A message for the next citizen's welcome screen about how the last
/// session ended (never anything personal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The last session ended; its data was deleted.
    Ended(WipeReason),
}

/// The citizen session. See the module documentation.
pub struct Session {
    catalogue: Catalogue,
    timeouts: Timeouts,
    rng: StdRng,
    card_present: bool,
    pin_entry: PinEntry,
    accessibility: Accessibility,
    journey: Journey,
    last_touch: Millis,
    warning_since: Option<Millis>,
    screen_since: Millis,
    notice: Option<(Notice, Millis)>,
    help: Help,
    gate: StaffGate,
    out_of_service: Option<OutOfServiceReason>,
    eid_lapsed: bool,
}

impl Session {
    /// A new session on the welcome screen. `seed` seeds the tracking-number
    /// generator: the kiosk passes fresh OS randomness, tests a constant.
    pub fn new(catalogue: Catalogue, timeouts: Timeouts, seed: [u8; 32]) -> Self {
        Session {
            catalogue,
            timeouts,
            rng: StdRng::from_seed(seed),
            card_present: false,
            pin_entry: PinEntry::OnScreen,
            accessibility: Accessibility::default(),
            journey: Journey::Welcome,
            last_touch: Millis(0),
            warning_since: None,
            screen_since: Millis(0),
            notice: None,
            help: Help::default(),
            gate: StaffGate::new(None),
            out_of_service: None,
            eid_lapsed: false,
        }
    }

    /// The staff code seeds staff unlock assist mode and the staff page
    /// with (without them, no staff code is accepted).
    pub fn with_staff_seeds(mut self, seeds: Option<StaffSeeds>) -> Self {
        self.gate = StaffGate::new(seeds);
        self
    }

    /// Handles one event at time `now` and returns the work to be done.
    pub fn handle(&mut self, now: Millis, event: Event) -> Vec<Effect> {
        if event.is_touch() {
            self.last_touch = now;
            self.warning_since = None;
        }
        let before = self.screen();
        let effects = self.dispatch(now, event);
        if self.screen() != before {
            self.screen_since = now;
            self.last_touch = now;
        }
        effects
    }

    /// Lets time pass: shows the idle warning, wipes after the countdown,
    /// ends "take your card" and clears old notices.
    pub fn tick(&mut self, now: Millis) -> Vec<Effect> {
        if let Some((_, since)) = self.notice
            && now.since(since) >= self.timeouts.notice_ms
        {
            self.notice = None;
        }
        match &self.journey {
            Journey::Welcome => {
                // Settings a citizen chose and walked away from are not the
                // next citizen's, and a staff member who walked away is
                // logged out.
                if now.since(self.last_touch) >= self.timeouts.idle_ms {
                    self.accessibility = Accessibility::default();
                    self.help = Help::default();
                }
                Vec::new()
            }
            Journey::TakeCard if now.since(self.screen_since) >= self.timeouts.take_card_ms => {
                self.wipe(now, WipeReason::Finished)
            }
            journey if journey.terminal_busy() => Vec::new(),
            _ => match self.warning_since {
                Some(since) if now.since(since) >= self.timeouts.warning_ms => self.wipe(now, WipeReason::TimedOut),
                Some(_) => Vec::new(),
                None => {
                    if now.since(self.last_touch) >= self.timeouts.idle_ms {
                        self.warning_since = Some(now);
                    }
                    Vec::new()
                }
            },
        }
    }

    fn dispatch(&mut self, now: Millis, event: Event) -> Vec<Effect> {
        if !event.is_help() {
            return self.citizen(now, event);
        }
        let citizen_present = !matches!(self.journey, Journey::Welcome);
        match self.help.handle(event, &mut self.gate, now, citizen_present) {
            HelpOutcome::Done(effects) => effects,
            HelpOutcome::OnBehalf(event, mut effects) => {
                effects.extend(self.citizen(now, *event));
                effects
            }
            HelpOutcome::Forward(mut effects) => {
                // Continuing commits nothing on the form and the booking:
                // both check what the citizen entered.
                let forward = match self.screen() {
                    Screen::Form => Some(Event::FormDone),
                    Screen::Booking => Some(Event::BookingDone),
                    _ => None,
                };
                if let Some(event) = forward {
                    effects.extend(self.citizen(now, event));
                }
                effects
            }
            HelpOutcome::ExtendTime(effects) => {
                // One more idle period before the warning comes.
                self.last_touch = Millis(now.0.saturating_add(self.timeouts.idle_ms));
                self.warning_since = None;
                effects
            }
            HelpOutcome::EndSession(mut effects) => {
                effects.extend(self.wipe(now, WipeReason::Cancelled));
                effects
            }
            HelpOutcome::Service(reason, effects) => {
                self.out_of_service = reason;
                effects
            }
        }
    }

    /// The citizen's own events (and those staff did on their behalf).
    fn citizen(&mut self, now: Millis, event: Event) -> Vec<Effect> {
        match event {
            Event::SetLanguage(lang) => {
                self.accessibility.lang = lang;
                return Vec::new();
            }
            Event::ToggleLargeText => {
                self.accessibility.large_text = !self.accessibility.large_text;
                return Vec::new();
            }
            Event::ToggleContrast => {
                self.accessibility.high_contrast = !self.accessibility.high_contrast;
                return Vec::new();
            }
            Event::StillHere => return Vec::new(),
            Event::CardInserted => {
                self.card_present = true;
                self.journey.card_inserted();
                return Vec::new();
            }
            Event::ReaderPinEntry(entry) => {
                self.pin_entry = entry;
                return Vec::new();
            }
            Event::CardRemoved => return self.card_removed(now),
            Event::AuthorisationLapsed => return self.authorisation_lapsed(now),
            Event::AuthorisationRenewed => {
                self.eid_lapsed = false;
                return Vec::new();
            }
            Event::Cancel | Event::Back if matches!(self.journey, Journey::Catalogue) => {
                return self.wipe(now, WipeReason::Cancelled);
            }
            Event::Cancel if !matches!(self.journey, Journey::Welcome) => return self.wipe(now, WipeReason::Cancelled),
            _ => {}
        }
        let in_service = self.out_of_service().is_none();
        let mut ctx = Context {
            now,
            lang: &self.accessibility.lang,
            card_present: self.card_present,
            pin_entry: self.pin_entry,
            rng: &mut self.rng,
            assisted: self.help.assisted.as_ref(),
        };
        let next = match (std::mem::take(&mut self.journey), event) {
            (Journey::Welcome, Event::Start) if in_service => {
                self.notice = None;
                Next::Stay(Journey::Catalogue, Vec::new())
            }
            (Journey::Catalogue, Event::ChooseService(id)) => {
                let journey = match self.catalogue.service(&id) {
                    Some(service) => match service.kind {
                        ServiceKind::Request => Journey::Request(Request::new(service.clone())),
                        ServiceKind::PinChange => Journey::PinService(PinService::ChooseTask),
                        ServiceKind::StatusCheck => Journey::StatusCheck(StatusCheck::new()),
                    },
                    None => Journey::Catalogue,
                };
                Next::Stay(journey, Vec::new())
            }
            (Journey::Request(request), event) => stay_in(request.handle(event, &mut ctx), Journey::Request),
            (Journey::PinService(service), event) => stay_in(service.handle(event, &ctx), Journey::PinService),
            (Journey::StatusCheck(check), event) => stay_in(check.handle(event), Journey::StatusCheck),
            (journey, _) => Next::Stay(journey, Vec::new()),
        };
        match next {
            Next::Stay(journey, effects) => {
                self.journey = journey;
                effects
            }
            Next::Leave(Exit::Catalogue) => {
                self.journey = Journey::Catalogue;
                Vec::new()
            }
            Next::Leave(Exit::Done) if self.card_present => {
                self.journey = Journey::TakeCard;
                Vec::new()
            }
            Next::Leave(Exit::Done) => self.wipe(now, WipeReason::Finished),
            Next::Leave(Exit::CardRemoved) => {
                self.card_present = false;
                self.wipe(now, WipeReason::CardRemoved)
            }
        }
    }

    /// The card-removed policy. Before the card is used, and after the
    /// request was handed over, pulling it ends nothing: nothing personal is
    /// held then. While it is in use, the session ends and everything goes.
    /// When the journey is over, taking the card is how the citizen leaves.
    fn card_removed(&mut self, now: Millis) -> Vec<Effect> {
        self.card_present = false;
        match self.journey.card_use() {
            CardUse::Unused => Vec::new(),
            CardUse::InUse => self.wipe(now, WipeReason::CardRemoved),
            CardUse::Done => self.wipe(now, WipeReason::Finished),
        }
    }

    /// The eID authorisation ended: the terminal is out of service until it
    /// is renewed. A citizen who has still to identify would reach a PIN
    /// entry that Terminal Authentication then refuses (TR-03110-3 C.1.5),
    /// so their session ends now; one whose card was read goes on.
    fn authorisation_lapsed(&mut self, now: Millis) -> Vec<Effect> {
        self.eid_lapsed = true;
        if self.journey.needs_eid() { self.wipe(now, WipeReason::OutOfService) } else { Vec::new() }
    }

    /// Ends the session: back to the welcome screen with the terminal's
    /// default settings. Dropping the journey drops every piece of personal
    /// data (each zeroizes on drop); the kiosk is told to clear what it shows.
    fn wipe(&mut self, now: Millis, reason: WipeReason) -> Vec<Effect> {
        self.journey = Journey::Welcome;
        self.accessibility = Accessibility::default();
        self.help = Help::default();
        self.screen_since = now;
        self.last_touch = now;
        self.warning_since = None;
        self.notice = (reason != WipeReason::Finished).then_some((Notice::Ended(reason), now));
        vec![Effect::Wiped(reason)]
    }

    // ----- what the UI reads -----

    /// The citizen's journey.
    pub fn journey(&self) -> &Journey {
        &self.journey
    }

    /// The screen showing the journey.
    pub fn screen(&self) -> Screen {
        self.journey.screen()
    }

    /// The citizen's presentation settings.
    pub fn accessibility(&self) -> &Accessibility {
        &self.accessibility
    }

    /// The session's language.
    pub fn lang(&self) -> &Lang {
        &self.accessibility.lang
    }

    /// The catalogue.
    pub fn catalogue(&self) -> &Catalogue {
        &self.catalogue
    }

    /// Whether a card is in the reader.
    pub fn card_present(&self) -> bool {
        self.card_present
    }

    /// Seconds left before the idle wipe, while the warning is shown.
    pub fn warning_seconds_left(&self, now: Millis) -> Option<u64> {
        self.warning_since.map(|since| self.timeouts.warning_ms.saturating_sub(now.since(since)).div_ceil(1000))
    }

    /// The help call and the staff member, if any.
    pub fn help(&self) -> &Help {
        &self.help
    }

    /// Why the terminal is out of service, if it is: staff took it out, or
    /// its eID authorisation lapsed.
    pub fn out_of_service(&self) -> Option<OutOfServiceReason> {
        self.out_of_service.or(self.eid_lapsed.then_some(OutOfServiceReason::EidAuthorisation))
    }

    /// The notice for the welcome screen about how the last session ended.
    pub fn notice(&self) -> Option<Notice> {
        self.notice.map(|(notice, _)| notice)
    }

    /// Whether any personal data is held right now (identity, form values or
    /// digits of a secret). For tests and the health report.
    pub fn holds_personal_data(&self) -> bool {
        self.journey.holds_personal_data()
    }
}

/// A journey's answer, as the visit's.
fn stay_in<J>(next: Next<J>, wrap: fn(J) -> Journey) -> Next<Journey> {
    match next {
        Next::Stay(journey, effects) => Next::Stay(wrap(journey), effects),
        Next::Leave(exit) => Next::Leave(exit),
    }
}
