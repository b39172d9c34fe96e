// SPDX-License-Identifier: GPL-3.0-or-later
//! The terminal's seam to the central portal.
//!
//! # Model
//!
//! The kiosk talks to "the portal" through one blocking trait, [`Portal`], from a worker thread:
//! it asks for bookable [slots](Portal::slots), hands over a citizen's request with
//! [`submit`](Portal::submit) and looks up a request's [status](Portal::status) by tracking
//! number. What stands behind the trait is an implementation detail the kiosk does not see:
//!
//! - [`SimulatedPortal`]: in-process and deterministic, for demo mode and the kiosk's UI tests.
//!   It keeps nothing personal.
//! - [`FitConnectPortal`], the FIT-Connect client (Submission API 1.1.3): encrypts each request
//!   end to end ([`jose`]: JWE, RSA-OAEP-256 + A256GCM) to the destination's key, stores it in a
//!   durable SQLite [`queue`] and delivers it over mutually authenticated TLS 1.3 ([`tls`],
//!   [`http`]), retrying with backoff until the portal has it exactly once; statuses come from
//!   the case's event log, each token verified (PS512) against the portal's JWKS. A request goes
//!   only to a key the destination names now and the administration PKI certifies ([`pki`]).
//!
//! The `local-portal` crate serves the same API on loopback for demo mode and tests.
//!
//! # The promise behind `submit`
//!
//! A receipt is printed only after [`Portal::submit`] returned `Ok`. `Ok(Delivery::Sent)` means
//! the portal has the request; `Ok(Delivery::Queued)` means it is stored durably (already
//! encrypted) on the terminal and will be delivered without anyone's help. `Err` means neither:
//! the citizen must be told, and nothing may claim success.

pub mod error;
pub mod fitconnect;
pub mod http;
pub mod jose;
pub mod pki;
pub mod queue;
mod request;
pub mod schemas;
mod simulated;
pub mod slots;
mod tag;
pub mod tls;
pub mod working_days;

use chrono::NaiveDate;

pub use error::PortalError;
pub use fitconnect::{FitConnectConfig, FitConnectPortal};
pub use queue::QueueHealth;
pub use request::{Delivery, DeliveryState, RequestStatus, Submission};
pub use simulated::{SimulatedPortal, SimulatedRecord};
pub use slots::{SlotKind, SlotOffer};
pub use tag::tracking_tag;

/// The central portal, as the kiosk sees it.
///
/// All methods block; the kiosk calls them from a worker thread, never from the UI thread.
/// Implementations are shared between threads (`Send + Sync`) and keep their own locking.
///
/// # Contract
///
/// - [`slots`](Portal::slots) and [`status`](Portal::status) are queries: they may fail with
///   [`PortalError::Unreachable`], [`PortalError::Timeout`] and the like, and the kiosk then shows
///   "temporarily unavailable". They change nothing.
/// - [`submit`](Portal::submit) returns within a few seconds whatever the network does. Before it
///   returns `Ok`, the request is durably stored, and any copy of the payload that leaves memory
///   is encrypted to the destination's key. It is delivered exactly once.
/// - No method logs or stores the payload or anything derived from its content other than its
///   size and hash, and none writes a tracking number to the log (only its [`tracking_tag`]).
pub trait Portal: Send + Sync {
    /// Free slots of the capacity calendar (bulky waste) or the appointment calendar (citizens'
    /// office) for `service_id`, on the dates `from ..= from + days - 1`, in date order.
    ///
    /// # Errors
    /// [`PortalError::UnknownService`] if the portal does not offer `service_id`; transport
    /// errors if it cannot be asked.
    fn slots(&self, service_id: &str, from: NaiveDate, days: u32) -> Result<Vec<SlotOffer>, PortalError>;

    /// Hands over a request.
    ///
    /// Returns once the request is DURABLY queued (already encrypted) and, if the portal answered
    /// within a short deadline, delivered: [`Delivery::Sent`]; otherwise [`Delivery::Queued`]
    /// (sent automatically later).
    ///
    /// # Errors
    /// Only if the request could not even be queued, e.g. [`PortalError::Storage`] when the disk
    /// is full, or [`PortalError::InvalidPayload`] when `data` is not a JSON object. The citizen
    /// must then be told, and no receipt may claim success.
    fn submit(&self, submission: Submission) -> Result<Delivery, PortalError>;

    /// Status of a request by its tracking number, as submitted from any terminal of the
    /// municipality.
    ///
    /// # Errors
    /// [`PortalError::NotFound`] for an unknown tracking number; transport errors if the portal
    /// cannot be asked; [`PortalError::Crypto`] if its event log does not verify.
    fn status(&self, tracking_number: &str) -> Result<RequestStatus, PortalError>;

    /// How the terminal's own store-and-forward queue stands, for the staff's
    /// health page; `None` for a portal without one. Reads only local state.
    fn queue_health(&self) -> Option<QueueHealth> {
        None
    }
}

/// A shared portal is a portal: the kiosk can hold an `Arc<dyn Portal>` and pass it on.
impl<P: Portal + ?Sized> Portal for std::sync::Arc<P> {
    fn slots(&self, service_id: &str, from: NaiveDate, days: u32) -> Result<Vec<SlotOffer>, PortalError> {
        (**self).slots(service_id, from, days)
    }

    fn submit(&self, submission: Submission) -> Result<Delivery, PortalError> {
        (**self).submit(submission)
    }

    fn status(&self, tracking_number: &str) -> Result<RequestStatus, PortalError> {
        (**self).status(tracking_number)
    }

    fn queue_health(&self) -> Option<QueueHealth> {
        (**self).queue_health()
    }
}

/// A boxed portal is a portal.
impl<P: Portal + ?Sized> Portal for Box<P> {
    fn slots(&self, service_id: &str, from: NaiveDate, days: u32) -> Result<Vec<SlotOffer>, PortalError> {
        (**self).slots(service_id, from, days)
    }

    fn submit(&self, submission: Submission) -> Result<Delivery, PortalError> {
        (**self).submit(submission)
    }

    fn status(&self, tracking_number: &str) -> Result<RequestStatus, PortalError> {
        (**self).status(tracking_number)
    }

    fn queue_health(&self) -> Option<QueueHealth> {
        (**self).queue_health()
    }
}
