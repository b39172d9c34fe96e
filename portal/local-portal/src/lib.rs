// SPDX-License-Identifier: GPL-3.0-or-later
//! A local portal: the subset of the FIT-Connect Submission API 1.1.3 that the terminal uses,
//! served over HTTPS with client-certificate authentication, for demo mode and tests.
//!
//! # What it serves
//!
//! Standard operations (validated against the Submission API's OpenAPI document and the
//! metadata schema, both compiled in from `portal/specs/`; an invalid request gets a 400
//! problem document):
//!
//! | operation | path |
//! |---|---|
//! | OAuth 2.0 token (client credentials, client authenticated with HTTP Basic) | `POST /token` |
//! | portal signing keys | `GET /.well-known/jwks.json` |
//! | service information | `GET /v1/info` |
//! | destination, its encryption key | `GET /v1/destinations/{id}`, `GET /v1/destinations/{id}/keys/{kid}` |
//! | create, submit a submission | `POST /v1/submissions`, `PUT /v1/submissions/{id}` |
//! | case event log (PS512 SETs) | `GET /v1/cases/{caseId}/events` |
//! | the administration PKI's CRLs (the PKI's distribution point, not the portal's) | `GET /pki/{name}` |
//!
//! Every request must name the portal's port in its `Host` header (RFC 9110 section 7.2), the
//! token request must authenticate the client with HTTP Basic (RFC 6749 section 2.3.1; secrets in
//! the body are refused), and a created submission's `serviceType.name` must be the service's
//! name from the catalogue. The destinations' encryption key carries the certificate chain of a
//! test administration PKI in `x5c`, and can be rotated ([`LocalPortal::rotate_encryption_key`]);
//! earlier keys still decrypt what was encrypted to them.
//!
//! On submit it decrypts metadata and data with the destination's private key, validates the
//! metadata against the schema, checks the data's SHA-512 against the metadata and the data
//! against the service's payload schema (and its `trackingNumber` against the metadata's
//! `senderReference`), stores the submission as received (still encrypted)
//! and issues signed `submit-submission` and `accept-submission` (or `reject-submission`)
//! events.
//!
//! # Terminal extension (not part of FIT-Connect)
//!
//! What the Submission API lacks but the terminal needs lives under `/x-buergerterminal/v1`,
//! bearer token required, JSON answers:
//!
//! - `GET /x-buergerterminal/v1/catalogue`: the services (`serviceId`, `name`, `leikaId`,
//!   `destinationId`, `dataSchemaUri`); in demo mode the request services of the kiosk's own
//!   catalogue ([`demo_catalogue`]).
//! - `GET /x-buergerterminal/v1/services/{serviceId}/slots?from=YYYY-MM-DD&days=N`: free slots
//!   (`id`, `date`, `start`/`end` `HH:MM` for appointments, `kind` standard/express/appointment,
//!   `feeCents`): the bulky-waste capacity calendar and citizens' office appointments.
//! - `GET /x-buergerterminal/v1/tracking/{trackingNumber}`: where a request from any terminal
//!   is (`serviceId`, `submissionId`, `caseId`, `processing`); its delivery state then comes
//!   from the signed event log.

mod api;
pub mod bench;
pub mod catalogue;
pub mod demo;
pub mod keys;
pub mod pki;
mod server;
pub mod spec;
pub mod store;

use std::collections::{BTreeMap, HashMap};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portal::fitconnect::client::CatalogueEntry;
use rsa::RsaPrivateKey;
use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;

pub use keys::PortalKeys;
pub use store::Store;

/// What can go wrong starting or running the local portal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalPortalError {
    /// Generating the test PKI failed.
    #[error("cannot generate the test PKI: {0}")]
    Pki(String),
    /// Generating, reading or using the RSA keys failed.
    #[error("the portal keys are unusable: {0}; generate new ones")]
    Keys(String),
    /// A compiled-in specification does not yield a validator.
    #[error(
        "the compiled-in specification is unusable: {0}; this build of the local portal is defective, rebuild it from an unmodified checkout"
    )]
    Spec(String),
    /// The service catalogue cannot be used.
    #[error("the service catalogue is unusable: {0}; fix session/config/catalogue.toml")]
    Catalogue(String),
    /// The store cannot be used.
    #[error("the local portal database failed: {0}; check the disk and the database path")]
    Storage(String),
    /// The TLS configuration cannot be built.
    #[error("the TLS configuration is unusable: {0}")]
    Tls(String),
    /// The FIT-Connect client that talks to the local portal (in demo mode, or in the
    /// benchmark) failed.
    #[error("the FIT-Connect client of the local portal failed: {0}")]
    Client(#[from] portal::PortalError),
    /// The listening socket cannot be opened.
    #[error("cannot listen on {address}: {reason}; choose another port")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// The OS error.
        reason: String,
    },
}

/// A fault the portal can be told to show, for the terminal's fault tests and demos of the
/// queued receipt. The fault applies to every reply until it is changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    /// Answer normally.
    #[default]
    None,
    /// Answer every request with HTTP 500.
    Status500,
    /// Wait this long before answering.
    Slow(Duration),
    /// Answer with a truncated JSON body.
    InvalidJson,
    /// Answer with `text/html`.
    WrongContentType,
    /// Send a body that never ends.
    EndlessBody,
}

/// Configuration of a local portal.
#[derive(Debug, Clone)]
pub struct LocalPortalConfig {
    /// Where to listen (use port 0 for any free port).
    pub listen: SocketAddr,
    /// SQLite database path.
    pub db_path: PathBuf,
    /// Server certificate chain, PEM.
    pub server_cert_pem: String,
    /// Server key, PEM.
    pub server_key_pem: zeroize::Zeroizing<String>,
    /// CA whose device certificates are accepted, PEM.
    pub client_ca_pem: String,
    /// The portal's RSA keys.
    pub keys: PortalKeys,
    /// The certificate chain of the destinations' encryption key (`keys.encryption`, id
    /// [`keys::ENCRYPTION_KID`]), DER, leaf first: its `x5c`.
    pub encryption_x5c: Vec<Vec<u8>>,
    /// The administration PKI's CRLs, DER, served as `/pki/{name}`.
    pub crls: BTreeMap<String, Vec<u8>>,
    /// OAuth client id accepted.
    pub client_id: String,
    /// OAuth client secret accepted.
    pub client_secret: String,
    /// The services offered.
    pub catalogue: Vec<CatalogueEntry>,
}

/// The demo catalogue: every request service of the kiosk's catalogue
/// (`session/config/catalogue.toml`, compiled in), see [`catalogue::request_services`].
///
/// # Errors
/// [`LocalPortalError::Catalogue`] if the kiosk's catalogue is unusable for the portal.
pub fn demo_catalogue() -> Result<Vec<CatalogueEntry>, LocalPortalError> {
    catalogue::request_services(catalogue::KIOSK_CATALOGUE)
}

/// A destination encryption key the portal holds: its private key and certificate chain.
pub(crate) struct EncryptionKey {
    pub(crate) key: RsaPrivateKey,
    pub(crate) x5c: Vec<Vec<u8>>,
}

/// The destinations' encryption keys by id, and which one they name now.
pub(crate) struct EncryptionKeys {
    pub(crate) current: String,
    pub(crate) keys: BTreeMap<String, EncryptionKey>,
}

/// Shared state of a running portal.
pub(crate) struct State {
    pub(crate) stop: AtomicBool,
    pub(crate) fault: Mutex<Fault>,
    pub(crate) port: u16,
    pub(crate) keys: PortalKeys,
    pub(crate) encryption: Mutex<EncryptionKeys>,
    pub(crate) crls: Mutex<BTreeMap<String, Vec<u8>>>,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) catalogue: Vec<CatalogueEntry>,
    pub(crate) contract: spec::Contract,
    pub(crate) store: Store,
    tokens: Mutex<HashMap<String, Instant>>,
}

impl State {
    pub(crate) fn lock_tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.tokens.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn lock_encryption(&self) -> std::sync::MutexGuard<'_, EncryptionKeys> {
        self.encryption.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn lock_crls(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        self.crls.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running local portal; dropping it stops it (open connections finish on their own).
pub struct LocalPortal {
    address: SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for LocalPortal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalPortal").field("address", &self.address).finish_non_exhaustive()
    }
}

fn server_tls(config: &LocalPortalConfig) -> Result<Arc<ServerConfig>, LocalPortalError> {
    let tls = |e: &dyn std::fmt::Display| LocalPortalError::Tls(e.to_string());
    let mut roots = rustls::RootCertStore::empty();
    for ca in
        portal::tls::certificates_from_pem(config.client_ca_pem.as_bytes(), "the device CA").map_err(|e| tls(&e))?
    {
        roots.add(ca).map_err(|e| tls(&e))?;
    }
    let provider = portal::tls::provider();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
        .build()
        .map_err(|e| tls(&e))?;
    let chain = portal::tls::certificates_from_pem(config.server_cert_pem.as_bytes(), "the server certificate")
        .map_err(|e| tls(&e))?;
    let key =
        portal::tls::private_key_from_pem(config.server_key_pem.as_bytes(), "the server key").map_err(|e| tls(&e))?;
    let server = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| tls(&e))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| tls(&e))?;
    Ok(Arc::new(server))
}

impl LocalPortal {
    /// Starts serving `config` on a background thread.
    ///
    /// # Errors
    /// Any [`LocalPortalError`] while loading the specification, opening the store, building
    /// TLS or binding the socket.
    pub fn start(config: LocalPortalConfig) -> Result<Self, LocalPortalError> {
        let contract = spec::Contract::load()?;
        let store = Store::open(&config.db_path)?;
        let tls = server_tls(&config)?;
        let listener = TcpListener::bind(config.listen)
            .map_err(|e| LocalPortalError::Listen { address: config.listen, reason: e.to_string() })?;
        let address = listener
            .local_addr()
            .map_err(|e| LocalPortalError::Listen { address: config.listen, reason: e.to_string() })?;
        let encryption = EncryptionKey { key: config.keys.encryption.clone(), x5c: config.encryption_x5c };
        let state = Arc::new(State {
            stop: AtomicBool::new(false),
            fault: Mutex::new(Fault::None),
            port: address.port(),
            encryption: Mutex::new(EncryptionKeys {
                current: keys::ENCRYPTION_KID.to_owned(),
                keys: BTreeMap::from([(keys::ENCRYPTION_KID.to_owned(), encryption)]),
            }),
            crls: Mutex::new(config.crls),
            keys: config.keys,
            client_id: config.client_id,
            client_secret: config.client_secret,
            catalogue: config.catalogue,
            contract,
            store,
            tokens: Mutex::new(HashMap::new()),
        });
        let accept_state = Arc::clone(&state);
        let accept = std::thread::Builder::new()
            .name("local-portal".to_owned())
            .spawn(move || server::accept_loop(listener, tls, accept_state))
            .map_err(|e| LocalPortalError::Listen { address, reason: e.to_string() })?;
        tracing::info!(%address, "local portal listening");
        Ok(Self { address, state, accept: Some(accept) })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Makes every following reply show `fault`.
    pub fn set_fault(&self, fault: Fault) {
        *self.state.fault.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = fault;
    }

    /// The store, for inspection (how many submissions arrived, exactly once each).
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Makes `key`, with id `kid` and certificate chain `x5c` (DER, leaf first), the key every
    /// destination names for encryption from now on, as a key rotation does. Earlier keys stay
    /// published under their ids and still decrypt what was encrypted to them.
    pub fn rotate_encryption_key(&self, kid: &str, key: RsaPrivateKey, x5c: Vec<Vec<u8>>) {
        let mut encryption = self.state.lock_encryption();
        encryption.keys.insert(kid.to_owned(), EncryptionKey { key, x5c });
        kid.clone_into(&mut encryption.current);
    }

    /// Serves `der` as the CRL `/pki/{name}` from now on.
    pub fn publish_crl(&self, name: &str, der: Vec<u8>) {
        self.state.lock_crls().insert(name.to_owned(), der);
    }
}

impl Drop for LocalPortal {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the stop flag.
        let _wake = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(handle) = self.accept.take()
            && handle.join().is_err()
        {
            tracing::error!("the local portal's accept loop panicked");
        }
    }
}
