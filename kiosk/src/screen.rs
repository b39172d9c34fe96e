// SPDX-License-Identifier: GPL-3.0-or-later
//! A screen in memory: Slint's software renderer draws each frame into a
//! buffer instead of a display. `kiosk run` uses it where there is no
//! display (a container); demo mode and the tests use it to take pictures.

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::{PhysicalSize, Rgb8Pixel};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The kiosk's screen width.
pub const WIDTH: u32 = 1920;
/// The kiosk's screen height.
pub const HEIGHT: u32 = 1080;

struct MemoryPlatform {
    window: Rc<MinimalSoftwareWindow>,
    start: Instant,
}

impl Platform for MemoryPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }

    fn duration_since_start(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A 1920×1080 screen in memory.
pub struct MemoryScreen {
    window: Rc<MinimalSoftwareWindow>,
    pixels: Vec<Rgb8Pixel>,
}

impl MemoryScreen {
    /// Installs the screen as Slint's platform for this thread. Call once
    /// per thread, before the UI is created.
    pub fn install() -> Result<MemoryScreen, slint::platform::SetPlatformError> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
        window.set_size(PhysicalSize::new(WIDTH, HEIGHT));
        slint::platform::set_platform(Box::new(MemoryPlatform { window: window.clone(), start: Instant::now() }))?;
        let pixels = vec![Rgb8Pixel { r: 0, g: 0, b: 0 }; (WIDTH * HEIGHT) as usize];
        Ok(MemoryScreen { window, pixels })
    }

    /// Repaints the whole screen, as after a full invalidation. Returns the
    /// time the software renderer took.
    pub fn render(&mut self) -> Duration {
        slint::platform::update_timers_and_animations();
        self.window.request_redraw();
        let pixels = &mut self.pixels;
        let started = Instant::now();
        self.window.draw_if_needed(|renderer| {
            renderer.render(pixels, WIDTH as usize);
        });
        started.elapsed()
    }

    /// The last frame's pixels, row by row.
    pub fn pixels(&self) -> &[Rgb8Pixel] {
        &self.pixels
    }
}
