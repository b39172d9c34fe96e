// SPDX-License-Identifier: GPL-3.0-or-later
//! The appliance's own programs, one binary (`/usr/lib/kiosk/appliance`) with
//! a subcommand per task. The image's root has no shell (docs/SECURITY.md,
//! "Services"), so nothing that runs from it at run time may be a script;
//! what used to be one is here.
//!
//! - [`update`]: `appliance update-from-stick`, the maintenance stick of
//!   `kiosk-update.service`.
//! - [`downgrade`]: `appliance rauc-pre-install`, RAUC's pre-install handler
//!   that refuses bundles older than the running system unless a maintainer
//!   has allowed that one version.
#![forbid(unsafe_code)]

pub mod downgrade;
pub mod update;
