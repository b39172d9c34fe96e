// SPDX-License-Identifier: GPL-3.0-or-later
//! The scripted citizen of the headless demo: books a bulky-waste pickup with
//! the specimen card, takes the receipt, and then checks the request's status
//! at the terminal. Every touch is a real pointer event on the element a
//! person would tap, found by its German label; every screen is written as a
//! PNG in order.

use crate::controller::Kiosk;
use crate::headless::Screen;
use anyhow::{Context, Result, bail};
use card_reader::CardFile;
use session::{IdentifyStep, Screen as Step, SlotKind};
use slint::ComponentHandle;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

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

/// The scripted citizen.
pub struct Walkthrough {
    kiosk: Rc<RefCell<Kiosk>>,
    screen: Screen,
    dir: Option<PathBuf>,
    printer_dir: PathBuf,
    taps: usize,
    screenshots: Vec<PathBuf>,
}

impl Walkthrough {
    /// A citizen in front of `kiosk`, photographing each screen into `dir`
    /// (if given). `printer_dir` is where the simulated printer puts paper.
    pub fn new(kiosk: Rc<RefCell<Kiosk>>, screen: Screen, dir: Option<PathBuf>, printer_dir: PathBuf) -> Self {
        Walkthrough { kiosk, screen, dir, printer_dir, taps: 0, screenshots: Vec::new() }
    }

    /// The UI.
    #[cfg(test)]
    pub(crate) fn app(&self) -> crate::App {
        self.kiosk.borrow().app.clone_strong()
    }

    /// The kiosk.
    #[cfg(test)]
    pub(crate) fn kiosk(&self) -> std::cell::Ref<'_, Kiosk> {
        self.kiosk.borrow()
    }

    /// Ends this citizen's visit and hands the screen back, for the next kiosk.
    #[cfg(test)]
    pub(crate) fn into_screen(self) -> Screen {
        self.screen
    }

    /// The in-memory screen (for the benchmark's frame timings).
    pub fn screen_mut(&mut self) -> &mut Screen {
        &mut self.screen
    }

    pub(crate) fn tap(&mut self, label: &str) -> Result<()> {
        self.touch(label)?;
        self.settle()
    }

    /// One touch, without waiting for what it sets off. The UI's callbacks
    /// borrow the kiosk, so it must not be borrowed here while touching.
    pub(crate) fn touch(&mut self, label: &str) -> Result<()> {
        let (app, screen) = {
            let kiosk = self.kiosk.borrow();
            (kiosk.app.clone_strong(), kiosk.session().screen())
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
                    let app = self.kiosk.borrow().app.clone_strong();
                    if crate::headless::find(&app, &c.to_string()).is_err() {
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
    pub(crate) fn wait_for(&mut self, what: &str, done: impl Fn(&Kiosk) -> bool) -> Result<()> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let mut kiosk = self.kiosk.borrow_mut();
            kiosk.pump();
            kiosk.tick();
            if done(&kiosk) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("waited {PATIENCE:?} for {what}; the terminal shows {:?}", kiosk.session().screen());
            }
            kiosk.pump_blocking(Duration::from_millis(50));
        }
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
        Ok(())
    }

    pub(crate) fn expect(&self, step: Step) -> Result<()> {
        let now = self.kiosk.borrow().session().screen();
        if now != step {
            bail!("expected the {step:?} screen, the terminal shows {now:?}");
        }
        Ok(())
    }

    pub(crate) fn card(&self) -> Result<(card_reader::SimulatedCardSlot, PathBuf)> {
        let kiosk = self.kiosk.borrow();
        let demo = kiosk.demo_card().context("the walk-through needs demo mode's simulated card")?;
        Ok((demo.slot.clone(), demo.file.clone()))
    }

    /// Runs the whole visit and the status check; or, with `stop_in_session`,
    /// stops on the filled-in form, with the citizen's data on screen.
    pub fn run(mut self, stop_in_session: bool) -> Result<Outcome> {
        let tracking = self.bulky_waste(stop_in_session)?;
        if let Some(tracking) = &tracking {
            self.status_check(tracking)?;
            self.pin_change()?;
        }
        Ok(Outcome { tracking, taps: self.taps, screenshots: self.screenshots })
    }

    fn bulky_waste(&mut self, stop_in_session: bool) -> Result<Option<String>> {
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

        let (slot, card_file) = self.card()?;
        slot.insert(&card_file)?;
        self.wait_for("the card", |k| matches!(k.session().identify_step(), Some(IdentifyStep::EnterPin { .. })))?;
        // The citizen knows the PIN from the PIN letter; here the letter is
        // the card file.
        let pin = CardFile::load(&card_file)?.pin();
        for digit in pin.expose().chars() {
            let label = digit.to_string();
            self.tap(&label)?;
        }
        drop(pin);
        self.shot("pin")?;
        slot.set_read_delay(Duration::from_millis(300));
        self.touch("Bestätigen")?;
        self.shot("reading")?;
        self.settle()?;
        slot.set_read_delay(Duration::ZERO);
        self.expect(Step::Form)?;
        self.shot("form")?;

        self.type_text("Sofa, 2 Stühle")?;
        self.tap("Menge in Kubikmetern (1 bis 8)")?;
        self.tap("3")?;
        self.shot("form-filled")?;
        if stop_in_session {
            return Ok(None);
        }
        self.tap("Weiter")?;
        self.expect(Step::Booking)?;
        let slot_label = {
            let kiosk = self.kiosk.borrow();
            let session = kiosk.session();
            match session.slots() {
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
        self.wait_for("the printer", |k| {
            matches!(k.session().print_state(), Some(session::PrintState::Printed | session::PrintState::Failed))
        })?;
        self.expect(Step::Receipt)?;
        self.shot("receipt")?;
        self.collect_paper()?;
        let tracking =
            self.kiosk.borrow().session().receipt().map(|r| r.tracking.clone()).context("no receipt after sending")?;

        self.tap("Fertig")?;
        self.expect(Step::TakeCard)?;
        self.shot("take-card")?;
        slot.remove();
        self.wait_for("the wipe", |k| k.session().screen() == Step::Welcome)?;
        Ok(Some(tracking))
    }

    /// Moves the simulated printer's paper into the screenshot sequence.
    fn collect_paper(&mut self) -> Result<()> {
        let Some(dir) = self.dir.clone() else { return Ok(()) };
        let paper = newest_png(&self.printer_dir)?.context("the simulated printer produced no receipt")?;
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
        self.wait_for("the portal's answer", |k| k.session().status().is_some())?;
        self.shot("status-result")?;
        self.tap("Fertig")?;
        self.expect(Step::Welcome)?;
        Ok(())
    }

    /// The PIN service: the citizen replaces the PIN from the card file by a
    /// new one, then puts the old one back, so that the demo card keeps the
    /// PIN its file documents.
    fn pin_change(&mut self) -> Result<()> {
        let (slot, card_file) = self.card()?;
        let letter = CardFile::load(&card_file)?.pin();
        let new = "246810";
        for (round, (from, to)) in [(letter.expose(), new), (new, letter.expose())].into_iter().enumerate() {
            self.tap("Start")?;
            self.tap("PIN meines Ausweises ändern")?;
            self.expect(Step::PinService)?;
            if round == 0 {
                self.shot("pin-service")?;
            }
            self.tap("PIN ändern")?;
            slot.insert(&card_file)?;
            self.wait_for("the card", |k| {
                matches!(k.session().pin_service_step(), Some(session::PinStep::EnterCurrent { .. }))
            })?;
            for pin in [from, to, to] {
                for digit in pin.chars() {
                    self.tap(&digit.to_string())?;
                }
                self.touch("Bestätigen")?;
            }
            self.wait_for("the card to take the new PIN", |k| {
                matches!(k.session().pin_service_step(), Some(session::PinStep::Done | session::PinStep::Failed(_)))
            })?;
            if round == 0 {
                self.shot("pin-changed")?;
            }
            if !matches!(self.kiosk.borrow().session().pin_service_step(), Some(session::PinStep::Done)) {
                bail!("the card refused the PIN change");
            }
            self.tap("Fertig")?;
            self.expect(Step::TakeCard)?;
            slot.remove();
            self.wait_for("the wipe", |k| k.session().screen() == Step::Welcome)?;
        }
        Ok(())
    }
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
