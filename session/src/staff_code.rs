// SPDX-License-Identifier: GPL-3.0-or-later
//! The staff code: a six-digit time-based one-time password (TOTP, RFC 6238,
//! with HMAC-SHA-1 and 30-second steps, the defaults every authenticator app
//! uses) from a seed the town's configuration gives the terminal. It works
//! offline and needs no extra hardware.
//!
//! [`StaffGate`] checks a typed code against the seeds of both levels,
//! refuses a code that was already used (RFC 6238 5.2: one use per step),
//! accepts the neighbouring steps for a clock that drifts, and slows down
//! guessing: after three wrong codes it refuses every code for a while, each
//! time twice as long.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;
use zeroize::Zeroizing;

/// A staff code's time step (RFC 6238 4.1, `X`).
const STEP_SECONDS: u64 = 30;
/// Digits of a staff code.
pub const STAFF_CODE_DIGITS: usize = 6;
/// Wrong codes accepted before the gate closes for a while.
const FREE_ATTEMPTS: u32 = 3;
/// How long the gate first stays closed, in milliseconds; it doubles each time.
const FIRST_LOCKOUT_MS: u64 = 60_000;

/// Who unlocked the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StaffLevel {
    /// Library or office staff: assist mode and the daily tasks.
    Staff,
    /// Maintenance staff: all of that, and maintenance.
    Maintainer,
}

/// A TOTP seed, as the authenticator app holds it. Zeroized on drop; never
/// printed.
#[derive(Clone)]
pub struct Seed(Zeroizing<Vec<u8>>);

impl fmt::Debug for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Seed(..)")
    }
}

/// Why a seed cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SeedError {
    /// Not RFC 4648 base32.
    #[error("the staff code seed is not base32 (RFC 4648, as authenticator apps show it)")]
    NotBase32,
    /// Shorter than RFC 4226 allows.
    #[error("the staff code seed has {0} bytes; RFC 4226 4 asks for at least 16")]
    TooShort(usize),
}

impl Seed {
    /// A seed from the base32 text an authenticator app is set up with
    /// (spaces and case do not matter, padding is optional).
    pub fn from_base32(text: &str) -> Result<Seed, SeedError> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            text.chars().filter(|c| !c.is_whitespace() && *c != '=').map(|c| c.to_ascii_uppercase()).collect(),
        );
        let bytes = data_encoding::BASE32_NOPAD.decode(cleaned.as_bytes()).map_err(|_| SeedError::NotBase32)?;
        Seed::from_bytes(bytes)
    }

    /// A seed from its bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Seed, SeedError> {
        // RFC 4226 4, R6: the shared secret is at least 128 bits.
        if bytes.len() < 16 {
            return Err(SeedError::TooShort(bytes.len()));
        }
        Ok(Seed(Zeroizing::new(bytes)))
    }

    /// The code of time step `step` (RFC 6238 4.2, RFC 4226 5.3).
    fn code(&self, step: u64) -> u32 {
        let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&self.0).expect("HMAC takes a key of any length");
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        // Dynamic truncation: the low four bits of the last byte give the offset.
        let offset = usize::from(digest[digest.len() - 1] & 0x0f);
        let binary = u32::from_be_bytes([digest[offset], digest[offset + 1], digest[offset + 2], digest[offset + 3]])
            & 0x7fff_ffff;
        binary % 10u32.pow(STAFF_CODE_DIGITS as u32)
    }

    /// The code at `unix_time` (seconds since 1970), for the tests and the
    /// demo's scripted staff member.
    pub fn code_at(&self, unix_time: u64) -> String {
        format!("{:0width$}", self.code(unix_time / STEP_SECONDS), width = STAFF_CODE_DIGITS)
    }
}

/// The seeds of both levels.
#[derive(Debug, Clone)]
pub struct StaffSeeds {
    /// The staff level's seed.
    pub staff: Seed,
    /// The maintainer level's seed.
    pub maintainer: Seed,
}

/// Why the staff code file cannot be used.
#[derive(Debug, Error)]
pub enum StaffSeedsError {
    /// Not TOML with `staff` and `maintainer`.
    #[error("the staff code file is not valid: {0}; it holds `staff = \"…\"` and `maintainer = \"…\"` (base32)")]
    Syntax(#[from] toml::de::Error),
    /// A seed cannot be used.
    #[error("the staff code file's `{level}` seed: {source}")]
    Seed {
        /// Which seed.
        level: &'static str,
        /// Why.
        source: SeedError,
    },
    /// Both levels have the same seed, so a staff code would open the
    /// maintainer level too.
    #[error("the staff code file gives staff and maintainers the same seed; give each level its own")]
    SameSeed,
}

impl StaffSeeds {
    /// Reads the staff code file: `staff = "…"` and `maintainer = "…"`, each
    /// a base32 seed as the town's authenticator apps are set up with.
    pub fn from_toml(text: &str) -> Result<StaffSeeds, StaffSeedsError> {
        #[derive(serde::Deserialize, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
        #[serde(deny_unknown_fields)]
        struct File {
            staff: String,
            maintainer: String,
        }
        let file: File = toml::from_str(text)?;
        let seed =
            |level, text: &str| Seed::from_base32(text).map_err(|source| StaffSeedsError::Seed { level, source });
        let seeds =
            StaffSeeds { staff: seed("staff", &file.staff)?, maintainer: seed("maintainer", &file.maintainer)? };
        if seeds.staff.0 == seeds.maintainer.0 {
            return Err(StaffSeedsError::SameSeed);
        }
        Ok(seeds)
    }
}

/// Why a staff code was not accepted. Said plainly to the one typing it;
/// logged for maintainers without the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum StaffCodeError {
    /// No seed of either level gives this code now.
    #[error("the staff code is wrong")]
    Wrong,
    /// The code was right, but was used already.
    #[error("the staff code was used already; wait for the next one")]
    Replayed,
    /// Too many wrong codes: no code is checked until then.
    #[error("too many wrong staff codes; try again in {seconds} s")]
    LockedOut {
        /// Seconds until codes are checked again.
        seconds: u64,
    },
    /// This terminal has no staff code seeds.
    #[error("this terminal has no staff code configured")]
    NotConfigured,
}

/// Checks staff codes. It outlives citizens' sessions: ending a session does
/// not reset the count of wrong codes.
#[derive(Debug, Default)]
pub struct StaffGate {
    seeds: Option<StaffSeeds>,
    failures: u32,
    lockouts: u32,
    locked_until_ms: u64,
    /// The last step whose code was accepted, by level.
    last_used: BTreeMap<StaffLevel, u64>,
}

impl StaffGate {
    /// A gate for `seeds` (none: every code is refused).
    pub fn new(seeds: Option<StaffSeeds>) -> Self {
        StaffGate { seeds, ..StaffGate::default() }
    }

    /// Checks `code`, typed at `unix_time` (wall clock, seconds), at
    /// `now_ms` (the kiosk's monotonic clock, for the lockout).
    pub fn check(&mut self, code: &str, unix_time: u64, now_ms: u64) -> Result<StaffLevel, StaffCodeError> {
        let Some(seeds) = &self.seeds else { return Err(StaffCodeError::NotConfigured) };
        if now_ms < self.locked_until_ms {
            return Err(StaffCodeError::LockedOut { seconds: (self.locked_until_ms - now_ms).div_ceil(1000) });
        }
        let step = unix_time / STEP_SECONDS;
        // One step either way: RFC 6238 5.2 allows for a terminal clock and
        // a phone that differ by up to half a minute.
        let found = [StaffLevel::Maintainer, StaffLevel::Staff].into_iter().find_map(|level| {
            let seed = match level {
                StaffLevel::Staff => &seeds.staff,
                StaffLevel::Maintainer => &seeds.maintainer,
            };
            [step.saturating_sub(1), step, step + 1]
                .into_iter()
                .find(|&s| seed.code_at(s * STEP_SECONDS) == code)
                .map(|s| (level, s))
        });
        match found {
            Some((level, used)) if self.last_used.get(&level).is_some_and(|&last| used <= last) => {
                Err(StaffCodeError::Replayed)
            }
            Some((level, used)) => {
                self.last_used.insert(level, used);
                self.failures = 0;
                self.lockouts = 0;
                Ok(level)
            }
            None => {
                self.failures += 1;
                if self.failures >= FREE_ATTEMPTS {
                    self.failures = 0;
                    self.locked_until_ms = now_ms + (FIRST_LOCKOUT_MS << self.lockouts.min(10));
                    self.lockouts += 1;
                }
                Err(StaffCodeError::Wrong)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SHA-1 seed of RFC 6238 Appendix B: "12345678901234567890".
    fn rfc_seed() -> Seed {
        Seed::from_bytes(b"12345678901234567890".to_vec()).unwrap()
    }

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        // RFC 6238 Appendix B gives eight digits; six are their last six.
        let seed = rfc_seed();
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(seed.code_at(time), eight[2..], "at {time}");
        }
    }

    #[test]
    fn a_seed_is_read_as_authenticator_apps_show_it() {
        // "12345678901234567890" in base32, in groups and lower case.
        let seed = Seed::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap();
        assert_eq!(seed.code_at(59), "287082");
        assert!(matches!(Seed::from_base32("not base32!"), Err(SeedError::NotBase32)));
        assert!(matches!(Seed::from_base32("GEZDGNBV"), Err(SeedError::TooShort(5))));
        assert_eq!(format!("{seed:?}"), "Seed(..)");
    }

    fn gate() -> StaffGate {
        let maintainer = Seed::from_bytes(b"abcdefghijklmnopqrst".to_vec()).unwrap();
        StaffGate::new(Some(StaffSeeds { staff: rfc_seed(), maintainer }))
    }

    #[test]
    fn the_right_code_unlocks_at_its_level_once() {
        let mut gate = gate();
        let now = 1_234_567_890;
        assert_eq!(gate.check(&rfc_seed().code_at(now), now, 0), Ok(StaffLevel::Staff));
        assert_eq!(gate.check(&rfc_seed().code_at(now), now + 5, 100), Err(StaffCodeError::Replayed));
        let maintainer = Seed::from_bytes(b"abcdefghijklmnopqrst".to_vec()).unwrap();
        assert_eq!(gate.check(&maintainer.code_at(now), now, 200), Ok(StaffLevel::Maintainer));
        assert_eq!(
            gate.check(&rfc_seed().code_at(now), now + 6, 300),
            Err(StaffCodeError::Replayed),
            "another level's code in between does not make a used one good again"
        );
    }

    #[test]
    fn a_clock_half_a_minute_off_is_tolerated_a_minute_is_not() {
        let now = 2_000_000_000;
        assert_eq!(gate().check(&rfc_seed().code_at(now - 30), now, 0), Ok(StaffLevel::Staff));
        assert_eq!(gate().check(&rfc_seed().code_at(now + 30), now, 0), Ok(StaffLevel::Staff));
        assert_eq!(gate().check(&rfc_seed().code_at(now - 90), now, 0), Err(StaffCodeError::Wrong));
    }

    #[test]
    fn three_wrong_codes_close_the_gate_for_a_minute_then_two() {
        let mut gate = gate();
        let now = 1_111_111_111;
        let right = rfc_seed().code_at(now);
        for _ in 0..3 {
            assert_eq!(gate.check("000000", now, 0), Err(StaffCodeError::Wrong));
        }
        assert_eq!(gate.check(&right, now, 1_000), Err(StaffCodeError::LockedOut { seconds: 59 }));
        for _ in 0..3 {
            assert_eq!(gate.check("000000", now, 60_000), Err(StaffCodeError::Wrong));
        }
        assert_eq!(gate.check(&right, now, 60_000 + 119_000), Err(StaffCodeError::LockedOut { seconds: 1 }));
        assert_eq!(gate.check(&right, now, 60_000 + 120_000), Ok(StaffLevel::Staff));
    }

    #[test]
    fn the_staff_code_file_names_both_levels_and_refuses_one_seed_for_both() {
        let seeds = StaffSeeds::from_toml(
            "staff = \"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\"\nmaintainer = \"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\"\n",
        )
        .unwrap();
        assert_eq!(seeds.staff.code_at(59), "287082");
        let same = StaffSeeds::from_toml(
            "staff = \"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\"\nmaintainer = \"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\"\n",
        );
        assert!(matches!(same, Err(StaffSeedsError::SameSeed)));
        let short = StaffSeeds::from_toml("staff = \"GEZDGNBV\"\nmaintainer = \"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\"\n");
        assert!(matches!(short, Err(StaffSeedsError::Seed { level: "staff", .. })));
    }

    #[test]
    fn without_seeds_no_code_is_accepted() {
        assert_eq!(StaffGate::new(None).check("123456", 59, 0), Err(StaffCodeError::NotConfigured));
    }
}
