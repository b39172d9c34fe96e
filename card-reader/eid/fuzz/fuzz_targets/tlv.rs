// SPDX-License-Identifier: GPL-3.0-or-later
//! BER-TLV parsing must never panic, and whatever parses re-encodes to a
//! structure with the same tags and values.
#![no_main]

use eid::tlv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(objects) = tlv::parse_all(data) {
        for object in &objects {
            let again = tlv::encode(object.tag.0, object.value);
            let reparsed = tlv::parse_single(&again).expect("re-encoded TLV parses");
            assert_eq!(reparsed.tag, object.tag);
            assert_eq!(reparsed.value, object.value);
            if object.tag.is_constructed() {
                let _ = object.children();
            }
        }
    }
});
