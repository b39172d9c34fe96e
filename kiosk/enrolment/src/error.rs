// SPDX-License-Identifier: GPL-3.0-or-later
//! Why an enrolment failed, each with what the maintainer can do about it.
//! Whatever the failure, the device key stays and no certificate is stored,
//! so enrolling again with a (new) code starts from the same state.

use crate::device_key::KeyError;
use std::io;
use std::path::PathBuf;

/// A failed enrolment.
#[derive(Debug, thiserror::Error)]
pub enum EnrolmentError {
    /// The CA did not accept the code's MAC (RFC 4210 5.2.3 failInfo
    /// `badMessageCheck`), or its answer is protected with another secret.
    #[error(
        "the CA did not accept the enrolment code ({0}): check that it was typed as issued; if it was, it may have expired or been used already, so ask the CA for a new code"
    )]
    WrongCode(String),
    /// The CA refused the request for another reason. A code used a second
    /// time shows up here or as [`EnrolmentError::WrongCode`], depending on
    /// whether the CA reports the used code or has deleted its secret.
    #[error(
        "the CA refused the enrolment ({0}); a code can be used only once, so if it was used before ask the CA for a new one, otherwise give the CA's operator this message"
    )]
    Refused(String),
    /// No connection to the CA, or it broke.
    #[error(
        "the CA at {endpoint} cannot be reached ({source}): check the network cable and the CA address in the configuration, then try again with the same code"
    )]
    Unreachable {
        /// The CA's CMP endpoint.
        endpoint: String,
        /// What the system said.
        source: io::Error,
    },
    /// The answer is not the CMP message we expect.
    #[error(
        "the CA's answer is not a valid CMP response ({0}): check the CA address in the configuration (it must be the CA's CMP endpoint); nothing was stored"
    )]
    Malformed(String),
    /// An answer that is not an error and whose MAC does not verify with
    /// the code.
    #[error(
        "the CA's answer is not protected with the enrolment code, so it was changed on the way or does not come from the CA; nothing was stored: check the CA address and the network, then try again (ask the CA for a new code if the same one is refused)"
    )]
    Unauthenticated,
    /// The certificate is for another public key than the device key.
    #[error(
        "the CA issued a certificate for another key than this terminal's; it was refused and nothing was stored: tell the CA's operator, then enrol again with a new code"
    )]
    CertificateForAnotherKey,
    /// The certificate is not signed by the configured CA.
    #[error(
        "the certificate the CA sent is not issued by the configured CA certificate ({0}); it was refused and nothing was stored: check that the configuration names the right CA"
    )]
    NotFromConfiguredCa(String),
    /// The device key could not be used.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The certificate could not be written.
    #[error(
        "the certificate could not be written to {path}: {source}; check the folder's owner and free space, then enrol again with a new code"
    )]
    Store {
        /// The certificate file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
}
