// SPDX-License-Identifier: GPL-3.0-or-later
//! An in-process portal for demo mode and the kiosk's UI tests.
//!
//! It keeps no personal data: of a submission it records only the tracking number, the service
//! id, when it arrived, the payload's size and its SHA-512. The payload itself is only read (to
//! check that it is JSON and to hash it) and dropped, zeroized, with the [`Submission`]. The
//! kiosk's wipe test relies on this: it scans the kiosk process, where this portal lives, for the
//! citizen's name after the session.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use chrono::NaiveDate;
use sha2::{Digest, Sha512};

use crate::error::{JsonDefect, PayloadDefect};
use crate::slots::demo_calendar;
use crate::{Delivery, DeliveryState, Portal, PortalError, RequestStatus, SlotOffer, Submission};

/// What the simulated portal remembers of one submission: nothing personal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedRecord {
    /// Catalogue id of the service.
    pub service_id: String,
    /// When `submit` was called.
    pub received_at: SystemTime,
    /// Size of the JSON payload in bytes.
    pub payload_len: usize,
    /// SHA-512 of the JSON payload.
    pub payload_sha512: [u8; 64],
    /// Whether it has reached the (simulated) portal, or waits in the (simulated) queue.
    pub delivered: bool,
    /// How many times `status` was asked, which drives the scripted progression.
    status_queries: usize,
}

/// A [`Portal`] that answers from memory, deterministically.
///
/// - [`Portal::slots`]: the [`demo_calendar`].
/// - [`Portal::submit`]: checks the payload is a JSON object, records a [`SimulatedRecord`] and
///   answers [`Delivery::Sent`], or [`Delivery::Queued`] while the portal is offline.
/// - [`Portal::status`]: a delivered request walks through the scripted progression (by default
///   it is [`DeliveryState::Received`] at once); a request submitted while offline is
///   [`DeliveryState::Queued`] until [`SimulatedPortal::set_offline`]`(false)` delivers it;
///   unknown tracking numbers give [`PortalError::NotFound`].
#[derive(Debug)]
pub struct SimulatedPortal {
    offline: AtomicBool,
    progression: Vec<(DeliveryState, Option<String>)>,
    records: Mutex<HashMap<String, SimulatedRecord>>,
}

impl Default for SimulatedPortal {
    fn default() -> Self {
        Self::new()
    }
}

impl SimulatedPortal {
    /// An online portal whose delivered requests are [`DeliveryState::Received`].
    pub fn new() -> Self {
        Self {
            offline: AtomicBool::new(false),
            progression: vec![(DeliveryState::Received, None)],
            records: Mutex::new(HashMap::new()),
        }
    }

    /// A portal that is unreachable: every `submit` answers [`Delivery::Queued`] (for the demo
    /// and the tests of the queued receipt) until [`SimulatedPortal::set_offline`]`(false)`.
    pub fn offline() -> Self {
        let portal = Self::new();
        portal.offline.store(true, Ordering::SeqCst);
        portal
    }

    /// Scripts what `status` reports for a delivered request: the n-th query answers the n-th
    /// step, and the last step is repeated from then on. Each step is a delivery state and an
    /// optional processing state (free text without personal data).
    ///
    /// An empty script keeps the default (`Received`).
    #[must_use]
    pub fn with_progression(mut self, steps: Vec<(DeliveryState, Option<String>)>) -> Self {
        if !steps.is_empty() {
            self.progression = steps;
        }
        self
    }

    /// Takes the portal off the network (`true`) or brings it back (`false`). Coming back
    /// delivers everything submitted while offline, as the real queue worker would.
    pub fn set_offline(&self, offline: bool) {
        self.offline.store(offline, Ordering::SeqCst);
        if !offline {
            for record in self.lock().values_mut() {
                record.delivered = true;
            }
        }
    }

    /// What was recorded for `tracking_number`, if anything.
    pub fn record(&self, tracking_number: &str) -> Option<SimulatedRecord> {
        self.lock().get(tracking_number).cloned()
    }

    /// Number of submissions recorded so far.
    pub fn submission_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, SimulatedRecord>> {
        // A panic while holding the lock cannot leave a record half-written (every update is a
        // single insert or field store), so a poisoned map is still consistent.
        self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Checks that `data` is one JSON object without copying any of its strings: serde_json skips
/// ignored strings in place, so nothing of the citizen's data is left in freed heap memory.
pub(crate) fn check_json_object(data: &[u8]) -> Result<(), PortalError> {
    let first = data.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(PortalError::InvalidPayload { cause: PayloadDefect::NotAnObject });
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(data)
        .map(|_| ())
        .map_err(|e| PortalError::InvalidPayload { cause: PayloadDefect::Json(JsonDefect::of(&e)) })
}

impl Portal for SimulatedPortal {
    fn slots(&self, service_id: &str, from: NaiveDate, days: u32) -> Result<Vec<SlotOffer>, PortalError> {
        demo_calendar(service_id, from, days)
    }

    fn submit(&self, submission: Submission) -> Result<Delivery, PortalError> {
        check_json_object(&submission.data)?;
        let offline = self.offline.load(Ordering::SeqCst);
        let record = SimulatedRecord {
            service_id: submission.service_id.clone(),
            received_at: SystemTime::now(),
            payload_len: submission.data.len(),
            payload_sha512: Sha512::digest(submission.data.as_slice()).into(),
            delivered: !offline,
            status_queries: 0,
        };
        self.lock().insert(submission.tracking_number.clone(), record);
        Ok(if offline { Delivery::Queued } else { Delivery::Sent })
    }

    fn status(&self, tracking_number: &str) -> Result<RequestStatus, PortalError> {
        let mut records = self.lock();
        let record = records
            .get_mut(tracking_number)
            .ok_or_else(|| PortalError::NotFound { tracking_number: tracking_number.to_owned() })?;
        let (delivery, processing) = if record.delivered {
            let step = record.status_queries.min(self.progression.len().saturating_sub(1));
            record.status_queries += 1;
            self.progression.get(step).cloned().unwrap_or((DeliveryState::Received, None))
        } else {
            (DeliveryState::Queued, None)
        };
        Ok(RequestStatus {
            tracking_number: tracking_number.to_owned(),
            service_id: Some(record.service_id.clone()),
            delivery,
            processing,
        })
    }
}
