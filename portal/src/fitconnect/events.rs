// SPDX-License-Identifier: GPL-3.0-or-later
//! Security Event Tokens of the case event log (RFC 8417) and what they say about delivery.
//!
//! The portal (Zustelldienst) issues `submit-submission` once it holds a complete submission;
//! the receiving authority issues `accept-submission` or `reject-submission`. Each token is a
//! PS512 JWS with `typ` `secevent+jwt`, `sub` `submission:<id>`, `txn` `case:<id>` and exactly
//! one event in `events`.

use serde::{Deserialize, Serialize};

use crate::DeliveryState;
use crate::jose::jwk::Jwks;
use crate::jose::{JoseError, jws};

/// The portal holds the complete submission.
pub const SUBMIT_SUBMISSION: &str = "https://schema.fitko.de/fit-connect/events/submit-submission";
/// The authority accepted the submission.
pub const ACCEPT_SUBMISSION: &str = "https://schema.fitko.de/fit-connect/events/accept-submission";
/// The authority rejected the submission.
pub const REJECT_SUBMISSION: &str = "https://schema.fitko.de/fit-connect/events/reject-submission";

/// The JWS `typ` of Security Event Tokens.
pub const SET_TYPE: &str = "secevent+jwt";

/// Claims of a Security Event Token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetClaims {
    /// Issuer.
    pub iss: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Token id.
    pub jti: String,
    /// `submission:<submission id>`.
    pub sub: String,
    /// `case:<case id>`.
    pub txn: String,
    /// Exactly one event URI with its payload.
    pub events: serde_json::Map<String, serde_json::Value>,
}

/// A verified event.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedEvent {
    /// The event URI.
    pub event: String,
    /// The submission it is about.
    pub submission_id: String,
    /// The event's payload (e.g. the reasons of a rejection).
    pub payload: serde_json::Value,
}

/// Verifies `token` against `jwks` and checks it belongs to `case_id`.
///
/// # Errors
/// [`JoseError`] if the signature, the type or the claims do not fit.
pub fn verify(token: &str, jwks: &Jwks, case_id: &str) -> Result<VerifiedEvent, JoseError> {
    let malformed = |reason: String| JoseError::Malformed { what: "SET", reason };
    let verified = jws::verify(token, jwks)?;
    if verified.typ.as_deref() != Some(SET_TYPE) {
        return Err(malformed(format!("typ {:?} instead of {SET_TYPE}", verified.typ)));
    }
    let claims: SetClaims = serde_json::from_slice(&verified.payload).map_err(|e| malformed(format!("claims: {e}")))?;
    if claims.txn != format!("case:{case_id}") {
        return Err(malformed(format!("event of {} read from case {case_id}", claims.txn)));
    }
    let submission_id = claims
        .sub
        .strip_prefix("submission:")
        .ok_or_else(|| malformed(format!("sub {:?} is not a submission", claims.sub)))?
        .to_owned();
    let mut events = claims.events.into_iter();
    let (Some((event, payload)), None) = (events.next(), events.next()) else {
        return Err(malformed("a SET must carry exactly one event".to_owned()));
    };
    Ok(VerifiedEvent { event, submission_id, payload })
}

/// The delivery state a submission has reached according to its verified events, if any event
/// speaks about it.
pub fn delivery_state(events: &[VerifiedEvent], submission_id: &str) -> Option<DeliveryState> {
    events
        .iter()
        .filter(|e| e.submission_id == submission_id)
        .filter_map(|e| match e.event.as_str() {
            SUBMIT_SUBMISSION => Some(DeliveryState::Received),
            ACCEPT_SUBMISSION => Some(DeliveryState::Accepted),
            REJECT_SUBMISSION => Some(DeliveryState::Rejected),
            _ => None,
        })
        .max()
}
