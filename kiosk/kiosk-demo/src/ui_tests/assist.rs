// SPDX-License-Identifier: GPL-3.0-or-later
//! Staff at the terminal: the help call, the hidden way in with the staff
//! code, the citizen's consent, assist mode with everything of the
//! citizen's masked on every screen, and the staff page.

use super::{Walk, assert_says, insert_card_and_type_pin, scene};
use crate::demo::staff_seeds;
use crate::touch::all_texts;
use anyhow::Result;
use session::{Screen as Step, Seed, Staff, StaffLevel};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The specimen's name and address, in every spelling a screen could show.
const SPECIMEN: [&str; 6] = ["Erika", "Mustermann", "Heidestraße", "HEIDESTRASSE", "Köln", "51147"];

/// The long press that opens the staff code pad.
const HOLD: Duration = Duration::from_millis(3_300);

fn code(seed: &Seed) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("a clock after 1970").as_secs();
    seed.code_at(now)
}

/// The hidden gesture and a code from `seed`.
fn unlock(walk: &mut Walk, seed: &Seed) -> Result<()> {
    walk.hold("Stadt Musterstadt", HOLD)?;
    assert_says(walk, "Personal-Code");
    for digit in code(seed).chars() {
        walk.tap(&digit.to_string())?;
    }
    walk.tap("Bestätigen")
}

/// Fails if anything on screen, in any element's text, names the specimen.
#[track_caller]
fn assert_shows_nothing_of_the_citizen(walk: &Walk) {
    let all = all_texts(&walk.app());
    let leaked: Vec<&String> = all.iter().filter(|t| SPECIMEN.iter().any(|s| t.contains(s))).collect();
    assert!(leaked.is_empty(), "the helper can read {leaked:?}");
}

/// The staff's language button, labelled in each language of
/// `Lang::ALL`, the order the button steps through them.
const STAFF_LANGUAGE: [&str; 7] = [
    "Personal: Sprache",
    "Personal: Sprache",
    "Staff: language",
    "Personel: dil",
    "الموظفون: اللغة",
    "Персонал: мова",
    "Персонал: язык",
];

/// Photographs the screen as the helper sees it in every language, switched
/// by staff one after the other and back to German, and checks that none
/// shows anything of the citizen.
fn every_language(walk: &mut Walk, name: &str) -> Result<()> {
    for (lang, label) in session::Lang::ALL.into_iter().zip(STAFF_LANGUAGE) {
        assert_eq!(*walk.terminal().session().lang(), lang, "the staff's button steps through the languages");
        assert_shows_nothing_of_the_citizen(walk);
        walk.shot(&format!("{name}-{}", lang.code()))?;
        walk.tap(label)?;
    }
    assert_eq!(*walk.terminal().session().lang(), session::Lang::German);
    Ok(())
}

fn wait_for_pin_pad(walk: &mut Walk) -> Result<()> {
    walk.wait_until("the PIN pad", |s| {
        matches!(s.journey().identification().map(|i| i.step()), Some(session::IdentifyStep::EnterSecret { .. }))
    })
}

/// The first date the calendar offers, as its button is labelled.
fn first_slot(walk: &Walk) -> Result<String> {
    let terminal = walk.terminal();
    let session = terminal.session();
    match session.journey().request().and_then(|r| r.calendar()).and_then(|c| c.slots()) {
        Some(Ok(slots)) => Ok(slots[0].describe(session.lang())),
        other => anyhow::bail!("the calendar did not load: {other:?}"),
    }
}

#[test]
fn assist_mode_masks_the_citizens_data_on_every_screen_and_renders_none_of_it() -> Result<()> {
    let mut walk = scene("assist-request")?;
    walk.tap("Start")?;
    walk.tap("Hilfe holen")?;
    assert_says(&walk, "Hilfe ist gerufen. Bitte warten Sie: Es kommt gleich jemand.");
    walk.shot("help-called")?;
    unlock(&mut walk, &staff_seeds()?.staff)?;
    assert_says(&walk, "Eine Mitarbeiterin möchte Ihnen helfen");
    walk.shot("consent")?;
    walk.tap("Ja, bitte helfen Sie mir")?;
    assert!(matches!(walk.terminal().session().help().staff, Staff::Assisting(_)));
    every_language(&mut walk, "catalogue")?;
    walk.tap("Sperrmüllabholung")?;
    every_language(&mut walk, "information")?;
    walk.tap("Zustimmen und weiter")?;
    let card = walk.card().clone();
    card.slot.insert(&card.file)?;
    wait_for_pin_pad(&mut walk)?;
    assert_says(&walk, "Bitte schauen Sie weg – die Bürgerin gibt jetzt die PIN ein");
    every_language(&mut walk, "identify-look-away")?;
    insert_card_and_type_pin(&mut walk, "123456")?;
    walk.tap("Bestätigen")?;
    walk.expect(Step::Form)?;
    walk.type_text("Sofa")?;
    walk.tap("Menge in Kubikmetern (1 bis 8)")?;
    walk.tap("3")?;
    every_language(&mut walk, "form")?;
    walk.tap("Welche Gegenstände? der Helferin zeigen")?;
    let shown = all_texts(&walk.app());
    assert!(shown.iter().any(|t| t == "Sofa"), "the citizen showed the items to the helper: {shown:#?}");
    assert_shows_nothing_of_the_citizen(&walk);
    walk.shot("form-one-shown")?;
    walk.tap("Personal: weiter")?;
    walk.expect(Step::Booking)?;
    every_language(&mut walk, "booking")?;
    let slot = first_slot(&walk)?;
    walk.tap(&slot)?;
    walk.tap("Personal: weiter")?;
    walk.expect(Step::Review)?;
    every_language(&mut walk, "review")?;
    walk.tap("Ich bin einverstanden, dass dieser Antrag mit den angezeigten Daten an den Empfänger gesendet wird.")?;
    walk.tap("Antrag senden")?;
    walk.wait_until("the printer", |s| {
        crate::walkthrough::print_state(s).is_some_and(|p| p != session::PrintState::Printing)
    })?;
    assert_says(&walk, "Assistenz: durch Personal; Sie zeigten: Welche Gegenstände?");
    every_language(&mut walk, "receipt")?;
    walk.tap("Fertig")?;
    every_language(&mut walk, "take-card")?;
    card.slot.remove();
    walk.wait_until("the wipe", |s| s.screen() == Step::Welcome)?;
    assert!(matches!(walk.terminal().session().help().staff, Staff::Away), "the wipe ends the assistance");
    Ok(())
}

#[test]
fn the_citizen_ends_the_help_and_sees_their_data_again() -> Result<()> {
    let mut walk = scene("assist-ended")?;
    walk.tap("Start")?;
    walk.tap("Hundeanmeldung")?;
    walk.tap("Zustimmen und weiter")?;
    insert_card_and_type_pin(&mut walk, "123456")?;
    walk.tap("Bestätigen")?;
    unlock(&mut walk, &staff_seeds()?.staff)?;
    walk.tap("Ja, bitte helfen Sie mir")?;
    assert_shows_nothing_of_the_citizen(&walk);
    walk.tap("Hilfe beenden")?;
    assert!(matches!(walk.terminal().session().help().staff, Staff::Away));
    assert!(
        all_texts(&walk.app()).iter().any(|t| t.contains("Mustermann")),
        "without a helper the citizen sees their data again"
    );
    walk.shot("form-after-help")?;
    walk.tap("Abbrechen und meine Daten löschen")?;
    walk.expect(Step::Welcome)
}

#[test]
fn staff_help_with_the_status_check_and_look_away_in_the_pin_service() -> Result<()> {
    let mut walk = scene("assist-status-pin")?;
    walk.tap("Start")?;
    walk.tap("Stand meines Antrags")?;
    unlock(&mut walk, &staff_seeds()?.staff)?;
    walk.tap("Ja, bitte helfen Sie mir")?;
    every_language(&mut walk, "status-entry")?;
    walk.tap("Personal: zurück")?;
    walk.expect(Step::Catalogue)?;
    walk.tap("PIN meines Ausweises ändern")?;
    every_language(&mut walk, "pin-service")?;
    walk.tap("PIN ändern")?;
    let card = walk.card().clone();
    card.slot.insert(&card.file)?;
    wait_for_pin_pad(&mut walk)?;
    assert_says(&walk, "Bitte schauen Sie weg – die Bürgerin gibt jetzt die PIN ein");
    every_language(&mut walk, "pin-service-look-away")?;
    walk.tap("Personal: Sitzung beenden")?;
    walk.expect(Step::Welcome)?;
    assert!(matches!(walk.terminal().session().help().staff, Staff::Away));
    Ok(())
}

#[test]
fn a_wrong_staff_code_is_refused_and_nothing_opens() -> Result<()> {
    let mut walk = scene("assist-wrong-code")?;
    walk.hold("Stadt Musterstadt", HOLD)?;
    let right = code(&staff_seeds()?.staff);
    let wrong: String = right.chars().map(|d| if d == '9' { '0' } else { char::from(d as u8 + 1) }).collect();
    for digit in wrong.chars() {
        walk.tap(&digit.to_string())?;
    }
    walk.tap("Bestätigen")?;
    assert_says(&walk, "Dieser Code stimmt nicht. Bitte prüfen Sie ihn und versuchen Sie es noch einmal.");
    walk.shot("wrong-code")?;
    assert!(matches!(walk.terminal().session().help().staff, Staff::Unlocking { .. }));
    walk.tap("Schließen")?;
    walk.expect(Step::Welcome)
}

#[test]
fn the_staff_page_shows_the_health_and_takes_the_terminal_out_of_service() -> Result<()> {
    let mut walk = scene("assist-tasks")?;
    let seeds = staff_seeds()?;
    unlock(&mut walk, &seeds.staff)?;
    assert_says(&walk, "Aufgaben des Personals");
    walk.tap("Testdruck")?;
    walk.wait_until("the test print", |s| !matches!(s.help().test_print, Some(session::assist::TestPrint::Printing)))?;
    assert_says(&walk, "Der Testbeleg wurde gedruckt.");
    walk.shot("tasks")?;
    walk.tap("Kein Papier")?;
    walk.tap("Schließen")?;
    assert_says(
        &walk,
        "Es hat kein Papier für Belege. Bitte fragen Sie das Personal oder nutzen Sie ein anderes Terminal.",
    );
    walk.shot("out-of-service")?;
    walk.tap("Start").ok();
    walk.expect(Step::Welcome)?;
    unlock(&mut walk, &seeds.maintainer)?;
    assert!(matches!(walk.terminal().session().help().staff, Staff::Tasks { level: StaffLevel::Maintainer }));
    walk.tap("English")?;
    assert_says(&walk, "Staff tasks · maintenance level");
    walk.shot("tasks-en")?;
    walk.tap("Back in service")?;
    walk.tap("Close")?;
    walk.tap("Start")?;
    walk.expect(Step::Catalogue)
}

#[test]
fn the_staff_page_says_until_when_the_eid_authorisation_is_valid() -> Result<()> {
    use chrono::Datelike;
    let mut walk = scene("assist-eid-authorisation")?;
    let card = walk.card().clone();
    card.slot.insert(&card.file)?;
    walk.wait_until("the card", session::Session::card_present)?;
    unlock(&mut walk, &staff_seeds()?.staff)?;
    // The demo's terminal certificate ends with next year (DV: the year after).
    let last_day = format!("{}-12-31", chrono::Local::now().year() + 1);
    assert_says(&walk, "eID-Berechtigung");
    assert_says(&walk, &format!("✓ gültig bis {last_day}"));
    walk.shot("tasks")
}
