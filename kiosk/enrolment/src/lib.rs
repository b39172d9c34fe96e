// SPDX-License-Identifier: GPL-3.0-or-later
//! The terminal's device identity (issue #12, first step): a device key and
//! its certificate from the town's CA, enrolled by a maintainer with a
//! one-time code. A library without UI.
//!
//! # Model
//!
//! - The CA's operator registers the terminal and hands the maintainer a
//!   one-time [`EnrolmentCode`]: a reference the CA finds the shared secret
//!   by, and the secret itself, with a check character (see [`code`]).
//! - The terminal has a device key behind [`DeviceSigner`]: [`FileKey`], a
//!   P-256 key in a file of mode 0600. The TPM-backed signer the issue asks
//!   for on terminals with a TPM 2.0 is **not built yet**.
//! - [`enrol`] runs the Lightweight CMP Profile's enrolment of an end entity
//!   to a new PKI (RFC 9483 4.1.1): an initial registration request (`ir`,
//!   RFC 4210 5.3.1) with a CRMF certificate request (RFC 4211 5) and the
//!   new key's signature proof of possession (RFC 4211 4.1), protected by a
//!   PasswordBasedMac derived from the code (RFC 4210 5.1.3.1, RFC 9483
//!   4.1.5); then the `ip`, an explicit `certConf` with the certificate's
//!   hash (RFC 4210 5.3.18) and the CA's `pkiConf`.
//! - Only then, and only if the certificate is for the device key and
//!   issued by the configured CA certificate, is it stored
//!   ([`CertificateStore`]). Every failure is an [`EnrolmentError`] that
//!   says what to do, and leaves no certificate behind.
//!
//! CMP rather than EST (RFC 7030): the issue prefers it, the one-time code
//! becomes the message's own integrity protection (EST would need TLS with
//! a pre-shared or HTTP-authenticated secret before anything is protected),
//! and municipal PKIs run CMP for their devices.
//!
//! The transport is plain HTTP (RFC 6712); the messages protect themselves.
//! TLS towards the CA is not built yet, and neither is the configuration
//! bundle that will carry [`CaConfig`], nor the maintenance screen.
//!
//! Codes and keys never reach a log: their `Debug` shows the reference or
//! the file's path only, and both are wiped from memory when dropped.

mod answer;
mod cmp;
pub mod code;
pub mod device_key;
mod error;
mod issued;
mod protection;
mod transport;

pub use cmp::{CaConfig, enrol};
pub use code::{CodeError, EnrolmentCode};
pub use device_key::{DeviceSigner, FileKey, KeyError};
pub use error::EnrolmentError;
pub use issued::CertificateStore;
pub use transport::CaEndpoint;
