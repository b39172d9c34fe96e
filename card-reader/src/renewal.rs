// SPDX-License-Identifier: GPL-3.0-or-later
//! Renewing the terminal's eID authorisation without a visit.
//!
//! Terminal certificates live for days (TR-03110-3 C.1.5), so a terminal
//! asks its document verifier (DV) for the next one well before the current
//! one ends. Two steps, each a command a maintainer or the fleet channel
//! runs ([`request`], [`install`]); between them the request travels to the
//! DV and the DV's answer travels back.
//!
//! ```text
//! DIR/renewal/terminal.pkcs8   the new key (RFC 5915 DER, mode 0600), until its certificate is installed
//! DIR/renewal/request.cvreq    the CV certificate request for the DV (TR-03110-3 C.2)
//! DIR/terminal.next/           the next authorisation, assembled and synced before it is swapped in
//! ```
//!
//! The request is authenticated with the current key (outer signature,
//! C.2.4) while the current key and certificate are readable, also after
//! the certificate expired: the DV decides whether it accepts that.
//!
//! [`install`] checks the answer against the chain (CVCA → DV → terminal,
//! valid today) and against the waiting key before anything changes, then
//! swaps `DIR/terminal.next` and `DIR/terminal` in one `renameat2(2)` with
//! `RENAME_EXCHANGE`. At every instant `DIR/terminal` is a complete
//! authorisation, the old or the new one: a power cut leaves at most a
//! stray `terminal.next`, which the next command removes. A running kiosk
//! notices the new files and uses them from the next card on
//! ([`crate::Authorisation`]).
//!
//! Why the key is a file and not in the TPM: TA keys use the domain
//! parameters of the CVCA (TR-03110-3 C.1.1), brainpoolP256r1 for the German
//! eID PKI. TPM 2.0 chips and `swtpm` (libtpms 0.9) offer NIST P-192 to
//! P-521, BN-256/638 and SM2 only, no Brainpool curve, so the key cannot be
//! generated or used inside one. It lives on the encrypted data partition,
//! readable only by the kiosk's user (docs/SECURITY.md).

use eid::crypto::OsRandomness;
use eid::cv_request::{self, CvRequest, CvRequestError};
use eid::cvc::{Cvc, CvcDate, CvcError, TerminalChain};
use eid::terminal_auth::{TaError, TerminalKey};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use thiserror::Error;

use crate::EidConfigError;
use crate::eid_config::{certificate, read, today};

/// Why a renewal step did nothing. Each leaves the authorisation in force
/// as it was.
#[derive(Debug, Error)]
pub enum RenewalError {
    /// A file of the authorisation in force could not be read or parsed.
    #[error(transparent)]
    Config(#[from] EidConfigError),
    /// A file or directory could not be written, synced or renamed.
    #[error("cannot write {path}: {source}; check the data partition (space, permissions)")]
    Write {
        /// What was written.
        path: PathBuf,
        /// Why not.
        source: std::io::Error,
    },
    /// The key file is not a terminal key.
    #[error("{path} is not a valid terminal private key: {source}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        source: TaError,
    },
    /// The request could not be made.
    #[error("cannot make the certificate request: {0}")]
    Request(#[from] CvRequestError),
    /// No request is waiting for an answer.
    #[error("no renewal is waiting in {0}: make a request first")]
    NoRequest(PathBuf),
    /// The answer is for another key than the one waiting.
    #[error(
        "the certificate {chr} is for another key than the waiting request's; ask the DV for the answer to this terminal's request"
    )]
    WrongKey {
        /// The answer's holder.
        chr: String,
    },
    /// The answer does not form a valid chain today.
    #[error("the new chain is not valid today: {0}")]
    Chain(CvcError),
}

/// A request written by [`request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalRequest {
    /// The request file to hand to the DV.
    pub path: PathBuf,
    /// The holder reference asked for.
    pub chr: String,
    /// Whether the current key signed it (outer signature).
    pub authenticated: bool,
}

/// An authorisation installed by [`install`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The new terminal certificate's holder.
    pub chr: String,
    /// Its last valid day (with its DV's).
    pub valid_until: CvcDate,
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> RenewalError + '_ {
    move |source| RenewalError::Write { path: path.into(), source }
}

/// Generates the next key and the CV certificate request for it in
/// `DIR/renewal/` (module docs). A request made before is replaced: only the
/// newest key is waiting.
pub fn request(dir: &Path) -> Result<RenewalRequest, RenewalError> {
    remove_stray(dir)?;
    let terminal_dir = dir.join("terminal");
    let dv = certificate(&terminal_dir.join("dv.cvcert"))?;
    let current = certificate(&terminal_dir.join("terminal.cvcert"))?;
    let key_path = terminal_dir.join("terminal.pkcs8");
    let current_key = match read(&key_path).ok().and_then(|der| TerminalKey::from_der(&der).ok()) {
        Some(key) if key.public_key() == current.public_key => Some(key),
        _ => {
            tracing::warn!(key = %key_path.display(), "the current terminal key is unusable: the request goes without outer signature");
            None
        }
    };
    let chr = cv_request::next_reference(&current.chr)?;
    let key =
        TerminalKey::generate(&mut OsRandomness).map_err(|source| RenewalError::Key { path: key_path, source })?;
    let signer = current_key.as_ref().map(|k| (current.chr.as_str(), k as &dyn eid::terminal_auth::TerminalSigner));
    let der = cv_request::request(&key, &chr, Some(&dv.chr), signer)?;

    let renewal = dir.join("renewal");
    fs::create_dir_all(&renewal).map_err(write_error(&renewal))?;
    write_private(&renewal.join("terminal.pkcs8"), &key.to_der())?;
    let path = renewal.join("request.cvreq");
    write_private(&path, &der)?;
    tracing::info!(%chr, authenticated = current_key.is_some(), path = %path.display(), "eID certificate request made: hand it to the document verifier");
    Ok(RenewalRequest { path, chr, authenticated: current_key.is_some() })
}

/// Installs the DV's answer: the new terminal certificate, and the DV's
/// own new certificate if it sent one. Checks everything first (module
/// docs); on any error the authorisation in force stays as it was.
pub fn install(dir: &Path, terminal: &[u8], new_dv: Option<&[u8]>) -> Result<Installed, RenewalError> {
    remove_stray(dir)?;
    let terminal_dir = dir.join("terminal");
    let renewal = dir.join("renewal");
    let key_path = renewal.join("terminal.pkcs8");
    if !key_path.exists() {
        return Err(RenewalError::NoRequest(renewal));
    }
    let key_der = read(&key_path)?;
    let key = TerminalKey::from_der(&key_der).map_err(|source| RenewalError::Key { path: key_path.clone(), source })?;
    let parse = |der: &[u8], name: &str| {
        Cvc::parse(der).map_err(|source| EidConfigError::Certificate { path: name.into(), source })
    };
    let cvca_der = read(&terminal_dir.join("cvca.cvcert"))?;
    let cvca = parse(&cvca_der, "cvca.cvcert")?;
    let dv_der = match new_dv {
        Some(der) => der.to_vec(),
        None => read(&terminal_dir.join("dv.cvcert"))?.to_vec(),
    };
    let new_terminal = parse(terminal, "the new terminal certificate")?;
    if new_terminal.public_key != key.public_key() {
        return Err(RenewalError::WrongKey { chr: new_terminal.chr });
    }
    let chain = TerminalChain::verify(&cvca, parse(&dv_der, "the DV certificate")?, new_terminal, today())
        .map_err(RenewalError::Chain)?;

    let next = dir.join("terminal.next");
    fs::create_dir(&next).map_err(write_error(&next))?;
    for (name, bytes) in [
        ("cvca.cvcert", cvca_der.as_slice()),
        ("dv.cvcert", &dv_der),
        ("terminal.cvcert", terminal),
        ("terminal.pkcs8", &key_der),
    ] {
        write_private(&next.join(name), bytes)?;
    }
    sync_dir(&next)?;
    exchange(&next, &terminal_dir)?;
    sync_dir(dir)?;
    // From here the new authorisation is in force; what follows tidies up.
    fs::remove_dir_all(&next).map_err(write_error(&next))?;
    fs::remove_dir_all(&renewal).map_err(write_error(&renewal))?;
    let installed =
        Installed { chr: chain.terminal.chr.clone(), valid_until: chain.dv.expiration.min(chain.terminal.expiration) };
    tracing::info!(chr = %installed.chr, valid_until = %installed.valid_until, "renewed eID authorisation installed");
    Ok(installed)
}

/// A `terminal.next` left by a power cut: complete or not, it is not in
/// force (module docs).
fn remove_stray(dir: &Path) -> Result<(), RenewalError> {
    let next = dir.join("terminal.next");
    if next.exists() {
        tracing::warn!(path = %next.display(), "removing what an interrupted renewal left behind");
        fs::remove_dir_all(&next).map_err(write_error(&next))?;
    }
    Ok(())
}

/// Writes `bytes` to `path`, readable only by this user, synced, replacing
/// it atomically ([`session::private_file`]).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), RenewalError> {
    session::private_file::write(path, bytes).map_err(write_error(path))
}

fn sync_dir(dir: &Path) -> Result<(), RenewalError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(write_error(dir))
}

/// Swaps two directories atomically (`renameat2(2)`, `RENAME_EXCHANGE`).
fn exchange(a: &Path, b: &Path) -> Result<(), RenewalError> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE)
        .map_err(|e| RenewalError::Write { path: b.into(), source: e.into() })
}

/// The request waiting in `dir`, if any, parsed (inner signature checked).
pub fn waiting_request(dir: &Path) -> Result<Option<CvRequest>, RenewalError> {
    let path = dir.join("renewal").join("request.cvreq");
    if !path.exists() {
        return Ok(None);
    }
    Ok(Some(CvRequest::parse(&read(&path)?)?))
}
