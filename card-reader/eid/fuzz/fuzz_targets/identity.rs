// SPDX-License-Identifier: GPL-3.0-or-later
//! Data group parsing into the typed identity.
#![no_main]

use eid::chat::DataItem;
use eid::identity::Identity;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((selector, content)) = data.split_first() else {
        return;
    };
    let item = DataItem::ALL[usize::from(*selector) % DataItem::ALL.len()];
    let mut identity = Identity::default();
    let _ = identity.add_data_group(item, content);
});
