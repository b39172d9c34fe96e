// SPDX-License-Identifier: GPL-3.0-or-later
//! EF.CardSecurity (CMS SignedData and X.509) from a hostile card.
#![no_main]

use eid::card_access::CardAccess;
use eid::cvc::CvcDate;
use eid::passive_auth::{TrustList, verify_card_security};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = CardAccess::parse_card_security_unverified(data);
    let today = CvcDate { year: 2027, month: 1, day: 1 };
    let _ = verify_card_security(data, &TrustList::default(), today);
    // Every certificate-shaped input also goes through the trust list parser.
    let _ = TrustList::from_der_certificates([data]);
});
