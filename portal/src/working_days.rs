// SPDX-License-Identifier: GPL-3.0-or-later
//! Working days: Monday to Friday, except the public holidays observed in all German states.
//!
//! Holidays that only some states observe (Epiphany, Corpus Christi, Reformation Day, …) are
//! deliberately not included: the calendar is the same for every municipality, and a
//! municipality's own closing days come from its portal.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Easter Sunday of the Gregorian calendar (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
///
/// Returns `None` only for years outside chrono's range.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// Whether `date` is a public holiday in every German state.
///
/// Fixed: New Year's Day, Labour Day (1 May), German Unity Day (3 October), Christmas Day and
/// Boxing Day. Easter-dependent: Good Friday, Easter Monday, Ascension Day (Easter + 39),
/// Whit Monday (Easter + 50). Reformation Day was nationwide once, in 2017 (500th anniversary).
pub fn is_nationwide_holiday(date: NaiveDate) -> bool {
    let fixed = matches!((date.month(), date.day()), (1, 1) | (5, 1) | (10, 3) | (12, 25) | (12, 26));
    if fixed || (date.year() == 2017 && date.month() == 10 && date.day() == 31) {
        return true;
    }
    let Some(easter) = easter_sunday(date.year()) else {
        return false;
    };
    let offset = date.signed_duration_since(easter).num_days();
    matches!(offset, -2 | 1 | 39 | 50)
}

/// Whether the authorities work on `date`.
pub fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !is_nationwide_holiday(date)
}

/// The `n`-th working day after `date` (`n = 0` gives `date` itself, working day or not).
///
/// Returns `None` past the end of chrono's calendar.
pub fn add_working_days(date: NaiveDate, n: u32) -> Option<NaiveDate> {
    let mut current = date;
    let mut remaining = n;
    while remaining > 0 {
        current = current.checked_add_days(Days::new(1))?;
        if is_working_day(current) {
            remaining -= 1;
        }
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn easter_sunday_matches_published_dates() {
        // Dates as published in the calendars of the respective years.
        for (year, month, day) in [
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2019, 4, 21),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
        ] {
            assert_eq!(easter_sunday(year), Some(d(year, month, day)), "{year}");
        }
    }

    #[test]
    fn easter_dependent_holidays_of_2026_are_not_working_days() {
        // Good Friday 3 Apr, Easter Monday 6 Apr, Ascension 14 May, Whit Monday 25 May 2026.
        for date in [d(2026, 4, 3), d(2026, 4, 6), d(2026, 5, 14), d(2026, 5, 25)] {
            assert!(is_nationwide_holiday(date), "{date}");
            assert!(!is_working_day(date), "{date}");
        }
        assert!(is_working_day(d(2026, 4, 7)));
        assert!(is_working_day(d(2026, 5, 13)));
    }

    #[test]
    fn fixed_holidays_and_weekends_are_not_working_days() {
        for date in [d(2026, 1, 1), d(2026, 5, 1), d(2026, 10, 3), d(2026, 12, 25), d(2026, 12, 26)] {
            assert!(is_nationwide_holiday(date), "{date}");
        }
        assert!(!is_working_day(d(2026, 11, 21)), "Saturday");
        assert!(!is_working_day(d(2026, 11, 22)), "Sunday");
        assert!(is_working_day(d(2026, 11, 23)), "Monday");
        assert!(!is_nationwide_holiday(d(2026, 1, 6)), "Epiphany is regional only");
    }

    #[test]
    fn reformation_day_was_nationwide_only_in_2017() {
        assert!(is_nationwide_holiday(d(2017, 10, 31)));
        assert!(!is_nationwide_holiday(d(2026, 10, 31)));
    }

    #[test]
    fn adding_working_days_skips_weekends_and_christmas() {
        // Wed 23 Dec 2026 + 1 = Thu 24 Dec; + 2 skips 25/26 Dec (holidays) and the weekend → Mon 28 Dec.
        assert_eq!(add_working_days(d(2026, 12, 23), 1), Some(d(2026, 12, 24)));
        assert_eq!(add_working_days(d(2026, 12, 23), 2), Some(d(2026, 12, 28)));
        // Fri 20 Nov 2026 + 10 working days = Fri 4 Dec 2026.
        assert_eq!(add_working_days(d(2026, 11, 20), 10), Some(d(2026, 12, 4)));
        assert_eq!(add_working_days(d(2026, 11, 21), 0), Some(d(2026, 11, 21)));
    }
}
