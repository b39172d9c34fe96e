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

/// The names of the days of the week (Monday first) and of the months in
/// `lang`, as the date reads in a sentence (CLDR's "format" forms: the
/// genitive month in Ukrainian and Russian).
fn names(lang: Lang) -> ([&'static str; 7], [&'static str; 12]) {
    match lang {
        Lang::German | Lang::EasyGerman => (
            ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
            [
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
            ],
        ),
        Lang::English => (
            ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
            [
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
            ],
        ),
        Lang::Turkish => (
            ["Pazartesi", "Salı", "Çarşamba", "Perşembe", "Cuma", "Cumartesi", "Pazar"],
            [
                "Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim", "Kasım",
                "Aralık",
            ],
        ),
        Lang::Arabic => (
            ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"],
            [
                "يناير",
                "فبراير",
                "مارس",
                "أبريل",
                "مايو",
                "يونيو",
                "يوليو",
                "أغسطس",
                "سبتمبر",
                "أكتوبر",
                "نوفمبر",
                "ديسمبر",
            ],
        ),
        Lang::Ukrainian => (
            ["Понеділок", "Вівторок", "Середа", "Четвер", "Пʼятниця", "Субота", "Неділя"],
            [
                "січня",
                "лютого",
                "березня",
                "квітня",
                "травня",
                "червня",
                "липня",
                "серпня",
                "вересня",
                "жовтня",
                "листопада",
                "грудня",
            ],
        ),
        Lang::Russian => (
            ["Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье"],
            [
                "января",
                "февраля",
                "марта",
                "апреля",
                "мая",
                "июня",
                "июля",
                "августа",
                "сентября",
                "октября",
                "ноября",
                "декабря",
            ],
        ),
    }
}

impl Slot {
    /// The date and time as a citizen reads them, in the order of CLDR's
    /// full date pattern for `lang`: `Montag, 7. Dezember 2026, 8:00–12:00 Uhr`,
    /// `Monday, 7 December 2026, 8:00–12:00`, `7 Aralık 2026 Pazartesi, 08:00–12:00`, …
    /// Leichte Sprache writes the times out with "von … bis" instead of a dash.
    pub fn describe(&self, lang: &Lang) -> String {
        let (year, month, day) = self.date;
        let (weekdays, months) = names(*lang);
        let weekday = weekdays.get(self.weekday as usize).copied().unwrap_or_default();
        let month = months.get((month as usize).wrapping_sub(1)).copied().unwrap_or_default();
        let date = match lang {
            Lang::German | Lang::EasyGerman => format!("{weekday}, {day}. {month} {year}"),
            Lang::English => format!("{weekday}, {day} {month} {year}"),
            Lang::Turkish => format!("{day} {month} {year} {weekday}"),
            Lang::Arabic => format!("{weekday}، {day} {month} {year}"),
            Lang::Ukrainian => format!("{weekday}, {day} {month} {year} р."),
            Lang::Russian => format!("{weekday}, {day} {month} {year} г."),
        };
        let Some(((h1, m1), (h2, m2))) = self.time else { return date };
        match lang {
            Lang::German => format!("{date}, {h1}:{m1:02}–{h2}:{m2:02} Uhr"),
            Lang::EasyGerman => format!("{date}, von {h1}:{m1:02} Uhr bis {h2}:{m2:02} Uhr"),
            Lang::Turkish => format!("{date}, {h1:02}:{m1:02}–{h2:02}:{m2:02}"),
            Lang::Arabic => format!("{date}، {h1}:{m1:02}–{h2}:{m2:02}"),
            Lang::English | Lang::Ukrainian | Lang::Russian => format!("{date}, {h1}:{m1:02}–{h2}:{m2:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_read_naturally_in_every_language() {
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
        assert_eq!(slot.describe(&Lang::EasyGerman), "Montag, 7. Dezember 2026, von 8:00 Uhr bis 12:00 Uhr");
        assert_eq!(slot.describe(&Lang::Turkish), "7 Aralık 2026 Pazartesi, 08:00–12:00");
        assert_eq!(slot.describe(&Lang::Arabic), "الاثنين، 7 ديسمبر 2026، 8:00–12:00");
        assert_eq!(slot.describe(&Lang::Ukrainian), "Понеділок, 7 грудня 2026 р., 8:00–12:00");
        assert_eq!(slot.describe(&Lang::Russian), "Понедельник, 7 декабря 2026 г., 8:00–12:00");
    }
}
