// SPDX-License-Identifier: GPL-3.0-or-later
//! The eID authorisation a running terminal is using, kept current.
//!
//! A reader asks [`Authorisation::poll`] each time it looks for card events.
//! That costs one `stat(2)` and a date comparison, and it notices two changes:
//! - **Lapsed.** The DV or terminal certificate's last day has passed
//!   (TR-03110-3 C.1.5). Terminal Authentication would be refused, so the
//!   session must not ask anyone for a PIN ([`AuthorisationChange::Lapsed`]).
//! - **Renewed.** [`crate::renewal::install`] swapped in new files. They are
//!   loaded and checked like at start-up, and used from the next card on
//!   ([`AuthorisationChange::Renewed`] if the old one had lapsed). Files
//!   that do not load leave the authorisation in force as it was; the
//!   journal says why.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::eid_config::today;
use crate::{EidConfig, EidConfigError};
use eid::cvc::CvcDate;

/// What [`Authorisation::poll`] noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorisationChange {
    /// The authorisation in force has expired.
    Lapsed,
    /// A valid authorisation replaced a lapsed one.
    Renewed,
}

/// Identifies the installed terminal certificate file: a swap makes a new
/// inode, a rewrite a new modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    device: u64,
    inode: u64,
    modified: Option<SystemTime>,
    len: u64,
}

impl Stamp {
    fn of(dir: &Path) -> Option<Self> {
        let metadata = std::fs::metadata(dir.join("terminal").join("terminal.cvcert")).ok()?;
        Some(Self {
            device: metadata.dev(),
            inode: metadata.ino(),
            modified: metadata.modified().ok(),
            len: metadata.len(),
        })
    }
}

impl From<Arc<EidConfig>> for Authorisation {
    fn from(config: Arc<EidConfig>) -> Self {
        Self::fixed(config)
    }
}

/// The authorisation in force, and where a renewed one would appear.
#[derive(Debug)]
pub struct Authorisation {
    config: Arc<EidConfig>,
    watched: Option<(PathBuf, Option<Stamp>)>,
    lapsed: bool,
}

impl Authorisation {
    /// Loads the authorisation in `dir` (layout in [`EidConfig`]) and
    /// watches it for renewals.
    pub fn load(dir: &Path) -> Result<Self, EidConfigError> {
        let stamp = Stamp::of(dir);
        let config = Arc::new(EidConfig::load(dir)?);
        Ok(Self { config, watched: Some((dir.into(), stamp)), lapsed: false })
    }

    /// A fixed authorisation, watched for expiry only.
    pub fn fixed(config: Arc<EidConfig>) -> Self {
        Self { config, watched: None, lapsed: false }
    }

    /// The authorisation to authenticate the next card with.
    pub fn config(&self) -> Arc<EidConfig> {
        Arc::clone(&self.config)
    }

    /// Whether the authorisation in force has expired.
    pub fn lapsed(&self) -> bool {
        self.lapsed
    }

    /// Picks up a renewal and notices an expiry (module docs).
    pub fn poll(&mut self) -> Option<AuthorisationChange> {
        self.poll_on(today())
    }

    fn poll_on(&mut self, today: CvcDate) -> Option<AuthorisationChange> {
        if let Some((dir, stamp)) = &mut self.watched {
            let now = Stamp::of(dir);
            if now != *stamp {
                *stamp = now;
                match EidConfig::load(dir) {
                    Ok(config) => {
                        tracing::info!(
                            terminal = %config.chain().terminal.chr, valid_until = %config.valid_until(),
                            "renewed eID authorisation in force"
                        );
                        self.config = Arc::new(config);
                    }
                    Err(error) => tracing::error!(
                        dir = %dir.display(), %error,
                        "the changed eID authorisation cannot be used; the one in force stays"
                    ),
                }
            }
        }
        let lapsed = self.config.valid_until() < today;
        if lapsed == self.lapsed {
            return None;
        }
        self.lapsed = lapsed;
        if lapsed {
            tracing::error!(
                valid_until = %self.config.valid_until(),
                "out of service: the eID authorisation has expired; install the renewed certificate"
            );
            Some(AuthorisationChange::Lapsed)
        } else {
            Some(AuthorisationChange::Renewed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_authorisation_lapses_after_its_last_day_and_counts_again_once_valid() {
        let dir = tempfile::tempdir().unwrap();
        eid_sim_card::personalise::personalise(dir.path()).unwrap();
        let mut authorisation = Authorisation::load(dir.path()).unwrap();
        let last = authorisation.config().valid_until();
        assert_eq!(authorisation.poll_on(last), None, "valid on its last day");
        let after = CvcDate { year: last.year + 1, ..last };
        assert_eq!(authorisation.poll_on(after), Some(AuthorisationChange::Lapsed));
        assert!(authorisation.lapsed());
        assert_eq!(authorisation.poll_on(after), None, "reported once");
        assert_eq!(authorisation.poll_on(last), Some(AuthorisationChange::Renewed));
        assert!(!authorisation.lapsed());
    }
}
