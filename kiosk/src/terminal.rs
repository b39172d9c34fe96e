// SPDX-License-Identifier: GPL-3.0-or-later
//! One running terminal: the UI, the citizen session and the devices. Taps
//! and the devices' answers become session events; the session's effects go
//! to the devices; after every event the view shows the session's new state.

use crate::devices::Devices;
use crate::view::View;
use crate::view::assist::StaffView;
use crate::{App, input};
use session::{Config, Effect, Event, Millis, Session, StaffSeeds};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// What demo mode's on-screen card buttons do with its simulated card. A
/// real terminal has none: the card is in the citizen's hand.
pub trait DemoCard {
    /// Puts the specimen card on the reader.
    fn insert(&self);
    /// Takes it off again.
    fn remove(&self);
}

/// One running terminal.
pub struct Terminal {
    app: App,
    session: Session,
    config: Config,
    devices: Devices,
    view: View,
    started: Instant,
    outstanding: usize,
    /// The printer's count of receipts when the roll was last refilled.
    printed_at_refill: u64,
    /// A session ended since the last tick: the UI still has to let go of
    /// the screens it showed.
    ended: bool,
    demo: Option<Box<dyn DemoCard>>,
}

impl Terminal {
    /// A terminal on the welcome screen, with the UI's callbacks connected.
    /// Staff unlock assist mode and their page with codes from `staff`.
    pub fn new(
        app: App,
        config: Config,
        devices: Devices,
        staff: Option<StaffSeeds>,
        demo: Option<Box<dyn DemoCard>>,
    ) -> Rc<RefCell<Terminal>> {
        let session =
            Session::new(config.catalogue.clone(), config.terminal.timeouts(), rand::random()).with_staff_seeds(staff);
        View::terminal(&app, &config, demo.is_some());
        let terminal = Rc::new(RefCell::new(Terminal {
            app,
            session,
            config,
            devices,
            view: View::default(),
            started: Instant::now(),
            outstanding: 0,
            printed_at_refill: 0,
            ended: false,
            demo,
        }));
        input::connect(&terminal);
        terminal.borrow_mut().refresh();
        terminal
    }

    /// The UI.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The session clock.
    pub fn now(&self) -> Millis {
        Millis(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// The session (read-only).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn demo_card(&self) -> Option<&dyn DemoCard> {
        self.demo.as_deref()
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
        if std::mem::take(&mut self.ended) {
            View::release_ended_session(&self.app);
        }
        let effects = self.session.tick(self.now());
        let changed = !effects.is_empty() || self.view.stale(&self.session, self.now());
        self.apply(effects);
        if changed {
            self.refresh();
        }
    }

    /// Feeds every answer that has arrived from the devices. Returns whether
    /// there was any.
    pub fn pump(&mut self) -> bool {
        let arrived: Vec<Event> = self.devices.arrived().collect();
        let any = !arrived.is_empty();
        for event in arrived {
            self.settle(&event);
            self.handle(event);
        }
        any
    }

    /// Waits up to `timeout` for one answer from the devices and feeds it.
    pub fn pump_blocking(&mut self, timeout: Duration) -> bool {
        match self.devices.next(timeout) {
            Some(event) => {
                self.settle(&event);
                self.handle(event);
                true
            }
            None => false,
        }
    }

    /// Whether work the session asked for is still running.
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
            if effect.is_answered() {
                self.outstanding += 1;
            }
            let devices = &self.devices;
            match effect {
                Effect::ReadCard { pin, can, items } => devices.read_card(pin, can, items),
                Effect::ReadCardOnReader { can_first, items } => devices.read_card_on_reader(can_first, items),
                Effect::ChangePin { current, can, new } => devices.change_pin(current, can, new),
                Effect::UnblockPin { puk } => devices.unblock_pin(puk),
                Effect::LoadSlots { service_id, booking } => devices.load_slots(service_id, booking),
                Effect::Submit(draft) => devices.submit(*draft),
                Effect::CheckStatus(number) => devices.check_status(number),
                Effect::Print { receipt, lang } => devices.print(self.view.paper(&receipt, &lang, &self.config)),
                Effect::Wiped(reason) => {
                    tracing::info!(?reason, "session ended, its data wiped");
                    self.ended = true;
                }
                Effect::Audit(entry) => {
                    tracing::info!(target: "audit", level = ?entry.level, action = ?entry.action, "staff audit");
                }
                Effect::PaperRefilled => self.printed_at_refill = devices.health().printer.receipts_printed,
                Effect::TestPrint => {
                    devices.test_print(self.view.test_paper(self.session.lang(), &self.config, self.now()));
                }
            }
        }
    }

    fn refresh(&mut self) {
        let now = self.now();
        let health = self.session.help().staff.tasks_open().then(|| self.devices.health());
        let tasks = health.as_ref().map(|health| {
            let printed = health.printer.receipts_printed.saturating_sub(self.printed_at_refill);
            let per_roll = u64::from(self.config.terminal.receipts_per_roll);
            StaffView { health, receipts_left: u32::try_from(per_roll.saturating_sub(printed)).unwrap_or(u32::MAX) }
        });
        self.view.show(&self.app, &self.session, now, &self.config, tasks.as_ref());
    }
}
