// SPDX-License-Identifier: GPL-3.0-or-later
//! The delivery worker: one thread that takes due requests from the queue and moves each one
//! step by step to the portal, recording every outcome before the next step.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rand_core::{OsRng, RngCore};

use super::client::{ApiClient, Pace, SubmitOutcome};
use super::config::FitConnectConfig;
use super::{certify, encode_key, events};
use crate::error::{CryptoCheck, ProtocolViolation};
use crate::jose::jwk::RsaJwk;
use crate::jose::{JoseError, jwe};
use crate::pki::AdministrationPki;
use crate::queue::{Queue, QueuedItem, Step};
use crate::{PortalError, tracking_tag};

/// A point in the delivery of one request, reported to an observer (the maintenance log, or a
/// test that stops the process there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoint<'a> {
    /// The request for `step` is about to go out (for the submit step, after its `in_flight`
    /// mark is recorded).
    BeforeRequest {
        /// Tracking number.
        tracking_number: &'a str,
        /// The step the request carries out.
        step: Step,
    },
    /// The portal answered `step`, and the answer is not recorded yet.
    AfterResponse {
        /// Tracking number.
        tracking_number: &'a str,
        /// The step the answer completes.
        step: Step,
    },
    /// `step` is recorded in the queue.
    Recorded {
        /// Tracking number.
        tracking_number: &'a str,
        /// The step now recorded.
        step: Step,
    },
}

/// Receives every [`Checkpoint`]; called on the worker thread, so it must return quickly.
pub type Observer = Arc<dyn Fn(Checkpoint<'_>) + Send + Sync>;

/// State shared between the worker and the callers of `submit`.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    pub(crate) stop: AtomicBool,
    generation: Mutex<u64>,
    changed: Condvar,
}

impl Signal {
    /// Wakes the worker and every waiting caller.
    pub(crate) fn notify(&self) {
        let mut generation = self.generation.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *generation = generation.wrapping_add(1);
        self.changed.notify_all();
    }

    /// Current generation, to wait for a change after it.
    pub(crate) fn generation(&self) -> u64 {
        *self.generation.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until the generation differs from `seen` or `timeout` passes.
    pub(crate) fn wait(&self, seen: u64, timeout: Duration) {
        let guard = self.generation.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _unused = self
            .changed
            .wait_timeout_while(guard, timeout, |generation| *generation == seen)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
}

pub(crate) struct Worker {
    pub(crate) api: Arc<ApiClient>,
    pub(crate) pki: Arc<AdministrationPki>,
    pub(crate) queue: Queue,
    pub(crate) config: FitConnectConfig,
    pub(crate) signal: Arc<Signal>,
    pub(crate) observer: Option<Observer>,
    failures: u32,
    paused_until: Option<Instant>,
}

/// What a delivery attempt achieved.
enum Progress {
    /// Moved on; the request needs nothing more now.
    Done,
    /// The portal has it but no signed confirmation yet: look again later.
    AwaitingConfirmation,
}

const BATCH: usize = 32;
const IDLE_WAIT: Duration = Duration::from_secs(1);

impl Worker {
    pub(crate) fn new(
        api: Arc<ApiClient>,
        pki: Arc<AdministrationPki>,
        queue: Queue,
        config: FitConnectConfig,
        signal: Arc<Signal>,
        observer: Option<Observer>,
    ) -> Self {
        Self { api, pki, queue, config, signal, observer, failures: 0, paused_until: None }
    }

    fn observe(&self, checkpoint: Checkpoint<'_>) {
        if let Some(observer) = &self.observer {
            observer(checkpoint);
        }
    }

    /// Runs until `signal.stop` is set.
    pub(crate) fn run(mut self) {
        while !self.signal.stop.load(Ordering::SeqCst) {
            let seen = self.signal.generation();
            if let Some(until) = self.paused_until.take() {
                let remaining = until.saturating_duration_since(Instant::now());
                if !remaining.is_zero() {
                    // Backing off after a failure. A new request (which notifies) ends the
                    // pause early: one probe at once, so a recovered portal is noticed.
                    self.signal.wait(seen, remaining);
                    continue;
                }
            }
            if let Err(error) = self.queue.tidy(self.config.confirmed_retention) {
                tracing::error!(%error, "confirmed requests cannot be removed from the queue");
            }
            let wait = match self.pass() {
                Ok(true) => continue,
                Ok(false) => self.queue.next_due_in().ok().flatten().map_or(IDLE_WAIT, |due| due.min(IDLE_WAIT)),
                Err(error) => {
                    tracing::error!(%error, "the delivery queue cannot be read");
                    IDLE_WAIT
                }
            };
            if !wait.is_zero() {
                self.signal.wait(seen, wait);
            }
        }
    }

    /// One pass over the due requests; `Ok(true)` if another pass should follow at once.
    fn pass(&mut self) -> Result<bool, PortalError> {
        let items = self.queue.due(BATCH)?;
        if items.is_empty() {
            return Ok(false);
        }
        for item in items {
            if self.signal.stop.load(Ordering::SeqCst) {
                return Ok(false);
            }
            let outcome = self.deliver(&item);
            self.signal.notify();
            match outcome {
                Ok(Progress::Done) => self.succeeded()?,
                Ok(Progress::AwaitingConfirmation) => {
                    self.succeeded()?;
                    self.queue.postpone(&item.tracking_number, self.config.confirm_interval)?;
                }
                Err(error @ PortalError::Storage { .. }) => return Err(error),
                // The destination's key, not the portal, is at fault: this request waits the
                // longest backoff and the others go on (see the module documentation of
                // `fitconnect`).
                Err(error @ PortalError::Crypto { .. }) => {
                    let delay = self.config.backoff.max;
                    tracing::warn!(
                        request = %tracking_tag(&self.config.tls.client_key_pem, &item.tracking_number),
                        %error,
                        retry_in_ms = delay.as_millis() as u64,
                        "request not sent, its destination key does not pass the check; it stays queued"
                    );
                    self.queue.record_failure(&item.tracking_number, &error.to_string(), delay)?;
                }
                Err(error) => {
                    self.failures = self.failures.saturating_add(1);
                    let delay = self.config.backoff.delay(self.failures, OsRng.next_u64());
                    tracing::warn!(
                        request = %tracking_tag(&self.config.tls.client_key_pem, &item.tracking_number),
                        %error,
                        retry_in_ms = delay.as_millis() as u64,
                        "delivery failed, will retry"
                    );
                    self.queue.record_failure(&item.tracking_number, &error.to_string(), delay)?;
                    // The portal is in trouble: pause the whole queue, not just this request.
                    self.paused_until = Some(Instant::now() + delay);
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    fn succeeded(&mut self) -> Result<(), PortalError> {
        if self.failures > 0 {
            self.failures = 0;
            tracing::info!("the portal answers again, resuming delivery of the whole queue");
            self.queue.make_all_due()?;
        }
        Ok(())
    }

    /// Before the request goes out: the key it is encrypted to must be the one the destination
    /// names now, published under that id, and certified by the administration PKI (checked
    /// again once the last check is older than the maximum key age).
    fn check_key(&self, item: &QueuedItem) -> Result<(), PortalError> {
        let destination_id = item.destination_id.as_str();
        let kid = jwe::key_id(&item.encrypted_metadata)
            .and_then(|kid| kid.ok_or(JoseError::Malformed { what: "JWE", reason: "no kid in its header".to_owned() }))
            .map_err(|cause| PortalError::Crypto { cause: CryptoCheck::QueuedContent(cause) })?;
        let current = self.api.encryption_kid(Pace::Normal, destination_id)?;
        if current != kid {
            return Err(PortalError::Crypto {
                cause: CryptoCheck::KeyRotated {
                    destination_id: destination_id.to_owned(),
                    queued_kid: kid,
                    current_kid: current,
                },
            });
        }
        // Rows queued before thumbprints were recorded are bound by the key id alone.
        let encrypted_to = |jwk: &RsaJwk| {
            jwk.kid == kid && item.key_thumbprint.as_ref().is_none_or(|thumbprint| *thumbprint == jwk.thumbprint())
        };
        let cached = self.queue.cached_key(destination_id)?;
        if let Some(cached) = cached
            && cached.verified_within(self.config.key_trust.max_key_age)
            && serde_json::from_str::<RsaJwk>(&cached.jwk).is_ok_and(|jwk| encrypted_to(&jwk))
        {
            return Ok(());
        }
        let jwk = self.api.destination_key_with_id(Pace::Normal, destination_id, &kid)?;
        if !encrypted_to(&jwk) {
            return Err(PortalError::Crypto {
                cause: CryptoCheck::KeyReplaced { destination_id: destination_id.to_owned(), kid },
            });
        }
        certify(&self.api, &self.pki, destination_id, &jwk)?;
        self.queue.cache_key(destination_id, &encode_key(&jwk)?, true)
    }

    fn deliver(&self, item: &QueuedItem) -> Result<Progress, PortalError> {
        let tracking_number = item.tracking_number.as_str();
        let mut step = item.step;
        let mut in_flight = item.in_flight;
        let mut ids = item.submission_id.clone().zip(item.case_id.clone());
        let mut key_checked = false;
        loop {
            match (step, &ids) {
                (Step::Confirmed, _) => return Ok(Progress::Done),
                (Step::Queued, _) | (_, None) => {
                    if !key_checked {
                        self.check_key(item)?;
                        key_checked = true;
                    }
                    // An unknown outcome of a create step needs no question to the portal: a
                    // created but never submitted submission is discarded by the portal and
                    // never reaches the destination.
                    self.observe(Checkpoint::BeforeRequest { tracking_number, step: Step::Created });
                    let (submission_id, case_id) =
                        self.api.create_submission(&item.destination_id, &item.leika_id, &item.service_name)?;
                    self.observe(Checkpoint::AfterResponse { tracking_number, step: Step::Created });
                    self.queue.record_created(tracking_number, &submission_id, &case_id)?;
                    self.observe(Checkpoint::Recorded { tracking_number, step: Step::Created });
                    ids = Some((submission_id, case_id));
                    step = Step::Created;
                    in_flight = None;
                }
                (Step::Created, Some((submission_id, case_id))) => {
                    if in_flight == Some(Step::Submitted) && self.portal_has(submission_id, case_id)? {
                        // The earlier submit went through; its answer was lost.
                        self.queue.record_submitted(tracking_number)?;
                        self.observe(Checkpoint::Recorded { tracking_number, step: Step::Submitted });
                        step = Step::Submitted;
                        continue;
                    }
                    if !key_checked {
                        self.check_key(item)?;
                        key_checked = true;
                    }
                    self.observe(Checkpoint::BeforeRequest { tracking_number, step: Step::Submitted });
                    self.queue.mark_in_flight(tracking_number, Step::Submitted)?;
                    let outcome =
                        self.api.submit_submission(submission_id, &item.encrypted_metadata, &item.encrypted_data)?;
                    if outcome == SubmitOutcome::Conflict && !self.portal_has(submission_id, case_id)? {
                        return Err(PortalError::Protocol {
                            operation: "submitting the submission".to_owned(),
                            cause: ProtocolViolation::ConflictWithoutSubmission,
                        });
                    }
                    self.observe(Checkpoint::AfterResponse { tracking_number, step: Step::Submitted });
                    self.queue.record_submitted(tracking_number)?;
                    self.observe(Checkpoint::Recorded { tracking_number, step: Step::Submitted });
                    step = Step::Submitted;
                }
                (Step::Submitted, Some((submission_id, case_id))) => {
                    self.observe(Checkpoint::BeforeRequest { tracking_number, step: Step::Confirmed });
                    if !self.portal_has(submission_id, case_id)? {
                        return Ok(Progress::AwaitingConfirmation);
                    }
                    self.observe(Checkpoint::AfterResponse { tracking_number, step: Step::Confirmed });
                    self.queue.record_confirmed(tracking_number)?;
                    self.observe(Checkpoint::Recorded { tracking_number, step: Step::Confirmed });
                    return Ok(Progress::Done);
                }
            }
        }
    }

    /// Whether the verified event log shows the portal holding the submission.
    fn portal_has(&self, submission_id: &str, case_id: &str) -> Result<bool, PortalError> {
        let events = self.api.events(case_id)?;
        Ok(events::delivery_state(&events, submission_id).is_some())
    }
}
