// SPDX-License-Identifier: GPL-3.0-or-later
//! Tracking numbers in the journal: a short keyed hash stands in for the number.
//!
//! A tracking number leads to a citizen's request (whoever holds it can ask for its status at
//! any terminal), and the journal is persistent, capped only by size, and read by maintainers
//! and whatever collects logs. So the number is never written there; [`tracking_tag`] gives the
//! lines about one request something in common instead.
//!
//! # Why keyed
//!
//! A tracking number has 11 random characters from a 31-character alphabet, about 2^54
//! possibilities. An unkeyed hash of it can be undone by hashing every possible number: one
//! graphics card computes some 10^10 SHA-256 a second, all 2^54 in about a month, and whoever
//! knows part of a number (say, from a photo of a receipt) needs a fraction of that. A
//! truncated hash does not help: it only leaves several numbers per tag to choose from. Under
//! HMAC-SHA-256 (RFC 2104) with a secret the journal's readers do not have, a tag reveals
//! nothing about the number.
//!
//! The secret is the terminal's own: its device key from enrolment (the private key file in
//! `/var/lib/kiosk/device`), which never leaves the terminal. The portal operator, who knows
//! every tracking number, does not have it either, so tags in a terminal's journal cannot be
//! matched to requests without that terminal's disk. A new enrolment (a new device key) starts
//! new tags.
//!
//! # Why short
//!
//! Ten hex digits (40 bits) keep one terminal's requests apart: among 100 000 requests two share
//! a tag with a probability below 0.5 %. And even with the key, about 2^14 numbers give each
//! tag, so a tag alone never names a number.

use ring::hmac;

/// Separates these tags from any other use of the same key.
const DOMAIN: &[u8] = b"buergerterminal tracking-number tag v1\0";

/// How many bytes of the HMAC a tag keeps (written as twice as many hex digits).
const TAG_BYTES: usize = 5;

/// The journal's name for `tracking_number`: the first 40 bits of
/// HMAC-SHA-256(`terminal_secret`, `"buergerterminal tracking-number tag v1\0"` ‖ number), as ten
/// lower-case hex digits. `terminal_secret` is the terminal's device key file (PEM, as read);
/// the FIT-Connect client uses its [`TlsMaterial::client_key_pem`](crate::tls::TlsMaterial).
pub fn tracking_tag(terminal_secret: &[u8], tracking_number: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, terminal_secret);
    let mut context = hmac::Context::with_key(&key);
    context.update(DOMAIN);
    context.update(tracking_number.as_bytes());
    context.sign().as_ref()[..TAG_BYTES].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::process::{Command, Stdio};

    use super::*;

    #[test]
    fn a_tag_is_openssls_hmac_sha256_truncated_to_ten_hex_digits() {
        let secret = b"-----BEGIN PRIVATE KEY-----\nnot a real key\n-----END PRIVATE KEY-----\n";
        let number = "QY4YEAJ8W342";
        let hex_key: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        let mut openssl = Command::new("openssl")
            .args(["dgst", "-sha256", "-mac", "HMAC", "-macopt", &format!("hexkey:{hex_key}")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("openssl runs");
        let mut input = DOMAIN.to_vec();
        input.extend_from_slice(number.as_bytes());
        openssl.stdin.take().expect("stdin").write_all(&input).expect("written");
        let output = openssl.wait_with_output().expect("openssl answers");
        let text = String::from_utf8(output.stdout).expect("hex");
        let full = text.trim().rsplit(' ').next().expect("a digest").to_owned();
        assert_eq!(full.len(), 64, "{text}");
        assert_eq!(tracking_tag(secret, number), full[..10]);
    }

    #[test]
    fn the_tag_depends_on_the_terminal_and_the_number_and_shows_neither() {
        let tag = tracking_tag(b"terminal one", "QY4YEAJ8W342");
        assert_eq!(tag.len(), 10);
        assert!(tag.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(tag, tracking_tag(b"terminal one", "QY4YEAJ8W342"), "stable on one terminal");
        assert_ne!(tag, tracking_tag(b"terminal two", "QY4YEAJ8W342"), "another terminal, another tag");
        assert_ne!(tag, tracking_tag(b"terminal one", "QY4YEAJ8W343"));
        assert!(!tag.to_ascii_uppercase().contains("QY4Y"));
    }
}
