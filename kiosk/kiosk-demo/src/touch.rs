// SPDX-License-Identifier: GPL-3.0-or-later
//! A touch screen without a display: the kiosk's in-memory screen, frames
//! written as PNG, and touches as real pointer events at the centre of the
//! element a citizen would tap, found by its accessible label.

use anyhow::{Context, Result, bail};
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use kiosk::screen::{HEIGHT, MemoryScreen, WIDTH};
use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, LogicalPosition, Rgb8Pixel};
use std::path::Path;
use std::time::Duration;

/// The in-memory screen, touched by a finger that finds buttons by label.
pub struct Touchscreen {
    screen: MemoryScreen,
}

impl Touchscreen {
    /// Installs the in-memory screen as Slint's platform for this thread.
    /// Call once per thread, before the UI is created.
    pub fn install() -> Result<Touchscreen> {
        let screen =
            MemoryScreen::install().map_err(|e| anyhow::anyhow!("cannot install the in-memory screen: {e}"))?;
        Ok(Touchscreen { screen })
    }

    /// Repaints the whole screen; returns the time the renderer took.
    pub fn render(&mut self) -> Duration {
        self.screen.render()
    }

    /// Renders and writes the screen as a PNG.
    pub fn save(&mut self, path: &Path) -> Result<()> {
        self.render();
        write_png(path, self.screen.pixels(), WIDTH, HEIGHT)
    }

    /// Touches the element labelled `label` (a button, key, tile or check
    /// box) at its centre, as a finger would.
    pub fn tap(&self, app: &impl ComponentHandle, label: &str) -> Result<()> {
        let element = find(app, label)?;
        let (pos, size) = (element.absolute_position(), element.size());
        let position = LogicalPosition::new(pos.x + size.width / 2.0, pos.y + size.height / 2.0);
        if !(0.0..WIDTH as f32).contains(&position.x) || !(0.0..HEIGHT as f32).contains(&position.y) {
            bail!("{label:?} is off the screen at {position:?}: a finger cannot reach it");
        }
        let window = app.window();
        window.dispatch_event(WindowEvent::PointerMoved { position });
        window.dispatch_event(WindowEvent::PointerPressed { position, button: PointerEventButton::Left });
        window.dispatch_event(WindowEvent::PointerReleased { position, button: PointerEventButton::Left });
        window.dispatch_event(WindowEvent::PointerExited);
        Ok(())
    }
}

impl Touchscreen {
    /// Presses the element labelled `label` at its centre and holds the
    /// finger there for `hold`, letting the UI's timers run meanwhile (a
    /// long press).
    pub fn press_and_hold(&self, app: &impl ComponentHandle, label: &str, hold: Duration) -> Result<()> {
        let element = find(app, label)?;
        let (pos, size) = (element.absolute_position(), element.size());
        let position = LogicalPosition::new(pos.x + size.width / 2.0, pos.y + size.height / 2.0);
        let window = app.window();
        window.dispatch_event(WindowEvent::PointerMoved { position });
        window.dispatch_event(WindowEvent::PointerPressed { position, button: PointerEventButton::Left });
        let until = std::time::Instant::now() + hold;
        while std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(50));
            slint::platform::update_timers_and_animations();
        }
        window.dispatch_event(WindowEvent::PointerReleased { position, button: PointerEventButton::Left });
        window.dispatch_event(WindowEvent::PointerExited);
        Ok(())
    }
}

/// The one tappable element labelled `label` on the current screen.
pub fn find(app: &impl ComponentHandle, label: &str) -> Result<ElementHandle> {
    let mut found: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(app, label)
        .filter(|e| e.accessible_role() != Some(AccessibleRole::None))
        .collect();
    match found.len() {
        0 => bail!("nothing labelled {label:?} on this screen"),
        1 => Ok(found.remove(0)),
        _ => {
            // Prefer something one can press over a text that says the same,
            // and of those the one drawn last: it lies on top, where a
            // finger lands (an overlay's key over the screen's own).
            let pressable = found
                .iter()
                .rposition(|e| matches!(e.accessible_role(), Some(AccessibleRole::Button | AccessibleRole::Checkbox)));
            Ok(found.remove(pressable.unwrap_or(0)))
        }
    }
}

/// Every visible text on the current screen, by accessible label, in tree
/// order. For assertions on what a screen says.
#[cfg(test)]
pub fn texts(app: &impl ComponentHandle) -> Vec<String> {
    i_slint_backend_testing::ElementQuery::from_root(app)
        .match_descendants()
        .find_all()
        .into_iter()
        .filter_map(|e| e.accessible_label())
        .map(|l| l.to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Every text on the current screen that any element carries: labels,
/// values and descriptions, whether visible or only given to assistive
/// technology. For assertions that something is shown nowhere.
#[cfg(test)]
pub fn all_texts(app: &impl ComponentHandle) -> Vec<String> {
    i_slint_backend_testing::ElementQuery::from_root(app)
        .match_descendants()
        .find_all()
        .into_iter()
        .flat_map(|e| [e.accessible_label(), e.accessible_value(), e.accessible_description()])
        .flatten()
        .map(|t| t.to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Writes RGB pixels as a PNG file.
pub fn write_png(path: &Path, pixels: &[Rgb8Pixel], width: u32, height: u32) -> Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    let bytes: Vec<u8> = pixels.iter().flat_map(|p| [p.r, p.g, p.b]).collect();
    writer.write_image_data(&bytes)?;
    writer.finish()?;
    Ok(())
}
