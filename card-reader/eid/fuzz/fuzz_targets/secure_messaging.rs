// SPDX-License-Identifier: GPL-3.0-or-later
//! Protected responses from a hostile card: verification must fail cleanly.
#![no_main]

use eid::apdu::{CommandApdu, ResponseApdu};
use eid::crypto::Cipher;
use eid::secure_messaging::SecureMessaging;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut sm) = SecureMessaging::new(Cipher::Aes128, &[0x11; 16], &[0x22; 16]) else {
        return;
    };
    if sm
        .protect(&CommandApdu::new(0x00, 0xB0, 0x81, 0x00).with_le(256))
        .is_ok()
        && let Ok(response) = ResponseApdu::from_bytes(data)
    {
        let _ = sm.unprotect(&response);
    }
});
