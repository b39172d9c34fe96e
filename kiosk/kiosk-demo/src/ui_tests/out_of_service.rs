// SPDX-License-Identifier: GPL-3.0-or-later
//! A terminal that cannot serve anyone: "out of service", and why, in
//! German and English.

use crate::touch::{Touchscreen, texts};
use anyhow::Result;
use kiosk::view::{SetupProblem, View};
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
