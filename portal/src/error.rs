// SPDX-License-Identifier: GPL-3.0-or-later
//! What can go wrong between the terminal and the portal.
//!
//! Every message says what happened and what to do about it; none carries personal data, so the
//! errors may be logged as they are.

/// Why a [`Portal`](crate::Portal) call failed.
///
/// The enum is `#[non_exhaustive]`: callers match the variants they treat specially and keep a
/// wildcard arm for the rest (show "service temporarily unavailable").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PortalError {
    /// The portal could not be reached at all (connection refused, no route, DNS failure).
    #[error(
        "the portal at {endpoint} cannot be reached ({reason}); the request stays queued and is sent automatically, check the network link if this persists"
    )]
    Unreachable {
        /// Where the terminal tried to connect (URL or host:port, no credentials).
        endpoint: String,
        /// What the operating system or transport reported.
        reason: String,
    },
    /// The portal did not answer within the configured deadline.
    #[error(
        "the portal did not answer {operation} within {timeout_ms} ms; try again later, queued requests are retried automatically"
    )]
    Timeout {
        /// What the terminal was waiting for (e.g. "token request", "submit").
        operation: String,
        /// The deadline that passed, in milliseconds.
        timeout_ms: u64,
    },
    /// No request with this tracking number is known to the portal.
    #[error(
        "no request with tracking number {tracking_number} is known; check the number on the receipt (a request queued a moment ago may not be at the portal yet)"
    )]
    NotFound {
        /// The tracking number that was looked up.
        tracking_number: String,
    },
    /// The service id is not in the portal's catalogue.
    #[error("the service {service_id:?} is not offered by the portal; update the terminal's service catalogue")]
    UnknownService {
        /// The service id the caller asked for.
        service_id: String,
    },
    /// The request could not be written to the terminal's durable queue (disk full, read-only
    /// file system, corrupt database). Nothing was sent: the citizen must be told, and no receipt
    /// may claim success.
    #[error(
        "the request could not be stored on the terminal ({reason}); nothing was sent, tell the citizen and call maintenance"
    )]
    Storage {
        /// What the storage layer reported.
        reason: String,
    },
    /// The portal answered, but not in the way the Submission API prescribes.
    #[error(
        "the portal answered {operation} with something unexpected ({reason}); the request stays queued, report this to the portal operator if it persists"
    )]
    Protocol {
        /// Which step was being carried out.
        operation: String,
        /// What was wrong with the answer (status code, content type, malformed body, …).
        reason: String,
    },
    /// The TLS connection was refused (certificate not signed by the pinned CA, wrong host name,
    /// expired certificate, missing or rejected client certificate).
    #[error(
        "the secure connection to the portal was refused: {reason}; check the terminal's certificates and the pinned portal CA"
    )]
    Tls {
        /// What failed in the handshake.
        reason: String,
    },
    /// The portal refused the terminal's credentials (OAuth client credentials or client certificate).
    #[error(
        "the portal refused the terminal's credentials ({reason}); check the client id, secret and device certificate in the configuration"
    )]
    Authentication {
        /// What the portal said.
        reason: String,
    },
    /// A signature, key or encryption check failed (e.g. an event not signed by the portal's
    /// key, a destination key with the wrong algorithm).
    #[error("a cryptographic check failed: {reason}; nothing from this answer was trusted")]
    Crypto {
        /// Which check failed.
        reason: String,
    },
    /// The caller handed over a payload that is not a JSON object: a defect in the terminal,
    /// not something the citizen can fix.
    #[error("the form data is not a JSON object ({reason}); this is a defect in the terminal software")]
    InvalidPayload {
        /// Why the payload was refused (position of the syntax error; never its content).
        reason: String,
    },
    /// The terminal's portal configuration is incomplete or inconsistent.
    #[error("the portal configuration is invalid: {reason}; fix the configuration file")]
    Config {
        /// What is wrong.
        reason: String,
    },
}
