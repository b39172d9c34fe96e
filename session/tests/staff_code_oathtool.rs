// SPDX-License-Identifier: GPL-3.0-or-later
//! The staff code against an independent TOTP implementation: Debian's
//! `oathtool` (OATH Toolkit) must give the same six digits for the same
//! base32 seed and time, as any authenticator app would.

use session::Seed;
use std::process::Command;

fn oathtool(base32: &str, unix_time: u64) -> String {
    let output = Command::new("oathtool")
        .args(["--totp", "--base32", "--now"])
        .arg(format!("@{unix_time}"))
        .arg(base32)
        .output()
        .expect("oathtool runs (Debian package oathtool)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("digits").trim().to_owned()
}

#[test]
fn staff_codes_agree_with_oathtool() {
    let seeds =
        ["GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "ONSWG4TFORZWK3DFONSWG4TFORZWK3DF"];
    for base32 in seeds {
        let seed = Seed::from_base32(base32).unwrap();
        for time in [59, 1_111_111_109, 1_234_567_890, 1_790_000_000, 1_790_000_029, 2_000_000_000] {
            assert_eq!(seed.code_at(time), oathtool(base32, time), "seed {base32} at {time}");
        }
    }
}
