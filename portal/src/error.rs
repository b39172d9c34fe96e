// SPDX-License-Identifier: GPL-3.0-or-later
//! What can go wrong between the terminal and the portal.
//!
//! Every message says what happened and what to do about it; none carries personal data or
//! secrets, so the errors may be logged as they are. Each [`PortalError`] variant carries its
//! cause as a type: one of the small enums below that names the precise problem, holding the
//! library error it came from (as its [`source`](std::error::Error::source)) where there is
//! one. Library errors whose messages could quote what was received (JSON syntax errors, PEM
//! decoding errors) are reduced to where and what kind of defect it is.

use std::sync::Arc;

use crate::jose::JoseError;

/// Why a [`Portal`](crate::Portal) call failed.
///
/// The enum is `#[non_exhaustive]`: callers match the variants they treat specially and keep a
/// wildcard arm for the rest (show "service temporarily unavailable").
///
/// Errors compare equal when they say the same about the same failure; a library error inside
/// compares equal only to its own clones (see [`Shared`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PortalError {
    /// The portal could not be reached at all (connection refused, no route, DNS failure).
    #[error(
        "the portal at {endpoint} cannot be reached ({cause}); the request stays queued and is sent automatically, check the network link if this persists"
    )]
    Unreachable {
        /// Where the terminal tried to connect (URL or host:port, no credentials).
        endpoint: String,
        /// What failed.
        #[source]
        cause: NetworkFailure,
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
        "no request with this tracking number is known; check the number on the receipt (a request queued a moment ago may not be at the portal yet)"
    )]
    NotFound {
        /// The tracking number that was looked up. Not part of the message, which may go to the
        /// journal: a tracking number leads to a citizen's request (see [`crate::tracking_tag`]).
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
        "the request could not be stored on the terminal ({cause}); nothing was sent, tell the citizen and call maintenance"
    )]
    Storage {
        /// What failed in the storage layer.
        #[source]
        cause: StorageFailure,
    },
    /// The portal answered, but not in the way the Submission API prescribes.
    #[error(
        "the portal answered {operation} with something unexpected ({cause}); the request stays queued, report this to the portal operator if it persists"
    )]
    Protocol {
        /// Which step was being carried out.
        operation: String,
        /// What was wrong with the answer.
        #[source]
        cause: ProtocolViolation,
    },
    /// The TLS connection was refused (certificate not signed by the pinned CA, wrong host name,
    /// expired certificate, missing or rejected client certificate), or the TLS material cannot
    /// be used.
    #[error(
        "the secure connection to the portal cannot be made: {cause}; check the terminal's certificates and the pinned portal CA"
    )]
    Tls {
        /// What failed.
        #[source]
        cause: TlsFailure,
    },
    /// The portal refused the terminal's credentials (OAuth client credentials or client
    /// certificate), answering HTTP 400, 401 or 403 (RFC 6749 section 5.2; RFC 6750 section 3.1).
    #[error(
        "the portal refused the terminal's credentials ({operation} answered HTTP {status}); check the client id, secret and device certificate in the configuration"
    )]
    Authentication {
        /// Which step was refused.
        operation: String,
        /// The HTTP status of the refusal.
        status: u16,
    },
    /// A signature, key or encryption check failed (e.g. an event not signed by the portal's
    /// key, a destination key with the wrong algorithm).
    #[error("a cryptographic check failed: {cause}; nothing from this answer was trusted and nothing was sent")]
    Crypto {
        /// Which check failed.
        #[source]
        cause: CryptoCheck,
    },
    /// The caller handed over a payload that is not a JSON object: a defect in the terminal,
    /// not something the citizen can fix.
    #[error("the form data is not a JSON object ({cause}); this is a defect in the terminal software")]
    InvalidPayload {
        /// Why the payload was refused (where it is broken; never its content).
        #[source]
        cause: PayloadDefect,
    },
    /// The terminal's portal configuration is incomplete or inconsistent.
    #[error("the portal configuration is invalid: {cause}; fix the configuration file")]
    Config {
        /// What is wrong.
        #[source]
        cause: ConfigDefect,
    },
}

/// A library error kept as a cause, shared between the clones of the error that carries it.
///
/// Library errors are mostly neither `Clone` nor comparable; shared, they can travel in a
/// [`PortalError`] from the delivery worker to the kiosk. Two `Shared` errors are equal when
/// they are clones of the same report: nothing better can be said about errors from the
/// operating system or a library. The error itself is reached through `Deref`.
#[derive(Debug)]
pub struct Shared<E>(Arc<E>);

impl<E> Shared<E> {
    /// Shares `error`.
    pub fn new(error: E) -> Self {
        Self(Arc::new(error))
    }
}

impl<E> Clone for Shared<E> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<E> PartialEq for Shared<E> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<E> Eq for Shared<E> {}

impl<E> std::ops::Deref for Shared<E> {
    type Target = E;

    fn deref(&self) -> &E {
        &self.0
    }
}

impl<E: std::fmt::Display> std::fmt::Display for Shared<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: std::error::Error> std::error::Error for Shared<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Why the portal could not be reached ([`PortalError::Unreachable`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkFailure {
    /// The portal's host name cannot be resolved.
    #[error("its host name cannot be resolved: {0}")]
    NameResolution(#[source] Shared<std::io::Error>),
    /// The host name resolves to no address.
    #[error("its host name has no address")]
    NoAddress,
    /// No TCP connection could be made (refused, no route, …).
    #[error("no connection can be made: {0}")]
    Connect(#[source] Shared<std::io::Error>),
    /// The connection failed while the request was under way.
    #[error("the connection failed: {0}")]
    Connection(#[source] Shared<std::io::Error>),
}

/// Why the terminal's queue failed ([`PortalError::Storage`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StorageFailure {
    /// SQLite failed (disk full, I/O error, read-only or corrupt database, queue size cap).
    #[error("the queue database failed: {0}")]
    Database(#[source] Shared<rusqlite::Error>),
    /// A row names a delivery step this software does not know (a newer version wrote it, or
    /// the database is corrupt).
    #[error("the queue database holds the unknown step {found:?}")]
    UnknownStep {
        /// The step as stored.
        found: String,
    },
    /// The operating system refused to start the delivery worker thread.
    #[error("the delivery worker cannot be started: {0}")]
    WorkerThread(#[source] Shared<std::io::Error>),
    /// A destination key cannot be encoded for the key cache.
    #[error("the destination key cannot be encoded for the key cache: {0}")]
    KeyEncoding(#[source] Shared<serde_json::Error>),
}

/// What was wrong with the portal's answer ([`PortalError::Protocol`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolViolation {
    /// An HTTP status the operation does not expect.
    #[error("HTTP status {status}")]
    Status {
        /// The status code.
        status: u16,
    },
    /// A body that is not JSON by its content type.
    #[error("content type {found:?} instead of application/json")]
    ContentType {
        /// The content type (without parameters, lower case), if there was one.
        found: Option<String>,
    },
    /// The body is larger than the configured limit ([`Limits::max_body`](crate::http::Limits)).
    #[error("a response body larger than the limit of {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not the JSON the operation expects.
    #[error("a body that is not the expected JSON: {0}")]
    Json(#[source] JsonDefect),
    /// The response is not well-formed HTTP/1.1 (RFC 9112).
    #[error("a malformed HTTP response: {0}")]
    Http(#[source] MalformedHttp),
    /// The connection closed before the response was complete.
    #[error("the connection closed before the response was complete")]
    Truncated,
    /// The token endpoint issued a token of another type than `Bearer` (RFC 6749 section 7.1).
    #[error("a token that is not a bearer token")]
    NotBearerToken,
    /// The destination exists but does not accept submissions.
    #[error("destination {destination_id} with status {status:?} instead of active")]
    DestinationInactive {
        /// The destination.
        destination_id: String,
        /// Its status as the portal reports it.
        status: String,
    },
    /// A slot of the calendar (terminal extension) has a kind this software does not know.
    #[error("a slot of the unknown kind {kind:?}")]
    UnknownSlotKind {
        /// The kind as sent.
        kind: String,
    },
    /// A slot's start or end is not `HH:MM`.
    #[error("a slot time that is not HH:MM: {0}")]
    SlotTime(#[source] chrono::format::ParseError),
    /// A slot has a start but no end, or an end but no start.
    #[error("a slot with only one of start and end")]
    HalfOpenSlot,
    /// An id that cannot be used as a path segment (RFC 3986 unreserved characters only), so no
    /// request path can be built from it.
    #[error("the id {value:?}, which is not a valid path segment")]
    PathSegment {
        /// The id.
        value: String,
    },
    /// The portal answered a submit with 409 Conflict, yet the case's event log shows no
    /// submission.
    #[error("HTTP 409, but the event log shows no submission")]
    ConflictWithoutSubmission,
}

/// How an HTTP/1.1 response is malformed (RFC 9112), as part of [`ProtocolViolation::Http`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedHttp {
    /// The status line is not `HTTP-version SP status-code SP reason-phrase` (section 4).
    #[error("the status line is malformed")]
    StatusLine,
    /// The version is not HTTP/1.x.
    #[error("it is not an HTTP/1.x response")]
    NotHttp1,
    /// The status code is not a number.
    #[error("the status code is not a number")]
    StatusCode,
    /// A header line is not UTF-8.
    #[error("a header line is not UTF-8")]
    HeaderNotUtf8,
    /// A header line is longer than the limit.
    #[error("a header line is longer than {limit} bytes")]
    HeaderLineTooLong {
        /// The limit in bytes.
        limit: usize,
    },
    /// More header lines than the limit.
    #[error("more than {limit} header lines")]
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// A header line has no colon (section 5).
    #[error("a header line has no colon")]
    HeaderWithoutColon,
    /// `Content-Length` is not a number (section 6.3).
    #[error("Content-Length is not a number")]
    ContentLength,
    /// A chunk size is not hexadecimal (section 7.1).
    #[error("a chunk size is not hexadecimal")]
    ChunkSize,
    /// A chunk's data is not followed by CRLF (section 7.1).
    #[error("a chunk is not followed by CRLF")]
    ChunkNotTerminated,
}

/// Where and how a JSON text is broken, never what it says (it may be a citizen's form, or a
/// token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at line {line} column {column}")]
pub struct JsonDefect {
    /// What kind of defect.
    pub kind: JsonDefectKind,
    /// Line of the defect, from 1.
    pub line: usize,
    /// Column of the defect, from 1.
    pub column: usize,
}

/// The kinds of [`JsonDefect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonDefectKind {
    /// Not JSON: an unexpected character, or characters after the value.
    #[error("a syntax error")]
    Syntax,
    /// The text ends in the middle of a value.
    #[error("an early end")]
    EndOfInput,
    /// Valid JSON, but a field is missing or a value has the wrong type.
    #[error("a missing field or a value of the wrong type")]
    Shape,
}

impl JsonDefect {
    /// Where and how `error` found its text broken, leaving out its message (which may quote
    /// the text).
    pub(crate) fn of(error: &serde_json::Error) -> Self {
        let kind = match error.classify() {
            serde_json::error::Category::Eof => JsonDefectKind::EndOfInput,
            serde_json::error::Category::Data => JsonDefectKind::Shape,
            // Parsing from memory cannot fail with an I/O error.
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => JsonDefectKind::Syntax,
        };
        Self { kind, line: error.line(), column: error.column() }
    }
}

/// What failed in TLS ([`PortalError::Tls`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsFailure {
    /// A certificate bundle is not valid PEM.
    #[error("{what} is not valid PEM: {defect}")]
    CertificatePem {
        /// Which bundle (e.g. "the portal CA").
        what: String,
        /// What is wrong with it.
        #[source]
        defect: PemDefect,
    },
    /// A certificate bundle holds no certificate.
    #[error("{what} contains no certificate")]
    NoCertificate {
        /// Which bundle.
        what: String,
    },
    /// A private key cannot be read from its PEM.
    #[error("{what} is not a readable private key: {defect}")]
    PrivateKeyPem {
        /// Which key (e.g. "the device key").
        what: String,
        /// What is wrong with it.
        #[source]
        defect: PemDefect,
    },
    /// The pinned portal CA certificate cannot be used as a trust anchor.
    #[error("the portal CA cannot be used: {0}")]
    UnusableCa(#[source] Shared<rustls::Error>),
    /// The crypto provider does not offer TLS 1.3.
    #[error("TLS 1.3 is not available: {0}")]
    ProtocolVersion(#[source] Shared<rustls::Error>),
    /// The device certificate and key do not belong together, or the key cannot sign.
    #[error("the device certificate and key do not fit: {0}")]
    DeviceIdentity(#[source] Shared<rustls::Error>),
    /// The handshake or a TLS record failed: rustls' error says how (for example
    /// [`rustls::Error::InvalidCertificate`] for the portal's certificate, or
    /// [`rustls::Error::AlertReceived`] when the portal refused the device certificate).
    #[error("{0}")]
    Connection(#[source] Shared<rustls::Error>),
}

/// What is wrong with a PEM text, never its content (it may be a private key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PemDefect {
    /// A section has no END line.
    #[error("a section has no END line")]
    MissingSectionEnd,
    /// A BEGIN line is malformed.
    #[error("a BEGIN line is malformed")]
    IllegalSectionStart,
    /// A section's content is not valid base64.
    #[error("a section is not valid base64")]
    Base64,
    /// A section is larger than PEM parsing accepts.
    #[error("a section is too large")]
    SectionTooLarge,
    /// No item of the expected kind (certificate, private key) is in it.
    #[error("it holds no item of the expected kind")]
    NoItem,
    /// Anything else the PEM parser reports.
    #[error("it cannot be parsed")]
    Unparsable,
}

impl PemDefect {
    /// What kind of defect `error` reports, leaving out what it quotes.
    pub(crate) fn of(error: &rustls::pki_types::pem::Error) -> Self {
        use rustls::pki_types::pem::Error;
        match error {
            Error::MissingSectionEnd { .. } => PemDefect::MissingSectionEnd,
            Error::IllegalSectionStart { .. } => PemDefect::IllegalSectionStart,
            Error::Base64Decode(_) => PemDefect::Base64,
            Error::SectionTooLarge => PemDefect::SectionTooLarge,
            Error::NoItemsFound => PemDefect::NoItem,
            _ => PemDefect::Unparsable,
        }
    }
}

/// Which cryptographic check failed ([`PortalError::Crypto`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoCheck {
    /// The destination's key may not be used to encrypt to it (`kty`, `alg`, `key_ops`, size).
    #[error("the key of destination {destination_id} may not be used for encryption: {cause}")]
    DestinationKey {
        /// The destination.
        destination_id: String,
        /// Why not.
        #[source]
        cause: JoseError,
    },
    /// The portal sent another key than the one the destination names as its encryption key.
    #[error("destination {destination_id} names key {expected:?}, the portal sent key {received:?}")]
    DestinationKeyId {
        /// The destination.
        destination_id: String,
        /// The key id the destination names.
        expected: String,
        /// The key id the portal sent.
        received: String,
    },
    /// A token of a case's event log does not verify (signature, key, type or claims).
    #[error("an event of case {case_id} does not verify: {cause}")]
    EventLog {
        /// The case.
        case_id: String,
        /// Why not.
        #[source]
        cause: JoseError,
    },
    /// Encrypting the request to the destination's key failed.
    #[error("the request cannot be encrypted: {0}")]
    Encryption(#[source] JoseError),
    /// The header of a queued request's JWE, which names the key it is encrypted to, cannot be
    /// read (the queue database is damaged).
    #[error("the queued request's encryption header cannot be read: {0}")]
    QueuedContent(#[source] JoseError),
    /// The destination's key is not certified for encryption by the administration PKI
    /// (Verwaltungs-PKI). Its requests stay on the terminal until it is.
    #[error(
        "the key {kid:?} of destination {destination_id} is not certified by the administration PKI: {cause}; its requests stay queued on the terminal, check the configured PKI root and CRLs and ask the destination's operator for a certified key"
    )]
    UntrustedKey {
        /// The destination.
        destination_id: String,
        /// The key's id.
        kid: String,
        /// What the check found (boxed: rustls-webpki's errors are large).
        #[source]
        cause: Box<KeyTrustFailure>,
    },
    /// The request was encrypted to a key the destination no longer names as its encryption
    /// key (it rotated its key while the request waited, with the portal out of reach).
    #[error(
        "the request was encrypted to key {queued_kid:?} of destination {destination_id}, which now names key {current_kid:?}; it is not sent to a key the destination no longer uses, and cannot be encrypted again (the terminal keeps no readable copy)"
    )]
    KeyRotated {
        /// The destination.
        destination_id: String,
        /// The key the queued request is encrypted to.
        queued_kid: String,
        /// The key the destination names now.
        current_kid: String,
    },
    /// The destination publishes another key under the id the request was encrypted to.
    #[error(
        "destination {destination_id} now publishes another key under the id {kid:?} than the request was encrypted to; it is not sent"
    )]
    KeyReplaced {
        /// The destination.
        destination_id: String,
        /// The key id.
        kid: String,
    },
}

/// Why a destination's encryption key is not trusted ([`CryptoCheck::UntrustedKey`]): what the
/// check of its `x5c` certificate chain against the administration PKI found
/// ([`AdministrationPki::verify`](crate::pki::AdministrationPki::verify)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyTrustFailure {
    /// The JWK carries no certificate (`x5c` is empty).
    #[error("the key carries no certificate (x5c is empty)")]
    NoCertificate,
    /// An `x5c` entry is not base64 of a DER certificate.
    #[error("certificate {index} of its x5c is not base64 DER")]
    CertificateEncoding {
        /// Position in `x5c`, from 0 (the key's own certificate).
        index: usize,
    },
    /// The chain does not lead to a configured root.
    #[error("its certificate chain does not lead to the configured root")]
    NotUnderAnchor,
    /// A certificate of the chain has expired.
    #[error("a certificate of its chain expired at {not_after} (seconds since 1970), it is now {now}")]
    Expired {
        /// The certificate's notAfter, seconds since the epoch.
        not_after: u64,
        /// The time of the check, seconds since the epoch.
        now: u64,
    },
    /// A certificate of the chain is not valid yet (or the terminal's clock is wrong).
    #[error(
        "a certificate of its chain is valid only from {not_before} (seconds since 1970), it is now {now}; check the terminal's clock"
    )]
    NotYetValid {
        /// The certificate's notBefore, seconds since the epoch.
        not_before: u64,
        /// The time of the check, seconds since the epoch.
        now: u64,
    },
    /// The PKI's CRL lists a certificate of the chain as revoked.
    #[error("a certificate of its chain is revoked")]
    Revoked,
    /// No configured CRL speaks for a certificate of the chain, so its status is unknown.
    #[error("no configured CRL covers a certificate of its chain")]
    RevocationUnknown,
    /// A CRL that covers the chain is past its `nextUpdate`.
    #[error("the CRL covering its chain was due for renewal at {next_update} (seconds since 1970), it is now {now}")]
    CrlExpired {
        /// The CRL's nextUpdate, seconds since the epoch.
        next_update: u64,
        /// The time of the check, seconds since the epoch.
        now: u64,
    },
    /// A fetched CRL cannot be used (not a version 2 CRL in DER or PEM).
    #[error("the CRL from {url} cannot be used: {cause}")]
    UnusableCrl {
        /// Where it came from.
        url: String,
        /// What rustls-webpki found.
        #[source]
        cause: webpki::Error,
    },
    /// The certificate does not allow key encipherment (RFC 5280 section 4.2.1.3).
    #[error("its certificate does not allow key encipherment (key usage)")]
    NoKeyEncipherment,
    /// The JWK's `n` and `e` are not the key of its certificate.
    #[error("the key is not the one its certificate certifies")]
    KeyMismatch,
    /// The JWK itself may not be used to wrap keys (`kty`, `alg`, `key_ops`, size).
    #[error("{0}")]
    Unusable(#[source] JoseError),
    /// Any other finding of the path validation (RFC 5280 section 6), as rustls-webpki names it.
    #[error("its certificate chain is invalid: {0}")]
    Invalid(#[source] webpki::Error),
}

/// Why the form data is not a JSON object ([`PortalError::InvalidPayload`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadDefect {
    /// It does not start with `{`.
    #[error("the payload does not start with '{{'")]
    NotAnObject,
    /// It is not well-formed JSON.
    #[error("{0}")]
    Json(#[source] JsonDefect),
}

/// What is wrong with the portal configuration ([`PortalError::Config`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigDefect {
    /// A URL is not `https://host[:port][/path]`.
    #[error("URL {url:?}: {defect}")]
    Url {
        /// The URL, with any user information (name, password) left out.
        url: String,
        /// What is wrong with it.
        #[source]
        defect: UrlDefect,
    },
    /// A host is not a valid TLS server name (RFC 6066 section 3).
    #[error("host {host:?} is not a valid server name")]
    ServerName {
        /// The host.
        host: String,
    },
    /// The administration PKI's root (the trust anchor of destination keys) is not valid PEM.
    #[error("the administration PKI root is not valid PEM: {0}")]
    TrustAnchorPem(#[source] PemDefect),
    /// The administration PKI root file holds no certificate.
    #[error("the administration PKI root file holds no certificate")]
    NoTrustAnchor,
    /// A certificate of the administration PKI root file cannot be a trust anchor.
    #[error("the administration PKI root cannot be used: {0}")]
    UnusableTrustAnchor(#[source] webpki::Error),
    /// No CRL location is configured, so no destination key could ever be checked for
    /// revocation.
    #[error("no CRL of the administration PKI is configured")]
    NoCrlLocation,
    /// A submission names another destination than the one configured for its service.
    #[error("service {service_id} is configured for destination {configured}, the catalogue names {named}")]
    DestinationMismatch {
        /// The service.
        service_id: String,
        /// The configured destination.
        configured: String,
        /// The destination the submission (from the catalogue) names.
        named: String,
    },
}

/// How a URL is unusable ([`ConfigDefect::Url`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlDefect {
    /// Another scheme than `https`.
    #[error("only https:// URLs are allowed")]
    NotHttps,
    /// The port is not a number from 0 to 65535.
    #[error("the port is not a number")]
    Port,
    /// No host.
    #[error("a host is required")]
    NoHost,
    /// User information (`name:password@`) in the URL: credentials belong in their own settings.
    #[error("user information (name or password before '@') is not allowed")]
    UserInformation,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_shareable<T: std::error::Error + Clone + Eq + Send + Sync + 'static>() {}

    #[test]
    fn errors_can_be_cloned_compared_and_sent_between_threads() {
        assert_shareable::<PortalError>();
        let refused = PortalError::Unreachable {
            endpoint: "https://portal.example:443".to_owned(),
            cause: NetworkFailure::Connect(Shared::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))),
        };
        assert_eq!(refused.clone(), refused, "a clone is the same report");
        let again = PortalError::Unreachable {
            endpoint: "https://portal.example:443".to_owned(),
            cause: NetworkFailure::Connect(Shared::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))),
        };
        assert_ne!(again, refused, "another report of the operating system is another error");
        assert_eq!(
            PortalError::NotFound { tracking_number: "QY4YEAJ8W342".to_owned() },
            PortalError::NotFound { tracking_number: "QY4YEAJ8W342".to_owned() }
        );
    }

    #[test]
    fn the_cause_is_named_in_the_message_and_reachable_as_source() {
        use std::error::Error;
        let error = PortalError::Protocol {
            operation: "reading the destination".to_owned(),
            cause: ProtocolViolation::Status { status: 503 },
        };
        assert_eq!(
            error.to_string(),
            "the portal answered reading the destination with something unexpected (HTTP status 503); the request stays queued, report this to the portal operator if it persists"
        );
        let source = error.source().and_then(|s| s.downcast_ref::<ProtocolViolation>());
        assert_eq!(source, Some(&ProtocolViolation::Status { status: 503 }));
    }

    #[test]
    fn json_defects_say_where_but_not_what() {
        let error = match serde_json::from_str::<serde_json::Value>("{\"name\": \"Erika\" \"x\"}") {
            Err(error) => error,
            Ok(value) => panic!("parsed {value}"),
        };
        let defect = JsonDefect::of(&error);
        assert_eq!(defect, JsonDefect { kind: JsonDefectKind::Syntax, line: 1, column: 18 });
        assert_eq!(defect.to_string(), "a syntax error at line 1 column 18");
    }
}
