// SPDX-License-Identifier: GPL-3.0-or-later
//! The status check: the typed number, grouped as on the receipt, and the
//! portal's answer.

use super::text;
use crate::{Api, RequestStateId};
use session::{RequestState, Session, StatusCheck, StatusOutcome};

/// Writes the status check shown, or clears it.
pub(super) fn show(api: &Api<'_>, check: Option<&StatusCheck>, session: &Session) {
    let typed = check.map(StatusCheck::typed);
    api.set_status_input(text(typed.map(|t| t.grouped()).unwrap_or_default()));
    api.set_status_complete(typed.is_some_and(|t| t.is_complete()));
    api.set_status_invalid(matches!(check, Some(StatusCheck::Entry { invalid: true, .. })));
    let (number, outcome) = match check {
        Some(StatusCheck::Result { number, outcome, .. }) => (Some(number), outcome.as_ref()),
        _ => (None, None),
    };
    api.set_status_number(text(number.map(ToString::to_string).unwrap_or_default()));
    let (state, processing, service) = match outcome {
        None => (RequestStateId::Checking, None, None),
        Some(StatusOutcome::NotFound) => (RequestStateId::NotFound, None, None),
        Some(StatusOutcome::Unavailable) => (RequestStateId::Unavailable, None, None),
        Some(StatusOutcome::Found { state, processing, service_id }) => (
            match state {
                RequestState::Queued => RequestStateId::Queued,
                RequestState::Sent => RequestStateId::Sent,
                RequestState::Received => RequestStateId::Received,
                RequestState::Accepted => RequestStateId::Accepted,
                RequestState::Rejected => RequestStateId::Rejected,
            },
            processing.as_deref(),
            service_id.as_deref().and_then(|id| session.catalogue().service(id)).map(|s| s.name.get(session.lang())),
        ),
    };
    api.set_status_state(state);
    api.set_status_processing(text(processing.unwrap_or_default()));
    api.set_status_service(text(service.unwrap_or_default()));
}
