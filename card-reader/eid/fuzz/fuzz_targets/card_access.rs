// SPDX-License-Identifier: GPL-3.0-or-later
//! EF.CardAccess (DER SecurityInfos) from a hostile card.
#![no_main]

use eid::card_access::CardAccess;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(card_access) = CardAccess::parse(data) {
        let _ = card_access.select_pace();
        for info in card_access.pace_infos() {
            let _ = info.protocol.oid().to_string();
        }
    }
});
