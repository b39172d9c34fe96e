// SPDX-License-Identifier: GPL-3.0-or-later
//! The citizen's screens.

use super::{Walk, assert_says, insert_card_and_type_pin, says, scene, scene_with};
use crate::touch::texts;
use crate::walkthrough::identify_step;
use anyhow::Result;
use session::journey::{PinService, PrintState};
use session::{Config, Event, IdentifyStep, PinEntry, Screen as Step, Session};
use slint::ComponentHandle;
use std::sync::Arc;

fn catalogue_in_both_languages(walk: &mut Walk) -> Result<()> {
    walk.tap("English")?;
    assert_says(walk, "Welcome to the citizens' terminal");
    walk.tap("Start")?;
    for service in
        ["Bulky-waste pickup", "Dog registration", "Appointment at the citizens' office", "Status of my request"]
    {
        assert_says(walk, service);
    }
    walk.shot("catalogue-en")?;
    walk.tap("Deutsch")?;
    for service in ["Sperrmüllabholung", "Hundeanmeldung", "Termin im Bürgeramt", "Stand meines Antrags"] {
        assert_says(walk, service);
    }
    walk.tap("Zurück")?;
    walk.expect(Step::Welcome)
}

fn service_information_lists_card_data_and_recipient(walk: &mut Walk) -> Result<()> {
    walk.tap("Start")?;
    walk.tap("Hundeanmeldung")?;
    for line in ["•  Vorname(n)", "•  Familienname", "•  Geburtsdatum", "•  Anschrift", "Steueramt Musterstadt"]
    {
        assert_says(walk, line);
    }
    assert!(!says(walk, "•  Geburtsort"), "dog registration does not read the place of birth");
    walk.shot("service-info-dog")?;
    walk.tap("Zustimmen und weiter")
}

fn wrong_pin_says_how_many_attempts_are_left(walk: &mut Walk) -> Result<()> {
    insert_card_and_type_pin(walk, "111111")?;
    assert_says(walk, "6 von 6 Ziffern eingegeben");
    walk.tap("Bestätigen")?;
    assert_says(walk, "Die PIN war nicht richtig. Sie haben noch 2 Versuch(e).");
    walk.shot("wrong-pin")?;
    insert_card_and_type_pin(walk, "123456")?;
    walk.tap("Bestätigen")?;
    walk.expect(Step::Form)
}

fn form_validates_inline_and_keeps_input_across_languages(walk: &mut Walk) -> Result<()> {
    assert_says(walk, "Vom Ausweis · nicht änderbar");
    walk.type_text("Bello")?;
    walk.tap("Rasse")?;
    walk.type_text("Dackel")?;
    walk.tap("Chipnummer (15 Ziffern)")?;
    for digit in "27609810000123".chars() {
        walk.tap(&digit.to_string())?;
    }
    walk.tap("Weiter")?;
    walk.expect(Step::Form)?;
    let shown = texts(&walk.app());
    assert!(
        shown.iter().any(|t| t.contains("Bitte geben Sie genau 15 Ziffern ein.")),
        "the microchip error is shown inline: {shown:#?}"
    );
    walk.shot("form-error")?;
    walk.tap("English")?;
    assert_says(walk, "Dog's name");
    assert_says(walk, "From your ID card · cannot be changed");
    let row = crate::touch::find(&walk.app(), "Dog's name")?;
    assert_eq!(row.accessible_value().as_deref(), Some("Bello"), "switching language keeps what was typed");
    walk.shot("form-error-en")
}

fn large_text_and_high_contrast_switch_the_whole_screen(walk: &mut Walk) -> Result<()> {
    walk.tap("Large text")?;
    walk.tap("High contrast")?;
    let app = walk.app();
    let theme = app.global::<kiosk::Theme>();
    assert!(theme.get_large_text() && theme.get_high_contrast());
    walk.shot("form-large-contrast")?;
    Ok(())
}

fn cancel_wipes_and_tells_the_next_citizen(walk: &mut Walk) -> Result<()> {
    walk.tap("Cancel and delete my data")?;
    walk.expect(Step::Welcome)?;
    assert!(!walk.terminal().session().holds_personal_data());
    let app = walk.app();
    let theme = app.global::<kiosk::Theme>();
    assert!(!theme.get_large_text() && !theme.get_high_contrast(), "the citizen's display settings go too");
    assert_says(walk, "Die letzte Sitzung wurde abgebrochen. Alle Daten wurden gelöscht.");
    walk.shot("welcome-after-cancel")?;
    Ok(())
}

fn status_check_refuses_a_mistyped_number(walk: &mut Walk) -> Result<()> {
    walk.tap("Start")?;
    walk.tap("Stand meines Antrags")?;
    for c in "ABCDEFGHJKLM".chars() {
        walk.tap(&c.to_string())?;
    }
    walk.tap("Status prüfen")?;
    assert_says(walk, "Das ist keine gültige Vorgangsnummer. Bitte prüfen Sie jedes Zeichen.");
    walk.shot("status-mistyped")?;
    walk.tap("Zurück")?;
    walk.tap("Zurück")?;
    walk.expect(Step::Welcome)
}

fn type_and_confirm(walk: &mut Walk, digits: &str) -> Result<()> {
    for digit in digits.chars() {
        walk.tap(&digit.to_string())?;
    }
    walk.tap("Bestätigen")
}

fn wait_for_step(walk: &mut Walk, what: &str, done: fn(&IdentifyStep) -> bool) -> Result<()> {
    walk.wait_until(what, |s| identify_step(s).is_some_and(done))
}

/// Three wrong PINs in the PIN service: attempts left, then the CAN, then
/// blocked with the way out (the PUK), which unblocks the card.
fn pin_service_leads_from_wrong_pins_to_the_puk(walk: &mut Walk) -> Result<()> {
    walk.tap("Start")?;
    walk.tap("PIN meines Ausweises ändern")?;
    walk.expect(Step::PinService)?;
    for choice in ["Eigene PIN wählen", "PIN ändern", "PIN entsperren"] {
        assert_says(walk, choice);
    }
    walk.shot("pin-service-choices")?;
    walk.tap("PIN ändern")?;
    let card = walk.card().clone();
    if !card.slot.has_card() {
        card.slot.insert(&card.file)?;
    }
    wait_for_step(walk, "the PIN pad", |s| matches!(s, IdentifyStep::EnterSecret { .. }))?;
    assert_says(walk, "Bitte geben Sie Ihre jetzige 6-stellige PIN ein");
    type_and_confirm(walk, "000000")?;
    type_and_confirm(walk, "246810")?;
    assert_says(walk, "Bitte geben Sie Ihre neue PIN noch einmal ein");
    type_and_confirm(walk, "246810")?;
    wait_for_step(walk, "the card's answer", |s| matches!(s, IdentifyStep::EnterSecret { error: Some(_), .. }))?;
    assert_says(walk, "Die PIN war nicht richtig. Sie haben noch 2 Versuch(e).");
    type_and_confirm(walk, "000001")?;
    wait_for_step(walk, "the card's answer", |s| matches!(s, IdentifyStep::EnterCan { .. }))?;
    assert_says(walk, "Bitte geben Sie Ihre Zugangsnummer (CAN) ein");
    walk.shot("pin-service-can")?;
    type_and_confirm(walk, "500540")?;
    type_and_confirm(walk, "000002")?;
    wait_for_step(walk, "the card's answer", |s| matches!(s, IdentifyStep::Failed(_)))?;
    assert_says(
        walk,
        "Ihre PIN ist nach drei Fehlversuchen gesperrt. Sie können sie mit der PUK aus Ihrem PIN-Brief entsperren oder im Bürgeramt.",
    );
    walk.shot("pin-service-blocked")?;
    walk.tap("PIN entsperren")?;
    assert_says(walk, "Bitte geben Sie Ihre 10-stellige PUK ein");
    assert_says(walk, "0 von 10 Ziffern eingegeben");
    walk.shot("pin-service-puk")?;
    type_and_confirm(walk, "9876543210")?;
    walk.wait_until("the card's answer", |s| {
        matches!(s.journey().pin_service(), Some(PinService::Done { .. }))
            || matches!(identify_step(s), Some(IdentifyStep::Failed(_)))
    })?;
    assert_says(walk, "Ihre PIN ist entsperrt");
    walk.shot("pin-service-unblocked")?;
    walk.tap("Fertig")?;
    walk.expect(Step::TakeCard)?;
    card.slot.remove();
    walk.wait_until("the wipe", |s| s.screen() == Step::Welcome)?;
    assert!(!walk.terminal().session().holds_personal_data());
    Ok(())
}

/// With the portal down and no printer attached, the citizen still gets a
/// receipt: "queued, will be sent automatically", shown on screen.
fn queued_request_without_printer_shows_the_receipt_on_screen(walk: &mut Walk) -> Result<()> {
    walk.tap("Start")?;
    walk.tap("Termin im Bürgeramt")?;
    walk.tap("Zustimmen und weiter")?;
    insert_card_and_type_pin(walk, "123456")?;
    walk.tap("Bestätigen")?;
    walk.expect(Step::Form)?;
    walk.tap("Reisepass")?;
    walk.tap("Weiter")?;
    walk.expect(Step::Booking)?;
    let first_slot = {
        let terminal = walk.terminal();
        let session = terminal.session();
        match session.journey().request().and_then(|r| r.calendar()).and_then(|c| c.slots()) {
            Some(Ok(slots)) => slots.first().map(|s| s.describe(session.lang())),
            _ => None,
        }
    };
    walk.tap(&first_slot.expect("the appointment calendar offers a slot"))?;
    walk.tap("Weiter")?;
    walk.tap("Ich bin einverstanden, dass dieser Antrag mit den angezeigten Daten an den Empfänger gesendet wird.")?;
    walk.tap("Antrag senden")?;
    walk.wait_until("the printer's answer", |s| crate::walkthrough::print_state(s) == Some(PrintState::Failed))?;
    assert_says(walk, "Ihr Antrag ist gespeichert und wird automatisch gesendet");
    assert_says(
        walk,
        "Der Beleg konnte nicht gedruckt werden. Bitte fotografieren Sie den QR-Code oder notieren Sie die Vorgangsnummer.",
    );
    let receipt = crate::touch::find(&walk.app(), "Ihr Beleg")?;
    assert!(receipt.size().height > 100.0, "the receipt image is on screen");
    // Until the portal has it, the data is on its way, not sent.
    let shown = crate::touch::texts(&walk.app());
    assert!(shown.iter().any(|t| t.contains(": wird gesendet an ")), "the log says it will be sent: {shown:#?}");
    assert!(!shown.iter().any(|t| t.contains(": gesendet an ")), "and not that it was: {shown:#?}");
    walk.shot("queued-no-printer")?;
    walk.tap("Fertig")?;
    walk.card().slot.remove();
    walk.wait_until("the wipe", |s| s.screen() == Step::Welcome)
}

/// The idle warning counts down on screen and then wipes the session. Runs on
/// a configuration with a one-second idle time and a two-second countdown.
fn idle_warning_counts_down_then_wipes(walk: &mut Walk) -> Result<()> {
    walk.tap("Start")?;
    walk.tap("Sperrmüllabholung")?;
    walk.wait_for("the idle warning", |t| t.session().warning_seconds_left(t.now()).is_some())?;
    assert_says(walk, "Sind Sie noch da?");
    assert_says(walk, "Zum Schutz Ihrer Daten endet diese Sitzung in 5 Sekunden, und alles Eingegebene wird gelöscht.");
    walk.shot("idle-warning")?;
    walk.wait_for("the countdown", |t| t.session().warning_seconds_left(t.now()) == Some(1))?;
    assert_says(walk, "Zum Schutz Ihrer Daten endet diese Sitzung in 1 Sekunde, und alles Eingegebene wird gelöscht.");
    walk.wait_until("the wipe", |s| s.screen() == Step::Welcome)?;
    assert_says(
        walk,
        "Die letzte Sitzung wurde beendet, weil niemand den Bildschirm benutzt hat. Alle Daten wurden gelöscht.",
    );
    Ok(())
}

/// The default configuration with the shortest timeouts a terminal accepts,
/// loaded from a file as a terminal's `/etc/kiosk/terminal.toml` would be.
fn config_with_short_timeouts(dir: &std::path::Path) -> Result<Config> {
    let defaults = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../session/config/terminal.toml");
    let terminal = std::fs::read_to_string(defaults)?
        .replace("idle-seconds = 90", "idle-seconds = 10")
        .replace("warning-seconds = 30", "warning-seconds = 5");
    std::fs::write(dir.join("terminal.toml"), terminal)?;
    Ok(Config::load(Some(dir))?)
}

#[test]
fn the_catalogue_is_offered_in_german_and_english() -> Result<()> {
    let mut scene = scene("catalogue")?;
    catalogue_in_both_languages(&mut scene)
}

#[test]
fn the_service_information_lists_the_card_data_and_the_recipient() -> Result<()> {
    let mut scene = scene("service-information")?;
    service_information_lists_card_data_and_recipient(&mut scene)
}

/// Up to the dog registration's PIN pad.
fn at_the_pin_pad(walk: &mut Walk) -> Result<()> {
    walk.tap("Start")?;
    walk.tap("Hundeanmeldung")?;
    walk.tap("Zustimmen und weiter")?;
    walk.expect(Step::Identify)
}

/// Up to the dog registration's form, with the specimen card read.
fn at_the_form(walk: &mut Walk) -> Result<()> {
    at_the_pin_pad(walk)?;
    insert_card_and_type_pin(walk, "123456")?;
    walk.tap("Bestätigen")?;
    walk.expect(Step::Form)
}

/// A reader that runs PACE itself: the identify screen has no PIN pad and
/// tells the citizen to use the reader's keys, in German and English. (The
/// demo's simulated reader has no keypad; the reader's answer is the card
/// thread's `ReaderPinEntry`, as `kiosk::devices` sends it.)
#[test]
fn with_a_keypad_reader_the_pin_screen_sends_the_citizen_to_the_readers_keys() -> Result<()> {
    let mut walk = scene("pin-on-reader")?;
    let card = walk.card().clone();
    card.slot.insert(&card.file)?;
    walk.wait_until("the card", Session::card_present)?;
    walk.device_says(Event::ReaderPinEntry(PinEntry::OnReader))?;
    at_the_pin_pad(&mut walk)?;
    walk.wait_until("the keypad step", |s| matches!(identify_step(s), Some(IdentifyStep::OnReader { error: None })))?;
    assert_says(&walk, "Ihre PIN geben Sie an der Tastatur des Kartenlesers ein");
    assert_says(&walk, "Start");
    let shown = texts(&walk.app());
    assert!(!shown.iter().any(|t| t.contains("Ziffern eingegeben")), "no PIN pad on the screen: {shown:#?}");
    assert!(!shown.iter().any(|t| t == "Bestätigen"), "no PIN pad on the screen: {shown:#?}");
    walk.shot("keypad-de")?;
    walk.tap("English")?;
    assert_says(&walk, "Your PIN is typed on the card reader's keypad");
    assert_says(
        &walk,
        "Tap Start. Then type your 6-digit PIN on the keypad of the card reader and press the reader's OK key. \
         Your PIN goes only to your card; this terminal never receives it.",
    );
    walk.shot("keypad-en")?;
    Ok(())
}

#[test]
fn a_wrong_pin_says_how_many_attempts_are_left() -> Result<()> {
    let mut walk = scene("wrong-pin")?;
    at_the_pin_pad(&mut walk)?;
    wrong_pin_says_how_many_attempts_are_left(&mut walk)
}

#[test]
fn the_form_validates_inline_and_keeps_input_across_languages() -> Result<()> {
    let mut walk = scene("form")?;
    at_the_form(&mut walk)?;
    form_validates_inline_and_keeps_input_across_languages(&mut walk)
}

#[test]
fn large_text_and_high_contrast_switch_the_whole_screen_and_go_with_the_wipe() -> Result<()> {
    let mut walk = scene("large-contrast")?;
    at_the_form(&mut walk)?;
    walk.tap("English")?;
    large_text_and_high_contrast_switch_the_whole_screen(&mut walk)?;
    cancel_wipes_and_tells_the_next_citizen(&mut walk)
}

#[test]
fn a_mistyped_tracking_number_is_refused_at_the_keypad() -> Result<()> {
    let mut scene = scene("status-mistyped")?;
    status_check_refuses_a_mistyped_number(&mut scene)
}

#[test]
fn the_pin_service_leads_from_wrong_pins_to_the_puk() -> Result<()> {
    let mut scene = scene("pin-service")?;
    pin_service_leads_from_wrong_pins_to_the_puk(&mut scene)
}

#[test]
fn a_queued_request_without_a_printer_shows_the_receipt_on_screen() -> Result<()> {
    let offline = Arc::new(portal::SimulatedPortal::offline());
    let no_printer = printer::SerialPrinter::new(printer::SerialConfig::new(
        "/dev/no-such-receipt-printer",
        115_200,
        printer::PrinterProfile::RASTER_80MM,
    ));
    let mut walk = scene_with("queued-no-printer", Config::defaults()?, offline, Some(Box::new(no_printer)))?;
    queued_request_without_printer_shows_the_receipt_on_screen(&mut walk)
}

#[test]
fn the_idle_warning_counts_down_then_wipes() -> Result<()> {
    let config_dir = tempfile::tempdir()?;
    let config = config_with_short_timeouts(config_dir.path())?;
    let mut walk = scene_with("idle-warning", config, Arc::new(portal::SimulatedPortal::new()), None)?;
    idle_warning_counts_down_then_wipes(&mut walk)
}
