// SPDX-License-Identifier: GPL-3.0-or-later
//! Tells systemd how the kiosk is doing, with the notification protocol of
//! sd_notify(3): `READY=1` once the first frame is on the screen (the unit is
//! `Type=notify`), and `WATCHDOG=1` from the UI loop at half the unit's
//! `WatchdogSec=`, so that a UI that hangs is restarted by systemd.
//!
//! Without `$NOTIFY_SOCKET` (not started by systemd) every call does nothing.

use std::ffi::OsStr;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// The connection to the service manager, if there is one.
pub struct SdNotify {
    socket: Option<(UnixDatagram, SocketAddr)>,
    watchdog: Option<Duration>,
}

impl SdNotify {
    /// From the environment systemd sets for the service.
    pub fn from_env() -> Self {
        let socket = std::env::var_os("NOTIFY_SOCKET");
        let usec = std::env::var("WATCHDOG_USEC").ok();
        let pid = std::env::var("WATCHDOG_PID").ok();
        Self::new(socket.as_deref(), usec.as_deref(), pid.as_deref(), std::process::id())
    }

    /// From the values of `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and
    /// `$WATCHDOG_PID`, for the process `own_pid`. A socket name starting
    /// with `@` is in the abstract namespace (sd_notify(3)). The watchdog is
    /// this process's only if `$WATCHDOG_PID` is unset or names it.
    pub fn new(socket: Option<&OsStr>, watchdog_usec: Option<&str>, watchdog_pid: Option<&str>, own_pid: u32) -> Self {
        let socket = socket.and_then(|name| {
            let bytes = name.as_bytes();
            let address = match bytes.strip_prefix(b"@") {
                Some(abstract_name) => SocketAddr::from_abstract_name(abstract_name),
                None => SocketAddr::from_pathname(name),
            };
            match (address, UnixDatagram::unbound()) {
                (Ok(address), Ok(socket)) => Some((socket, address)),
                (Err(error), _) | (_, Err(error)) => {
                    tracing::warn!(%error, "cannot reach the service manager's notification socket");
                    None
                }
            }
        });
        let ours = watchdog_pid.is_none_or(|pid| pid.trim().parse::<u32>().ok() == Some(own_pid));
        let watchdog = watchdog_usec
            .and_then(|usec| usec.trim().parse::<u64>().ok())
            .filter(|&usec| usec > 0 && ours)
            .map(|usec| Duration::from_micros(usec / 2));
        SdNotify { socket, watchdog }
    }

    /// How often the UI loop must call [`SdNotify::watchdog`]: half the
    /// unit's `WatchdogSec=`, or `None` if there is no watchdog.
    pub fn watchdog_interval(&self) -> Option<Duration> {
        self.watchdog
    }

    /// The first frame is on the screen: the kiosk is ready.
    pub fn ready(&self) {
        self.send("READY=1\nSTATUS=Showing the welcome screen");
    }

    /// The UI loop is alive.
    pub fn watchdog(&self) {
        self.send("WATCHDOG=1");
    }

    fn send(&self, message: &str) {
        if let Some((socket, address)) = &self.socket
            && let Err(error) = socket.send_to_addr(message.as_bytes(), address)
        {
            tracing::warn!(%error, "cannot notify the service manager");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener() -> (tempfile::TempDir, std::path::PathBuf, UnixDatagram) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let socket = UnixDatagram::bind(&path).unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        (dir, path, socket)
    }

    fn receive(socket: &UnixDatagram) -> String {
        let mut buf = [0u8; 256];
        let n = socket.recv(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn ready_and_watchdog_reach_the_notification_socket() {
        let (_dir, path, socket) = listener();
        let manager = SdNotify::new(Some(path.as_os_str()), Some("10000000"), None, 42);
        manager.ready();
        assert!(receive(&socket).starts_with("READY=1\n"));
        manager.watchdog();
        assert_eq!(receive(&socket), "WATCHDOG=1");
        assert_eq!(manager.watchdog_interval(), Some(Duration::from_secs(5)), "half of WatchdogSec");
    }

    #[test]
    fn an_abstract_socket_name_is_reached_too() {
        let name = format!("buergerterminal-test-{}", std::process::id());
        let socket = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap()).unwrap();
        socket.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let manager = SdNotify::new(Some(OsStr::new(&format!("@{name}"))), None, None, 1);
        manager.ready();
        assert!(receive(&socket).starts_with("READY=1"));
    }

    #[test]
    fn the_watchdog_belongs_only_to_the_process_it_names() {
        let other = SdNotify::new(None, Some("4000000"), Some("7"), 8);
        assert_eq!(other.watchdog_interval(), None);
        let ours = SdNotify::new(None, Some("4000000"), Some("8"), 8);
        assert_eq!(ours.watchdog_interval(), Some(Duration::from_secs(2)));
        let none = SdNotify::new(None, None, None, 8);
        assert_eq!(none.watchdog_interval(), None);
        none.ready();
    }
}
