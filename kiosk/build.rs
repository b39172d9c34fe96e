// SPDX-License-Identifier: GPL-3.0-or-later
//! Compiles the `.slint` screens into Rust, with the bundled translations
//! (`ui/translations/<lang>/LC_MESSAGES/kiosk.po`) and the UI's fonts
//! embedded. Debug info lets the walk-through and the UI tests find elements
//! by their accessible labels.
fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_bundled_translations("ui/translations")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .with_debug_info(true);
    if let Err(error) = slint_build::compile_with_config("ui/app.slint", config) {
        eprintln!("the kiosk UI does not compile: {error}");
        std::process::exit(1);
    }
}
