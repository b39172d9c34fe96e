// SPDX-License-Identifier: GPL-3.0-or-later
//! Demo mode: a local portal on loopback with freshly generated PKIs (one for TLS, one standing in
//! for the administration PKI that certifies the destinations' key), and a FIT-Connect client
//! configured for it, in one call.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use portal::fitconnect::{Backoff, DEFAULT_MAX_KEY_AGE, FitConnectConfig, KeyTrust};
use portal::tls::TlsMaterial;
use portal::{Delivery, FitConnectPortal, Portal, PortalError, RequestStatus, SlotOffer, Submission};

use crate::keys::ENCRYPTION_KID;
use crate::pki::{ENCRYPTION_CA_CRL, ROOT_CRL, TestAdministrationPki, TestCa, Validity};
use crate::{LocalPortal, LocalPortalConfig, LocalPortalError, PortalKeys, demo_catalogue};

/// OAuth client id of the demo terminal.
pub const DEMO_CLIENT_ID: &str = "buergerterminal-demo";

const ENCRYPTION_KEY_FILE: &str = "portal-encryption-key.pem";
const SIGNING_KEY_FILE: &str = "portal-signing-key.pem";

/// The portal keys kept in `dir` (generated and written there on first use: RSA 4096 key
/// generation takes seconds, so demo mode keeps them between runs).
///
/// # Errors
/// [`LocalPortalError::Keys`] if stored keys are unusable or new ones cannot be written.
pub fn load_or_generate_keys(dir: &Path) -> Result<PortalKeys, LocalPortalError> {
    let keys_error = |e: std::io::Error| LocalPortalError::Keys(format!("{}: {e}", dir.display()));
    let encryption = dir.join(ENCRYPTION_KEY_FILE);
    let signing = dir.join(SIGNING_KEY_FILE);
    if encryption.exists() && signing.exists() {
        let encryption_pem = zeroize::Zeroizing::new(std::fs::read_to_string(&encryption).map_err(keys_error)?);
        let signing_pem = zeroize::Zeroizing::new(std::fs::read_to_string(&signing).map_err(keys_error)?);
        return PortalKeys::from_pem(&encryption_pem, &signing_pem);
    }
    let keys = PortalKeys::generate()?;
    let (encryption_pem, signing_pem) = keys.to_pem()?;
    std::fs::create_dir_all(dir).map_err(keys_error)?;
    std::fs::write(&encryption, encryption_pem.as_bytes()).map_err(keys_error)?;
    std::fs::write(&signing, signing_pem.as_bytes()).map_err(keys_error)?;
    Ok(keys)
}

/// A local portal and the configuration of a terminal that trusts it.
#[derive(Debug)]
pub struct LocalSetup {
    /// The running portal.
    pub portal: LocalPortal,
    /// Client configuration for it (queue in the given directory).
    pub client: FitConnectConfig,
    /// The CA that signed the portal's and the device's certificates.
    pub ca_pem: String,
    /// The root of the test administration PKI that certifies the destinations' key.
    pub administration_pki_pem: String,
    /// The portal's configuration, to start it again (same address, keys, PKI and database).
    pub portal_config: LocalPortalConfig,
}

/// Starts a local portal on `127.0.0.1` (any free port) with a new PKI and `keys`, storing its
/// database in `dir`, and returns it with a matching client configuration whose queue is
/// `dir/queue.sqlite`.
///
/// # Errors
/// Any [`LocalPortalError`] while generating the PKI or starting the portal.
pub fn start_local(dir: &Path, keys: PortalKeys) -> Result<LocalSetup, LocalPortalError> {
    start_local_on(dir, keys, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
}

/// Like [`start_local`], on a given address.
///
/// # Errors
/// As [`start_local`].
pub fn start_local_on(dir: &Path, keys: PortalKeys, listen: SocketAddr) -> Result<LocalSetup, LocalPortalError> {
    std::fs::create_dir_all(dir).map_err(|e| LocalPortalError::Storage(format!("{}: {e}", dir.display())))?;
    let ca = TestCa::generate("Bürgerterminal demo portal CA")?;
    let server = ca.issue_server(&["localhost", "127.0.0.1"], Validity::Current)?;
    let device = ca.issue_device("demo-terminal-0001")?;
    let administration_pki = TestAdministrationPki::generate()?;
    let encryption_x5c =
        administration_pki.certify_encryption_key(&keys.encryption, ENCRYPTION_KID, Validity::Current)?;
    let catalogue = demo_catalogue()?;
    let client_secret = random_secret();
    let portal_config = LocalPortalConfig {
        listen,
        db_path: dir.join("local-portal.sqlite"),
        server_cert_pem: server.cert_pem,
        server_key_pem: server.key_pem,
        client_ca_pem: ca.cert_pem.clone(),
        keys,
        encryption_x5c,
        crls: administration_pki.crls()?,
        client_id: DEMO_CLIENT_ID.to_owned(),
        client_secret: client_secret.clone(),
        catalogue: catalogue.clone(),
    };
    let portal = LocalPortal::start(portal_config.clone())?;
    let portal_config = LocalPortalConfig { listen: portal.address(), ..portal_config };
    let base = format!("https://localhost:{}", portal.address().port());
    let mut client = FitConnectConfig::new(
        base.clone(),
        format!("{base}/token"),
        DEMO_CLIENT_ID,
        client_secret,
        TlsMaterial {
            ca_pem: ca.cert_pem.clone().into_bytes(),
            client_cert_pem: device.cert_pem.into_bytes(),
            client_key_pem: zeroize::Zeroizing::new(device.key_pem.as_bytes().to_vec()),
        },
        key_trust(&base, &administration_pki.root_pem),
        dir.join("queue.sqlite"),
    );
    client.destinations =
        catalogue.iter().map(|entry| (entry.service_id.clone(), entry.destination_id.clone())).collect();
    client.backoff = Backoff { initial: Duration::from_millis(500), max: Duration::from_secs(30) };
    Ok(LocalSetup {
        portal,
        client,
        ca_pem: ca.cert_pem,
        administration_pki_pem: administration_pki.root_pem,
        portal_config,
    })
}

/// How a terminal trusts the destination keys of the local portal at `base_url`: the test
/// administration PKI's root `root_pem`, and its CRLs as the portal serves them.
pub fn key_trust(base_url: &str, root_pem: &str) -> KeyTrust {
    KeyTrust {
        anchors_pem: root_pem.as_bytes().to_vec(),
        crl_urls: crl_urls(base_url),
        max_key_age: DEFAULT_MAX_KEY_AGE,
    }
}

/// Where the local portal at `base_url` serves the test administration PKI's CRLs.
pub fn crl_urls(base_url: &str) -> Vec<String> {
    [ROOT_CRL, ENCRYPTION_CA_CRL].iter().map(|name| format!("{base_url}/pki/{name}")).collect()
}

fn random_secret() -> String {
    use rand_core::RngCore;
    let mut bytes = [0u8; 24];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Demo mode's portal: the FIT-Connect client talking over mutual TLS to a local portal that
/// lives as long as this value. Implements [`Portal`].
#[derive(Debug)]
pub struct DemoPortal {
    // Field order matters: the client's worker stops before the portal does.
    client: FitConnectPortal,
    local: LocalPortal,
}

impl DemoPortal {
    /// Starts the local portal (keys kept in `dir`, see [`load_or_generate_keys`]) and a
    /// client for it whose queue is `dir/queue.sqlite`, and fetches the destination keys.
    ///
    /// # Errors
    /// [`LocalPortalError`] if the portal cannot start; [`LocalPortalError::Client`] if the
    /// client cannot start or fetch the destination keys.
    pub fn start(dir: &Path) -> Result<Self, LocalPortalError> {
        let keys = load_or_generate_keys(dir)?;
        let setup = start_local(dir, keys)?;
        let client = FitConnectPortal::start(setup.client)?;
        client.prefetch_keys()?;
        Ok(Self { client, local: setup.portal })
    }

    /// The client (queue health, catalogue).
    pub fn client(&self) -> &FitConnectPortal {
        &self.client
    }

    /// The local portal (to show faults in a demo, or inspect what arrived).
    pub fn local(&self) -> &LocalPortal {
        &self.local
    }
}

impl Portal for DemoPortal {
    fn slots(&self, service_id: &str, from: NaiveDate, days: u32) -> Result<Vec<SlotOffer>, PortalError> {
        self.client.slots(service_id, from, days)
    }

    fn submit(&self, submission: Submission) -> Result<Delivery, PortalError> {
        self.client.submit(submission)
    }

    fn status(&self, tracking_number: &str) -> Result<RequestStatus, PortalError> {
        self.client.status(tracking_number)
    }
}
