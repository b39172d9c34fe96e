// SPDX-License-Identifier: GPL-3.0-or-later
//! The real `.slint` UI, driven headless by accessible labels: what each
//! screen says, in German and English, for the cases a citizen meets. Every
//! screen visited is also rendered to a PNG under the system's temporary
//! directory (`buergerterminal-ui-tests/`) for a person to look at.
//!
//! Slint's platform is per process and its UI per thread, so the scenarios
//! run one after another in a single test, each starting from the welcome
//! screen of the same kiosk (which is also what a terminal does all day).

use crate::headless::{Screen, texts};
use crate::walkthrough::Walkthrough;
use anyhow::Result;
use session::{IdentifyStep, Screen as Step};
use slint::ComponentHandle;
use std::path::PathBuf;

fn says(walk: &Walkthrough, text: &str) -> bool {
    texts(&walk.app()).iter().any(|t| t == text)
}

#[track_caller]
fn assert_says(walk: &Walkthrough, text: &str) {
    let shown = texts(&walk.app());
    assert!(shown.iter().any(|t| t == text), "expected {text:?} on screen; it shows {shown:#?}");
}

fn insert_card_and_type_pin(walk: &mut Walkthrough, pin: &str) -> Result<()> {
    let (slot, file) = walk.card()?;
    if !slot.has_card() {
        slot.insert(&file)?;
    }
    walk.wait_for("the PIN pad", |k| matches!(k.session().identify_step(), Some(IdentifyStep::EnterPin { .. })))?;
    for digit in pin.chars() {
        walk.tap(&digit.to_string())?;
    }
    Ok(())
}

fn catalogue_in_both_languages(walk: &mut Walkthrough) -> Result<()> {
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

fn service_information_lists_card_data_and_recipient(walk: &mut Walkthrough) -> Result<()> {
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

fn wrong_pin_says_how_many_attempts_are_left(walk: &mut Walkthrough) -> Result<()> {
    insert_card_and_type_pin(walk, "111111")?;
    assert_says(walk, "6 von 6 Ziffern eingegeben");
    walk.tap("Bestätigen")?;
    assert_says(walk, "Die PIN war nicht richtig. Sie haben noch 2 Versuch(e).");
    walk.shot("wrong-pin")?;
    insert_card_and_type_pin(walk, "123456")?;
    walk.tap("Bestätigen")?;
    walk.expect(Step::Form)
}

fn form_validates_inline_and_keeps_input_across_languages(walk: &mut Walkthrough) -> Result<()> {
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
    let row = crate::headless::find(&walk.app(), "Dog's name")?;
    assert_eq!(row.accessible_value().as_deref(), Some("Bello"), "switching language keeps what was typed");
    walk.shot("form-error-en")
}

fn large_text_and_high_contrast_switch_the_whole_screen(walk: &mut Walkthrough) -> Result<()> {
    walk.tap("Large text")?;
    walk.tap("High contrast")?;
    let app = walk.app();
    let theme = app.global::<crate::Theme>();
    assert!(theme.get_large_text() && theme.get_high_contrast());
    walk.shot("form-large-contrast")?;
    Ok(())
}

fn cancel_wipes_and_tells_the_next_citizen(walk: &mut Walkthrough) -> Result<()> {
    walk.tap("Cancel and delete my data")?;
    walk.expect(Step::Welcome)?;
    assert!(!walk.kiosk().session().holds_personal_data());
    let app = walk.app();
    let theme = app.global::<crate::Theme>();
    assert!(!theme.get_large_text() && !theme.get_high_contrast(), "the citizen's display settings go too");
    assert_says(walk, "Die letzte Sitzung wurde abgebrochen. Alle Daten wurden gelöscht.");
    walk.shot("welcome-after-cancel")?;
    Ok(())
}

fn status_check_refuses_a_mistyped_number(walk: &mut Walkthrough) -> Result<()> {
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

fn type_and_confirm(walk: &mut Walkthrough, digits: &str) -> Result<()> {
    for digit in digits.chars() {
        walk.tap(&digit.to_string())?;
    }
    walk.tap("Bestätigen")
}

fn wait_for_pin_step(walk: &mut Walkthrough, what: &str, done: fn(&session::PinStep) -> bool) -> Result<()> {
    walk.wait_for(what, |k| k.session().pin_service_step().is_some_and(done))
}

/// Three wrong PINs in the PIN service: attempts left, then the CAN, then
/// blocked with the way out (the PUK), which unblocks the card.
fn pin_service_leads_from_wrong_pins_to_the_puk(walk: &mut Walkthrough) -> Result<()> {
    use session::PinStep;
    walk.tap("Start")?;
    walk.tap("PIN meines Ausweises ändern")?;
    walk.expect(Step::PinService)?;
    for choice in ["Eigene PIN wählen", "PIN ändern", "PIN entsperren"] {
        assert_says(walk, choice);
    }
    walk.shot("pin-service-choices")?;
    walk.tap("PIN ändern")?;
    let (slot, file) = walk.card()?;
    if !slot.has_card() {
        slot.insert(&file)?;
    }
    wait_for_pin_step(walk, "the PIN pad", |s| matches!(s, PinStep::EnterCurrent { .. }))?;
    assert_says(walk, "Bitte geben Sie Ihre jetzige 6-stellige PIN ein");
    type_and_confirm(walk, "000000")?;
    type_and_confirm(walk, "246810")?;
    assert_says(walk, "Bitte geben Sie Ihre neue PIN noch einmal ein");
    type_and_confirm(walk, "246810")?;
    wait_for_pin_step(walk, "the card's answer", |s| matches!(s, PinStep::EnterCurrent { error: Some(_) }))?;
    assert_says(walk, "Die PIN war nicht richtig. Sie haben noch 2 Versuch(e).");
    type_and_confirm(walk, "000001")?;
    wait_for_pin_step(walk, "the card's answer", |s| matches!(s, PinStep::EnterCan { .. }))?;
    assert_says(walk, "Bitte geben Sie Ihre Zugangsnummer (CAN) ein");
    walk.shot("pin-service-can")?;
    type_and_confirm(walk, "500540")?;
    type_and_confirm(walk, "000002")?;
    wait_for_pin_step(walk, "the card's answer", |s| matches!(s, PinStep::Failed(_)))?;
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
    wait_for_pin_step(walk, "the card's answer", |s| matches!(s, PinStep::Done | PinStep::Failed(_)))?;
    assert_says(walk, "Ihre PIN ist entsperrt");
    walk.shot("pin-service-unblocked")?;
    walk.tap("Fertig")?;
    walk.expect(Step::TakeCard)?;
    slot.remove();
    walk.wait_for("the wipe", |k| k.session().screen() == Step::Welcome)?;
    assert!(!walk.kiosk().session().holds_personal_data());
    Ok(())
}

/// With the portal down and no printer attached, the citizen still gets a
/// receipt: "queued, will be sent automatically", shown on screen.
fn queued_request_without_printer_shows_the_receipt_on_screen(walk: &mut Walkthrough) -> Result<()> {
    walk.tap("Start")?;
    walk.tap("Termin im Bürgeramt")?;
    walk.tap("Zustimmen und weiter")?;
    insert_card_and_type_pin(walk, "123456")?;
    walk.tap("Bestätigen")?;
    walk.expect(Step::Form)?;
    walk.tap("Reisepass")?;
    walk.tap("Weiter")?;
    walk.expect(Step::Booking)?;
    let first_slot = match walk.kiosk().session().slots() {
        Some(Ok(slots)) => slots.first().map(|s| s.describe(walk.kiosk().session().lang())),
        _ => None,
    };
    walk.tap(&first_slot.expect("the appointment calendar offers a slot"))?;
    walk.tap("Weiter")?;
    walk.tap("Ich bin einverstanden, dass dieser Antrag mit den angezeigten Daten an den Empfänger gesendet wird.")?;
    walk.tap("Antrag senden")?;
    walk.wait_for("the printer's answer", |k| k.session().print_state() == Some(&session::PrintState::Failed))?;
    assert_says(walk, "Ihr Antrag ist gespeichert und wird automatisch gesendet");
    assert_says(
        walk,
        "Der Beleg konnte nicht gedruckt werden. Bitte fotografieren Sie den QR-Code oder notieren Sie die Vorgangsnummer.",
    );
    let receipt = crate::headless::find(&walk.app(), "Ihr Beleg")?;
    assert!(receipt.size().height > 100.0, "the receipt image is on screen");
    walk.shot("queued-no-printer")?;
    walk.tap("Fertig")?;
    let (slot, _) = walk.card()?;
    slot.remove();
    walk.wait_for("the wipe", |k| k.session().screen() == Step::Welcome)
}

/// The idle warning counts down on screen and then wipes the session. Runs on
/// a configuration with a one-second idle time and a two-second countdown.
fn idle_warning_counts_down_then_wipes(walk: &mut Walkthrough) -> Result<()> {
    walk.tap("Start")?;
    walk.tap("Sperrmüllabholung")?;
    walk.wait_for("the idle warning", |k| k.session().warning_seconds_left(k.now()).is_some())?;
    assert_says(walk, "Sind Sie noch da?");
    assert_says(walk, "Zum Schutz Ihrer Daten endet diese Sitzung in 2 Sekunden, und alles Eingegebene wird gelöscht.");
    walk.shot("idle-warning")?;
    walk.wait_for("the countdown", |k| k.session().warning_seconds_left(k.now()) == Some(1))?;
    assert_says(walk, "Zum Schutz Ihrer Daten endet diese Sitzung in 1 Sekunden, und alles Eingegebene wird gelöscht.");
    walk.wait_for("the wipe", |k| k.session().screen() == Step::Welcome)?;
    assert_says(
        walk,
        "Die letzte Sitzung wurde beendet, weil niemand den Bildschirm benutzt hat. Alle Daten wurden gelöscht.",
    );
    Ok(())
}

/// The compiled-in configuration with other timeouts, loaded from files as
/// a terminal's `/etc/kiosk` would be.
fn config_with_short_timeouts(dir: &std::path::Path) -> Result<crate::config::Config> {
    let defaults = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    for name in ["catalogue.toml", "texts.toml"] {
        std::fs::copy(defaults.join(name), dir.join(name))?;
    }
    let terminal = std::fs::read_to_string(defaults.join("terminal.toml"))?
        .replace("idle-seconds = 90", "idle-seconds = 1")
        .replace("warning-seconds = 30", "warning-seconds = 2");
    std::fs::write(dir.join("terminal.toml"), terminal)?;
    crate::config::Config::load(Some(dir))
}

#[test]
fn ui_scenarios() -> Result<()> {
    let dir: PathBuf = std::env::temp_dir().join("buergerterminal-ui-tests");
    std::fs::create_dir_all(&dir)?;
    let screen = Screen::install()?;
    let paper = tempfile::tempdir()?;
    let kiosk =
        crate::demo_kiosk(crate::config::Config::load(None)?, crate::config::default_demo_card(), paper.path())?;
    let mut walk = Walkthrough::new(kiosk, screen, Some(dir.clone()), paper.path().to_path_buf());

    catalogue_in_both_languages(&mut walk)?;
    service_information_lists_card_data_and_recipient(&mut walk)?;
    wrong_pin_says_how_many_attempts_are_left(&mut walk)?;
    form_validates_inline_and_keeps_input_across_languages(&mut walk)?;
    large_text_and_high_contrast_switch_the_whole_screen(&mut walk)?;
    cancel_wipes_and_tells_the_next_citizen(&mut walk)?;
    status_check_refuses_a_mistyped_number(&mut walk)?;
    pin_service_leads_from_wrong_pins_to_the_puk(&mut walk)?;
    let screen = walk.into_screen();

    let offline = std::sync::Arc::new(portal::SimulatedPortal::offline());
    let no_printer = printer::SerialPrinter::new(printer::SerialConfig::new(
        "/dev/no-such-receipt-printer",
        115_200,
        printer::PrinterProfile::RASTER_80MM,
    ));
    let kiosk = crate::kiosk_with(
        crate::config::Config::load(None)?,
        crate::config::default_demo_card(),
        offline,
        Box::new(no_printer),
    )?;
    let mut walk = Walkthrough::new(kiosk, screen, Some(dir.clone()), paper.path().to_path_buf());
    queued_request_without_printer_shows_the_receipt_on_screen(&mut walk)?;
    let screen = walk.into_screen();

    let config_dir = tempfile::tempdir()?;
    let config = config_with_short_timeouts(config_dir.path())?;
    let kiosk = crate::demo_kiosk(config, crate::config::default_demo_card(), paper.path())?;
    let mut walk = Walkthrough::new(kiosk, screen, Some(dir.clone()), paper.path().to_path_buf());
    idle_warning_counts_down_then_wipes(&mut walk)?;
    println!("UI test screenshots in {}", dir.display());
    Ok(())
}

/// The `@tr("…")` source strings of every `.slint` file.
fn ui_strings() -> Vec<String> {
    fn visit(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read ui/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                visit(&path, out);
            } else if path.extension().is_some_and(|e| e == "slint") {
                let text = std::fs::read_to_string(&path).expect("read .slint");
                for (_, rest) in text.match_indices("@tr(\"").map(|(i, m)| ((), &text[i + m.len()..])) {
                    let end = rest.find('"').expect("closing quote");
                    out.push(rest[..end].to_owned());
                }
            }
        }
    }
    let mut out = Vec::new();
    visit(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui"), &mut out);
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_ui_text_has_a_german_translation_and_none_is_stale() {
    let po = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/translations/de/LC_MESSAGES/kiosk.po"),
    )
    .expect("read the German translation");
    let mut translated = std::collections::BTreeMap::new();
    let mut msgid = None;
    for line in po.lines() {
        if let Some(id) = line.strip_prefix("msgid \"").and_then(|l| l.strip_suffix('"')) {
            msgid = Some(id.to_owned());
        } else if let (Some(text), Some(id)) =
            (line.strip_prefix("msgstr \"").and_then(|l| l.strip_suffix('"')), msgid.take())
        {
            translated.insert(id, text.to_owned());
        }
    }
    let used = ui_strings();
    let missing: Vec<_> = used.iter().filter(|s| translated.get(*s).is_none_or(String::is_empty)).collect();
    assert!(missing.is_empty(), "no German text for {missing:#?}");
    let stale: Vec<_> = translated.keys().filter(|k| !k.is_empty() && !used.contains(k)).collect();
    assert!(stale.is_empty(), "translations nobody uses: {stale:#?}");
}
