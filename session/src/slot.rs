// SPDX-License-Identifier: GPL-3.0-or-later
//! Dates a citizen can book.

use crate::text::Lang;

/// What kind of date a slot is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotKind {
    /// Bulky waste, free, at the earliest ten working days ahead.
    Standard,
    /// Bulky waste, for a fee, within three working days.
    Express,
    /// An appointment at an office.
    Appointment,
}

/// A bookable date offered by the portal's calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// The portal's id for booking it.
    pub id: String,
    /// Year, month, day.
    pub date: (i32, u32, u32),
    /// Day of the week, 0 = Monday.
    pub weekday: u32,
    /// Start and end time (hours, minutes), if the slot has one.
    pub time: Option<((u32, u32), (u32, u32))>,
    /// Standard, express or appointment.
    pub kind: SlotKind,
    /// Fee in euro cents.
    pub fee_cents: u32,
}

const WEEKDAYS_DE: [&str; 7] = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"];
const WEEKDAYS_EN: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl Slot {
    /// The date and time as a citizen reads them:
    /// `Montag, 7. Dezember 2026, 8:00–12:00 Uhr` / `Monday, 7 December 2026, 8:00–12:00`.
    pub fn describe(&self, lang: &Lang) -> String {
        let (year, month, day) = self.date;
        let german = lang.code() == "de";
        let weekday = *if german { &WEEKDAYS_DE } else { &WEEKDAYS_EN }.get(self.weekday as usize).unwrap_or(&"");
        let month_name =
            *if german { &MONTHS_DE } else { &MONTHS_EN }.get((month as usize).wrapping_sub(1)).unwrap_or(&"");
        let date = if german {
            format!("{weekday}, {day}. {month_name} {year}")
        } else {
            format!("{weekday}, {day} {month_name} {year}")
        };
        match self.time {
            Some(((h1, m1), (h2, m2))) if german => format!("{date}, {h1}:{m1:02}–{h2}:{m2:02} Uhr"),
            Some(((h1, m1), (h2, m2))) => format!("{date}, {h1}:{m1:02}–{h2}:{m2:02}"),
            None => date,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_read_naturally_in_german_and_english() {
        let slot = Slot {
            id: "s1".into(),
            date: (2026, 12, 7),
            weekday: 0,
            time: Some(((8, 0), (12, 0))),
            kind: SlotKind::Standard,
            fee_cents: 0,
        };
        assert_eq!(slot.describe(&Lang::german()), "Montag, 7. Dezember 2026, 8:00–12:00 Uhr");
        assert_eq!(slot.describe(&Lang::english()), "Monday, 7 December 2026, 8:00–12:00");
    }
}
