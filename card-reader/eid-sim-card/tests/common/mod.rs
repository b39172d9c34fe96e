// SPDX-License-Identifier: GPL-3.0-or-later
//! Shared test helpers: a freshly personalised card, and the reader side
//! (the `eid` crate's sans-I/O core) driving it in-process.
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use eid::apdu::{CommandApdu, ResponseApdu};
use eid::card_access::CardAccess;
use eid::chat::{Chat, DataItem};
use eid::chip_auth;
use eid::crypto::OsRandomness;
use eid::cvc::{Cvc, CvcDate, TerminalChain};
use eid::files::{self, ReadError, ReadNext};
use eid::pace::{self, PaceConfig, PaceError, PaceOutcome};
use eid::passive_auth::{TrustList, VerifiedCardSecurity, verify_card_security};
use eid::password::Password;
use eid::secure_messaging::{SecureMessaging, SmError};
use eid::terminal_auth::{self, AckNext, EphemeralCaKey, TaConfig, TaError, TerminalKey};
use eid_sim_card::personalise::{Personalisation, personalise};
use eid_sim_card::{CardHolder, Secrets, SimCard};

pub const PIN: &str = "123456";
pub const CAN: &str = "500540";
pub const PUK: &str = "9876543210";

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub made: Personalisation,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let made = personalise(dir.path()).unwrap();
        Fixture { dir, made }
    }

    pub fn card(&self) -> SimCard {
        self.card_with_pin(PIN)
    }

    pub fn card_with_pin(&self, pin: &str) -> SimCard {
        self.card_of(CardHolder::erika(), pin)
    }

    pub fn card_of(&self, holder: CardHolder, pin: &str) -> SimCard {
        let secrets = Secrets { pin: pin.into(), can: CAN.into(), puk: PUK.into() };
        SimCard::new(&self.made.card_dir, holder, secrets).unwrap()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Today's date (UTC) from `date`, for certificate validity checks.
pub fn today() -> CvcDate {
    let out = std::process::Command::new("date").args(["-u", "+%Y %m %d"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let parts: Vec<u32> = text.split_whitespace().map(|p| p.parse().unwrap()).collect();
    CvcDate { year: parts[0] as u16, month: parts[1] as u8, day: parts[2] as u8 }
}

/// Something that carries raw APDUs to the card and back.
pub trait Transport {
    fn exchange(&mut self, apdu: &[u8]) -> Vec<u8>;
}

impl Transport for &mut SimCard {
    fn exchange(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.transmit(apdu)
    }
}

/// The reader side: the `eid` core plus a channel, talking to a card.
pub struct Terminal<T: Transport> {
    pub card: T,
    pub sm: Option<SecureMessaging>,
    pub apdus: usize,
    pub bytes: usize,
    /// Auxiliary data for Terminal Authentication's MSE:Set AT and signature.
    pub auxiliary_data: Option<Vec<u8>>,
}

impl<'a> Terminal<&'a mut SimCard> {
    pub fn new(card: &'a mut SimCard) -> Self {
        Terminal::over(card)
    }
}

impl<T: Transport> Terminal<T> {
    pub fn over(card: T) -> Self {
        Terminal { card, sm: None, apdus: 0, bytes: 0, auxiliary_data: None }
    }

    pub fn send(&mut self, command: &CommandApdu) -> Result<ResponseApdu, SmError> {
        let wire = match &mut self.sm {
            Some(sm) => sm.protect(command)?,
            None => command.clone(),
        };
        self.apdus += 1;
        let bytes = wire.to_bytes().unwrap();
        let raw = self.card.exchange(&bytes);
        self.bytes += bytes.len() + raw.len();
        let response = ResponseApdu::from_bytes(&raw).unwrap();
        match &mut self.sm {
            Some(sm) => sm.unprotect(&response),
            None => Ok(response),
        }
    }

    pub fn read(&mut self, sfi: u8) -> Result<Vec<u8>, ReadError> {
        let (mut state, mut command) = files::read_by_sfi(sfi, files::CHUNK);
        loop {
            let response = self.send(&command).unwrap();
            match state.handle(&response)? {
                ReadNext::More(next, cmd) => {
                    state = next;
                    command = cmd;
                }
                ReadNext::Done(content) => return Ok(content.to_vec()),
            }
        }
    }

    pub fn card_access(&mut self) -> CardAccess {
        CardAccess::parse(&self.read(0x1C).unwrap()).unwrap()
    }

    /// PACE; on success the terminal uses the new channel.
    pub fn pace(
        &mut self,
        password: Password,
        chat: Option<Chat>,
        can_established: bool,
    ) -> Result<PaceOutcome, PaceError> {
        let info = self.card_access().select_pace().unwrap().clone();
        let (s, cmd) = pace::start(PaceConfig { info, password, chat, can_established })?;
        let r = self.send(&cmd).unwrap();
        let (s, cmd) = s.handle(&r)?;
        let r = self.send(&cmd).unwrap();
        let (s, cmd) = s.handle(&r, &mut OsRandomness)?;
        let r = self.send(&cmd).unwrap();
        let (s, cmd) = s.handle(&r, &mut OsRandomness)?;
        let r = self.send(&cmd).unwrap();
        let (s, cmd) = s.handle(&r)?;
        let r = self.send(&cmd).unwrap();
        let mut outcome = s.handle(&r)?;
        let fresh = std::mem::replace(
            &mut outcome.secure_messaging,
            SecureMessaging::new(eid::crypto::Cipher::Aes128, &[0; 16], &[0; 16]).unwrap(),
        );
        self.sm = Some(fresh);
        Ok(outcome)
    }

    /// Terminal Authentication with the chain in `terminal_dir`.
    pub fn terminal_authentication(
        &mut self,
        terminal_dir: &Path,
        chip_pace_key: &[u8],
    ) -> Result<EphemeralCaKey, TaError> {
        let parse = |name: &str| Cvc::parse(&std::fs::read(terminal_dir.join(name)).unwrap()).unwrap();
        let chain = TerminalChain::verify(&parse("cvca.cvcert"), parse("dv.cvcert"), parse("terminal.cvcert"), today())
            .unwrap();
        let key = TerminalKey::from_der(&std::fs::read(terminal_dir.join("terminal.pkcs8")).unwrap()).unwrap();
        let config = TaConfig {
            chain: &chain,
            signer: &key,
            chip_pace_public_key: chip_pace_key,
            auxiliary_data: self.auxiliary_data.clone(),
        };
        let (mut state, mut command) = terminal_auth::start(config, &mut OsRandomness)?;
        let challenge = loop {
            let r = self.send(&command).unwrap();
            match state.handle(&r)? {
                AckNext::More(next, cmd) => {
                    state = next;
                    command = cmd;
                }
                AckNext::Challenge(next, cmd) => {
                    command = cmd;
                    break next;
                }
            }
        };
        let r = self.send(&command).unwrap();
        let (state, command) = challenge.handle(&r, &key)?;
        let r = self.send(&command).unwrap();
        state.handle(&r)
    }

    /// Reads EF.CardSecurity and checks it against the test CSCA.
    pub fn passive_authentication(&mut self, csca: &Path) -> VerifiedCardSecurity {
        let der = self.read(0x1D).unwrap();
        let csca = std::fs::read(csca).unwrap();
        let trust = TrustList::from_der_certificates([csca.as_slice()]).unwrap();
        verify_card_security(&der, &trust, today()).unwrap()
    }

    /// Chip Authentication; on success the terminal uses the new channel.
    pub fn chip_authentication(
        &mut self,
        card_access: &CardAccess,
        signed: &VerifiedCardSecurity,
        ephemeral: EphemeralCaKey,
    ) -> Result<(), chip_auth::CaError> {
        let info = card_access.chip_authentication_infos().next().unwrap().clone();
        let (s, cmd) = chip_auth::start_verified(&info, signed, ephemeral)?;
        let r = self.send(&cmd).unwrap();
        let (s, cmd) = s.handle(&r)?;
        let r = self.send(&cmd).unwrap();
        self.sm = Some(s.handle(&r)?);
        Ok(())
    }

    /// PACE with `password` and a CHAT for `items`, TA, passive
    /// authentication, CA and SELECT of the eID application.
    pub fn eac(&mut self, fixture: &Fixture, password: Password, items: &[DataItem]) {
        let card_access = self.card_access();
        let outcome = self.pace(password, Some(Chat::for_data_items(items)), false).unwrap();
        let ephemeral =
            self.terminal_authentication(&fixture.made.terminal_dir, &outcome.chip_ephemeral_public_key).unwrap();
        let signed = self.passive_authentication(&fixture.made.csca);
        self.chip_authentication(&card_access, &signed, ephemeral).unwrap();
        let r = self.send(&files::select_eid_application()).unwrap();
        assert_eq!(r.sw.0, 0x9000);
    }
}
