// SPDX-License-Identifier: GPL-3.0-or-later
//! A terminal that cannot serve anyone: "out of service", and why, in
//! German and English; and one whose eID authorisation lapses while it runs.

use super::{assert_says, scene};
use crate::touch::{Touchscreen, texts};
use anyhow::Result;
use kiosk::view::{SetupProblem, View};
use session::{Event, Screen as Step};
use slint::ComponentHandle;

#[test]
fn a_terminal_that_cannot_run_says_why_in_german_and_english() -> Result<()> {
    let dir = std::env::temp_dir().join("buergerterminal-ui-tests").join("out-of-service");
    std::fs::create_dir_all(&dir)?;
    let mut screen = Touchscreen::install()?;
    let app = kiosk::App::new()?;
    app.show()?;
    for (problem, german, english) in [
        (
            SetupProblem::StorageLocked,
            "Seine gespeicherten Daten konnten nicht entsperrt werden. Bitte sagen Sie dem Personal Bescheid: Der Wartungsdienst muss es prüfen. Nutzen Sie so lange ein anderes Terminal.",
            "Its stored data could not be unlocked. Please tell the staff: the maintenance service must check it. Use another terminal in the meantime.",
        ),
        (
            SetupProblem::StorageUnavailable,
            "Sein Speicher kann nicht genutzt werden. Bitte sagen Sie dem Personal Bescheid: Der Wartungsdienst muss es prüfen. Nutzen Sie so lange ein anderes Terminal.",
            "Its storage cannot be used. Please tell the staff: the maintenance service must check it. Use another terminal in the meantime.",
        ),
        (
            SetupProblem::AuthorisationExpired,
            "Seine Berechtigung, Ausweise zu lesen, ist abgelaufen. Bitte sagen Sie dem Personal Bescheid: Der Wartungsdienst muss sie erneuern. Nutzen Sie so lange ein anderes Terminal.",
            "Its permission to read ID cards has expired. Please tell the staff: the maintenance service must renew it. Use another terminal in the meantime.",
        ),
        (
            SetupProblem::Incomplete,
            "Bitte fragen Sie das Personal oder nutzen Sie ein anderes Terminal. Es wurden keine Daten von Ihnen erfasst.",
            "Please ask the staff for help or use another terminal. No data was taken from you.",
        ),
    ] {
        View::out_of_service(&app, problem);
        for (code, heading, reason) in [
            ("de", "Dieses Terminal ist gerade außer Betrieb", german),
            ("", "This terminal is out of service at the moment", english),
        ] {
            slint::select_bundled_translation(code)?;
            screen.save(&dir.join(format!("{}-{}.png", problem.key(), if code.is_empty() { "en" } else { code })))?;
            let shown = texts(&app);
            for text in [heading, reason] {
                assert!(shown.iter().any(|t| t == text), "{problem:?}: expected {text:?}, shown {shown:#?}");
            }
        }
    }
    Ok(())
}

#[test]
fn a_lapsed_authorisation_ends_the_visit_before_the_pin_and_renewal_brings_the_terminal_back() -> Result<()> {
    let mut walk = scene("authorisation-lapsed")?;
    walk.tap("Start")?;
    walk.tap("Sperrmüllabholung")?;
    walk.expect(Step::ServiceInfo)?;
    walk.device_says(Event::AuthorisationLapsed)?;
    walk.expect(Step::Welcome)?;
    assert_says(
        &walk,
        "Seine Berechtigung, Ausweise zu lesen, ist abgelaufen. Bitte sagen Sie dem Personal Bescheid: Der Wartungsdienst muss sie erneuern. Nutzen Sie so lange ein anderes Terminal.",
    );
    walk.shot("lapsed")?;
    walk.tap("Start").ok();
    walk.expect(Step::Welcome)?;
    walk.device_says(Event::AuthorisationRenewed)?;
    assert_says(
        &walk,
        "Die letzte Sitzung wurde beendet, weil das Terminal keine Ausweise mehr lesen konnte. Alle Daten wurden gelöscht.",
    );
    walk.shot("renewed")?;
    walk.tap("Start")?;
    walk.expect(Step::Catalogue)
}
