// SPDX-License-Identifier: GPL-3.0-or-later
//! Which input reaches the UI on the appliance.
//!
//! The terminal's screen is its touch screen, and a keypad where the town
//! configures one (accessibility). Anything else plugged into a USB port — a
//! keyboard, a mouse, a HID gadget pretending to be one — is ignored: its
//! events never reach the UI. The configuration names the allowed devices by
//! USB vendor and product id (`appliance.toml` `[input] allow`); without that
//! section, devices that report touch capability are allowed and nothing
//! else.
//!
//! Slint's linuxkms backend quits its event loop on Ctrl+Alt+Backspace and
//! Ctrl+Alt+Delete (`i-slint-backend-linuxkms`, `calloop_backend/input.rs`),
//! which would end a citizen's session and, after repeated restarts, reboot
//! the terminal. Those two chords are swallowed here even from an allowed
//! device, and logged. [`InputGuard`] is the decision, free of libinput;
//! [`libinput_hook`] feeds it libinput's events.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A USB vendor and product id, as `lsusb` and `udevadm info` show them
/// (`ID_VENDOR_ID`, `ID_MODEL_ID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeviceId {
    /// The vendor id.
    pub vendor: u16,
    /// The product id.
    pub product: u16,
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}:{:04x}", self.vendor, self.product)
    }
}

impl std::str::FromStr for DeviceId {
    type Err = String;

    /// `vvvv:pppp` in hexadecimal, as `lsusb` prints it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = |part: &str| {
            (part.len() == 4 && part.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u16::from_str_radix(part, 16).ok())
                .flatten()
        };
        s.split_once(':')
            .and_then(|(vendor, product)| Some(DeviceId { vendor: hex(vendor)?, product: hex(product)? }))
            .ok_or_else(|| format!("{s:?} is not a vendor:product pair of four hex digits each, like \"0eef:0001\""))
    }
}

/// Which devices may give input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPolicy {
    /// Devices that report touch capability; no keyboard, mouse or keypad.
    TouchOnly,
    /// Exactly these devices (the touch screen and the keypad of this
    /// terminal's hardware).
    Listed(BTreeSet<DeviceId>),
}

impl InputPolicy {
    /// Whether a device may give input.
    pub fn allows(&self, id: DeviceId, touch: bool) -> bool {
        match self {
            InputPolicy::TouchOnly => touch,
            InputPolicy::Listed(allowed) => allowed.contains(&id),
        }
    }
}

/// What to do with one input event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Pass it on to the UI.
    Pass,
    /// Drop it: the device is not allowed.
    DeviceNotAllowed,
    /// Drop it: a key of a quit chord (Ctrl+Alt+Backspace, Ctrl+Alt+Delete).
    QuitChord,
}

/// Linux input key codes (`linux/input-event-codes.h`) of the keys involved.
mod key {
    pub const LEFT_CTRL: u32 = 29;
    pub const RIGHT_CTRL: u32 = 97;
    pub const LEFT_ALT: u32 = 56;
    pub const RIGHT_ALT: u32 = 100;
    pub const BACKSPACE: u32 = 14;
    pub const DELETE: u32 = 111;
}

/// The decision for every event, with what it has to remember: the devices
/// it has seen and the modifier keys held down.
#[derive(Debug)]
pub struct InputGuard {
    policy: InputPolicy,
    /// Allowed or not, by the device's kernel name (`event3`).
    devices: BTreeMap<String, bool>,
    /// Modifier keys held down on allowed devices. One set for all of them,
    /// as the backend keeps one keyboard state for all devices.
    held: BTreeSet<u32>,
}

impl InputGuard {
    /// A guard for `policy` that has seen no device yet.
    pub fn new(policy: InputPolicy) -> InputGuard {
        InputGuard { policy, devices: BTreeMap::new(), held: BTreeSet::new() }
    }

    /// A device appeared (at start, or plugged in later): whether its
    /// events will reach the UI.
    pub fn device_added(&mut self, sysname: &str, id: DeviceId, touch: bool) -> Verdict {
        let allowed = self.policy.allows(id, touch);
        self.devices.insert(sysname.to_owned(), allowed);
        if allowed { Verdict::Pass } else { Verdict::DeviceNotAllowed }
    }

    /// A device went away.
    pub fn device_removed(&mut self, sysname: &str) {
        self.devices.remove(sysname);
    }

    /// Any event other than a key from the device `sysname`.
    pub fn event(&self, sysname: &str) -> Verdict {
        if self.devices.get(sysname).copied().unwrap_or(false) { Verdict::Pass } else { Verdict::DeviceNotAllowed }
    }

    /// A key pressed or released on the device `sysname`.
    pub fn key(&mut self, sysname: &str, code: u32, pressed: bool) -> Verdict {
        let verdict = self.event(sysname);
        if verdict != Verdict::Pass {
            return verdict;
        }
        match code {
            key::LEFT_CTRL | key::RIGHT_CTRL | key::LEFT_ALT | key::RIGHT_ALT => {
                if pressed {
                    self.held.insert(code);
                } else {
                    self.held.remove(&code);
                }
                Verdict::Pass
            }
            key::BACKSPACE | key::DELETE if self.chord_held() => Verdict::QuitChord,
            _ => Verdict::Pass,
        }
    }

    fn chord_held(&self) -> bool {
        let any = |a, b| self.held.contains(&a) || self.held.contains(&b);
        any(key::LEFT_CTRL, key::RIGHT_CTRL) && any(key::LEFT_ALT, key::RIGHT_ALT)
    }
}

/// The event filter for Slint's linuxkms backend: `true` drops the event.
/// Every device that is ignored, and every quit chord, is logged once.
pub fn libinput_hook(policy: InputPolicy) -> impl Fn(&input::Event) -> bool + 'static {
    use input::event::{DeviceEvent, EventTrait, KeyboardEvent, keyboard::KeyState, keyboard::KeyboardEventTrait};
    let guard = RefCell::new(InputGuard::new(policy));
    move |event: &input::Event| {
        let device = event.device();
        let sysname = device.sysname().to_owned();
        let mut guard = guard.borrow_mut();
        let verdict = match event {
            input::Event::Device(DeviceEvent::Added(_)) => {
                let id = DeviceId {
                    vendor: u16::try_from(device.id_vendor()).unwrap_or(u16::MAX),
                    product: u16::try_from(device.id_product()).unwrap_or(u16::MAX),
                };
                let touch = device.has_capability(input::DeviceCapability::Touch);
                let verdict = guard.device_added(&sysname, id, touch);
                let name = device.name();
                match verdict {
                    Verdict::Pass => tracing::info!(device = %sysname, %id, %name, touch, "input device allowed"),
                    _ => tracing::warn!(
                        device = %sysname, %id, %name, touch,
                        "ignored an input device that the configuration does not allow (appliance.toml [input] allow)"
                    ),
                }
                verdict
            }
            input::Event::Device(DeviceEvent::Removed(_)) => {
                guard.device_removed(&sysname);
                Verdict::Pass
            }
            input::Event::Keyboard(KeyboardEvent::Key(key)) => {
                let pressed = key.key_state() == KeyState::Pressed;
                let verdict = guard.key(&sysname, key.key(), pressed);
                if verdict == Verdict::QuitChord && pressed {
                    tracing::warn!(device = %sysname, "ignored a quit key chord (Ctrl+Alt+Backspace or Ctrl+Alt+Delete)");
                }
                verdict
            }
            _ => guard.event(&sysname),
        };
        verdict != Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOUCH: DeviceId = DeviceId { vendor: 0x0eef, product: 0x0001 };
    const KEYPAD: DeviceId = DeviceId { vendor: 0x04d9, product: 0x1203 };
    const KEYBOARD: DeviceId = DeviceId { vendor: 0x046d, product: 0xc31c };

    fn listed() -> InputPolicy {
        InputPolicy::Listed([TOUCH, KEYPAD].into_iter().collect())
    }

    #[test]
    fn device_ids_read_as_lsusb_prints_them() {
        assert_eq!("0eef:0001".parse::<DeviceId>(), Ok(TOUCH));
        assert_eq!("04D9:1203".parse::<DeviceId>(), Ok(KEYPAD));
        assert_eq!(TOUCH.to_string(), "0eef:0001");
        for bad in ["0eef", "0eef:1", "0eef:00001", "gggg:0001", "0eef:0001:2", "", ":"] {
            let error = bad.parse::<DeviceId>().unwrap_err();
            assert!(error.contains("vendor:product"), "{bad}: {error}");
        }
    }

    #[test]
    fn only_listed_devices_give_input_when_a_list_is_configured() {
        let mut guard = InputGuard::new(listed());
        assert_eq!(guard.device_added("event0", TOUCH, true), Verdict::Pass);
        assert_eq!(guard.device_added("event1", KEYPAD, false), Verdict::Pass);
        assert_eq!(guard.device_added("event2", KEYBOARD, false), Verdict::DeviceNotAllowed);
        // A gadget claiming touch capability is still not on the list.
        assert_eq!(guard.device_added("event3", KEYBOARD, true), Verdict::DeviceNotAllowed);
        assert_eq!(guard.event("event0"), Verdict::Pass);
        assert_eq!(guard.key("event1", 28, true), Verdict::Pass);
        assert_eq!(guard.key("event2", 28, true), Verdict::DeviceNotAllowed);
        assert_eq!(guard.event("event3"), Verdict::DeviceNotAllowed);
        // Events of a device the guard never saw appear are dropped.
        assert_eq!(guard.event("event9"), Verdict::DeviceNotAllowed);
        guard.device_removed("event1");
        assert_eq!(guard.key("event1", 28, true), Verdict::DeviceNotAllowed);
    }

    #[test]
    fn without_a_list_touch_screens_give_input_and_keyboards_do_not() {
        let mut guard = InputGuard::new(InputPolicy::TouchOnly);
        assert_eq!(guard.device_added("event0", TOUCH, true), Verdict::Pass);
        assert_eq!(guard.device_added("event1", KEYPAD, false), Verdict::DeviceNotAllowed);
        assert_eq!(guard.key("event1", key::BACKSPACE, true), Verdict::DeviceNotAllowed);
    }

    #[test]
    fn quit_chords_are_dropped_even_from_an_allowed_keypad() {
        let mut guard = InputGuard::new(listed());
        guard.device_added("event1", KEYPAD, false);
        for (ctrl, alt, target) in [
            (key::LEFT_CTRL, key::LEFT_ALT, key::BACKSPACE),
            (key::RIGHT_CTRL, key::LEFT_ALT, key::DELETE),
            (key::LEFT_CTRL, key::RIGHT_ALT, key::DELETE),
        ] {
            assert_eq!(guard.key("event1", ctrl, true), Verdict::Pass);
            assert_eq!(guard.key("event1", alt, true), Verdict::Pass);
            assert_eq!(guard.key("event1", target, true), Verdict::QuitChord);
            assert_eq!(guard.key("event1", target, false), Verdict::QuitChord);
            assert_eq!(guard.key("event1", alt, false), Verdict::Pass);
            assert_eq!(guard.key("event1", ctrl, false), Verdict::Pass);
            // With the chord let go, the same key is an ordinary key again.
            assert_eq!(guard.key("event1", target, true), Verdict::Pass);
        }
        // Ctrl alone or Alt alone is no chord.
        guard.key("event1", key::LEFT_CTRL, true);
        assert_eq!(guard.key("event1", key::BACKSPACE, true), Verdict::Pass);
        guard.key("event1", key::LEFT_CTRL, false);
        guard.key("event1", key::LEFT_ALT, true);
        assert_eq!(guard.key("event1", key::DELETE, true), Verdict::Pass);
    }

    #[test]
    fn modifiers_of_an_ignored_device_do_not_count() {
        let mut guard = InputGuard::new(listed());
        guard.device_added("event1", KEYPAD, false);
        guard.device_added("event2", KEYBOARD, false);
        guard.key("event2", key::LEFT_CTRL, true);
        guard.key("event2", key::LEFT_ALT, true);
        // The backend never sees the ignored keyboard's Ctrl and Alt, so
        // Backspace on the keypad is an ordinary key.
        assert_eq!(guard.key("event1", key::BACKSPACE, true), Verdict::Pass);
    }
}
