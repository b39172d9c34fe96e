// SPDX-License-Identifier: GPL-3.0-or-later
//! Every screen of the citizen's visit in every language, plain, with large
//! text and with high contrast: photographed for a person to look at, and
//! each text measured against its box.

use super::{Scene, scene};
use anyhow::Result;
use session::Lang;
use slint::ComponentHandle;

#[test]
fn every_text_of_every_screen_fits_in_every_language_with_large_text_and_high_contrast() -> Result<()> {
    let Scene { walk, _paper } = scene("languages")?;
    let mut scene = Scene { walk: walk.in_every_language(), _paper };
    let outcome = scene.run()?;
    let photographed: usize = outcome
        .screenshots
        .iter()
        .filter_map(|shot| std::fs::read_dir(shot.with_extension("")).ok())
        .map(|folder| folder.count())
        .sum();
    let screens = outcome.screenshots.iter().filter(|shot| shot.with_extension("").is_dir()).count();
    assert!(screens >= 15, "every screen of the visit was photographed ({screens})");
    assert_eq!(photographed, screens * Lang::ALL.len() * 3, "each in 7 languages and 3 presentations");
    let misfits: Vec<String> = scene
        .misfits()
        .iter()
        .map(|m| {
            format!(
                "{} [{} {}] {}: {:?} in {:?}, needs {:?}",
                m.screen, m.lang, m.presentation, m.misfit.problem, m.misfit.text, m.misfit.bounds, m.misfit.needs
            )
        })
        .collect();
    assert!(misfits.is_empty(), "{} texts do not fit:\n{}", misfits.len(), misfits.join("\n"));
    Ok(())
}

#[test]
fn a_text_too_long_for_its_box_is_found() -> Result<()> {
    let mut scene = scene("text-fit")?;
    let app = scene.app();
    let long = "Stadt Musterstadt an der Musterach, Landkreis Musterland, Regierungsbezirk Musterbezirk, Freistaat Musterstaat";
    app.global::<kiosk::Api>().set_municipality(long.into());
    scene.shot("long-municipality")?;
    let found = crate::text_fit::misfits(&app);
    assert!(
        found.iter().any(|m| m.text == long && m.problem == "taller than its box"),
        "the town name that runs out of the header is found: {found:#?}"
    );
    app.global::<kiosk::Api>().set_municipality("Stadt Musterstadt".into());
    scene.shot("short-municipality")?;
    assert!(crate::text_fit::misfits(&app).iter().all(|m| m.text != long));
    Ok(())
}
