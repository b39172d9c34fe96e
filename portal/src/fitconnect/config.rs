// SPDX-License-Identifier: GPL-3.0-or-later
//! Configuration of the FIT-Connect client: everything that differs between a test portal, the
//! local portal and production is here, none of it in code.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::http::Limits;
use crate::tls::TlsMaterial;

/// How long a checked destination key is trusted before it is checked again, unless configured
/// otherwise: a day, as long as the administration PKI's CRLs are typically current.
pub const DEFAULT_MAX_KEY_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a confirmed request's status row stays, unless configured otherwise: 30 days.
pub const DEFAULT_CONFIRMED_RETENTION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// Version of the Submission API paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiVersion {
    /// `/v1/...` (Submission API 1.x, `portal/specs/submission-api-1.1.3.yaml`).
    #[default]
    V1,
    /// `/v2/...`, for deployments that moved to the v2 base URL (same operations used here).
    V2,
}

impl ApiVersion {
    /// The path prefix of this version.
    pub fn prefix(self) -> &'static str {
        match self {
            ApiVersion::V1 => "/v1",
            ApiVersion::V2 => "/v2",
        }
    }
}

/// Exponential backoff with jitter between delivery attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure.
    pub initial: Duration,
    /// Upper bound of the delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { initial: Duration::from_secs(2), max: Duration::from_secs(300) }
    }
}

impl Backoff {
    /// The delay after `failures` consecutive failures: `initial * 2^(failures-1)`, capped at
    /// `max`, then a uniformly random point in its upper half ("equal jitter"), so terminals
    /// that lost the portal at the same moment do not retry in lockstep.
    pub fn delay(&self, failures: u32, random: u64) -> Duration {
        let exponent = failures.saturating_sub(1).min(30);
        let full = self.initial.saturating_mul(1u32 << exponent).min(self.max);
        let half = full / 2;
        let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX).max(1);
        half + Duration::from_millis(random % spread)
    }
}

/// How destination keys are trusted: the administration PKI (Verwaltungs-PKI) that must
/// certify each of them ([`crate::pki`]).
#[derive(Debug, Clone)]
pub struct KeyTrust {
    /// The PKI's root certificates, PEM: the only anchors a destination key's `x5c` may lead to.
    pub anchors_pem: Vec<u8>,
    /// Where the PKI's CRLs are fetched, `https://` URLs reached with the same pinned TLS as the
    /// API (the terminal's network reaches the portal only, which serves or mirrors them). Every
    /// certificate of a key's chain must be covered by one of them.
    pub crl_urls: Vec<String>,
    /// How long a checked key is trusted before the destination, its key and the CRLs are asked
    /// again: at most this late a revocation or a key rotation takes effect for requests sent.
    pub max_key_age: Duration,
}

/// Configuration of [`FitConnectPortal`](super::FitConnectPortal).
#[derive(Debug, Clone)]
pub struct FitConnectConfig {
    /// Base URL of the Submission API, without the version, e.g. `https://portal.example:443`.
    pub api_base_url: String,
    /// Which API version's paths to use.
    pub api_version: ApiVersion,
    /// OAuth 2.0 token endpoint (client credentials grant), e.g. `https://auth.example/token`.
    pub token_url: String,
    /// OAuth client id of this terminal.
    pub client_id: String,
    /// OAuth client secret of this terminal.
    pub client_secret: Zeroizing<String>,
    /// OAuth scope to request (e.g. `send:region:DE09162`), if the authorisation server needs one.
    pub scope: Option<String>,
    /// Base URL of the terminal extension (catalogue, calendars, tracking-number lookup);
    /// `None` uses `api_base_url`.
    pub extension_base_url: Option<String>,
    /// Destination per service id. A submission for a listed service must name this destination.
    pub destinations: BTreeMap<String, String>,
    /// Pinned CA, device certificate and key.
    pub tls: TlsMaterial,
    /// The administration PKI that certifies destination keys.
    pub key_trust: KeyTrust,
    /// Timeouts and the response size limit of every request.
    pub limits: Limits,
    /// Path of the SQLite queue (on the data partition).
    pub queue_path: PathBuf,
    /// Optional cap on the queue database's size in bytes.
    pub queue_max_bytes: Option<u64>,
    /// How long `submit` waits for delivery before answering `Queued`.
    pub submit_wait: Duration,
    /// Retry schedule.
    pub backoff: Backoff,
    /// How often to look for the signed confirmation of a submitted request.
    pub confirm_interval: Duration,
    /// How long the queue keeps what a status check at this terminal reads (tracking number,
    /// service, destination, submission and case id) of a confirmed request; the encrypted
    /// request itself goes as soon as the portal has it. After this the row is deleted, and a
    /// status check asks the portal's tracking lookup like any other terminal.
    pub confirmed_retention: Duration,
}

impl FitConnectConfig {
    /// A configuration with the default limits, waits, backoff and retention.
    pub fn new(
        api_base_url: impl Into<String>,
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        tls: TlsMaterial,
        key_trust: KeyTrust,
        queue_path: impl Into<PathBuf>,
    ) -> Self {
        Self {
            api_base_url: api_base_url.into(),
            api_version: ApiVersion::V1,
            token_url: token_url.into(),
            client_id: client_id.into(),
            client_secret: Zeroizing::new(client_secret.into()),
            scope: None,
            extension_base_url: None,
            destinations: BTreeMap::new(),
            tls,
            key_trust,
            limits: Limits::default(),
            queue_path: queue_path.into(),
            queue_max_bytes: None,
            submit_wait: Duration::from_secs(3),
            backoff: Backoff::default(),
            confirm_interval: Duration::from_secs(5),
            confirmed_retention: DEFAULT_CONFIRMED_RETENTION,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_in_the_upper_half_and_is_capped() {
        let backoff = Backoff { initial: Duration::from_millis(1000), max: Duration::from_millis(8000) };
        for random in [0, 1, 499, 12345, u64::MAX] {
            let first = backoff.delay(1, random);
            assert!((500..1000).contains(&first.as_millis()), "{first:?}");
            let third = backoff.delay(3, random);
            assert!((2000..4000).contains(&third.as_millis()), "{third:?}");
            let capped = backoff.delay(20, random);
            assert!((4000..8000).contains(&capped.as_millis()), "{capped:?}");
        }
        assert_ne!(backoff.delay(3, 0), backoff.delay(3, 1234));
    }
}
