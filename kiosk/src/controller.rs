// SPDX-License-Identifier: GPL-3.0-or-later
//! Glue between the UI, the session state machine and the hardware: taps and
//! hardware answers become session events, the session's effects go to the
//! hardware, and after every event the UI shows the session's new state.

use crate::config::Config;
use crate::hardware::Hardware;
use crate::view::{self, ImageCache, WallClock};
use crate::{Api, App, Theme};
use card_reader::SimulatedCardSlot;
use session::{Effect, Event, Lang, Millis, Session};
use slint::ComponentHandle;
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Instant;

/// The demo's simulated card: the slot and the card file to put into it.
pub struct DemoCard {
    /// The simulated reader's slot.
    pub slot: SimulatedCardSlot,
    /// The specimen card's file.
    pub file: PathBuf,
}

/// One running terminal.
pub struct Kiosk {
    /// The UI.
    pub app: App,
    session: Session,
    config: Config,
    hardware: Hardware,
    started: Instant,
    wall: WallClock,
    images: ImageCache,
    outstanding: usize,
    shown_lang: Lang,
    shown_at: Option<TimeVisible>,
    demo: Option<DemoCard>,
}

/// Screen, countdown, notice and language: see [`Kiosk::tick`].
type TimeVisible = (session::Screen, Option<u64>, Option<session::Notice>, Lang);

impl Kiosk {
    /// A kiosk on the welcome screen, with the UI's callbacks connected.
    pub fn new(app: App, config: Config, hardware: Hardware, demo: Option<DemoCard>) -> Rc<RefCell<Kiosk>> {
        let session = Session::new(config.catalogue.clone(), config.terminal.timeouts(), rand::random());
        let api = app.global::<Api>();
        api.set_municipality(config.terminal.municipality.as_str().into());
        api.set_terminal_id(config.terminal.terminal_id.as_str().into());
        api.set_demo(demo.is_some());
        let kiosk = Rc::new(RefCell::new(Kiosk {
            app,
            session,
            config,
            hardware,
            started: Instant::now(),
            wall: WallClock::new(),
            images: ImageCache::default(),
            outstanding: 0,
            shown_lang: Lang::english(),
            shown_at: None,
            demo,
        }));
        connect(&kiosk);
        kiosk.borrow_mut().refresh();
        kiosk
    }

    /// The session clock.
    pub fn now(&self) -> Millis {
        Millis(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// The session (read-only).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The demo card, if this is demo mode.
    pub fn demo_card(&self) -> Option<&DemoCard> {
        self.demo.as_ref()
    }

    /// Feeds one event to the session and carries out what follows.
    pub fn handle(&mut self, event: Event) {
        let effects = self.session.handle(self.now(), event);
        self.apply(effects);
        self.refresh();
    }

    /// Lets time pass (idle warning, wipe after the countdown). Redraws only
    /// when time changed something the citizen sees: the kiosk ticks twenty
    /// times a second and most ticks change nothing.
    pub fn tick(&mut self) {
        let effects = self.session.tick(self.now());
        let changed = !effects.is_empty() || Some(self.time_visible()) != self.shown_at;
        self.apply(effects);
        if changed {
            self.refresh();
        }
    }

    /// What the passing of time can change on screen.
    fn time_visible(&self) -> TimeVisible {
        let s = &self.session;
        (s.screen(), s.warning_seconds_left(self.now()), s.notice(), s.lang().clone())
    }

    /// Feeds every answer that has arrived from the hardware. Returns whether
    /// there was any.
    pub fn pump(&mut self) -> bool {
        let arrived: Vec<Event> = self.hardware.inbox.try_iter().collect();
        let any = !arrived.is_empty();
        for event in arrived {
            self.settle(&event);
            self.handle(event);
        }
        any
    }

    /// Waits up to `timeout` for one answer from the hardware and feeds it.
    pub fn pump_blocking(&mut self, timeout: std::time::Duration) -> bool {
        match self.hardware.inbox.recv_timeout(timeout) {
            Ok(event) => {
                self.settle(&event);
                self.handle(event);
                true
            }
            Err(_) => false,
        }
    }

    /// Whether hardware work the session asked for is still running.
    pub fn busy(&self) -> bool {
        self.outstanding > 0
    }

    fn settle(&mut self, event: &Event) {
        if event.is_answer() {
            self.outstanding = self.outstanding.saturating_sub(1);
        }
    }

    fn apply(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::Wiped(reason) => {
                    tracing::info!(?reason, "session ended, its data wiped");
                    self.images.clear(&self.app);
                    let theme = self.app.global::<Theme>();
                    theme.set_large_text(false);
                    theme.set_high_contrast(false);
                }
                other => {
                    self.outstanding += 1;
                    self.hardware.perform(other, &self.config);
                }
            }
        }
    }

    fn refresh(&mut self) {
        let lang = self.session.lang().clone();
        if lang != self.shown_lang {
            // English is the UI's source language; others are bundled .po files.
            let code = if lang == Lang::english() { "" } else { lang.code() };
            if let Err(error) = slint::select_bundled_translation(code) {
                tracing::warn!(?error, lang = lang.code(), "no translation for this language");
            }
            self.shown_lang = lang;
        }
        let now = self.now();
        view::show(&self.app, &self.session, now, &self.config, &self.wall, &mut self.images);
        self.shown_at = Some(self.time_visible());
    }
}

/// Connects every UI callback to a session event.
fn connect(kiosk: &Rc<RefCell<Kiosk>>) {
    let app = kiosk.borrow().app.clone_strong();
    let api = app.global::<Api>();
    let send = |kiosk: &Rc<RefCell<Kiosk>>| {
        let weak = Rc::downgrade(kiosk);
        move |event: Event| {
            if let Some(kiosk) = weak.upgrade() {
                match kiosk.try_borrow_mut() {
                    Ok(mut kiosk) => kiosk.handle(event),
                    Err(_) => tracing::error!("a tap arrived while the kiosk was busy; ignored"),
                }
            }
        }
    };
    macro_rules! on {
        ($setter:ident, $event:expr) => {{
            let send = send(kiosk);
            api.$setter(move || send($event));
        }};
    }
    on!(on_start, Event::Start);
    on!(on_agree, Event::Agree);
    on!(on_back, Event::Back);
    on!(on_cancel, Event::Cancel);
    on!(on_still_here, Event::StillHere);
    on!(on_pin_erase, Event::PinErase);
    on!(on_pin_confirm, Event::PinConfirm);
    on!(on_retry_identify, Event::RetryIdentify);
    on!(on_erase, Event::Erase);
    on!(on_form_done, Event::FormDone);
    on!(on_retry_slots, Event::RetrySlots);
    on!(on_booking_done, Event::BookingDone);
    on!(on_send, Event::Send);
    on!(on_finish, Event::Finish);
    on!(on_status_erase, Event::StatusErase);
    on!(on_status_check, Event::StatusCheck);

    let s = send(kiosk);
    api.on_set_language(move |code| s(Event::SetLanguage(Lang::from_code(&code))));
    let s = send(kiosk);
    api.on_choose_service(move |id| s(Event::ChooseService(id.into())));
    let s = send(kiosk);
    api.on_pin_digit(move |d| d.chars().for_each(|c| s(Event::PinDigit(c))));
    let s = send(kiosk);
    api.on_focus_field(move |i| s(Event::FocusField(usize::try_from(i).unwrap_or(usize::MAX))));
    let s = send(kiosk);
    api.on_type_text(move |t| t.chars().for_each(|c| s(Event::Type(c))));
    let s = send(kiosk);
    api.on_choose(move |field, option| {
        if let (Ok(field), Ok(option)) = (usize::try_from(field), usize::try_from(option)) {
            s(Event::Choose { field, option });
        }
    });
    let s = send(kiosk);
    api.on_choose_slot(move |i| s(Event::ChooseSlot(usize::try_from(i).unwrap_or(usize::MAX))));
    let s = send(kiosk);
    api.on_set_consent(move |on| s(Event::SetConsent(on)));
    let s = send(kiosk);
    api.on_choose_pin_task(move |task| {
        s(Event::ChoosePinTask(match task {
            crate::PinTaskId::Change => session::PinTask::Change,
            crate::PinTaskId::Transport => session::PinTask::ReplaceTransportPin,
            crate::PinTaskId::Unblock => session::PinTask::Unblock,
        }));
    });
    let s = send(kiosk);
    api.on_status_type(move |t| t.chars().for_each(|c| s(Event::StatusType(c))));

    // Accessibility switches are the citizen's, reset with the session; a
    // tap on them also counts as activity.
    let weak = Rc::downgrade(kiosk);
    api.on_toggle_large_text(move || toggle(&weak, |t| t.set_large_text(!t.get_large_text())));
    let weak = Rc::downgrade(kiosk);
    api.on_toggle_contrast(move || toggle(&weak, |t| t.set_high_contrast(!t.get_high_contrast())));

    let weak = Rc::downgrade(kiosk);
    api.on_demo_insert_card(move || {
        if let Some(kiosk) = weak.upgrade()
            && let Ok(kiosk) = kiosk.try_borrow()
            && let Some(demo) = &kiosk.demo
            && let Err(error) = demo.slot.insert(&demo.file)
        {
            tracing::error!(%error, "cannot insert the demo card");
        }
    });
    let weak = Rc::downgrade(kiosk);
    api.on_demo_remove_card(move || {
        if let Some(kiosk) = weak.upgrade()
            && let Ok(kiosk) = kiosk.try_borrow()
            && let Some(demo) = &kiosk.demo
        {
            demo.slot.remove();
        }
    });
}

fn toggle(weak: &std::rc::Weak<RefCell<Kiosk>>, flip: impl FnOnce(&Theme)) {
    if let Some(kiosk) = weak.upgrade()
        && let Ok(mut kiosk) = kiosk.try_borrow_mut()
    {
        flip(&kiosk.app.global::<Theme>());
        kiosk.handle(Event::StillHere);
    }
}
