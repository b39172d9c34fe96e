// SPDX-License-Identifier: GPL-3.0-or-later
//! How the citizen wants the terminal to present itself. The settings are
//! the citizen's: they belong to the session and go with the wipe, so the
//! next citizen starts with the terminal's defaults.

use crate::text::Lang;

/// The citizen's presentation settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accessibility {
    /// The language of every screen and of the receipt.
    pub lang: Lang,
    /// Larger text throughout.
    pub large_text: bool,
    /// High contrast throughout.
    pub high_contrast: bool,
}
