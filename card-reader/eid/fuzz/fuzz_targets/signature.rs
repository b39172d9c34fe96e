// SPDX-License-Identifier: GPL-3.0-or-later
//! Keys, signature algorithms and signatures from a hostile card's
//! certificates: the input is a SubjectPublicKeyInfo, an AlgorithmIdentifier
//! and the signature, each checked as passive authentication would (the
//! message is the signature's own bytes).
#![no_main]

use eid::passive_auth::TrustList;
use eid::signature::{Hash, PublicKey, SignatureAlgorithm};
use eid::tlv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = TrustList::from_der_certificates([data]);
    let Ok((spki, rest)) = tlv::parse_one(data) else { return };
    let Ok((algorithm, signature)) = tlv::parse_one(rest) else { return };
    let key = PublicKey::parse(&spki);
    let algorithm = SignatureAlgorithm::parse(&algorithm, Some(Hash::Sha256));
    if let (Ok(key), Ok(algorithm)) = (key, algorithm) {
        let _ = key.verifies(algorithm, signature, signature);
    }
});
