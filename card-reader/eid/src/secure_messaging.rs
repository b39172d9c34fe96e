// SPDX-License-Identifier: GPL-3.0-or-later
//! AES secure messaging (ICAO Doc 9303-11 9.8, BSI TR-03110-3 F).
//!
//! After PACE (and again after Chip Authentication) every APDU is wrapped:
//! command data is padded and encrypted into DO`87`, the expected length
//! goes into DO`97`, and a CMAC over the send sequence counter (SSC), the
//! padded header and these objects goes into DO`8E`. The card answers with
//! DO`87` (encrypted data), DO`99` (the real status word) and DO`8E`.
//!
//! The SSC starts at zero after key agreement and is incremented before
//! every command and before every response (9303-11 9.8.3), so one lost or
//! replayed APDU makes every later MAC fail: the session must then be
//! abandoned, which is what [`SmError`] tells the caller.

use thiserror::Error;
use zeroize::Zeroizing;

use crate::apdu::{CommandApdu, MAX_EXTENDED, MAX_SHORT, ResponseApdu, StatusWord};
use crate::crypto::{self, AesKey, BLOCK, Cipher, CryptoError, MAC_LEN};
use crate::tlv::{self, TlvError};

/// Padding-content indicator in DO`87`: ISO/IEC 9797-1 method 2 (9303-11 9.8.5).
const PADDING_INDICATOR: u8 = 0x01;
/// CLA bits announcing SM with an authenticated header (ISO/IEC 7816-4 5.4.2).
const CLA_SM: u8 = 0x0C;

/// Why an APDU could not be protected or a response could not be verified.
/// Every variant except [`SmError::Crypto`] on protect means the secure
/// channel is broken: discard it and run PACE again.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SmError {
    /// The response MAC did not verify: tampering, a wrong key or a wrong SSC
    /// (a lost or replayed APDU).
    #[error("response MAC does not verify (wrong key, tampering or SSC out of step)")]
    BadMac,
    /// The response lacks DO`8E` or DO`99` although it carries SM data.
    #[error("protected response lacks the mandatory data object {0:X}")]
    MissingDataObject(u32),
    /// The card answered without secure messaging. It does so when it
    /// rejected the protected command (e.g. `6987`, `6988`) and has closed the channel.
    #[error("card answered {0:04X} without secure messaging; the channel is closed")]
    Unprotected(u16),
    /// The response data objects are not valid TLV.
    #[error("protected response is not valid TLV: {0}")]
    Tlv(#[from] TlvError),
    /// DO`87` has a padding indicator other than `01`, or is empty.
    #[error("encrypted data object is malformed")]
    MalformedCryptogram,
    /// DO`99` is not exactly two bytes.
    #[error("status word data object is not two bytes long")]
    MalformedStatus,
    /// A response was handed in although no protected command is outstanding,
    /// or a command was protected while a response is still outstanding.
    #[error("commands and responses are out of order")]
    OutOfOrder,
    /// The 128-bit SSC would wrap around; the session is exhausted.
    #[error("send sequence counter exhausted")]
    CounterExhausted,
    /// A primitive failed (key length, padding).
    #[error("cryptographic failure: {0}")]
    Crypto(#[from] CryptoError),
    /// The command is already longer than an APDU can carry once protected.
    #[error("command too long to protect")]
    CommandTooLong,
}

/// One secure channel: keys and send sequence counter.
pub struct SecureMessaging {
    cipher: Cipher,
    k_enc: AesKey,
    k_mac: Zeroizing<Vec<u8>>,
    ssc: u128,
    awaiting_response: bool,
}

impl std::fmt::Debug for SecureMessaging {
    /// Keys are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecureMessaging").field("cipher", &self.cipher).field("ssc", &self.ssc).finish_non_exhaustive()
    }
}

impl SecureMessaging {
    /// A channel with the given session keys and SSC zero (9303-11 9.8.3).
    pub fn new(cipher: Cipher, k_enc: &[u8], k_mac: &[u8]) -> Result<Self, SmError> {
        if k_enc.len() != cipher.key_len() {
            return Err(CryptoError::KeyLength(k_enc.len()).into());
        }
        if k_mac.len() != cipher.key_len() {
            return Err(CryptoError::KeyLength(k_mac.len()).into());
        }
        Ok(Self {
            cipher,
            k_enc: AesKey::new(k_enc)?,
            k_mac: Zeroizing::new(k_mac.to_vec()),
            ssc: 0,
            awaiting_response: false,
        })
    }

    /// The current send sequence counter.
    pub fn ssc(&self) -> u128 {
        self.ssc
    }

    /// The cipher of this channel.
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    fn next_ssc(&mut self) -> Result<[u8; BLOCK], SmError> {
        self.ssc = self.ssc.checked_add(1).ok_or(SmError::CounterExhausted)?;
        Ok(self.ssc.to_be_bytes())
    }

    /// IV for AES SM: `E(K_enc, SSC)` (9303-11 9.8.6.1).
    fn iv(&self, ssc: &[u8; BLOCK]) -> [u8; BLOCK] {
        let mut iv = *ssc;
        self.k_enc.encrypt_block(&mut iv);
        iv
    }

    fn mac(&self, ssc: &[u8; BLOCK], body: &[u8]) -> Result<[u8; MAC_LEN], SmError> {
        let mut input = ssc.to_vec();
        input.extend_from_slice(body);
        Ok(crypto::cmac8(&self.k_mac, &crypto::pad(&input))?)
    }

    /// Wraps a plain command (9303-11 9.8.6.2 steps 1 to 8).
    pub fn protect(&mut self, command: &CommandApdu) -> Result<CommandApdu, SmError> {
        if self.awaiting_response {
            return Err(SmError::OutOfOrder);
        }
        if command.data.len() > MAX_EXTENDED - 64 {
            return Err(SmError::CommandTooLong);
        }
        let ssc = self.next_ssc()?;
        let cla = command.cla | CLA_SM;
        let mut objects = Vec::new();
        if !command.data.is_empty() {
            let iv = self.iv(&ssc);
            let padded = Zeroizing::new(crypto::pad(&command.data));
            let mut cryptogram = vec![PADDING_INDICATOR];
            cryptogram.extend_from_slice(&self.k_enc.cbc_encrypt(&iv, &padded)?);
            tlv::encode_into(0x87, &cryptogram, &mut objects);
        }
        let extended_le = command.le.is_some_and(|le| le > MAX_SHORT);
        if let Some(le) = command.le {
            // DO97 carries Ne with the length-field encoding of the plain APDU.
            if extended_le {
                tlv::encode_into(0x97, &((le % MAX_EXTENDED) as u16).to_be_bytes(), &mut objects);
            } else {
                tlv::encode_into(0x97, &[(le % MAX_SHORT) as u8], &mut objects);
            }
        }
        let mut mac_body = crypto::pad(&[cla, command.ins, command.p1, command.p2]);
        mac_body.extend_from_slice(&objects);
        let mac = self.mac(&ssc, &mac_body)?;
        tlv::encode_into(0x8E, &mac, &mut objects);
        let extended = extended_le || objects.len() > 255;
        self.awaiting_response = true;
        Ok(CommandApdu {
            cla,
            ins: command.ins,
            p1: command.p1,
            p2: command.p2,
            data: objects,
            le: Some(if extended { MAX_EXTENDED } else { MAX_SHORT }),
        })
    }

    /// Verifies and decrypts a protected response (9303-11 9.8.6.2 steps 9 to 12).
    pub fn unprotect(&mut self, response: &ResponseApdu) -> Result<ResponseApdu, SmError> {
        if !self.awaiting_response {
            return Err(SmError::OutOfOrder);
        }
        self.awaiting_response = false;
        let ssc = self.next_ssc()?;
        if response.data.is_empty() {
            return Err(SmError::Unprotected(response.sw.0));
        }
        let objects = tlv::parse_all(&response.data)?;
        let mut authenticated = Vec::new();
        let mut cryptogram = None;
        let mut status = None;
        let mut mac = None;
        for object in &objects {
            match object.tag.0 {
                0x87 => {
                    cryptogram = Some(object.value);
                    authenticated.extend_from_slice(object.raw);
                }
                0x99 => {
                    status = Some(object.value);
                    authenticated.extend_from_slice(object.raw);
                }
                0x8E => mac = Some(object.value),
                _ => authenticated.extend_from_slice(object.raw),
            }
        }
        let mac = mac.ok_or(SmError::MissingDataObject(0x8E))?;
        let status = status.ok_or(SmError::MissingDataObject(0x99))?;
        let expected = self.mac(&ssc, &authenticated)?;
        if !crypto::ct_eq(&expected, mac) {
            return Err(SmError::BadMac);
        }
        let sw = match status {
            [a, b] => StatusWord(u16::from_be_bytes([*a, *b])),
            _ => return Err(SmError::MalformedStatus),
        };
        let data = match cryptogram {
            None => Vec::new(),
            Some([PADDING_INDICATOR, body @ ..]) if !body.is_empty() => {
                let iv = self.iv(&ssc);
                let plain = self.k_enc.cbc_decrypt(&iv, body)?;
                crypto::unpad(&plain)?.to_vec()
            }
            Some(_) => return Err(SmError::MalformedCryptogram),
        };
        Ok(ResponseApdu { data, sw })
    }
}

/// The card's side of secure messaging, for simulated cards and tests:
/// unwraps protected commands and wraps responses with the same keys.
pub struct CardSideSecureMessaging {
    inner: SecureMessaging,
}

impl CardSideSecureMessaging {
    /// The card's half of a channel with the given session keys.
    pub fn new(cipher: Cipher, k_enc: &[u8], k_mac: &[u8]) -> Result<Self, SmError> {
        Ok(Self { inner: SecureMessaging::new(cipher, k_enc, k_mac)? })
    }

    /// Verifies a protected command and returns its plain data and the
    /// encoded Ne from DO`97` (if present).
    pub fn unwrap_command(&mut self, command: &CommandApdu) -> Result<CommandApdu, SmError> {
        let ssc = self.inner.next_ssc()?;
        let objects = tlv::parse_all(&command.data)?;
        let mut body = crypto::pad(&[command.cla, command.ins, command.p1, command.p2]);
        let mut mac = None;
        let mut cryptogram = None;
        let mut le = None;
        for object in &objects {
            match object.tag.0 {
                0x8E => mac = Some(object.value),
                tag => {
                    body.extend_from_slice(object.raw);
                    if tag == 0x87 {
                        cryptogram = Some(object.value);
                    } else if tag == 0x97 {
                        le = Some(match object.value {
                            [0] => MAX_SHORT,
                            [n] => usize::from(*n),
                            [0, 0] => MAX_EXTENDED,
                            [a, b] => usize::from(u16::from_be_bytes([*a, *b])),
                            _ => return Err(SmError::MalformedStatus),
                        });
                    }
                }
            }
        }
        let mac = mac.ok_or(SmError::MissingDataObject(0x8E))?;
        if !crypto::ct_eq(&self.inner.mac(&ssc, &body)?, mac) {
            return Err(SmError::BadMac);
        }
        let data = match cryptogram {
            None => Vec::new(),
            Some([PADDING_INDICATOR, rest @ ..]) if !rest.is_empty() => {
                let iv = self.inner.iv(&ssc);
                crypto::unpad(&self.inner.k_enc.cbc_decrypt(&iv, rest)?)?.to_vec()
            }
            Some(_) => return Err(SmError::MalformedCryptogram),
        };
        Ok(CommandApdu { cla: command.cla & !CLA_SM, ins: command.ins, p1: command.p1, p2: command.p2, data, le })
    }

    /// Wraps a plain response.
    pub fn wrap_response(&mut self, response: &ResponseApdu) -> Result<ResponseApdu, SmError> {
        let ssc = self.inner.next_ssc()?;
        let mut objects = Vec::new();
        if !response.data.is_empty() {
            let iv = self.inner.iv(&ssc);
            let mut cryptogram = vec![PADDING_INDICATOR];
            cryptogram.extend_from_slice(&self.inner.k_enc.cbc_encrypt(&iv, &crypto::pad(&response.data))?);
            tlv::encode_into(0x87, &cryptogram, &mut objects);
        }
        tlv::encode_into(0x99, &response.sw.0.to_be_bytes(), &mut objects);
        let mac = self.inner.mac(&ssc, &objects)?;
        tlv::encode_into(0x8E, &mac, &mut objects);
        Ok(ResponseApdu::new(objects, 0x9000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::hex;

    /// Session keys of the ICAO Doc 9303-11 G.1 worked example.
    fn g1_channel() -> (SecureMessaging, CardSideSecureMessaging) {
        let k_enc = hex("F5F0E35C0D7161EE6724EE513A0D9A7F");
        let k_mac = hex("FE251C7858B356B24514B3BD5F4297D1");
        (
            SecureMessaging::new(Cipher::Aes128, &k_enc, &k_mac).unwrap(),
            CardSideSecureMessaging::new(Cipher::Aes128, &k_enc, &k_mac).unwrap(),
        )
    }

    fn read_binary_dg1() -> CommandApdu {
        // READ BINARY with short EF identifier 01 (DG1), Ne = 256.
        CommandApdu::new(0x00, 0xB0, 0x81, 0x00).with_le(256)
    }

    #[test]
    fn protected_command_has_sm_class_and_data_objects_97_and_8e() {
        let (mut terminal, _) = g1_channel();
        let wrapped = terminal.protect(&read_binary_dg1()).unwrap();
        assert_eq!(terminal.ssc(), 1);
        assert_eq!(wrapped.cla, 0x0C);
        assert_eq!(&wrapped.data[..5], &[0x97, 0x01, 0x00, 0x8E, 0x08]);
        assert_eq!(wrapped.data.len(), 13);
        assert_eq!(wrapped.le, Some(256));
    }

    #[test]
    fn command_and_response_round_trip_through_card_side() {
        let (mut terminal, mut card) = g1_channel();
        let select = CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(vec![0x01, 0x1C]);
        let wrapped = terminal.protect(&select).unwrap();
        assert_eq!(wrapped.data[0], 0x87);
        assert_eq!(card.unwrap_command(&wrapped).unwrap(), select);
        let reply =
            card.wrap_response(&ResponseApdu::new("Erika Mustermann, Köln".as_bytes().to_vec(), 0x9000)).unwrap();
        let plain = terminal.unprotect(&reply).unwrap();
        assert_eq!(plain.data, "Erika Mustermann, Köln".as_bytes());
        assert_eq!(plain.sw, StatusWord::OK);
        assert_eq!(terminal.ssc(), 2);
    }

    #[test]
    fn protected_error_status_is_returned_as_plain_status() {
        let (mut terminal, mut card) = g1_channel();
        let wrapped = terminal.protect(&read_binary_dg1()).unwrap();
        card.unwrap_command(&wrapped).unwrap();
        let reply = card.wrap_response(&ResponseApdu::new(vec![], 0x63C2)).unwrap();
        let plain = terminal.unprotect(&reply).unwrap();
        assert_eq!(plain.sw, StatusWord(0x63C2));
        assert!(plain.data.is_empty());
    }

    #[test]
    fn flipped_mac_bit_is_rejected_as_bad_mac() {
        let (mut terminal, mut card) = g1_channel();
        let wrapped = terminal.protect(&read_binary_dg1()).unwrap();
        card.unwrap_command(&wrapped).unwrap();
        let mut reply = card.wrap_response(&ResponseApdu::new(vec![1, 2, 3], 0x9000)).unwrap();
        let last = reply.data.len() - 1;
        reply.data[last] ^= 0x01;
        assert_eq!(terminal.unprotect(&reply), Err(SmError::BadMac));
    }

    #[test]
    fn response_computed_with_wrong_ssc_is_rejected_as_bad_mac() {
        let (mut terminal, mut card) = g1_channel();
        let wrapped = terminal.protect(&read_binary_dg1()).unwrap();
        card.unwrap_command(&wrapped).unwrap();
        // The card skips one counter value, as if an APDU had been lost.
        card.inner.next_ssc().unwrap();
        let reply = card.wrap_response(&ResponseApdu::new(vec![1], 0x9000)).unwrap();
        assert_eq!(terminal.unprotect(&reply), Err(SmError::BadMac));
    }

    #[test]
    fn replayed_command_is_rejected_by_card_side() {
        let (mut terminal, mut card) = g1_channel();
        let wrapped = terminal.protect(&read_binary_dg1()).unwrap();
        card.unwrap_command(&wrapped).unwrap();
        assert_eq!(card.unwrap_command(&wrapped), Err(SmError::BadMac));
    }

    #[test]
    fn unprotected_error_from_card_closes_channel() {
        let (mut terminal, _) = g1_channel();
        terminal.protect(&read_binary_dg1()).unwrap();
        assert_eq!(terminal.unprotect(&ResponseApdu::new(vec![], 0x6988)), Err(SmError::Unprotected(0x6988)));
    }

    #[test]
    fn missing_mac_or_status_objects_are_reported() {
        let (mut terminal, _) = g1_channel();
        terminal.protect(&read_binary_dg1()).unwrap();
        assert_eq!(
            terminal.unprotect(&ResponseApdu::new(hex("99029000"), 0x9000)),
            Err(SmError::MissingDataObject(0x8E))
        );
        terminal.protect(&read_binary_dg1()).unwrap();
        assert_eq!(
            terminal.unprotect(&ResponseApdu::new(hex("8E080000000000000000"), 0x9000)),
            Err(SmError::MissingDataObject(0x99))
        );
        terminal.protect(&read_binary_dg1()).unwrap();
        assert!(matches!(terminal.unprotect(&ResponseApdu::new(hex("9902"), 0x9000)), Err(SmError::Tlv(_))));
    }

    #[test]
    fn responses_without_outstanding_command_are_out_of_order() {
        let (mut terminal, _) = g1_channel();
        assert_eq!(terminal.unprotect(&ResponseApdu::new(vec![], 0x9000)), Err(SmError::OutOfOrder));
        terminal.protect(&read_binary_dg1()).unwrap();
        assert_eq!(terminal.protect(&read_binary_dg1()), Err(SmError::OutOfOrder));
    }

    #[test]
    fn extended_length_le_is_carried_in_two_byte_do97() {
        let (mut terminal, mut card) = g1_channel();
        let cmd = CommandApdu::new(0x00, 0xB0, 0x81, 0x00).with_le(65_536);
        let wrapped = terminal.protect(&cmd).unwrap();
        assert_eq!(&wrapped.data[..4], &[0x97, 0x02, 0x00, 0x00]);
        assert_eq!(wrapped.le, Some(65_536));
        assert_eq!(card.unwrap_command(&wrapped).unwrap().le, Some(65_536));
    }

    #[test]
    fn keys_of_wrong_length_are_rejected() {
        assert!(matches!(
            SecureMessaging::new(Cipher::Aes128, &[0; 24], &[0; 16]),
            Err(SmError::Crypto(CryptoError::KeyLength(24)))
        ));
    }
}
