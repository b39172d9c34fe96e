// SPDX-License-Identifier: GPL-3.0-or-later
//! The technical cause of a failure at one of the terminal's seams (card
//! reader, portal, printer), carried through the session for maintainers.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

/// What went wrong underneath, as the seam reported it: the seam's own typed
/// error (a PACE refusal, a TLS failure, a printer out of paper), kept as it
/// is instead of flattened into a string.
///
/// The session never looks inside a fault: it decides on the variant that
/// carries it (for example [`crate::CardError::NotGenuine`]) and the citizen
/// reads the plain message for that variant. Maintainers get the fault's
/// message and its `source()` chain in the journal, and tests can
/// [`downcast`](Fault::downcast_ref) it to the seam's error type. The seams'
/// errors never hold personal data or secrets, so a fault may be logged as it
/// is.
///
/// Faults are cheap to clone; two faults are equal when they are clones of
/// the same report.
#[derive(Clone)]
pub struct Fault(Arc<dyn Error + Send + Sync + 'static>);

impl Fault {
    /// Wraps a seam's error.
    pub fn new(error: impl Error + Send + Sync + 'static) -> Self {
        Fault(Arc::new(error))
    }

    /// The seam's error, if it is a `T`.
    pub fn downcast_ref<T: Error + 'static>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Error for Fault {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Fault {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Fault {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("paper out")]
    struct PaperOut;

    #[test]
    fn a_fault_keeps_the_seams_error_type_and_message() {
        let fault = Fault::new(PaperOut);
        assert_eq!(fault.to_string(), "paper out");
        assert!(fault.downcast_ref::<PaperOut>().is_some());
        assert!(fault.downcast_ref::<std::io::Error>().is_none());
    }

    #[test]
    fn faults_are_equal_only_to_their_clones() {
        let fault = Fault::new(PaperOut);
        assert_eq!(fault, fault.clone());
        assert_ne!(fault, Fault::new(PaperOut));
    }
}
