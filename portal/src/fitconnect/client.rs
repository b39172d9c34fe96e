// SPDX-License-Identifier: GPL-3.0-or-later
//! The Submission API calls the terminal makes, one function per operation, each returning a
//! typed result or a [`PortalError`]. No state but the OAuth token and the portal's JWKS.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::NaiveDate;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::config::{ApiVersion, FitConnectConfig};
use super::events::{self, VerifiedEvent};
use crate::error::{ConfigDefect, CryptoCheck, ProtocolViolation};
use crate::http::{BaseUrl, HttpsClient, Limits, Response};
use crate::jose::JoseError;
use crate::jose::jwk::{Jwks, KeyUse, RsaJwk};
use crate::pki::{FetchedCrl, crl_from_bytes};
use crate::slots::{SlotKind, SlotOffer};
use crate::{PortalError, tls};

/// Path prefix of the terminal extension (catalogue, calendars, tracking-number lookup).
pub const EXTENSION_PREFIX: &str = "/x-buergerterminal/v1";

/// A service of the catalogue (terminal extension).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogueEntry {
    /// Catalogue id, e.g. `bulky-waste`.
    pub service_id: String,
    /// Display name.
    pub name: String,
    /// LeiKa id.
    pub leika_id: String,
    /// FIT-Connect destination.
    pub destination_id: String,
    /// URI of the payload's JSON Schema.
    pub data_schema_uri: String,
}

/// Where the portal has a tracking number (terminal extension).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackingRecord {
    /// Catalogue id of the service.
    pub service_id: String,
    /// Submission id.
    pub submission_id: String,
    /// Case id.
    pub case_id: String,
    /// Processing state set by the authority, if any (no personal data).
    #[serde(default)]
    pub processing: Option<String>,
}

/// A slot as the extension transmits it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireSlot {
    /// Slot id.
    pub id: String,
    /// `YYYY-MM-DD`.
    pub date: NaiveDate,
    /// `HH:MM`, for timed slots.
    #[serde(default)]
    pub start: Option<String>,
    /// `HH:MM`, for timed slots.
    #[serde(default)]
    pub end: Option<String>,
    /// `standard`, `express` or `appointment`.
    pub kind: String,
    /// Fee in cents.
    pub fee_cents: u32,
}

impl WireSlot {
    /// The wire form of `offer`.
    pub fn from_offer(offer: &SlotOffer) -> Self {
        Self {
            id: offer.id.clone(),
            date: offer.date,
            start: offer.time.map(|(s, _)| s.format("%H:%M").to_string()),
            end: offer.time.map(|(_, e)| e.format("%H:%M").to_string()),
            kind: match offer.kind {
                SlotKind::Standard => "standard",
                SlotKind::Express => "express",
                SlotKind::Appointment => "appointment",
            }
            .to_owned(),
            fee_cents: offer.fee_cents,
        }
    }

    fn into_offer(self) -> Result<SlotOffer, ProtocolViolation> {
        let kind = match self.kind.as_str() {
            "standard" => SlotKind::Standard,
            "express" => SlotKind::Express,
            "appointment" => SlotKind::Appointment,
            _ => return Err(ProtocolViolation::UnknownSlotKind { kind: self.kind }),
        };
        let parse = |t: &str| chrono::NaiveTime::parse_from_str(t, "%H:%M").map_err(ProtocolViolation::SlotTime);
        let time = match (self.start, self.end) {
            (Some(s), Some(e)) => Some((parse(&s)?, parse(&e)?)),
            (None, None) => None,
            _ => return Err(ProtocolViolation::HalfOpenSlot),
        };
        Ok(SlotOffer { id: self.id, date: self.date, time, kind, fee_cents: self.fee_cents })
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DestinationInfo {
    encryption_kid: String,
    status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    submission_id: String,
    case_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EventLog {
    event_log: Vec<String>,
}

/// Outcome of the submit step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// 202 Accepted.
    Accepted,
    /// 409 Conflict: the portal already has this submission in another state (typically, an
    /// earlier attempt whose answer was lost went through).
    Conflict,
}

/// How long a call may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// The configured [`Limits`]: the delivery worker, which can wait.
    Normal,
    /// Within a share of [`FitConnectConfig::submit_wait`]: a citizen is waiting for the answer
    /// to `submit`, and there is a fallback if the portal is slow.
    Quick,
}

/// Client for the operations the terminal uses.
#[derive(Debug)]
pub struct ApiClient {
    http: HttpsClient,
    quick: HttpsClient,
    api: BaseUrl,
    version: ApiVersion,
    token_endpoint: BaseUrl,
    extension: BaseUrl,
    client_id: String,
    client_secret: Zeroizing<String>,
    scope: Option<String>,
    crls: Vec<(String, BaseUrl)>,
    token: Mutex<Option<(String, Instant)>>,
    jwks: Mutex<Option<Jwks>>,
}

/// `application/x-www-form-urlencoded` (RFC 6749 appendix B, after HTML 4.01 section 17.13.4):
/// UTF-8, a space becomes `+`, RFC 3986 unreserved characters pass, every other byte is
/// percent-encoded.
fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `Authorization` header of a client authenticating with its password (RFC 6749 section
/// 2.3.1): client id and secret each form-urlencoded (appendix B), joined by a colon, base64, in
/// the HTTP Basic scheme (RFC 7617 section 2).
pub fn basic_credentials(client_id: &str, client_secret: &str) -> Zeroizing<String> {
    let pair = Zeroizing::new(format!("{}:{}", form_encode(client_id), form_encode(client_secret)));
    Zeroizing::new(format!("Basic {}", STANDARD.encode(pair.as_bytes())))
}

/// The configured limits, shortened so that a token, the destination and its key fit into
/// `submit_wait`.
fn quick_limits(limits: Limits, submit_wait: Duration) -> Limits {
    let share = (submit_wait / 3).max(Duration::from_millis(200));
    Limits { connect: limits.connect.min(share), io: limits.io.min(share), total: limits.total.min(share), ..limits }
}

fn segment_ok(value: &str) -> Result<&str, PortalError> {
    if !matches!(value, "" | "." | "..") && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b)) {
        Ok(value)
    } else {
        Err(PortalError::Protocol {
            operation: "building a request path".to_owned(),
            cause: ProtocolViolation::PathSegment { value: value.to_owned() },
        })
    }
}

impl ApiClient {
    /// A client for `config`.
    ///
    /// # Errors
    /// [`PortalError::Config`] for bad URLs, [`PortalError::Tls`] for unusable TLS material.
    pub fn new(config: &FitConnectConfig) -> Result<Self, PortalError> {
        let api = BaseUrl::parse(&config.api_base_url)?;
        let extension = match &config.extension_base_url {
            Some(url) => BaseUrl::parse(url)?,
            None => api.clone(),
        };
        if config.key_trust.crl_urls.is_empty() {
            return Err(PortalError::Config { cause: ConfigDefect::NoCrlLocation });
        }
        let crls = config
            .key_trust
            .crl_urls
            .iter()
            .map(|url| BaseUrl::parse(url).map(|base| (url.clone(), base)))
            .collect::<Result<Vec<_>, _>>()?;
        let tls = tls::client_config(&config.tls)?;
        Ok(Self {
            http: HttpsClient::new(std::sync::Arc::clone(&tls), config.limits),
            quick: HttpsClient::new(tls, quick_limits(config.limits, config.submit_wait)),
            api,
            version: config.api_version,
            token_endpoint: BaseUrl::parse(&config.token_url)?,
            extension,
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            scope: config.scope.clone(),
            crls,
            token: Mutex::new(None),
            jwks: Mutex::new(None),
        })
    }

    fn client(&self, pace: Pace) -> &HttpsClient {
        match pace {
            Pace::Normal => &self.http,
            Pace::Quick => &self.quick,
        }
    }

    /// OAuth 2.0 client credentials grant (RFC 6749 section 4.4), the client authenticated with
    /// HTTP Basic as section 2.3.1 recommends (not with its secret in the body); the token is
    /// reused until 30 seconds before it expires.
    fn token(&self, pace: Pace) -> Result<String, PortalError> {
        let mut cached = self.token.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((token, valid_until)) = cached.as_ref()
            && Instant::now() < *valid_until
        {
            return Ok(token.clone());
        }
        let mut form = "grant_type=client_credentials".to_owned();
        if let Some(scope) = &self.scope {
            form.push_str(&format!("&scope={}", form_encode(scope)));
        }
        let credentials = basic_credentials(&self.client_id, &self.client_secret);
        let response = self.client(pace).request(
            "token request",
            "POST",
            &self.token_endpoint,
            "",
            &[("Authorization", &credentials)],
            Some(("application/x-www-form-urlencoded", form.as_bytes())),
        )?;
        // RFC 6749 section 5.2: a refused client is answered 400 (invalid_client may be 401).
        if matches!(response.status, 400 | 401 | 403) {
            return Err(PortalError::Authentication { operation: "token request".to_owned(), status: response.status });
        }
        let token: TokenResponse = response.json("token request", &[200])?;
        if token.token_type.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("bearer")) {
            return Err(PortalError::Protocol {
                operation: "token request".to_owned(),
                cause: ProtocolViolation::NotBearerToken,
            });
        }
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(300)).saturating_sub(Duration::from_secs(30));
        *cached = Some((token.access_token.clone(), Instant::now() + lifetime));
        Ok(token.access_token)
    }

    fn authorized(
        &self,
        operation: &str,
        method: &str,
        base: &BaseUrl,
        path: &str,
        body: Option<(&str, &[u8])>,
    ) -> Result<Response, PortalError> {
        self.authorized_at(Pace::Normal, operation, method, base, path, body)
    }

    fn authorized_at(
        &self,
        pace: Pace,
        operation: &str,
        method: &str,
        base: &BaseUrl,
        path: &str,
        body: Option<(&str, &[u8])>,
    ) -> Result<Response, PortalError> {
        let mut fresh_token = false;
        loop {
            let bearer = format!("Bearer {}", self.token(pace)?);
            let response =
                self.client(pace).request(operation, method, base, path, &[("Authorization", &bearer)], body)?;
            if response.status == 401 && !fresh_token {
                // The token may have been revoked or the portal restarted: fetch a new one once.
                *self.token.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
                fresh_token = true;
                continue;
            }
            if matches!(response.status, 401 | 403) {
                return Err(PortalError::Authentication { operation: operation.to_owned(), status: response.status });
            }
            return Ok(response);
        }
    }

    fn api_path(&self, rest: &str) -> String {
        format!("{}{rest}", self.version.prefix())
    }

    fn destination_path(&self, destination_id: &str) -> Result<String, PortalError> {
        Ok(self.api_path(&format!("/destinations/{}", segment_ok(destination_id)?)))
    }

    /// The id of the key the destination currently names for encryption (`encryptionKid`).
    ///
    /// # Errors
    /// Transport errors; [`PortalError::Protocol`] if the destination is not active.
    pub fn encryption_kid(&self, pace: Pace, destination_id: &str) -> Result<String, PortalError> {
        let operation = "reading the destination";
        let path = self.destination_path(destination_id)?;
        let info: DestinationInfo =
            self.authorized_at(pace, operation, "GET", &self.api, &path, None)?.json(operation, &[200])?;
        if info.status != "active" {
            return Err(PortalError::Protocol {
                operation: operation.to_owned(),
                cause: ProtocolViolation::DestinationInactive {
                    destination_id: destination_id.to_owned(),
                    status: info.status,
                },
            });
        }
        Ok(info.encryption_kid)
    }

    /// The destination's key with id `kid`, checked for RSA-OAEP-256 and `wrapKey` (not yet
    /// against the administration PKI: that is [`crate::pki::AdministrationPki::verify`]).
    ///
    /// # Errors
    /// Transport errors; [`PortalError::Crypto`] if the portal sends another key than `kid` or
    /// one that may not be used for encryption.
    pub fn destination_key_with_id(&self, pace: Pace, destination_id: &str, kid: &str) -> Result<RsaJwk, PortalError> {
        let operation = "reading the destination key";
        let key_path = format!("{}/keys/{}", self.destination_path(destination_id)?, segment_ok(kid)?);
        let jwk: RsaJwk =
            self.authorized_at(pace, operation, "GET", &self.api, &key_path, None)?.json(operation, &[200])?;
        if jwk.kid != kid {
            return Err(PortalError::Crypto {
                cause: CryptoCheck::DestinationKeyId {
                    destination_id: destination_id.to_owned(),
                    expected: kid.to_owned(),
                    received: jwk.kid,
                },
            });
        }
        jwk.public_key_for(KeyUse::WrapKey).map_err(|cause| PortalError::Crypto {
            cause: CryptoCheck::DestinationKey { destination_id: destination_id.to_owned(), cause },
        })?;
        Ok(jwk)
    }

    /// The destination's current encryption key: the one its `encryptionKid` names.
    ///
    /// # Errors
    /// As [`ApiClient::encryption_kid`] and [`ApiClient::destination_key_with_id`].
    pub fn destination_key(&self, pace: Pace, destination_id: &str) -> Result<RsaJwk, PortalError> {
        let kid = self.encryption_kid(pace, destination_id)?;
        self.destination_key_with_id(pace, destination_id, &kid)
    }

    /// The administration PKI's CRLs, fetched now from every configured location.
    ///
    /// # Errors
    /// Transport errors; [`PortalError::Protocol`] for an answer other than 200.
    pub fn crls(&self) -> Result<Vec<FetchedCrl>, PortalError> {
        let operation = "reading a CRL of the administration PKI";
        self.crls
            .iter()
            .map(|(url, base)| {
                let response =
                    self.http.request(operation, "GET", base, "", &[("Accept", "application/pkix-crl")], None)?;
                if response.status != 200 {
                    return Err(PortalError::Protocol {
                        operation: format!("{operation} ({url})"),
                        cause: ProtocolViolation::Status { status: response.status },
                    });
                }
                Ok(FetchedCrl { url: url.clone(), der: crl_from_bytes(&response.body) })
            })
            .collect()
    }

    /// Creates a submission (`create-submission`) for the service `service_name` (its name, the
    /// schema's `ServiceType.name`) with LeiKa id `leika_id`, announcing no attachments.
    ///
    /// # Errors
    /// Transport and protocol errors.
    pub fn create_submission(
        &self,
        destination_id: &str,
        leika_id: &str,
        service_name: &str,
    ) -> Result<(String, String), PortalError> {
        let operation = "creating the submission";
        let body = serde_json::json!({
            "destinationId": destination_id,
            "announcedAttachments": [],
            "serviceType": {
                "name": service_name,
                "identifier": format!("{}{leika_id}", super::metadata::LEIKA_URN_PREFIX),
            },
        })
        .to_string();
        let created: Created = self
            .authorized(
                operation,
                "POST",
                &self.api,
                &self.api_path("/submissions"),
                Some(("application/json", body.as_bytes())),
            )?
            .json(operation, &[201])?;
        segment_ok(&created.submission_id)?;
        segment_ok(&created.case_id)?;
        Ok((created.submission_id, created.case_id))
    }

    /// Sends the encrypted metadata and data (`submit-submission`).
    ///
    /// # Errors
    /// Transport and protocol errors.
    pub fn submit_submission(
        &self,
        submission_id: &str,
        encrypted_metadata: &str,
        encrypted_data: &str,
    ) -> Result<SubmitOutcome, PortalError> {
        let operation = "submitting the submission";
        let body = serde_json::json!({
            "encryptedMetadata": encrypted_metadata,
            "encryptedData": encrypted_data,
        })
        .to_string();
        let response = self.authorized(
            operation,
            "PUT",
            &self.api,
            &self.api_path(&format!("/submissions/{}", segment_ok(submission_id)?)),
            Some(("application/json", body.as_bytes())),
        )?;
        match response.status {
            202 => {
                let _: serde_json::Value = response.json(operation, &[202])?;
                Ok(SubmitOutcome::Accepted)
            }
            409 => Ok(SubmitOutcome::Conflict),
            status => Err(PortalError::Protocol {
                operation: operation.to_owned(),
                cause: ProtocolViolation::Status { status },
            }),
        }
    }

    fn fetch_jwks(&self) -> Result<Jwks, PortalError> {
        let operation = "reading the portal's signing keys";
        let jwks: Jwks = self
            .http
            .request(operation, "GET", &self.api, "/.well-known/jwks.json", &[], None)?
            .json(operation, &[200])?;
        *self.jwks.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(jwks.clone());
        Ok(jwks)
    }

    /// The case's event log, every token verified against the portal's JWKS (fetched again
    /// once if a token names an unknown key, to follow key rotation).
    ///
    /// # Errors
    /// Transport errors; [`PortalError::Crypto`] if any token does not verify.
    pub fn events(&self, case_id: &str) -> Result<Vec<VerifiedEvent>, PortalError> {
        let operation = "reading the event log";
        let log: EventLog = self
            .authorized(
                operation,
                "GET",
                &self.api,
                &self.api_path(&format!("/cases/{}/events", segment_ok(case_id)?)),
                None,
            )?
            .json(operation, &[200])?;
        let cached = self.jwks.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let mut jwks = match cached {
            Some(jwks) => jwks,
            None => self.fetch_jwks()?,
        };
        let mut verified = Vec::with_capacity(log.event_log.len());
        for token in &log.event_log {
            let event = match events::verify(token, &jwks, case_id) {
                Err(JoseError::UnknownKey { .. }) => {
                    jwks = self.fetch_jwks()?;
                    events::verify(token, &jwks, case_id)
                }
                other => other,
            }
            .map_err(|cause| PortalError::Crypto {
                cause: CryptoCheck::EventLog { case_id: case_id.to_owned(), cause },
            })?;
            verified.push(event);
        }
        Ok(verified)
    }

    /// Bookable slots (terminal extension).
    ///
    /// # Errors
    /// [`PortalError::UnknownService`] for a 404; transport and protocol errors.
    pub fn slots(&self, service_id: &str, from: NaiveDate, days: u32) -> Result<Vec<SlotOffer>, PortalError> {
        let operation = "reading the calendar";
        let path = format!(
            "{EXTENSION_PREFIX}/services/{}/slots?from={}&days={days}",
            segment_ok(service_id)?,
            from.format("%Y-%m-%d")
        );
        let response = self.authorized(operation, "GET", &self.extension, &path, None)?;
        if response.status == 404 {
            return Err(PortalError::UnknownService { service_id: service_id.to_owned() });
        }
        let wire: Vec<WireSlot> = response.json(operation, &[200])?;
        wire.into_iter()
            .map(|slot| {
                slot.into_offer().map_err(|cause| PortalError::Protocol { operation: operation.to_owned(), cause })
            })
            .collect()
    }

    /// The service catalogue (terminal extension).
    ///
    /// # Errors
    /// Transport and protocol errors.
    pub fn catalogue(&self) -> Result<Vec<CatalogueEntry>, PortalError> {
        let operation = "reading the service catalogue";
        self.authorized(operation, "GET", &self.extension, &format!("{EXTENSION_PREFIX}/catalogue"), None)?
            .json(operation, &[200])
    }

    /// Looks up a tracking number submitted from any terminal (terminal extension).
    ///
    /// # Errors
    /// [`PortalError::NotFound`] for a 404; transport and protocol errors.
    pub fn tracking(&self, tracking_number: &str) -> Result<TrackingRecord, PortalError> {
        let operation = "looking up the tracking number";
        let not_found = || PortalError::NotFound { tracking_number: tracking_number.to_owned() };
        let segment = segment_ok(tracking_number).map_err(|_| not_found())?;
        let response = self.authorized(
            operation,
            "GET",
            &self.extension,
            &format!("{EXTENSION_PREFIX}/tracking/{segment}"),
            None,
        )?;
        if response.status == 404 {
            return Err(not_found());
        }
        response.json(operation, &[200])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_escapes_reserved_characters() {
        assert_eq!(form_encode("a b&c=d/é+"), "a+b%26c%3Dd%2F%C3%A9%2B");
        assert_eq!(form_encode("AZaz09-._~"), "AZaz09-._~");
    }

    #[test]
    fn basic_credentials_encode_id_and_secret_before_base64_like_pythons_urllib() {
        let (id, secret) = ("terminal 0001/Köln", "s3cr:t&p+ss=wörd~");
        let script = "import base64, sys, urllib.parse as u; \
            pair = u.quote_plus(sys.argv[1]) + ':' + u.quote_plus(sys.argv[2]); \
            print('Basic ' + base64.b64encode(pair.encode()).decode())";
        let output = std::process::Command::new("python3")
            .args(["-c", script, id, secret])
            .output()
            .unwrap_or_else(|e| panic!("python3 runs: {e}"));
        let expected = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        assert!(expected.starts_with("Basic "), "{expected}");
        assert_eq!(basic_credentials(id, secret).as_str(), expected);
    }

    #[test]
    fn path_segments_refuse_traversal_and_separators() {
        for bad in ["", ".", "..", "..%2f", "a/b", "a?b", "a b", "a#b"] {
            assert!(segment_ok(bad).is_err(), "{bad:?}");
        }
        assert!(segment_ok("2c6a3b4e-0b7f-4b6e-9a51-3f1d2c7e8a90").is_ok());
    }
}
