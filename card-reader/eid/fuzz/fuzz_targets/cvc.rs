// SPDX-License-Identifier: GPL-3.0-or-later
//! Card-verifiable certificate parsing and self-signature checking.
#![no_main]

use eid::cvc::Cvc;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cvc) = Cvc::parse(data) {
        let _ = cvc.verify_signed_by(&cvc);
        let _ = cvc.chat.data_items();
        let _ = cvc.body_and_signature();
    }
});
