// SPDX-License-Identifier: GPL-3.0-or-later
//! Response APDU splitting and command encoding/chaining with arbitrary fields.
#![no_main]

use eid::apdu::{CommandApdu, ResponseApdu};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = ResponseApdu::from_bytes(data) {
        let _ = response.sw.meaning();
        assert_eq!(response.to_bytes(), data);
    }
    if data.len() >= 7 {
        let le = usize::from(u16::from_be_bytes([data[4], data[5]])) * 2;
        let command = CommandApdu::new(data[0], data[1], data[2], data[3])
            .with_data(data[7..].to_vec())
            .with_le(le);
        let _ = command.to_bytes();
        if let Ok(chain) = command.chain(usize::from(data[6])) {
            let joined: Vec<u8> = chain.iter().flat_map(|c| c.data.clone()).collect();
            assert_eq!(joined, command.data);
        }
    }
});
