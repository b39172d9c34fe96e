// SPDX-License-Identifier: GPL-3.0-or-later
//! The terminal's eID configuration: its certificate chain, its private key
//! and the country signing CAs it trusts.
//!
//! On disk (the layout `eid-sim-card`'s `personalise` writes, and the one a
//! real terminal gets from its document verifier):
//!
//! ```text
//! DIR/terminal/cvca.cvcert      the CVCA the chain starts at (TR-03110-3 C.1)
//! DIR/terminal/dv.cvcert        the document verifier certificate
//! DIR/terminal/terminal.cvcert  the authentication terminal certificate
//! DIR/terminal/terminal.pkcs8   the terminal's private key (DER PKCS#8 or RFC 5915)
//! DIR/trust/*.der               country signing CA certificates (X.509 DER), e.g. csca.der
//! DIR/trust/*.ml                CSCA Master Lists (ICAO Doc 9303-12 9), optional
//! DIR/trust/*.crl               CSCA revocation lists (X.509 CRL, DER), optional
//! DIR/sector/sector.der         the sector's public key for Restricted Identification (SubjectPublicKeyInfo DER)
//! DIR/sector/blocklist.txt      the sector's block list of revoked cards (format in `block_list.rs`)
//! ```
//!
//! The `*.der` CSCAs are the anchors: a Master List adds its CSCAs only if
//! its signer was issued by one of them (or by a CSCA of a Master List read
//! before it, in name order), and a CRL counts only if a CSCA signed it. A
//! CRL whose next update is past is still used (it lists everything revoked
//! until it was issued, and refusing every card because a state publishes
//! late would shut citizens out for what is the maintainer's task): the
//! terminal warns in the journal and reports it ([`EidConfig::stale_lists`]).
//! The same holds for the sector's block list. Sector key and block list are
//! required, and so is the Restricted Identification right in the terminal's
//! certificate chain: without them a revoked card would go unnoticed.

use eid::cvc::{Cvc, CvcDate, CvcError, TerminalChain};
use eid::passive_auth::{CrlDates, PaError, TrustList};
use eid::restricted_identification::{RiError, SectorKey};
use eid::terminal_auth::{TaError, TerminalKey};
use session::CardItem;
use session::config_file::{ConfigFileError, read_file};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::block_list::{BlockList, BlockListError};
use crate::eid_reader::data_item;

/// Why the eID configuration could not be loaded. Each variant names the
/// file; the fix is to install the right file from the terminal's
/// document verifier (or, for tests, to personalise again).
#[derive(Debug, Error)]
pub enum EidConfigError {
    /// A file could not be read, or something else than a regular file
    /// stands where it belongs.
    #[error(transparent)]
    File(#[from] ConfigFileError),
    /// The directory could not be listed.
    #[error("cannot list {path}: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A certificate file is not a card-verifiable certificate.
    #[error("{path} is not a valid CV certificate: {source}")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// Why.
        source: CvcError,
    },
    /// The chain CVCA → DV → terminal does not hold today (wrong issuer,
    /// bad signature, expired): the terminal needs new certificates.
    #[error("the terminal certificate chain is not valid today: {0}")]
    Chain(CvcError),
    /// The key file is not a brainpoolP256r1 private key.
    #[error("{path} is not a valid terminal private key: {source}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        source: TaError,
    },
    /// The private key does not belong to the terminal certificate.
    #[error("the terminal private key does not match the terminal certificate")]
    KeyMismatch,
    /// A trust anchor is not an X.509 certificate this terminal can use.
    #[error("{path} is not a usable country signing CA certificate: {source}")]
    TrustAnchor {
        /// The file.
        path: PathBuf,
        /// Why.
        source: PaError,
    },
    /// A CSCA Master List cannot be used.
    #[error("{path} is not a usable CSCA Master List: {source}; get the current list from the issuing state's CSCA")]
    MasterList {
        /// The file.
        path: PathBuf,
        /// Why.
        source: PaError,
    },
    /// A revocation list cannot be used.
    #[error("{path} is not a usable CSCA revocation list: {source}; get the current CRL from the issuing state's CSCA")]
    Crl {
        /// The file.
        path: PathBuf,
        /// Why.
        source: PaError,
    },
    /// The sector's public key cannot be used.
    #[error("{path} is not a usable sector public key: {source}")]
    SectorKey {
        /// The file.
        path: PathBuf,
        /// Why.
        source: RiError,
    },
    /// The sector's block list cannot be used.
    #[error("{path} is not a usable sector block list: {source}; install the current list of the sector")]
    BlockList {
        /// The file.
        path: PathBuf,
        /// Why.
        source: BlockListError,
    },
    /// The terminal's certificate chain does not grant Restricted
    /// Identification, so the block list cannot be checked.
    #[error("the terminal certificate chain does not grant Restricted Identification; renew it with that right")]
    NoRestrictedIdentification,
    /// The trust directory holds no `*.der` certificate.
    #[error("no country signing CA certificate (*.der) in {0}")]
    NoTrustAnchor(PathBuf),
}

impl EidConfigError {
    /// Whether the chain is sound but not valid today (expired, or not yet
    /// valid): a renewal, not a repair, is needed.
    pub fn is_outside_validity(&self) -> bool {
        matches!(self, EidConfigError::Chain(CvcError::NotValid { .. }))
    }
}

/// What the terminal needs for EAC and passive authentication. Load it once
/// and share it (`Arc`) between readers; the private key is wiped when the
/// last reference goes.
pub struct EidConfig {
    chain: TerminalChain,
    key: TerminalKey,
    trust: TrustList,
    stale: Vec<StaleList>,
    sector_key: SectorKey,
    block_list: BlockList,
}

/// A revocation list past its next update, still in use (module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleList {
    /// The file.
    pub path: PathBuf,
    /// What the list says of itself.
    pub dates: CrlDates,
}

impl std::fmt::Debug for EidConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EidConfig")
            .field("terminal", &self.chain.terminal.chr)
            .field("dv", &self.chain.dv.chr)
            .field("cscas", &self.trust.len())
            .finish_non_exhaustive()
    }
}

/// The largest certificate or key file read: CV certificates and X.509 CSCA
/// certificates are a few kilobytes.
const FILE_LIMIT: u64 = 64 * 1024;
/// The largest Master List or CRL read: Germany's Master List holds a few
/// hundred CSCAs (under 1 MiB), a CRL some thousand entries.
const LIST_LIMIT: u64 = 8 * 1024 * 1024;

pub(crate) fn read(path: &Path) -> Result<Zeroizing<Vec<u8>>, EidConfigError> {
    Ok(read_file(path, FILE_LIMIT)?)
}

pub(crate) fn certificate(path: &Path) -> Result<Cvc, EidConfigError> {
    Cvc::parse(&read(path)?).map_err(|source| EidConfigError::Certificate { path: path.into(), source })
}

impl EidConfig {
    /// Loads the configuration from `dir` (layout in the module docs) and
    /// checks the chain against today's date and the key against the
    /// terminal certificate.
    pub fn load(dir: &Path) -> Result<Self, EidConfigError> {
        let terminal_dir = dir.join("terminal");
        let cvca = certificate(&terminal_dir.join("cvca.cvcert"))?;
        let dv = certificate(&terminal_dir.join("dv.cvcert"))?;
        let terminal = certificate(&terminal_dir.join("terminal.cvcert"))?;
        let chain = TerminalChain::verify(&cvca, dv, terminal, today()).map_err(EidConfigError::Chain)?;
        let key_path = terminal_dir.join("terminal.pkcs8");
        let key = TerminalKey::from_der(&read(&key_path)?)
            .map_err(|source| EidConfigError::Key { path: key_path.clone(), source })?;
        if key.public_key() != chain.terminal.public_key {
            return Err(EidConfigError::KeyMismatch);
        }
        if !chain.effective_chat.allows_restricted_identification() {
            return Err(EidConfigError::NoRestrictedIdentification);
        }
        let (trust, mut stale) = load_trust_list(&dir.join("trust"), today())?;
        let (sector_key, block_list) = load_sector(&dir.join("sector"), today(), &mut stale)?;
        let config = Self { chain, key, trust, stale, sector_key, block_list };
        let valid_until = config.valid_until();
        if valid_until <= day_in(RENEW_AHEAD_DAYS) {
            tracing::warn!(%valid_until, "the eID authorisation expires soon: renew it before, or the terminal goes out of service");
        } else {
            tracing::info!(%valid_until, "eID authorisation valid");
        }
        Ok(config)
    }

    /// The last day the authorisation is valid: the earlier expiry of its
    /// DV and terminal certificates (TR-03110-3 C.1.5).
    pub fn valid_until(&self) -> CvcDate {
        self.chain.dv.expiration.min(self.chain.terminal.expiration)
    }

    /// [`EidConfig::valid_until`] as the session writes dates, for the
    /// staff's health page.
    pub fn last_day(&self) -> session::CardDate {
        let last = self.valid_until();
        session::CardDate::new(last.year, last.month, last.day)
    }

    /// The verified DV and terminal certificates.
    pub fn chain(&self) -> &TerminalChain {
        &self.chain
    }

    pub(crate) fn key(&self) -> &TerminalKey {
        &self.key
    }

    pub(crate) fn trust(&self) -> &TrustList {
        &self.trust
    }

    pub(crate) fn sector_key(&self) -> &SectorKey {
        &self.sector_key
    }

    pub(crate) fn block_list(&self) -> &BlockList {
        &self.block_list
    }

    /// The revocation lists (CRLs and the sector block list) past their
    /// next update (a maintenance task).
    pub fn stale_lists(&self) -> &[StaleList] {
        &self.stale
    }

    /// The card items this terminal's certificate chain allows reading: a
    /// service asking for more cannot be served by this terminal.
    pub fn granted_items(&self) -> Vec<CardItem> {
        CardItem::ALL.into_iter().filter(|item| self.chain.effective_chat.allows(data_item(*item))).collect()
    }
}

/// The files of `dir` ending in `.extension`, in name order.
fn files(dir: &Path, extension: &str) -> Result<Vec<PathBuf>, EidConfigError> {
    let listing = |source| EidConfigError::Directory { path: dir.into(), source };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(listing)? {
        let path = entry.map_err(listing)?.path();
        if path.extension().is_some_and(|e| e == extension) {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// The CSCA trust list of `dir` (module docs): the `*.der` anchors, then
/// the Master Lists, then the CRLs; with the CRLs stale on `today`.
fn load_trust_list(dir: &Path, today: CvcDate) -> Result<(TrustList, Vec<StaleList>), EidConfigError> {
    let anchors = files(dir, "der")?;
    if anchors.is_empty() {
        return Err(EidConfigError::NoTrustAnchor(dir.into()));
    }
    let mut certificates = Vec::new();
    for path in &anchors {
        let der = read(path)?;
        // Parse each on its own so an error names the file.
        TrustList::from_der_certificates([der.as_slice()])
            .map_err(|source| EidConfigError::TrustAnchor { path: path.clone(), source })?;
        certificates.push(der);
    }
    let mut trust = TrustList::from_der_certificates(certificates.iter().map(|c| c.as_slice()))
        .map_err(|source| EidConfigError::TrustAnchor { path: dir.into(), source })?;
    for path in files(dir, "ml")? {
        let added = trust
            .add_master_list(&read_file(&path, LIST_LIMIT)?, today)
            .map_err(|source| EidConfigError::MasterList { path: path.clone(), source })?;
        tracing::info!(path = %path.display(), added, "CSCA Master List read");
    }
    let mut stale = Vec::new();
    for path in files(dir, "crl")? {
        let dates = trust
            .add_crl(&read_file(&path, LIST_LIMIT)?)
            .map_err(|source| EidConfigError::Crl { path: path.clone(), source })?;
        match dates.next_update {
            Some(next) if next < today => {
                tracing::warn!(
                    path = %path.display(), issuer = %dates.issuer, next_update = %next,
                    "the CSCA revocation list is stale: still in use, but install the current one"
                );
                stale.push(StaleList { path, dates });
            }
            _ => {
                tracing::info!(path = %path.display(), issuer = %dates.issuer, revoked = dates.revoked, "CSCA revocation list read")
            }
        }
    }
    Ok((trust, stale))
}

/// The sector's key and block list from `dir`; a stale list is added to `stale`.
fn load_sector(
    dir: &Path,
    today: CvcDate,
    stale: &mut Vec<StaleList>,
) -> Result<(SectorKey, BlockList), EidConfigError> {
    let key_path = dir.join("sector.der");
    let sector_key = SectorKey::from_spki_der(&read(&key_path)?)
        .map_err(|source| EidConfigError::SectorKey { path: key_path, source })?;
    let path = dir.join("blocklist.txt");
    let list = BlockList::parse(&read_file(&path, LIST_LIMIT)?)
        .map_err(|source| EidConfigError::BlockList { path: path.clone(), source })?;
    if list.next_update < today {
        tracing::warn!(
            path = %path.display(), next_update = %list.next_update,
            "the sector block list is stale: still in use, but install the current one"
        );
        let dates = CrlDates {
            issuer: "sector block list".into(),
            this_update: list.issued,
            next_update: Some(list.next_update),
            revoked: list.len(),
        };
        stale.push(StaleList { path, dates });
    } else {
        tracing::info!(path = %path.display(), blocked = list.len(), "sector block list read");
    }
    Ok((sector_key, list))
}

/// Today's date (UTC), for certificate validity (TR-03110-3 C.1.5 dates
/// are calendar days).
pub(crate) fn today() -> CvcDate {
    day_in(0)
}

/// How many days before its end the authorisation's expiry is warned about.
/// Terminal certificates live for days, so a warning from two days ahead
/// leaves the maintainer (or the fleet's renewal) a working day.
pub const RENEW_AHEAD_DAYS: u64 = 2;

/// The date `days` from today (UTC).
fn day_in(days: u64) -> CvcDate {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86_400);
    civil_date(now + days)
}

/// The proleptic Gregorian date `days` after 1970-01-01, counting in
/// 400-year eras of 146 097 days that start on 1 March.
fn civil_date(days: u64) -> CvcDate {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    CvcDate { year: u16::try_from(year).unwrap_or(u16::MAX), month: month as u8, day: day as u8 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_known_days() {
        assert_eq!(civil_date(0), CvcDate { year: 1970, month: 1, day: 1 });
        // 2000-02-29 is day 11 016; 2026-11-23 is day 20 780.
        assert_eq!(civil_date(11_016), CvcDate { year: 2000, month: 2, day: 29 });
        assert_eq!(civil_date(20_780), CvcDate { year: 2026, month: 11, day: 23 });
        assert_eq!(civil_date(20_818), CvcDate { year: 2026, month: 12, day: 31 });
        assert_eq!(civil_date(20_819), CvcDate { year: 2027, month: 1, day: 1 });
    }

    #[test]
    fn a_missing_directory_is_a_read_error_naming_the_file() {
        let err = EidConfig::load(Path::new("/nonexistent/eid")).unwrap_err();
        assert!(
            matches!(&err, EidConfigError::File(ConfigFileError::Read { path, .. }) if path.ends_with("terminal/cvca.cvcert")),
            "{err}"
        );
    }
}
