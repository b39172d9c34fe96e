// SPDX-License-Identifier: GPL-3.0-or-later
//! Slots a citizen can book: the bulky-waste capacity calendar and citizens' office appointments.
//!
//! The FIT-Connect Submission API has no calendar; this is the terminal's extension (see the
//! `local-portal` crate's documentation). [`demo_calendar`] is the deterministic calendar the
//! simulated and the local portal both offer, so a demo or a test sees the same slots for the
//! same `from` date on every run.

use chrono::{Datelike, Days, NaiveDate, NaiveTime};

use crate::PortalError;
use crate::working_days::add_working_days;

/// Catalogue id of bulky-waste collection.
pub const BULKY_WASTE: &str = "bulky-waste";
/// Catalogue id of a citizens' office appointment.
pub const CITIZENS_OFFICE_APPOINTMENT: &str = "citizens-office-appointment";

/// Fee of an express bulky-waste collection, in euro cents.
pub const EXPRESS_FEE_CENTS: u32 = 4500;
/// Standard bulky-waste collections are offered from this many working days after the request.
pub const STANDARD_LEAD_WORKING_DAYS: u32 = 10;
/// Express bulky-waste collections are offered within this many working days after the request.
pub const EXPRESS_WITHIN_WORKING_DAYS: u32 = 3;

/// One bookable slot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SlotOffer {
    /// Opaque id to book this slot with (part of the form data).
    pub id: String,
    /// Day of the slot.
    pub date: NaiveDate,
    /// Start and end time, for slots with a time window; `None` for whole-day slots (collections).
    pub time: Option<(NaiveTime, NaiveTime)>,
    /// What kind of slot this is.
    pub kind: SlotKind,
    /// Fee in euro cents (0 = free of charge).
    pub fee_cents: u32,
}

/// Kinds of slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotKind {
    /// Regular bulky-waste collection, free of charge.
    Standard,
    /// Express bulky-waste collection within a few working days, for a fee.
    Express,
    /// A timed appointment (citizens' office).
    Appointment,
}

/// Appointment windows of the citizens' office: half-hour slots in the morning on every
/// working day, and in the afternoon on Thursdays (late opening).
const MORNING: (u32, u32) = (8 * 60, 12 * 60);
const THURSDAY_AFTERNOON: (u32, u32) = (14 * 60, 18 * 60);
const APPOINTMENT_MINUTES: u32 = 30;

/// The deterministic demo calendar: free slots for `service_id` on the dates
/// `from ..= from + days - 1`.
///
/// - [`BULKY_WASTE`]: a free [`SlotKind::Standard`] collection on every working day from the
///   [`STANDARD_LEAD_WORKING_DAYS`]-th working day after `from`, and a [`SlotKind::Express`]
///   collection for [`EXPRESS_FEE_CENTS`] on each of the first [`EXPRESS_WITHIN_WORKING_DAYS`]
///   working days after `from`.
/// - [`CITIZENS_OFFICE_APPOINTMENT`]: free half-hour appointments on working days after `from`
///   (mornings; Thursdays also afternoons); about a third are shown as already taken, by a fixed
///   rule on date and time.
///
/// # Errors
/// [`PortalError::UnknownService`] for any other service id.
pub fn demo_calendar(service_id: &str, from: NaiveDate, days: u32) -> Result<Vec<SlotOffer>, PortalError> {
    let end = from.checked_add_days(Days::new(u64::from(days)));
    let in_window = |date: NaiveDate| end.is_some_and(|end| date < end);
    match service_id {
        BULKY_WASTE => Ok(bulky_waste(from, in_window)),
        CITIZENS_OFFICE_APPOINTMENT => Ok(appointments(from, in_window)),
        other => Err(PortalError::UnknownService { service_id: other.to_owned() }),
    }
}

fn bulky_waste(from: NaiveDate, in_window: impl Fn(NaiveDate) -> bool) -> Vec<SlotOffer> {
    let mut offers = Vec::new();
    for n in 1..=EXPRESS_WITHIN_WORKING_DAYS {
        match add_working_days(from, n) {
            Some(date) if in_window(date) => offers.push(SlotOffer {
                id: format!("{BULKY_WASTE}:express:{date}"),
                date,
                time: None,
                kind: SlotKind::Express,
                fee_cents: EXPRESS_FEE_CENTS,
            }),
            _ => break,
        }
    }
    let mut next = add_working_days(from, STANDARD_LEAD_WORKING_DAYS);
    while let Some(date) = next.filter(|date| in_window(*date)) {
        offers.push(SlotOffer {
            id: format!("{BULKY_WASTE}:standard:{date}"),
            date,
            time: None,
            kind: SlotKind::Standard,
            fee_cents: 0,
        });
        next = add_working_days(date, 1);
    }
    offers
}

fn appointments(from: NaiveDate, in_window: impl Fn(NaiveDate) -> bool) -> Vec<SlotOffer> {
    let mut offers = Vec::new();
    let mut next = add_working_days(from, 1);
    while let Some(date) = next.filter(|date| in_window(*date)) {
        let mut windows = vec![MORNING];
        if date.weekday() == chrono::Weekday::Thu {
            windows.push(THURSDAY_AFTERNOON);
        }
        for (open, close) in windows {
            let mut start = open;
            while start + APPOINTMENT_MINUTES <= close {
                let taken = (date.num_days_from_ce().unsigned_abs() + start / APPOINTMENT_MINUTES).is_multiple_of(3);
                let times = (minutes_to_time(start), minutes_to_time(start + APPOINTMENT_MINUTES));
                if let (false, Some(begin), Some(end)) = (taken, times.0, times.1) {
                    offers.push(SlotOffer {
                        id: format!("{CITIZENS_OFFICE_APPOINTMENT}:{date}T{}", begin.format("%H:%M")),
                        date,
                        time: Some((begin, end)),
                        kind: SlotKind::Appointment,
                        fee_cents: 0,
                    });
                }
                start += APPOINTMENT_MINUTES;
            }
        }
        next = add_working_days(date, 1);
    }
    offers
}

fn minutes_to_time(minutes: u32) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::working_days::is_working_day;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn standard_collection_is_free_and_starts_ten_working_days_later() -> Result<(), PortalError> {
        // Mon 23 Nov 2026 + 10 working days = Mon 7 Dec 2026.
        let offers = demo_calendar(BULKY_WASTE, d(2026, 11, 23), 30)?;
        let standard: Vec<_> = offers.iter().filter(|o| o.kind == SlotKind::Standard).collect();
        assert_eq!(standard.first().map(|o| o.date), Some(d(2026, 12, 7)));
        assert!(standard.iter().all(|o| o.fee_cents == 0 && o.time.is_none()));
        assert!(standard.iter().all(|o| is_working_day(o.date)));
        // 7 Dec .. 22 Dec 2026 (window ends before 23 Dec): 12 working days.
        assert_eq!(standard.len(), 12);
        Ok(())
    }

    #[test]
    fn express_collection_costs_a_fee_within_three_working_days() -> Result<(), PortalError> {
        // Wed 23 Dec 2026: next working days are 24 Dec, 28 Dec, 29 Dec.
        let offers = demo_calendar(BULKY_WASTE, d(2026, 12, 23), 14)?;
        let express: Vec<_> = offers.iter().filter(|o| o.kind == SlotKind::Express).collect();
        let dates: Vec<_> = express.iter().map(|o| o.date).collect();
        assert_eq!(dates, vec![d(2026, 12, 24), d(2026, 12, 28), d(2026, 12, 29)]);
        assert!(express.iter().all(|o| o.fee_cents == EXPRESS_FEE_CENTS));
        Ok(())
    }

    #[test]
    fn appointments_are_half_hours_on_working_days_with_thursday_afternoons() -> Result<(), PortalError> {
        // Fri 20 Nov 2026, window of 7 days: Mon 23 .. Thu 26 Nov.
        let offers = demo_calendar(CITIZENS_OFFICE_APPOINTMENT, d(2026, 11, 20), 7)?;
        assert!(!offers.is_empty());
        for offer in &offers {
            assert_eq!(offer.kind, SlotKind::Appointment);
            assert!(is_working_day(offer.date), "{}", offer.id);
            let (begin, end) = offer.time.unwrap_or_default();
            assert_eq!((end - begin).num_minutes(), 30, "{}", offer.id);
        }
        let thursday_afternoon = offers
            .iter()
            .filter(|o| o.date == d(2026, 11, 26))
            .filter(|o| o.time.is_some_and(|(b, _)| b >= NaiveTime::from_hms_opt(14, 0, 0).unwrap_or_default()))
            .count();
        assert!(thursday_afternoon > 0);
        let tuesday_afternoon = offers
            .iter()
            .filter(|o| o.date == d(2026, 11, 24))
            .filter(|o| o.time.is_some_and(|(b, _)| b >= NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default()))
            .count();
        assert_eq!(tuesday_afternoon, 0);
        // Some slots are taken: fewer than 8 per morning on average.
        assert!(offers.len() < 4 * 8 + 8);
        Ok(())
    }

    #[test]
    fn calendar_is_deterministic_and_ids_are_unique() -> Result<(), PortalError> {
        let a = demo_calendar(CITIZENS_OFFICE_APPOINTMENT, d(2026, 3, 30), 21)?;
        let b = demo_calendar(CITIZENS_OFFICE_APPOINTMENT, d(2026, 3, 30), 21)?;
        assert_eq!(a, b);
        let ids: std::collections::HashSet<_> = a.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids.len(), a.len());
        // Easter 2026: Good Friday 3 Apr and Easter Monday 6 Apr carry no slots.
        assert!(a.iter().all(|o| o.date != d(2026, 4, 3) && o.date != d(2026, 4, 6)));
        Ok(())
    }

    #[test]
    fn unknown_service_is_refused() {
        assert_eq!(
            demo_calendar("dog-licence", d(2026, 1, 5), 7),
            Err(PortalError::UnknownService { service_id: "dog-licence".into() })
        );
    }

    #[test]
    fn zero_days_offer_nothing() -> Result<(), PortalError> {
        assert!(demo_calendar(BULKY_WASTE, d(2026, 1, 5), 0)?.is_empty());
        Ok(())
    }
}
