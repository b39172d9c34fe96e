// SPDX-License-Identifier: GPL-3.0-or-later
//! The real path: a [`Portal`] that speaks the FIT-Connect Submission API through a durable
//! store-and-forward queue.
//!
//! `submit` encrypts the form data and the metadata to the destination's key (JWE), writes both
//! to the SQLite queue in one durable transaction, wakes the delivery worker and waits at most
//! [`FitConnectConfig::submit_wait`] for it to hand the request to the portal. The worker keeps
//! trying, with exponential backoff and jitter, until the portal has every request; after a
//! restart it resumes each request from its last recorded step.

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
use crate::queue::{Queue, QueueHealth, QueuedItem, Step};
use crate::simulated::check_json_object;
use crate::{Delivery, DeliveryState, Portal, PortalError, RequestStatus, SlotOffer, Submission};

use client::{ApiClient, CatalogueEntry};
pub use config::{ApiVersion, Backoff, FitConnectConfig};
use worker::{Observer, Signal, Worker};

/// The FIT-Connect client with its queue and delivery worker.
///
/// Dropping it stops the worker after the step in progress; queued requests stay in the queue
/// and are delivered by the next instance opened on the same queue file.
pub struct FitConnectPortal {
    api: Arc<ApiClient>,
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
    /// [`PortalError::Config`] or [`PortalError::Tls`] for an unusable configuration,
    /// [`PortalError::Storage`] if the queue cannot be opened.
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
        let queue = Queue::open(&config.queue_path, config.queue_max_bytes)?;
        let worker_queue = Queue::open(&config.queue_path, config.queue_max_bytes)?;
        let signal = Arc::new(Signal::default());
        let worker = Worker::new(Arc::clone(&api), worker_queue, config.clone(), Arc::clone(&signal), observer);
        let handle = std::thread::Builder::new()
            .name("portal-delivery".to_owned())
            .spawn(move || worker.run())
            .map_err(|e| PortalError::Storage { cause: StorageFailure::WorkerThread(Shared::new(e)) })?;
        Ok(Self { api, queue: Mutex::new(queue), config, signal, worker: Some(handle) })
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

    /// Fetches and caches the encryption keys of all configured destinations, so requests can
    /// be encrypted and queued even while the portal is unreachable later.
    ///
    /// # Errors
    /// The first error met; keys fetched before it stay cached.
    pub fn prefetch_keys(&self) -> Result<(), PortalError> {
        for destination_id in self.config.destinations.values() {
            let jwk = self.api.destination_key(destination_id)?;
            self.cache_key(destination_id, &jwk)?;
        }
        Ok(())
    }

    fn cache_key(&self, destination_id: &str, jwk: &RsaJwk) -> Result<(), PortalError> {
        let json = serde_json::to_string(jwk)
            .map_err(|e| PortalError::Storage { cause: StorageFailure::KeyEncoding(Shared::new(e)) })?;
        self.queue().cache_key(destination_id, &json)
    }

    /// The destination key: from the cache, else from the portal (and then cached).
    fn encryption_key(&self, destination_id: &str) -> Result<RsaJwk, PortalError> {
        let cached = self.queue().cached_key(destination_id)?;
        if let Some(json) = cached
            && let Ok(jwk) = serde_json::from_str::<RsaJwk>(&json)
        {
            return Ok(jwk);
        }
        let jwk = self.api.destination_key(destination_id)?;
        self.cache_key(destination_id, &jwk)?;
        Ok(jwk)
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
    /// errors fetching an uncached destination key; [`PortalError::Crypto`];
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
            encrypted_metadata,
            encrypted_data,
            step: Step::Queued,
            in_flight: None,
            submission_id: None,
            case_id: None,
            attempts: 0,
        })?;
        tracing::info!(tracking_number = %submission.tracking_number, service = %submission.service_id, inserted, "request queued");
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
