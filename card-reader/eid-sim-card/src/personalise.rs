// SPDX-License-Identifier: GPL-3.0-or-later
//! Card production: fresh keys, the CV certificate PKI of the terminal and
//! the signed security objects of the card, made with Debian's `cvc-create`
//! (package `openpace`) and the `openssl` command line tool.
//!
//! Nothing here is ever committed: every run makes new keys.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::SimCardError;
use crate::ffi::EacContext;
use crate::tlv;

/// `0.4.0.127.0.7` (BSI), the prefix of every EAC object identifier.
const BSI: [u8; 5] = [0x04, 0x00, 0x7F, 0x00, 0x07];
/// id-PACE-ECDH-GM-AES-CBC-CMAC-128 (TR-03110-3 A.1.1.1).
pub(crate) const PACE_OID: [u8; 10] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02];
/// id-CA-ECDH-AES-CBC-CMAC-128 (TR-03110-3 A.1.1.2).
pub(crate) const CA_OID: [u8; 10] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x02];
/// id-TA-ECDSA-SHA-256 (TR-03110-3 A.2.2.4).
pub(crate) const TA_ECDSA_SHA256_OID: [u8; 10] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02, 0x02, 0x03];
/// Standardized domain parameters no. 13: brainpoolP256r1 (TR-03110-3 A.2.1.1, Table 4).
const BRAINPOOL_P256R1: u32 = 13;
/// The key reference of the card's Chip Authentication key.
pub(crate) const CA_KEY_ID: u8 = 1;
/// id-RI-ECDH-SHA-256 (TR-03110-3 A.1.1.6).
pub(crate) const RI_OID: [u8; 10] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x05, 0x02, 0x03];
/// The key reference of the card's Restricted Identification key.
pub(crate) const RI_KEY_ID: u8 = 2;

/// The CVCA the card trusts: holder reference of [`personalise`]'s chain.
pub const CVCA_CHR: &str = "DETESTEID00001";
/// Holder reference of the DV certificate made by [`personalise`].
pub const DV_CHR: &str = "DETESTDVEID0001";
/// Holder reference of the terminal certificate made by [`personalise`].
pub const TERMINAL_CHR: &str = "DETESTKIOSK00001";

fn oid(rest: &[u8]) -> Vec<u8> {
    let mut content = BSI.to_vec();
    content.extend_from_slice(rest);
    tlv::encode(0x06, &content)
}

fn sequence(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv::encode(0x30, &parts.concat())
}

/// `AlgorithmIdentifier { standardizedDomainParameters, 13 }` (TR-03110-3 A.2.1.1).
fn brainpool_algorithm() -> Vec<u8> {
    sequence(&[oid(&[0x01, 0x02]), tlv::integer(BRAINPOOL_P256R1)])
}

/// The SecurityInfos of `EF.CardAccess` (TR-03110-3 A.1.2.1): PACEInfo,
/// ChipAuthenticationInfo, ChipAuthenticationDomainParameterInfo and
/// TerminalAuthenticationInfo.
fn card_access_infos() -> Vec<Vec<u8>> {
    vec![
        // PACEInfo ::= SEQUENCE { protocol, version 2, parameterId 13 } (A.1.1.1)
        sequence(&[tlv::encode(0x06, &PACE_OID), tlv::integer(2), tlv::integer(BRAINPOOL_P256R1)]),
        // ChipAuthenticationInfo ::= SEQUENCE { protocol, version 2, keyId } (A.1.1.2)
        sequence(&[tlv::encode(0x06, &CA_OID), tlv::integer(2), tlv::integer(u32::from(CA_KEY_ID))]),
        // ChipAuthenticationDomainParameterInfo ::= SEQUENCE { id-CA-ECDH, domainParameter, keyId } (A.1.1.2)
        sequence(&[oid(&[0x02, 0x02, 0x03, 0x02]), brainpool_algorithm(), tlv::integer(u32::from(CA_KEY_ID))]),
        // TerminalAuthenticationInfo ::= SEQUENCE { id-TA, version 2 } (A.1.1.3)
        sequence(&[oid(&[0x02, 0x02, 0x02]), tlv::integer(2)]),
    ]
}

/// `EF.CardAccess`: a DER SET OF SecurityInfo.
pub fn card_access() -> Vec<u8> {
    let mut infos = card_access_infos();
    infos.sort();
    tlv::encode(0x31, &infos.concat())
}

/// The SecurityInfos signed into `EF.CardSecurity` (TR-03110-3 A.1.2.2):
/// those of `EF.CardAccess` plus ChipAuthenticationPublicKeyInfo.
fn card_security_content(chip_public_key: &[u8]) -> Vec<u8> {
    let mut bits = vec![0x00];
    bits.extend_from_slice(chip_public_key);
    let spki = sequence(&[brainpool_algorithm(), tlv::encode(0x03, &bits)]);
    let mut infos = card_access_infos();
    // ChipAuthenticationPublicKeyInfo ::= SEQUENCE { id-PK-ECDH, SubjectPublicKeyInfo, keyId } (A.1.1.2)
    infos.push(sequence(&[oid(&[0x02, 0x02, 0x01, 0x02]), spki, tlv::integer(u32::from(CA_KEY_ID))]));
    // RestrictedIdentificationInfo ::= SEQUENCE { id-RI-ECDH-SHA-256,
    // SEQUENCE { version 1, keyId, authorizedOnly FALSE } } (A.1.1.6)
    let params = sequence(&[tlv::integer(1), tlv::integer(u32::from(RI_KEY_ID)), tlv::encode(0x01, &[0x00])]);
    infos.push(sequence(&[tlv::encode(0x06, &RI_OID), params]));
    infos.sort();
    tlv::encode(0x31, &infos.concat())
}

/// Where [`personalise`] put things.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Personalisation {
    /// `DIR/card`: what [`crate::card::SimCard::new`] loads.
    pub card_dir: PathBuf,
    /// `DIR/terminal`: the terminal's CV chain and private key.
    pub terminal_dir: PathBuf,
    /// `DIR/trust/csca.der`: the passive authentication trust anchor.
    pub csca: PathBuf,
    /// `DIR/sector`: the sector's public key and its block list.
    pub sector_dir: PathBuf,
}

fn run(program: &'static str, package: &'static str, args: &[&str]) -> Result<(), SimCardError> {
    let output = Command::new(program).args(args).output().map_err(|e| SimCardError::Tool {
        program,
        package,
        detail: e.to_string(),
    })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(SimCardError::Tool { program, package, detail: String::from_utf8_lossy(&output.stderr).trim().to_string() })
    }
}

fn openssl(args: &[&str]) -> Result<(), SimCardError> {
    run("openssl", "openssl", args)
}

fn cvc_create(args: &[&str]) -> Result<(), SimCardError> {
    run("cvc-create", "openpace", args)
}

fn mkdir(path: &Path) -> Result<(), SimCardError> {
    std::fs::create_dir_all(path).map_err(|source| SimCardError::Io { path: path.to_path_buf(), source })
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), SimCardError> {
    std::fs::write(path, bytes).map_err(|source| SimCardError::Io { path: path.to_path_buf(), source })
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>, SimCardError> {
    std::fs::read(path).map_err(|source| SimCardError::Io { path: path.to_path_buf(), source })
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// A fresh brainpoolP256r1 key in DER PKCS#8.
fn new_ec_key(path: &Path) -> Result<(), SimCardError> {
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:brainpoolP256r1",
        "-outform",
        "DER",
        "-out",
        &s(path),
    ])
}

/// The current year's last two digits (UTC), from the system clock.
fn current_yy() -> u32 {
    (date_in(0).0.rem_euclid(100)) as u32
}

/// The civil date (UTC) `days` from today: year, month, day.
fn date_in(days: i64) -> (i64, i64, i64) {
    let today = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian).
    let z = today as i64 + days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(mp >= 10), month, day)
}

/// `YYYY-MM-DD` of the day `days` from today (UTC).
pub fn iso_date_in(days: i64) -> String {
    let (year, month, day) = date_in(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Writes `DIR/sector/blocklist.txt` (the format of `card_reader`'s
/// block list: `issued:`, `next-update:`, one hex identifier a line).
pub fn write_block_list(
    dir: &Path,
    issued: &str,
    next_update: &str,
    identifiers: &[String],
) -> Result<(), SimCardError> {
    let mut text = format!("# Sector block list of the test sector\nissued: {issued}\nnext-update: {next_update}\n");
    for identifier in identifiers {
        text.push_str(identifier);
        text.push('\n');
    }
    write(&dir.join("sector/blocklist.txt"), text.as_bytes())
}

/// The sector-specific identifier (hex) of the card personalised in `dir`,
/// as the sector's operator computes it for the block list from the card's
/// RI public key and the sector's private key (TR-03110-2 3.6), with
/// `openssl` only: `SHA-256(x(SK_sector · PK_ID))`.
pub fn sector_identifier(dir: &Path) -> Result<String, SimCardError> {
    let pki = dir.join("pki");
    let (public, shared, digest) = (pki.join("ri_public.pem"), pki.join("ri_shared.bin"), pki.join("ri_id.bin"));
    let ri_key = s(&dir.join("card/restricted_id.pkcs8"));
    openssl(&["pkey", "-inform", "DER", "-in", &ri_key, "-pubout", "-out", &s(&public)])?;
    let sector_key = s(&pki.join("sector.pkcs8"));
    openssl(&[
        "pkeyutl",
        "-derive",
        "-keyform",
        "DER",
        "-inkey",
        &sector_key,
        "-peerkey",
        &s(&public),
        "-out",
        &s(&shared),
    ])?;
    openssl(&["dgst", "-sha256", "-binary", "-out", &s(&digest), &s(&shared)])?;
    Ok(read(&digest)?.iter().map(|b| format!("{b:02x}")).collect())
}

/// Rights of every certificate in the chain: read DG1 to DG21, PIN
/// management and Restricted Identification (TR-03110-4 2.2.3.2, Table 4).
fn rights() -> Vec<String> {
    let mut args: Vec<String> = (1..=21).map(|dg| format!("--read-dg{dg}")).collect();
    args.push("--pin-management".into());
    args.push("--rid".into());
    args
}

/// Holder references of one CVCA → DV → terminal chain.
struct ChainNames {
    cvca: &'static str,
    dv: &'static str,
    terminal: &'static str,
}

fn cvc_create_owned(args: &[String]) -> Result<(), SimCardError> {
    cvc_create(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// The `cvc-create` arguments every certificate shares.
fn common_args(role: &str, chr: &str, years: u32, out: &Path) -> Vec<String> {
    vec![
        format!("--role={role}"),
        format!("--chr={chr}"),
        format!("--expires={:02}1231", (current_yy() + years) % 100),
        "--scheme=ECDSA_SHA_256".to_string(),
        format!("--out-cert={}", out.display()),
    ]
}

/// Makes a CVCA → DV → authentication terminal chain with `cvc-create`
/// into `dir`: `cvca.cvcert`, `dv.cvcert`, `terminal.cvcert`,
/// `terminal.pkcs8`; the CVCA and DV keys go to `keys`.
fn terminal_chain(dir: &Path, keys: &Path, names: &ChainNames) -> Result<(), SimCardError> {
    mkdir(dir)?;
    mkdir(keys)?;
    let cvca_key = keys.join("cvca.pkcs8");
    new_ec_key(&cvca_key)?;
    let cvca = dir.join("cvca.cvcert");
    let mut args = common_args("cvca", names.cvca, 3, &cvca);
    args.extend(["--type=at".to_string(), format!("--sign-with={}", cvca_key.display())]);
    args.extend(rights());
    cvc_create_owned(&args)?;
    dv_and_terminal(dir, keys, &cvca_key, names, &rights())
}

/// Issues a DV certificate under `dir/cvca.cvcert` (key `cvca_key`) and a
/// terminal certificate with `terminal_rights` under that DV.
fn dv_and_terminal(
    dir: &Path,
    keys: &Path,
    cvca_key: &Path,
    names: &ChainNames,
    terminal_rights: &[String],
) -> Result<(), SimCardError> {
    let dv = dir.join("dv.cvcert");
    let dv_key = keys.join("dv.pkcs8");
    let mut args = common_args("dv_domestic", names.dv, 2, &dv);
    args.extend([
        format!("--sign-as={}", dir.join("cvca.cvcert").display()),
        format!("--sign-with={}", cvca_key.display()),
        format!("--out-key={}", dv_key.display()),
    ]);
    args.extend(rights());
    cvc_create_owned(&args)?;

    let mut args = common_args("terminal", names.terminal, 1, &dir.join("terminal.cvcert"));
    args.extend([
        format!("--sign-as={}", dv.display()),
        format!("--sign-with={}", dv_key.display()),
        format!("--out-key={}", dir.join("terminal.pkcs8").display()),
    ]);
    args.extend(terminal_rights.iter().cloned());
    cvc_create_owned(&args)
}

/// Produces a card and its PKI under `dir` (created if missing):
///
/// ```text
/// DIR/card/card_access.der     EF.CardAccess (SecurityInfos, TR-03110-3 A.1.2.1)
/// DIR/card/card_security.der   EF.CardSecurity (CMS SignedData by the document signer)
/// DIR/card/chip_auth.pkcs8     the card's static Chip Authentication key (DER PKCS#8)
/// DIR/card/cvca.cvcert         the CVCA certificate the card trusts
/// DIR/terminal/cvca.cvcert     CVCA certificate  (CHR DETESTEID00001)
/// DIR/terminal/dv.cvcert       DV certificate    (CHR DETESTDVEID0001)
/// DIR/terminal/terminal.cvcert terminal certificate (CHR DETESTKIOSK00001)
/// DIR/terminal/terminal.pkcs8  the terminal's private key (DER PKCS#8, by cvc-create)
/// DIR/trust/csca.der           the test CSCA (X.509 DER), trust anchor of passive authentication
/// DIR/card/restricted_id.pkcs8 the card's Restricted Identification key (DER PKCS#8)
/// DIR/sector/sector.der        the test sector's public key (SubjectPublicKeyInfo DER)
/// DIR/sector/blocklist.txt     its block list: empty, issued today, next update in 7 days
/// DIR/pki/                     the private keys of CVCA, DV, CSCA, document signer and sector
/// ```
///
/// All certificates are brainpoolP256r1 with ECDSA-SHA-256; every CV
/// certificate grants reading DG1 to DG21 and PIN management.
pub fn personalise(dir: &Path) -> Result<Personalisation, SimCardError> {
    let card = dir.join("card");
    let terminal = dir.join("terminal");
    let trust = dir.join("trust");
    let pki = dir.join("pki");
    let sector = dir.join("sector");
    for d in [&card, &terminal, &trust, &pki, &sector] {
        mkdir(d)?;
    }
    terminal_chain(&terminal, &pki, &ChainNames { cvca: CVCA_CHR, dv: DV_CHR, terminal: TERMINAL_CHR })?;
    write(&card.join("cvca.cvcert"), &read(&terminal.join("cvca.cvcert"))?)?;

    // The card's static Chip Authentication key and EF.CardAccess.
    let chip_key = card.join("chip_auth.pkcs8");
    new_ec_key(&chip_key)?;
    let card_access = card_access();
    write(&card.join("card_access.der"), &card_access)?;
    // The card's Restricted Identification key, and the sector's key pair
    // with an empty block list valid for a week.
    new_ec_key(&card.join("restricted_id.pkcs8"))?;
    let sector_key = pki.join("sector.pkcs8");
    new_ec_key(&sector_key)?;
    openssl(&[
        "pkey",
        "-inform",
        "DER",
        "-in",
        &s(&sector_key),
        "-pubout",
        "-outform",
        "DER",
        "-out",
        &s(&sector.join("sector.der")),
    ])?;
    write_block_list(dir, &iso_date_in(0), &iso_date_in(7), &[])?;
    let ctx = EacContext::new(&card_access, &read(&card.join("cvca.cvcert"))?, &read(&chip_key)?)?;
    // OpenPACE encodes it as a public key data object `7F49 { 06 OID, 86 point }`
    // (TR-03110-3 D.3); the SubjectPublicKeyInfo carries the bare point.
    let encoded = ctx.chip_public_key()?;
    let chip_public = tlv::read(&encoded)
        .filter(|(key, _)| key.tag == 0x7F49)
        .and_then(|(key, _)| tlv::read_all(key.value))
        .and_then(|parts| tlv::find(&parts, 0x86).map(<[u8]>::to_vec))
        .ok_or(SimCardError::OpenPace(crate::ffi::OpenPaceError("CA_STEP1_get_pubkey (encoding)")))?;

    // Test CSCA and document signer (X.509).
    let csca_key = pki.join("csca.key");
    let csca_pem = pki.join("csca.pem");
    openssl(&["ecparam", "-name", "brainpoolP256r1", "-genkey", "-noout", "-out", &s(&csca_key)])?;
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        &s(&csca_key),
        "-subj",
        "/C=DE/O=Buergerterminal Test/CN=Test CSCA",
        "-days",
        "3650",
        "-sha256",
        "-out",
        &s(&csca_pem),
    ])?;
    let csca = trust.join("csca.der");
    openssl(&["x509", "-in", &s(&csca_pem), "-outform", "DER", "-out", &s(&csca)])?;
    let ds_key = pki.join("ds.key");
    let ds_csr = pki.join("ds.csr");
    let ds_pem = pki.join("ds.pem");
    openssl(&["ecparam", "-name", "brainpoolP256r1", "-genkey", "-noout", "-out", &s(&ds_key)])?;
    openssl(&[
        "req",
        "-new",
        "-key",
        &s(&ds_key),
        "-subj",
        "/C=DE/O=Buergerterminal Test/CN=Test Document Signer",
        "-out",
        &s(&ds_csr),
    ])?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        &s(&ds_csr),
        "-CA",
        &s(&csca_pem),
        "-CAkey",
        &s(&csca_key),
        "-CAcreateserial",
        "-days",
        "730",
        "-sha256",
        "-out",
        &s(&ds_pem),
    ])?;

    // EF.CardSecurity: SignedData over id-SecurityObject (TR-03110-3 A.1.2.2).
    let content = pki.join("security_infos.der");
    write(&content, &card_security_content(&chip_public))?;
    openssl(&[
        "cms",
        "-sign",
        "-binary",
        "-nodetach",
        "-outform",
        "DER",
        "-econtent_type",
        "0.4.0.127.0.7.3.2.1",
        "-md",
        "sha256",
        "-nosmimecap",
        "-in",
        &s(&content),
        "-signer",
        &s(&ds_pem),
        "-inkey",
        &s(&ds_key),
        "-out",
        &s(&card.join("card_security.der")),
    ])?;
    Ok(Personalisation { card_dir: card, terminal_dir: terminal, csca, sector_dir: sector })
}

/// Makes a second terminal chain under another CVCA (`DEFOREIGNCA00001`)
/// into `dir` with the layout of `DIR/terminal` of [`personalise`]: a card
/// made by [`personalise`] must refuse it (its CVCA is unknown: `6A88`).
pub fn foreign_terminal_chain(dir: &Path) -> Result<(), SimCardError> {
    terminal_chain(
        dir,
        &dir.join("keys"),
        &ChainNames { cvca: "DEFOREIGNCA00001", dv: "DEFOREIGNDV00001", terminal: "DEFOREIGNTM00001" },
    )
}

/// Makes a second terminal chain under the card's own CVCA into `dir`
/// (layout of `DIR/terminal`), whose terminal certificate may read only the
/// data groups in `data_groups`: the card must refuse the others even when
/// the PACE CHAT asks for them. `personalised` is the directory given to
/// [`personalise`] (its `pki/cvca.pkcs8` signs the new DV).
pub fn restricted_terminal_chain(personalised: &Path, dir: &Path, data_groups: &[u8]) -> Result<(), SimCardError> {
    mkdir(dir)?;
    let keys = dir.join("keys");
    mkdir(&keys)?;
    write(&dir.join("cvca.cvcert"), &read(&personalised.join("terminal/cvca.cvcert"))?)?;
    let rights: Vec<String> = data_groups.iter().map(|dg| format!("--read-dg{dg}")).collect();
    dv_and_terminal(
        dir,
        &keys,
        &personalised.join("pki/cvca.pkcs8"),
        &ChainNames { cvca: CVCA_CHR, dv: "DETESTDVEID0002", terminal: "DETESTKIOSK00002" },
        &rights,
    )
}

/// Makes a terminal chain under the card's own CVCA into `dir` (layout of
/// `DIR/terminal`) whose terminal certificate expired at the end of last
/// year: a terminal whose authorisation was not renewed.
pub fn expired_terminal_chain(personalised: &Path, dir: &Path) -> Result<(), SimCardError> {
    mkdir(dir)?;
    let keys = dir.join("keys");
    mkdir(&keys)?;
    write(&dir.join("cvca.cvcert"), &read(&personalised.join("terminal/cvca.cvcert"))?)?;
    let dv = dir.join("dv.cvcert");
    let dv_key = keys.join("dv.pkcs8");
    let mut args = common_args("dv_domestic", "DETESTDVEID0003", 2, &dv);
    args.extend([
        format!("--sign-as={}", dir.join("cvca.cvcert").display()),
        format!("--sign-with={}", personalised.join("pki/cvca.pkcs8").display()),
        format!("--out-key={}", dv_key.display()),
    ]);
    args.extend(rights());
    cvc_create_owned(&args)?;
    let yy = current_yy();
    let mut args = common_args("terminal", "DETESTKIOSK00003", 0, &dir.join("terminal.cvcert"));
    args.retain(|a| !a.starts_with("--expires="));
    args.extend([
        format!("--issued={:02}0101", (yy + 98) % 100),
        format!("--expires={:02}1231", (yy + 99) % 100),
        format!("--sign-as={}", dv.display()),
        format!("--sign-with={}", dv_key.display()),
        format!("--out-key={}", dir.join("terminal.pkcs8").display()),
    ]);
    args.extend(rights());
    cvc_create_owned(&args)
}

/// The document verifier's answer to a terminal's CV certificate request
/// (TR-03110-3 C.2), as the DV whose key is `dv_key` (for [`personalise`]'s
/// chain `DIR/pki/dv.pkcs8`) would issue it with `cvc-create`: an authentication terminal certificate
/// for the request's key and holder reference, with every right, valid to
/// the end of next year. `request` may be authenticated (`67`); Debian's
/// OpenPACE 1.1.2 decodes plain requests only, so the DV's tool gets the
/// request inside (the outer signature is the DV's policy to check).
/// `work` holds the tool's files.
pub fn dv_answer(dv_key: &Path, request: &[u8], work: &Path) -> Result<Vec<u8>, SimCardError> {
    let bad = || SimCardError::BadFile(work.join("request.cvreq"));
    let (top, _) = tlv::read(request).ok_or_else(bad)?;
    let plain = match top.tag {
        0x67 => {
            tlv::read_all(top.value).and_then(|parts| parts.into_iter().find(|p| p.tag == 0x7F21)).ok_or_else(bad)?.raw
        }
        _ => top.raw,
    };
    mkdir(work)?;
    let plain_path = work.join("request.cvreq");
    write(&plain_path, plain)?;
    let out = work.join("answer.cvcert");
    let mut args = vec![
        format!("--csr={}", plain_path.display()),
        format!("--sign-with={}", dv_key.display()),
        "--role=terminal".to_string(),
        "--type=at".to_string(),
        "--scheme=ECDSA_SHA_256".to_string(),
        format!("--expires={:02}1231", (current_yy() + 1) % 100),
        format!("--out-cert={}", out.display()),
    ];
    args.extend(rights());
    cvc_create_owned(&args)?;
    read(&out)
}

/// Makes a terminal chain under an impostor CVCA that carries the card's
/// CVCA name ([`CVCA_CHR`]) but another key: the card accepts the name but
/// must reject the DV certificate's signature.
pub fn impostor_terminal_chain(dir: &Path) -> Result<(), SimCardError> {
    terminal_chain(dir, &dir.join("keys"), &ChainNames { cvca: CVCA_CHR, dv: DV_CHR, terminal: TERMINAL_CHR })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_access_is_a_der_set_with_four_infos() {
        let der = card_access();
        let (set, rest) = tlv::read(&der).unwrap();
        assert!(rest.is_empty());
        assert_eq!(set.tag, 0x31);
        assert_eq!(tlv::read_all(set.value).unwrap().len(), 4);
    }

    #[test]
    fn dates_count_days_across_months_and_years() {
        let (year, month, day) = date_in(0);
        assert!((1..=12).contains(&month) && (1..=31).contains(&day));
        // Four years hold exactly one 29 February (this century).
        assert_eq!(date_in(4 * 365 + 1), (year + 4, month, day));
        assert_eq!(iso_date_in(0).len(), 10);
    }

    #[test]
    fn current_year_is_plausible() {
        assert!((25..99).contains(&current_yy()));
    }
}
