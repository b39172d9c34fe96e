// SPDX-License-Identifier: GPL-3.0-or-later
//! The real `.slint` UI, driven headless by accessible labels: what each
//! screen says, in German and English, for the cases citizens (`citizen`)
//! and staff (`assist`) meet. Each scenario is a test of its own, on a
//! terminal of its own (Slint's platform and UI are per thread). Every
//! screen visited is also rendered to a PNG under the system's temporary
//! directory (`buergerterminal-ui-tests/<scenario>/`) for a person to look
//! at.

mod assist;
mod citizen;
mod languages;
mod out_of_service;

use crate::demo::{SpecimenCard, default_card_file, terminal};
use crate::touch::{Touchscreen, texts};
use crate::walkthrough::{Walkthrough, identify_step};
use anyhow::Result;
use kiosk::view::receipt::paper_width;
use session::{Config, IdentifyStep};
use std::sync::Arc;

/// The scripted citizen with the specimen card.
pub(super) type Walk = Walkthrough<SpecimenCard>;

/// One citizen in front of a terminal of their own.
pub(super) struct Scene {
    walk: Walkthrough<SpecimenCard>,
    _paper: tempfile::TempDir,
}

impl std::ops::Deref for Scene {
    type Target = Walkthrough<SpecimenCard>;
    fn deref(&self) -> &Walkthrough<SpecimenCard> {
        &self.walk
    }
}

impl std::ops::DerefMut for Scene {
    fn deref_mut(&mut self) -> &mut Walkthrough<SpecimenCard> {
        &mut self.walk
    }
}

/// A terminal with `config`, `portal` and a printer (the simulated one, or
/// `printer`), photographed into `buergerterminal-ui-tests/<name>/`.
pub(super) fn scene_with(
    name: &str,
    config: Config,
    portal: Arc<dyn portal::Portal>,
    printer: Option<Box<dyn printer::ReceiptPrinter>>,
) -> Result<Scene> {
    let dir = std::env::temp_dir().join("buergerterminal-ui-tests").join(name);
    std::fs::create_dir_all(&dir)?;
    let screen = Touchscreen::install()?;
    let paper = tempfile::tempdir()?;
    let printer = printer
        .unwrap_or_else(|| Box::new(printer::SimulatedPrinter::new(paper.path(), paper_width(&config.terminal))));
    let (terminal, card) = terminal(config, default_card_file(), portal, printer)?;
    let walk = Walkthrough::new(terminal, card, screen, Some(dir), Some(paper.path().to_path_buf()));
    Ok(Scene { walk, _paper: paper })
}

/// The demo terminal: default configuration, simulated portal and printer.
pub(super) fn scene(name: &str) -> Result<Scene> {
    scene_with(name, Config::defaults()?, Arc::new(portal::SimulatedPortal::new()), None)
}

pub(super) fn says(walk: &Walk, text: &str) -> bool {
    texts(&walk.app()).iter().any(|t| t == text)
}

#[track_caller]
pub(super) fn assert_says(walk: &Walk, text: &str) {
    let shown = texts(&walk.app());
    assert!(shown.iter().any(|t| t == text), "expected {text:?} on screen; it shows {shown:#?}");
}

pub(super) fn insert_card_and_type_pin(walk: &mut Walk, pin: &str) -> Result<()> {
    let card = walk.card().clone();
    if !card.slot.has_card() {
        card.slot.insert(&card.file)?;
    }
    walk.wait_until("the PIN pad", |s| matches!(identify_step(s), Some(IdentifyStep::EnterSecret { .. })))?;
    for digit in pin.chars() {
        walk.tap(&digit.to_string())?;
    }
    Ok(())
}
