// SPDX-License-Identifier: GPL-3.0-or-later
//! Help from staff: the citizen's help call, the staff member's unlock with
//! a staff code, the citizen's consent, and what assist mode lets staff do
//! and see.
//!
//! Staff help without seeing: while a staff member assists, the view masks
//! every value read from the card or typed into the form, and the PIN pad
//! asks the helper to look away. The citizen may show one field to the
//! helper with an explicit tap, and may end the assistance at any time. The
//! staff member navigates, explains and extends the time, but has no way to
//! type into the citizen's fields. Every staff action is an [`AuditEntry`]
//! for the journal, with the level of the code that unlocked it and never a
//! value.

use crate::staff_code::{STAFF_CODE_DIGITS, StaffCodeError, StaffGate, StaffLevel};
use crate::{Effect, Event, Fault, Lang, Millis, Pin};
use std::collections::BTreeSet;

/// Where staff stand in this session.
#[derive(Debug, Default)]
pub enum Staff {
    /// No staff member is involved.
    #[default]
    Away,
    /// The hidden gesture opened the staff code keypad.
    Unlocking {
        /// The code's digits so far.
        typed: Pin,
        /// Why the last code was refused, if it was.
        error: Option<StaffCodeError>,
    },
    /// A staff member unlocked during the citizen's session and waits for
    /// the citizen to agree.
    AwaitingConsent {
        /// The code's level.
        level: StaffLevel,
    },
    /// A staff member helps; the citizen agreed.
    Assisting(Assistance),
    /// The staff page with the daily tasks, with no citizen present.
    Tasks {
        /// The code's level.
        level: StaffLevel,
    },
}

/// Assist mode: who helps, and what the citizen chose to show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assistance {
    /// The code's level.
    pub level: StaffLevel,
    /// The fields (card item keys or the service's field ids) the citizen
    /// showed the helper.
    pub unmasked: BTreeSet<String>,
    /// Whether the staff page is open over the citizen's screen.
    pub tasks_open: bool,
}

impl Assistance {
    /// Whether the value of the field `id` is hidden from the helper.
    pub fn masks(&self, id: &str) -> bool {
        !self.unmasked.contains(id)
    }
}

/// Why the terminal is out of service, as staff set it. Citizens read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfServiceReason {
    /// Maintenance work.
    Maintenance,
    /// No paper for receipts.
    NoPaper,
    /// A device does not work.
    Fault,
    /// The terminal's authorisation to read ID cards has ended (set by the
    /// terminal itself, not by staff, and lifted when it is renewed).
    EidAuthorisation,
}

/// A staff member's action, from the staff panel or the staff page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffAction {
    /// Back, on the citizen's behalf.
    Back,
    /// Continue, on the citizen's behalf, where continuing commits nothing
    /// (the form and the booking, which check what the citizen entered).
    Forward,
    /// The language, on the citizen's behalf.
    SetLanguage(Lang),
    /// Large text, on the citizen's behalf.
    ToggleLargeText,
    /// High contrast, on the citizen's behalf.
    ToggleContrast,
    /// More time for the citizen.
    ExtendTime,
    /// Ends the citizen's session: the wipe.
    EndSession,
    /// Ends the assistance; the citizen's session goes on.
    EndAssistance,
    /// Opens the staff page with the daily tasks.
    OpenTasks,
    /// Closes it.
    CloseTasks,
    /// The paper roll was refilled.
    PaperRefilled,
    /// A test receipt.
    TestPrint,
    /// Takes the terminal out of service, with the reason citizens read.
    OutOfService(OutOfServiceReason),
    /// Puts it back in service.
    BackInService,
}

/// One line of the staff audit, for the journal: what was done, by which
/// level, on what. Never a value of the citizen's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The level of the code in use; `None` for the citizen's own actions
    /// about the assistance and for refused codes.
    pub level: Option<StaffLevel>,
    /// What happened.
    pub action: AuditAction,
}

/// What an audit entry records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditAction {
    /// A staff code was accepted.
    Unlocked,
    /// A staff code was refused.
    Refused(StaffCodeError),
    /// The citizen agreed to be helped.
    ConsentGiven,
    /// The citizen declined help.
    ConsentRefused,
    /// A staff member acted.
    Acted(StaffAction),
    /// The citizen showed the helper one field (its id, not its value).
    Unmasked(String),
    /// The citizen ended the assistance.
    EndedByCitizen,
}

impl Staff {
    /// The assistance, while a staff member helps.
    pub fn assistance(&self) -> Option<&Assistance> {
        match self {
            Staff::Assisting(assistance) => Some(assistance),
            _ => None,
        }
    }

    /// The level unlocked, while a staff member is in.
    pub fn level(&self) -> Option<StaffLevel> {
        match self {
            Staff::Away | Staff::Unlocking { .. } => None,
            Staff::AwaitingConsent { level } | Staff::Tasks { level } => Some(*level),
            Staff::Assisting(assistance) => Some(assistance.level),
        }
    }

    /// Whether the staff page is shown.
    pub fn tasks_open(&self) -> bool {
        matches!(self, Staff::Tasks { .. } | Staff::Assisting(Assistance { tasks_open: true, .. }))
    }

    /// The staff code pad's digits, while it is open.
    pub(crate) fn code_pad(&mut self) -> Option<&mut Pin> {
        match self {
            Staff::Unlocking { typed, .. } => Some(typed),
            _ => None,
        }
    }

    /// A digit or erase on the staff code pad.
    pub(crate) fn type_code(&mut self, digit: Option<char>) {
        if let Some(typed) = self.code_pad() {
            match digit {
                Some(d) if typed.len() < STAFF_CODE_DIGITS => typed.push(d),
                Some(_) => {}
                None => typed.pop(),
            }
        }
    }
}

/// How the last test print went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestPrint {
    /// Printing.
    Printing,
    /// Printed.
    Printed,
    /// Failed, for this reason.
    Failed(Fault),
}

/// The help around one citizen's session: the help call, the staff member,
/// and what staff saw. Wiped with the session.
#[derive(Debug, Default)]
pub struct Help {
    /// Whether the citizen called for help (and nobody came yet).
    pub help_called: bool,
    /// Where staff stand.
    pub staff: Staff,
    /// Once staff helped in this session: the fields the citizen showed
    /// them (for the receipt's transparency note).
    pub assisted: Option<BTreeSet<String>>,
    /// The staff page's last test print.
    pub test_print: Option<TestPrint>,
}

/// What the session machine does after a help or staff event.
pub(crate) enum HelpOutcome {
    /// Nothing more than this work.
    Done(Vec<Effect>),
    /// Hand this citizen event to the journey, as staff did it on the
    /// citizen's behalf; and this work.
    OnBehalf(Box<Event>, Vec<Effect>),
    /// Continue on the citizen's behalf where that commits nothing.
    Forward(Vec<Effect>),
    /// Give the citizen more time.
    ExtendTime(Vec<Effect>),
    /// End the session (the wipe).
    EndSession(Vec<Effect>),
    /// Take the terminal out of service, or put it back (`None`).
    Service(Option<OutOfServiceReason>, Vec<Effect>),
}

impl Help {
    /// Handles a help or staff event (see [`Event::is_help`]; any other
    /// event changes nothing here). A citizen is present when a journey
    /// other than the welcome screen runs.
    pub(crate) fn handle(
        &mut self,
        event: Event,
        gate: &mut StaffGate,
        now: Millis,
        citizen_present: bool,
    ) -> HelpOutcome {
        let audit = |level: Option<StaffLevel>, action: AuditAction| vec![Effect::Audit(AuditEntry { level, action })];
        match event {
            Event::CallHelp => {
                if matches!(self.staff, Staff::Away) {
                    self.help_called = !self.help_called;
                }
                HelpOutcome::Done(Vec::new())
            }
            Event::StaffGesture => {
                if matches!(self.staff, Staff::Away) {
                    self.staff = Staff::Unlocking { typed: Pin::default(), error: None };
                }
                HelpOutcome::Done(Vec::new())
            }
            Event::StaffCodeDigit(d) => {
                self.staff.type_code(Some(d));
                HelpOutcome::Done(Vec::new())
            }
            Event::StaffCodeErase => {
                self.staff.type_code(None);
                HelpOutcome::Done(Vec::new())
            }
            Event::StaffCodeCancel => {
                if matches!(self.staff, Staff::Unlocking { .. }) {
                    self.staff = Staff::Away;
                }
                HelpOutcome::Done(Vec::new())
            }
            Event::StaffCodeConfirm { unix_time } => {
                let Some(typed) = self.staff.code_pad() else { return HelpOutcome::Done(Vec::new()) };
                let code = std::mem::take(typed);
                match gate.check(code.expose(), unix_time, now.0) {
                    Ok(level) => {
                        self.staff =
                            if citizen_present { Staff::AwaitingConsent { level } } else { Staff::Tasks { level } };
                        HelpOutcome::Done(audit(Some(level), AuditAction::Unlocked))
                    }
                    Err(error) => {
                        self.staff = Staff::Unlocking { typed: Pin::default(), error: Some(error) };
                        HelpOutcome::Done(audit(None, AuditAction::Refused(error)))
                    }
                }
            }
            Event::AssistConsent(agreed) => match self.staff {
                Staff::AwaitingConsent { level } if agreed => {
                    self.staff = Staff::Assisting(Assistance { level, unmasked: BTreeSet::new(), tasks_open: false });
                    self.help_called = false;
                    self.assisted.get_or_insert_with(BTreeSet::new);
                    HelpOutcome::Done(audit(Some(level), AuditAction::ConsentGiven))
                }
                Staff::AwaitingConsent { level } => {
                    self.staff = Staff::Away;
                    HelpOutcome::Done(audit(Some(level), AuditAction::ConsentRefused))
                }
                _ => HelpOutcome::Done(Vec::new()),
            },
            Event::CitizenEndsAssist => match &self.staff {
                Staff::Assisting(assistance) => {
                    let level = assistance.level;
                    self.staff = Staff::Away;
                    HelpOutcome::Done(audit(Some(level), AuditAction::EndedByCitizen))
                }
                _ => HelpOutcome::Done(Vec::new()),
            },
            Event::Unmask(id) => match &mut self.staff {
                Staff::Assisting(assistance) => {
                    let level = assistance.level;
                    assistance.unmasked.insert(id.clone());
                    self.assisted.get_or_insert_with(BTreeSet::new).insert(id.clone());
                    HelpOutcome::Done(audit(Some(level), AuditAction::Unmasked(id)))
                }
                _ => HelpOutcome::Done(Vec::new()),
            },
            Event::TestPrinted(result) => {
                if self.test_print.is_some() {
                    self.test_print = Some(match result {
                        Ok(()) => TestPrint::Printed,
                        Err(fault) => TestPrint::Failed(fault),
                    });
                }
                HelpOutcome::Done(Vec::new())
            }
            Event::Staff(action) => {
                // Staff actions need an unlocked staff member.
                let Some(level) = self.staff.level() else { return HelpOutcome::Done(Vec::new()) };
                let mut effects = audit(Some(level), AuditAction::Acted(action.clone()));
                match action {
                    StaffAction::Back => HelpOutcome::OnBehalf(Box::new(Event::Back), effects),
                    StaffAction::Forward => HelpOutcome::Forward(effects),
                    StaffAction::SetLanguage(lang) => {
                        HelpOutcome::OnBehalf(Box::new(Event::SetLanguage(lang)), effects)
                    }
                    StaffAction::ToggleLargeText => HelpOutcome::OnBehalf(Box::new(Event::ToggleLargeText), effects),
                    StaffAction::ToggleContrast => HelpOutcome::OnBehalf(Box::new(Event::ToggleContrast), effects),
                    StaffAction::ExtendTime => HelpOutcome::ExtendTime(effects),
                    StaffAction::EndSession => HelpOutcome::EndSession(effects),
                    StaffAction::EndAssistance => {
                        self.staff = Staff::Away;
                        HelpOutcome::Done(effects)
                    }
                    StaffAction::OpenTasks | StaffAction::CloseTasks => {
                        let open = action == StaffAction::OpenTasks;
                        match &mut self.staff {
                            Staff::Assisting(assistance) => assistance.tasks_open = open,
                            Staff::Tasks { .. } if !open => self.staff = Staff::Away,
                            _ => {}
                        }
                        HelpOutcome::Done(effects)
                    }
                    StaffAction::PaperRefilled => {
                        effects.push(Effect::PaperRefilled);
                        HelpOutcome::Done(effects)
                    }
                    StaffAction::TestPrint => {
                        self.test_print = Some(TestPrint::Printing);
                        effects.push(Effect::TestPrint);
                        HelpOutcome::Done(effects)
                    }
                    StaffAction::OutOfService(reason) => HelpOutcome::Service(Some(reason), effects),
                    StaffAction::BackInService => HelpOutcome::Service(None, effects),
                }
            }
            _ => HelpOutcome::Done(Vec::new()),
        }
    }
}
