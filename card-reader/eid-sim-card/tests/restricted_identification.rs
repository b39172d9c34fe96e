// SPDX-License-Identifier: GPL-3.0-or-later
//! Restricted Identification on the OpenPACE card, driven by the `eid` core
//! (TR-03110-3 B.4, B.11.6): the identifier the card derives with OpenPACE
//! is the one the sector's operator computes with openssl for its block list.

mod common;

use common::{Fixture, PIN, Terminal};
use eid::chat::{Chat, DataItem};
use eid::password::Password;
use eid::restricted_identification::{self, RiError, RiKey, SectorIdentifier, SectorKey};
use eid_sim_card::personalise::sector_identifier;

fn sector_key(fixture: &Fixture) -> SectorKey {
    SectorKey::from_spki_der(&std::fs::read(fixture.made.sector_dir.join("sector.der")).unwrap()).unwrap()
}

fn hex(identifier: &SectorIdentifier) -> String {
    identifier.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// RI with the key the signed EF.CardSecurity announces.
fn identify<T: common::Transport>(
    terminal: &mut Terminal<T>,
    key: RiKey,
    sector: &SectorKey,
) -> Result<SectorIdentifier, RiError> {
    let (state, command) = restricted_identification::start(key, sector);
    let (state, command) = state.handle(&terminal.send(&command).unwrap())?;
    state.handle(&terminal.send(&command).unwrap())
}

#[test]
fn the_cards_identifier_is_the_one_openssl_computes_from_its_ri_public_key() {
    let fixture = Fixture::new();
    let mut card = fixture.card();
    let mut terminal = Terminal::new(&mut card);
    let card_access = terminal.card_access();
    let chat = Chat::for_data_items(&[DataItem::GivenNames]).with_restricted_identification();
    let outcome = terminal.pace(Password::pin(PIN).unwrap(), Some(chat), false).unwrap();
    let ephemeral =
        terminal.terminal_authentication(&fixture.made.terminal_dir, &outcome.chip_ephemeral_public_key).unwrap();
    let signed = terminal.passive_authentication(&fixture.made.csca);
    let key = restricted_identification::ri_key(signed.security_infos()).unwrap();
    assert_eq!(key, RiKey { key_id: 2, authorized_only: false });
    terminal.chip_authentication(&card_access, &signed, ephemeral).unwrap();
    let identifier = identify(&mut terminal, key, &sector_key(&fixture)).unwrap();
    assert_eq!(hex(&identifier), sector_identifier(fixture.dir.path()).unwrap());
    // The same card in the same sector: the same identifier (it is what the block list names).
    let again = identify(&mut terminal, key, &sector_key(&fixture)).unwrap();
    assert_eq!(again.as_bytes(), identifier.as_bytes());
}

#[test]
fn without_the_ri_right_in_the_chat_the_card_refuses() {
    let fixture = Fixture::new();
    let mut card = fixture.card();
    let mut terminal = Terminal::new(&mut card);
    terminal.eac(&fixture, Password::pin(PIN).unwrap(), &[DataItem::GivenNames]);
    let key = RiKey { key_id: 2, authorized_only: false };
    assert_eq!(identify(&mut terminal, key, &sector_key(&fixture)).unwrap_err(), RiError::NotAuthorised);
}

#[test]
fn before_chip_authentication_the_card_refuses() {
    let fixture = Fixture::new();
    let mut card = fixture.card();
    let mut terminal = Terminal::new(&mut card);
    let chat = Chat::for_data_items(&[DataItem::GivenNames]).with_restricted_identification();
    let outcome = terminal.pace(Password::pin(PIN).unwrap(), Some(chat), false).unwrap();
    terminal.terminal_authentication(&fixture.made.terminal_dir, &outcome.chip_ephemeral_public_key).unwrap();
    let key = RiKey { key_id: 2, authorized_only: false };
    assert_eq!(
        identify(&mut terminal, key, &sector_key(&fixture)).unwrap_err(),
        RiError::UnexpectedStatus { step: "MSE:Set AT", sw: 0x6985 }
    );
}
