// SPDX-License-Identifier: GPL-3.0-or-later
//! The real path: a [`Portal`] that speaks the FIT-Connect Submission API through a durable
//! store-and-forward queue.
//!
//! `submit` encrypts the form data and the metadata to the destination's key (JWE), writes both
//! to the SQLite queue in one durable transaction, wakes the delivery worker and waits at most
//! [`FitConnectConfig::submit_wait`] for it to hand the request to the portal. The worker keeps
//! trying, with exponential backoff and jitter, until the portal has every request; after a
//! restart it resumes each request from its last recorded step.
//!
//! # Which key a request goes to
//!
//! A request is encrypted once, when it is queued, and the terminal keeps no readable copy; so
//! the key is chosen then and checked before anything is sent:
//!
//! - Queuing asks the destination which key it names now (`encryptionKid`), within a share of
//!   `submit_wait`, and fetches that key if it is not the cached one. Only if the portal does not
//!   answer in time is the cached key used: the request must be stored while the citizen waits,
//!   and encrypting it to a key does not yet send anything to that key.
//! - Before the worker creates or submits a request, it asks the destination again: a request
//!   encrypted to a key the destination no longer names (it rotated its key while the portal was
//!   out of reach) is not sent ([`CryptoCheck::KeyRotated`]). The key must also be the one
//!   published under that id (its RFC 7638 thumbprint, [`CryptoCheck::KeyReplaced`]) and be
//!   certified by the administration PKI ([`crate::pki`]: chain to the configured root,
//!   validity, CRLs, key usage); that check is repeated once it is older than
//!   [`KeyTrust::max_key_age`].
//!
//! A request that fails these checks stays queued, with the reason as the queue's last error
//! ([`Portal::queue_health`]) and in the log. It is tried again after the longest backoff,
//! without pausing the other requests: it goes out once its key passes, and never before.

pub mod client;
pub mod config;
pub mod events;
pub mod metadata;
pub mod worker;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::error::{ConfigDefect, CryptoCheck, Shared, StorageFailure};
use crate::jose::jwe;
use crate::jose::jwk::{KeyUse, RsaJwk};
use crate::pki::AdministrationPki;
use crate::queue::{Queue, QueueHealth, QueuedItem, Step};
use crate::simulated::check_json_object;
use crate::{Delivery, DeliveryState, Portal, PortalError, RequestStatus, SlotOffer, Submission, tracking_tag};

use client::{ApiClient, CatalogueEntry, Pace};
pub use config::{ApiVersion, Backoff, DEFAULT_CONFIRMED_RETENTION, DEFAULT_MAX_KEY_AGE, FitConnectConfig, KeyTrust};
use worker::{Observer, Signal, Worker};

/// Checks `jwk` against the administration PKI with CRLs fetched now.
///
/// # Errors
/// Transport errors fetching the CRLs; [`CryptoCheck::UntrustedKey`] if the key does not pass.
pub(crate) fn certify(
    api: &ApiClient,
    pki: &AdministrationPki,
    destination_id: &str,
    jwk: &RsaJwk,
) -> Result<(), PortalError> {
    let crls = api.crls()?;
    pki.verify(jwk, &crls, std::time::SystemTime::now()).map_err(|cause| PortalError::Crypto {
        cause: CryptoCheck::UntrustedKey {
            destination_id: destination_id.to_owned(),
            kid: jwk.kid.clone(),
            cause: Box::new(cause),
        },
    })
}

fn encode_key(jwk: &RsaJwk) -> Result<String, PortalError> {
    serde_json::to_string(jwk).map_err(|e| PortalError::Storage { cause: StorageFailure::KeyEncoding(Shared::new(e)) })
}

/// The FIT-Connect client with its queue and delivery worker.
///
/// Dropping it stops the worker after the step in progress; queued requests stay in the queue
/// and are delivered by the next instance opened on the same queue file.
pub struct FitConnectPortal {
    api: Arc<ApiClient>,
    pki: Arc<AdministrationPki>,
    queue: Mutex<Queue>,
    config: FitConnectConfig,
    signal: Arc<Signal>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FitConnectPortal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitConnectPortal")
            .field("api_base_url", &self.config.api_base_url)
            .field("queue_path", &self.config.queue_path)
            .finish_non_exhaustive()
    }
}

impl FitConnectPortal {
    /// Opens the queue and starts the delivery worker.
    ///
    /// # Errors
    /// [`PortalError::Config`] or [`PortalError::Tls`] for an unusable configuration (URLs, TLS
    /// material, the administration PKI's root, no CRL location), [`PortalError::Storage`] if
    /// the queue cannot be opened.
    pub fn start(config: FitConnectConfig) -> Result<Self, PortalError> {
        Self::start_observed(config, None)
    }

    /// Like [`FitConnectPortal::start`], reporting every delivery [`worker::Checkpoint`] to
    /// `observer` (on the worker thread).
    ///
    /// # Errors
    /// As [`FitConnectPortal::start`].
    pub fn start_observed(config: FitConnectConfig, observer: Option<Observer>) -> Result<Self, PortalError> {
        let api = Arc::new(ApiClient::new(&config)?);
        let pki = Arc::new(AdministrationPki::from_pem(&config.key_trust.anchors_pem)?);
        let queue = Queue::open(&config.queue_path, config.queue_max_bytes)?;
        let worker_queue = Queue::open(&config.queue_path, config.queue_max_bytes)?;
        let signal = Arc::new(Signal::default());
        let worker = Worker::new(
            Arc::clone(&api),
            Arc::clone(&pki),
            worker_queue,
            config.clone(),
            Arc::clone(&signal),
            observer,
        );
        let handle = std::thread::Builder::new()
            .name("portal-delivery".to_owned())
            .spawn(move || worker.run())
            .map_err(|e| PortalError::Storage { cause: StorageFailure::WorkerThread(Shared::new(e)) })?;
        Ok(Self { api, pki, queue: Mutex::new(queue), config, signal, worker: Some(handle) })
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queue depth, oldest unsent age, unconfirmed count and the last error.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the queue cannot be read.
    pub fn health(&self) -> Result<QueueHealth, PortalError> {
        self.queue().health()
    }

    /// Fetches the current encryption keys of all configured destinations, checks them against
    /// the administration PKI and caches them, so requests can be encrypted and queued even
    /// while the portal is unreachable later.
    ///
    /// # Errors
    /// The first error met, [`CryptoCheck::UntrustedKey`] for a key that does not pass; keys
    /// checked before it stay cached.
    pub fn prefetch_keys(&self) -> Result<(), PortalError> {
        for destination_id in self.config.destinations.values() {
            let jwk = self.api.destination_key(Pace::Normal, destination_id)?;
            certify(&self.api, &self.pki, destination_id, &jwk)?;
            self.queue().cache_key(destination_id, &encode_key(&jwk)?, true)?;
        }
        Ok(())
    }

    /// The key to encrypt a new request to: the one the destination names now, or, if the
    /// portal does not answer within the quick limits, the cached one (see the module
    /// documentation; the worker checks it before sending).
    fn encryption_key(&self, destination_id: &str) -> Result<RsaJwk, PortalError> {
        let cached = self
            .queue()
            .cached_key(destination_id)?
            .and_then(|cached| serde_json::from_str::<RsaJwk>(&cached.jwk).ok());
        // Without a cached key there is nothing to fall back to: take the time it takes.
        let pace = if cached.is_some() { Pace::Quick } else { Pace::Normal };
        let current = self.api.encryption_kid(pace, destination_id).and_then(|kid| match &cached {
            Some(jwk) if jwk.kid == kid => Ok(jwk.clone()),
            _ => {
                let jwk = self.api.destination_key_with_id(pace, destination_id, &kid)?;
                self.queue().cache_key(destination_id, &encode_key(&jwk)?, false)?;
                Ok(jwk)
            }
        });
        match (current, cached) {
            (Ok(jwk), _) => Ok(jwk),
            (Err(error), Some(jwk)) => {
                tracing::warn!(
                    %error,
                    destination = destination_id,
                    kid = %jwk.kid,
                    "cannot ask which key the destination names now; encrypting to the cached key, which is checked again before the request is sent"
                );
                Ok(jwk)
            }
            (Err(error), None) => Err(error),
        }
    }

    /// The [tracking tag](crate::tracking_tag) of `tracking_number` on this terminal, keyed with
    /// its device key: what the journal says instead of the number.
    pub fn tag(&self, tracking_number: &str) -> String {
        tracking_tag(&self.config.tls.client_key_pem, tracking_number)
    }

    /// The service catalogue (terminal extension of the local portal).
    ///
    /// # Errors
    /// Transport and protocol errors.
    pub fn catalogue(&self) -> Result<Vec<CatalogueEntry>, PortalError> {
        self.api.catalogue()
    }

    /// Encrypts and durably queues `submission` without waiting for delivery. Returns `false`
    /// if a request with this tracking number was already queued (nothing changes then).
    ///
    /// # Errors
    /// [`PortalError::InvalidPayload`] if the data is not a JSON object;
    /// [`PortalError::Config`] if the destination does not match the configured one;
    /// errors fetching a destination key when none is cached; [`PortalError::Crypto`];
    /// [`PortalError::Storage`] if the queue cannot be written.
    pub fn enqueue(&self, submission: &Submission) -> Result<bool, PortalError> {
        check_json_object(&submission.data)?;
        if let Some(expected) = self.config.destinations.get(&submission.service_id)
            && *expected != submission.destination_id
        {
            return Err(PortalError::Config {
                cause: ConfigDefect::DestinationMismatch {
                    service_id: submission.service_id.clone(),
                    configured: expected.clone(),
                    named: submission.destination_id.clone(),
                },
            });
        }
        let jwk = self.encryption_key(&submission.destination_id)?;
        let key = jwk.public_key_for(KeyUse::WrapKey).map_err(|cause| PortalError::Crypto {
            cause: CryptoCheck::DestinationKey { destination_id: submission.destination_id.clone(), cause },
        })?;
        let crypto = |e| PortalError::Crypto { cause: CryptoCheck::Encryption(e) };
        let metadata = metadata::build(submission).to_string();
        let encrypted_metadata =
            jwe::encrypt(metadata.as_bytes(), &key, &jwk.kid, "application/json").map_err(crypto)?;
        let encrypted_data = jwe::encrypt(&submission.data, &key, &jwk.kid, "application/json").map_err(crypto)?;
        let inserted = self.queue().insert(&QueuedItem {
            tracking_number: submission.tracking_number.clone(),
            service_id: submission.service_id.clone(),
            destination_id: submission.destination_id.clone(),
            leika_id: submission.leika_id.clone(),
            service_name: submission.service_name.clone(),
            encrypted_metadata,
            encrypted_data,
            key_thumbprint: Some(jwk.thumbprint()),
            step: Step::Queued,
            in_flight: None,
            submission_id: None,
            case_id: None,
            attempts: 0,
        })?;
        tracing::info!(
            request = %self.tag(&submission.tracking_number),
            service = %submission.service_id,
            kid = %jwk.kid,
            inserted,
            "request queued"
        );
        self.signal.notify();
        Ok(inserted)
    }

    /// The recorded step of a tracking number in this terminal's queue.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the queue cannot be read.
    pub fn step(&self, tracking_number: &str) -> Result<Option<Step>, PortalError> {
        Ok(self.queue().get(tracking_number)?.map(|item| item.step))
    }

    /// Waits until nothing is left to hand over (every request at least submitted) or
    /// `timeout` passes; returns whether the queue drained.
    ///
    /// # Errors
    /// [`PortalError::Storage`] if the queue cannot be read.
    pub fn wait_until_handed_over(&self, timeout: Duration) -> Result<bool, PortalError> {
        let deadline = Instant::now() + timeout;
        loop {
            let seen = self.signal.generation();
            if self.health()?.depth == 0 {
                return Ok(true);
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Ok(false);
            }
            self.signal.wait(seen, remaining.min(Duration::from_millis(200)));
        }
    }
}

impl Drop for FitConnectPortal {
    fn drop(&mut self) {
        self.signal.stop.store(true, Ordering::SeqCst);
        self.signal.notify();
        if let Some(handle) = self.worker.take()
            && handle.join().is_err()
        {
            tracing::error!("the delivery worker panicked");
        }
    }
}

impl Portal for FitConnectPortal {
    fn slots(&self, service_id: &str, from: NaiveDate, days: u32) -> Result<Vec<SlotOffer>, PortalError> {
        self.api.slots(service_id, from, days)
    }

    fn submit(&self, submission: Submission) -> Result<Delivery, PortalError> {
        let tracking_number = submission.tracking_number.clone();
        self.enqueue(&submission)?;
        drop(submission);
        let deadline = Instant::now() + self.config.submit_wait;
        loop {
            let seen = self.signal.generation();
            // The request is durably queued: from here on, nothing may turn into an error.
            match self.step(&tracking_number) {
                Ok(Some(step)) if step >= Step::Submitted => return Ok(Delivery::Sent),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "cannot read the delivery state, reporting the request as queued");
                    return Ok(Delivery::Queued);
                }
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Ok(Delivery::Queued);
            }
            self.signal.wait(seen, remaining);
        }
    }

    fn queue_health(&self) -> Option<QueueHealth> {
        match self.health() {
            Ok(health) => Some(health),
            Err(error) => {
                tracing::warn!(%error, "cannot read the queue's health");
                None
            }
        }
    }

    fn status(&self, tracking_number: &str) -> Result<RequestStatus, PortalError> {
        let local = self.queue().get(tracking_number)?;
        let (service_id, submission_id, case_id, processing, step) = match local {
            Some(item) => match (item.submission_id, item.case_id) {
                (Some(s), Some(c)) if item.step >= Step::Submitted => (item.service_id, s, c, None, Some(item.step)),
                _ => {
                    return Ok(RequestStatus {
                        tracking_number: tracking_number.to_owned(),
                        service_id: Some(item.service_id),
                        delivery: DeliveryState::Queued,
                        processing: None,
                    });
                }
            },
            None => {
                let record = self.api.tracking(tracking_number)?;
                (record.service_id, record.submission_id, record.case_id, record.processing, None)
            }
        };
        let delivery = match self.api.events(&case_id) {
            Ok(events) => events::delivery_state(&events, &submission_id).unwrap_or(DeliveryState::Sent),
            // The portal cannot be asked right now, but this terminal knows it handed it over.
            Err(PortalError::Unreachable { .. } | PortalError::Timeout { .. }) if step.is_some() => DeliveryState::Sent,
            Err(error) => return Err(error),
        };
        Ok(RequestStatus {
            tracking_number: tracking_number.to_owned(),
            service_id: Some(service_id),
            delivery,
            processing,
        })
    }
}
