// SPDX-License-Identifier: GPL-3.0-or-later
//! The scripted citizen of the headless demo: books a bulky-waste pickup with
//! the specimen card, takes the receipt, and then checks the request's status
//! at the terminal. Every touch is a real pointer event on the element a
//! person would tap, found by its German label; every screen is written as a
//! PNG in order.

use crate::touch::Touchscreen;
use anyhow::{Context, Result, bail};
use kiosk::Terminal;
use session::journey::{PinService, PrintState};
use session::{Event, IdentifyStep, Lang, Pin, Screen as Step, Session, SlotKind, StaffSeeds};
use slint::ComponentHandle;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long staff hold the town's name to open their code pad.
const STAFF_GESTURE: Duration = Duration::from_millis(3_300);

/// How long the script waits for the terminal before giving up.
const PATIENCE: Duration = Duration::from_secs(30);

/// What the walk-through did.
pub struct Outcome {
    /// The tracking number printed on the receipt (none if the walk-through
    /// stopped inside the session).
    pub tracking: Option<String>,
    /// Touches the citizen needed.
    pub taps: usize,
    /// Screenshots written, in order.
    pub screenshots: Vec<PathBuf>,
}

/// How the scripted citizen's visit ends, for [`Walkthrough::visit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Ending {
    /// It does not: the citizen stays on the filled-in form, with their
    /// data on screen.
    InSession,
    /// Sent, the receipt taken, "Fertig", the card taken.
    Finished,
    /// "Abbrechen" on the filled-in form.
    Cancelled,
    /// The citizen walks away from the filled-in form: the idle timeout.
    TimedOut,
    /// The card is pulled off the reader on the filled-in form.
    CardPulled,
}

/// The citizen's ID card, as the scripted citizen handles it.
pub trait CardInHand {
    /// Puts the card on the reader.
    fn put(&self) -> Result<()>;
    /// Takes it off again.
    fn take(&self);
    /// The PIN, as the citizen knows it from the PIN letter.
    fn pin(&self) -> Result<Pin>;
    /// Slows the card's next answers down by `delay` (zero: back to normal),
    /// so that the screen shown while it works can be photographed. A card
    /// that cannot be slowed ignores this.
    fn slow_down(&self, _delay: Duration) {}
}

/// The scripted citizen.
pub struct Walkthrough<C: CardInHand> {
    terminal: Rc<RefCell<Terminal>>,
    card: C,
    screen: Touchscreen,
    dir: Option<PathBuf>,
    printer_dir: Option<PathBuf>,
    taps: usize,
    screenshots: Vec<PathBuf>,
    staff: Option<StaffSeeds>,
    every_language: bool,
    misfits: Vec<ScreenMisfit>,
}

/// A text that did not fit its box, on which screen, in which language and
/// presentation.
#[derive(Debug, Clone)]
pub struct ScreenMisfit {
    /// The screenshot's name.
    pub screen: String,
    /// The language's code.
    pub lang: &'static str,
    /// `plain`, `large-text` or `high-contrast`.
    pub presentation: &'static str,
    /// The text and its box.
    pub misfit: crate::text_fit::Misfit,
}

/// The presentations every screen is photographed in: as it starts, with
/// large text, with high contrast.
const PRESENTATIONS: [(&str, Option<Event>); 3] =
    [("plain", None), ("large-text", Some(Event::ToggleLargeText)), ("high-contrast", Some(Event::ToggleContrast))];

impl<C: CardInHand> Walkthrough<C> {
    /// A citizen with `card` in front of `terminal`, photographing each
    /// screen into `dir` (if given). `printer_dir` is where the simulated
    /// printer puts paper, if the terminal has one.
    pub fn new(
        terminal: Rc<RefCell<Terminal>>,
        card: C,
        screen: Touchscreen,
        dir: Option<PathBuf>,
        printer_dir: Option<PathBuf>,
    ) -> Self {
        Walkthrough {
            terminal,
            card,
            screen,
            dir,
            printer_dir,
            taps: 0,
            screenshots: Vec::new(),
            staff: None,
            every_language: false,
            misfits: Vec::new(),
        }
    }

    /// Photographs every screen in every language, plain, with large text
    /// and with high contrast (into a folder per screen), and checks each
    /// time that every text fits its box; the citizen still taps in German.
    pub fn in_every_language(mut self) -> Self {
        self.every_language = true;
        self
    }

    /// The texts that did not fit, on the screens photographed so far.
    pub fn misfits(&self) -> &[ScreenMisfit] {
        &self.misfits
    }

    /// With a staff member who joins the request on the form with a code
    /// from `seeds`; the citizen agrees and shows them their family name.
    pub fn with_staff(mut self, seeds: StaffSeeds) -> Self {
        self.staff = Some(seeds);
        self
    }

    /// The staff member comes: the long press on the town's name, the code
    /// from their app, the citizen's consent, and one field shown.
    fn staff_helps(&mut self, seeds: &StaffSeeds) -> Result<()> {
        self.hold("Stadt Musterstadt", STAFF_GESTURE)?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).context("the clock is before 1970")?.as_secs();
        for digit in seeds.staff.code_at(now).chars() {
            self.tap(&digit.to_string())?;
        }
        self.tap("Bestätigen")?;
        self.tap("Ja, bitte helfen Sie mir")?;
        self.tap("Familienname der Helferin zeigen")?;
        self.shot("form-assisted")
    }

    /// The UI.
    pub(crate) fn app(&self) -> kiosk::App {
        self.terminal.borrow().app().clone_strong()
    }

    /// The terminal.
    #[cfg(test)]
    pub(crate) fn terminal(&self) -> std::cell::Ref<'_, Terminal> {
        self.terminal.borrow()
    }

    /// Hands the terminal `event` as its devices would (what a reader the
    /// demo does not simulate says of itself, an authorisation that
    /// lapses), and lets the terminal settle.
    #[cfg(test)]
    pub(crate) fn device_says(&mut self, event: session::Event) -> Result<()> {
        self.terminal.borrow_mut().handle(event);
        self.settle()
    }

    /// A long press on the element labelled `label`.
    pub(crate) fn hold(&mut self, label: &str, hold: Duration) -> Result<()> {
        let app = self.app();
        self.screen.press_and_hold(&app, label, hold)?;
        self.taps += 1;
        self.settle()
    }

    pub(crate) fn tap(&mut self, label: &str) -> Result<()> {
        self.touch(label)?;
        self.settle()
    }

    /// One touch, without waiting for what it sets off. The UI's callbacks
    /// borrow the kiosk, so it must not be borrowed here while touching.
    pub(crate) fn touch(&mut self, label: &str) -> Result<()> {
        let (app, screen) = {
            let terminal = self.terminal.borrow();
            (terminal.app().clone_strong(), terminal.session().screen())
        };
        self.screen.tap(&app, label).with_context(|| format!("on the {screen:?} screen"))?;
        self.taps += 1;
        Ok(())
    }

    pub(crate) fn type_text(&mut self, text: &str) -> Result<()> {
        for c in text.chars() {
            let label = match c {
                ' ' => "Leertaste".to_owned(),
                c if c.is_uppercase() => {
                    // The keyboard starts a field in capitals; otherwise shift.
                    if crate::touch::find(&self.app(), &c.to_string()).is_err() {
                        self.tap("Umschalt")?;
                    }
                    c.to_string()
                }
                c => c.to_string(),
            };
            self.tap(&label)?;
        }
        Ok(())
    }

    /// Waits until the terminal has finished the work the last touch started.
    pub(crate) fn settle(&mut self) -> Result<()> {
        self.wait_for("the terminal to finish its work", |k| !k.busy())
    }

    /// Waits until `done` holds, feeding the session what the hardware says.
    pub(crate) fn wait_for(&mut self, what: &str, done: impl Fn(&Terminal) -> bool) -> Result<()> {
        self.wait_within(what, PATIENCE, done)
    }

    /// [`Walkthrough::wait_for`], for up to `patience`.
    fn wait_within(&mut self, what: &str, patience: Duration, done: impl Fn(&Terminal) -> bool) -> Result<()> {
        let deadline = Instant::now() + patience;
        loop {
            let mut terminal = self.terminal.borrow_mut();
            terminal.pump();
            terminal.tick();
            if done(&terminal) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("waited {patience:?} for {what}; the terminal shows {:?}", terminal.session().screen());
            }
            terminal.pump_blocking(Duration::from_millis(50));
        }
    }

    /// Waits until the session is in a state for which `done` holds.
    pub(crate) fn wait_until(&mut self, what: &str, done: impl Fn(&Session) -> bool) -> Result<()> {
        self.wait_for(what, |terminal| done(terminal.session()))
    }

    pub(crate) fn shot(&mut self, name: &str) -> Result<()> {
        match &self.dir {
            Some(dir) => {
                let path = dir.join(format!("{:02}-{name}.png", self.screenshots.len() + 1));
                self.screen.save(&path)?;
                self.screenshots.push(path);
            }
            None => {
                self.screen.render();
            }
        }
        if self.every_language {
            self.shoot_every_language(name)?;
        }
        Ok(())
    }

    /// The screen shown now in every language and presentation, then back
    /// in German as it was. The settings go straight to the terminal, so
    /// nothing waits for the devices meanwhile.
    fn shoot_every_language(&mut self, name: &str) -> Result<()> {
        let folder = self.dir.as_ref().map(|dir| dir.join(format!("{:02}-{name}", self.screenshots.len())));
        if let Some(folder) = &folder {
            std::fs::create_dir_all(folder)?;
        }
        for (presentation, toggle) in &PRESENTATIONS {
            if let Some(toggle) = toggle {
                self.terminal.borrow_mut().handle(toggle.clone());
            }
            for lang in Lang::ALL {
                self.terminal.borrow_mut().handle(Event::SetLanguage(lang));
                match &folder {
                    Some(folder) => self.screen.save(&folder.join(format!("{}-{presentation}.png", lang.code())))?,
                    None => {
                        self.screen.render();
                    }
                }
                let app = self.app();
                self.misfits.extend(crate::text_fit::misfits(&app).into_iter().map(|misfit| ScreenMisfit {
                    screen: name.to_owned(),
                    lang: lang.code(),
                    presentation,
                    misfit,
                }));
            }
            if let Some(toggle) = toggle {
                self.terminal.borrow_mut().handle(toggle.clone());
            }
        }
        self.terminal.borrow_mut().handle(Event::SetLanguage(Lang::German));
        self.screen.render();
        Ok(())
    }

    pub(crate) fn expect(&self, step: Step) -> Result<()> {
        let now = self.terminal.borrow().session().screen();
        if now != step {
            bail!("expected the {step:?} screen, the terminal shows {now:?}");
        }
        Ok(())
    }

    /// The citizen's card.
    #[cfg(test)]
    pub(crate) fn card(&self) -> &C {
        &self.card
    }

    /// Runs the whole visit, the status check and the PIN change.
    pub fn run(&mut self) -> Result<Outcome> {
        let tracking = self.bulky_waste()?;
        self.status_check(&tracking)?;
        self.pin_change()?;
        Ok(self.outcome(Some(tracking)))
    }

    /// The visit and the status check, without the PIN change (for a card
    /// that does not keep a changed PIN when it is taken out).
    pub fn run_request_and_status_check(&mut self) -> Result<Outcome> {
        let tracking = self.bulky_waste()?;
        self.status_check(&tracking)?;
        Ok(self.outcome(Some(tracking)))
    }

    /// The visit up to the filled-in form, ended as `ending` says; waits for
    /// the wipe (the screen is not drawn after the citizen's last touch).
    pub fn visit(&mut self, ending: Ending) -> Result<Outcome> {
        self.fill_in_the_form()?;
        let tracking = match ending {
            Ending::InSession => None,
            Ending::Finished => Some(self.send_and_leave()?),
            Ending::Cancelled => {
                self.touch("Abbrechen und meine Daten löschen")?;
                None
            }
            Ending::TimedOut => None,
            Ending::CardPulled => {
                self.card.take();
                None
            }
        };
        if ending != Ending::InSession {
            let idle = self.terminal.borrow().config().terminal.timeouts().idle_ms;
            self.wait_within("the wipe", PATIENCE + Duration::from_millis(idle), |k| {
                k.session().screen() == Step::Welcome && !k.busy()
            })?;
            // A card left on the reader is taken away, by its owner coming
            // back or by staff; until then its data is on its chip (here, in
            // the simulated card).
            self.card.take();
            self.wait_for("the terminal to see the card gone", |k| !k.session().card_present())?;
        }
        Ok(self.outcome(tracking))
    }

    /// Keeps the terminal running (pumping the devices and ticking) until
    /// standard input is closed; with `draw`, a frame is drawn every tick,
    /// otherwise none.
    pub fn stay(&mut self, draw: bool) {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            let _ = tx.send(());
        });
        while rx.recv_timeout(Duration::from_millis(200)).is_err() {
            {
                let mut terminal = self.terminal.borrow_mut();
                terminal.pump();
                terminal.tick();
            }
            if draw {
                self.screen.render();
            }
        }
    }

    fn outcome(&self, tracking: Option<String>) -> Outcome {
        Outcome { tracking, taps: self.taps, screenshots: self.screenshots.clone() }
    }

    fn bulky_waste(&mut self) -> Result<String> {
        self.fill_in_the_form()?;
        self.send_and_leave()
    }

    /// From the welcome screen to the bulky-waste form, identified with the
    /// card and filled in (with a staff member's help, if one is there).
    fn fill_in_the_form(&mut self) -> Result<()> {
        self.shot("welcome")?;
        self.tap("Start")?;
        self.expect(Step::Catalogue)?;
        self.shot("catalogue")?;
        self.tap("Sperrmüllabholung")?;
        self.expect(Step::ServiceInfo)?;
        self.shot("service-info")?;
        self.tap("Zustimmen und weiter")?;
        self.expect(Step::Identify)?;
        self.shot("insert-card")?;

        self.card.put()?;
        self.wait_until("the card", |s| matches!(identify_step(s), Some(IdentifyStep::EnterSecret { .. })))?;
        let pin = self.card.pin()?;
        for digit in pin.expose().chars() {
            let label = digit.to_string();
            self.tap(&label)?;
        }
        drop(pin);
        self.shot("pin")?;
        self.card.slow_down(Duration::from_millis(300));
        self.touch("Bestätigen")?;
        self.shot("reading")?;
        self.settle()?;
        self.card.slow_down(Duration::ZERO);
        self.expect(Step::Form)?;
        self.shot("form")?;

        self.type_text("Ecksofa, 3 Regale")?;
        self.tap("Menge in Kubikmetern (1 bis 8)")?;
        self.tap("3")?;
        self.shot("form-filled")?;
        if let Some(seeds) = self.staff.clone() {
            self.staff_helps(&seeds)?;
        }
        Ok(())
    }

    /// From the filled-in form: a pickup date, the review, sending, the
    /// receipt, "Fertig" and the card taken. Returns the tracking number.
    fn send_and_leave(&mut self) -> Result<String> {
        self.tap("Weiter")?;
        self.expect(Step::Booking)?;
        let slot_label = {
            let terminal = self.terminal.borrow();
            let session = terminal.session();
            match session.journey().request().and_then(|r| r.calendar()).and_then(|c| c.slots()) {
                Some(Ok(slots)) => slots
                    .iter()
                    .find(|s| s.kind == SlotKind::Standard)
                    .map(|s| s.describe(session.lang()))
                    .context("the calendar offers no standard pickup")?,
                other => bail!("the calendar did not load: {other:?}"),
            }
        };
        self.tap(&slot_label)?;
        self.shot("booking")?;
        self.tap("Weiter")?;
        self.expect(Step::Review)?;
        self.tap(
            "Ich bin einverstanden, dass dieser Antrag mit den angezeigten Daten an den Empfänger gesendet wird.",
        )?;
        self.shot("review")?;
        self.tap("Antrag senden")?;
        self.wait_until("the printer", |s| matches!(print_state(s), Some(PrintState::Printed | PrintState::Failed)))?;
        self.expect(Step::Receipt)?;
        self.shot("receipt")?;
        self.collect_paper()?;
        let tracking = self
            .terminal
            .borrow()
            .session()
            .journey()
            .request()
            .and_then(|r| r.receipt())
            .map(|r| r.view().tracking.to_string())
            .context("no receipt after sending")?;

        self.tap("Fertig")?;
        self.expect(Step::TakeCard)?;
        self.shot("take-card")?;
        self.card.take();
        self.wait_until("the wipe", |s| s.screen() == Step::Welcome)?;
        Ok(tracking)
    }

    /// Moves the simulated printer's paper into the screenshot sequence.
    fn collect_paper(&mut self) -> Result<()> {
        let (Some(dir), Some(printer_dir)) = (self.dir.clone(), self.printer_dir.clone()) else { return Ok(()) };
        let paper = newest_png(&printer_dir)?.context("the simulated printer produced no receipt")?;
        let path = dir.join(format!("{:02}-printed-receipt.png", self.screenshots.len() + 1));
        std::fs::rename(&paper, &path).or_else(|_| std::fs::copy(&paper, &path).map(|_| ()))?;
        self.screenshots.push(path);
        Ok(())
    }

    fn status_check(&mut self, tracking: &str) -> Result<()> {
        self.tap("Start")?;
        self.tap("Stand meines Antrags")?;
        self.expect(Step::StatusEntry)?;
        for c in tracking.chars().filter(|c| *c != '-') {
            self.tap(&c.to_string())?;
        }
        self.shot("status-entry")?;
        self.tap("Status prüfen")?;
        self.wait_until("the portal's answer", |s| {
            matches!(s.journey().status_check(), Some(session::StatusCheck::Result { outcome: Some(_), .. }))
        })?;
        self.shot("status-result")?;
        self.tap("Fertig")?;
        self.expect(Step::Welcome)?;
        Ok(())
    }

    /// The PIN service: the citizen replaces the PIN from the card file by a
    /// new one, then puts the old one back, so that the demo card keeps the
    /// PIN its file documents.
    fn pin_change(&mut self) -> Result<()> {
        let letter = self.card.pin()?;
        let new = "246810";
        for (round, (from, to)) in [(letter.expose(), new), (new, letter.expose())].into_iter().enumerate() {
            self.tap("Start")?;
            self.tap("PIN meines Ausweises ändern")?;
            self.expect(Step::PinService)?;
            if round == 0 {
                self.shot("pin-service")?;
            }
            self.tap("PIN ändern")?;
            self.card.put()?;
            self.wait_until("the card", |s| matches!(identify_step(s), Some(IdentifyStep::EnterSecret { .. })))?;
            for pin in [from, to, to] {
                for digit in pin.chars() {
                    self.tap(&digit.to_string())?;
                }
                self.touch("Bestätigen")?;
            }
            self.wait_until("the card to take the new PIN", |s| {
                pin_service_done(s) || matches!(identify_step(s), Some(IdentifyStep::Failed(_)))
            })?;
            if round == 0 {
                self.shot("pin-changed")?;
            }
            if !pin_service_done(self.terminal.borrow().session()) {
                bail!("the card refused the PIN change");
            }
            self.tap("Fertig")?;
            self.expect(Step::TakeCard)?;
            self.card.take();
            self.wait_until("the wipe", |s| s.screen() == Step::Welcome)?;
        }
        Ok(())
    }
}

/// Where the card's identification stands, in a request or the PIN service.
pub(crate) fn identify_step(session: &Session) -> Option<&IdentifyStep> {
    session.journey().identification().map(|i| i.step())
}

/// The printer's progress on the receipt shown.
pub(crate) fn print_state(session: &Session) -> Option<PrintState> {
    session.journey().request()?.receipt().map(|r| r.print_state())
}

/// Whether the PIN service has done its task.
pub(crate) fn pin_service_done(session: &Session) -> bool {
    matches!(session.journey().pin_service(), Some(PinService::Done { .. }))
}

fn newest_png(dir: &Path) -> Result<Option<PathBuf>> {
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with("receipt-") {
            continue;
        }
        let modified = entry.metadata()?.modified()?;
        if newest.as_ref().is_none_or(|(t, _)| modified > *t) {
            newest = Some((modified, entry.path()));
        }
    }
    Ok(newest.map(|(_, p)| p))
}
