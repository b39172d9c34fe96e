// SPDX-License-Identifier: GPL-3.0-or-later
//! Writes the session's state into the UI's globals (`Api`, `Theme`). This is
//! the only code that writes to the UI, and it never reaches into the widget
//! tree.
//!
//! [`View::show`] matches on the session's journey and hands each journey to
//! the module of the same name (`request`, `identify`, `pin_service`,
//! `status_check`). Every refresh writes every property: the journey's from
//! the session, everything else back to its empty default. So nothing of an
//! ended session stays in the UI's models and strings, whether or not a frame
//! is drawn after the wipe.

pub mod assist;
mod identify;
mod pin_service;
pub mod receipt;
mod request;
mod status_check;

use crate::{Api, App, LanguageChoice, NoticeId, ScreenId, ServiceTile, SetupProblemId, Theme};
use chrono::{DateTime, Local};
use session::{Config, Lang, Millis, Notice, ReceiptView, Screen, Secret, Session, WipeReason};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::time::Duration;

/// Why a terminal cannot serve anyone and shows only "out of service".
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SetupProblem {
    /// Not set up completely: not enrolled, no eID authorisation, a broken
    /// configuration (the journal says which).
    Incomplete,
    /// The encrypted storage could not be unlocked (the TPM refused: the
    /// boot chain or the firmware's Secure Boot settings changed).
    StorageLocked,
    /// The storage is missing, damaged or cannot be mounted.
    StorageUnavailable,
    /// The terminal's eID authorisation (its CV certificates) has expired or
    /// is not valid yet: it must not ask anyone for a PIN the card would
    /// then refuse to use with it.
    AuthorisationExpired,
}

impl SetupProblem {
    /// The problem's name in the journal and on the command line.
    pub fn key(self) -> &'static str {
        match self {
            SetupProblem::Incomplete => "incomplete",
            SetupProblem::StorageLocked => "storage-locked",
            SetupProblem::StorageUnavailable => "storage-unavailable",
            SetupProblem::AuthorisationExpired => "authorisation-expired",
        }
    }
}

/// What the passing of time alone can change on screen.
type TimeVisible = (Screen, Option<u64>, Option<Notice>, Lang);

/// The view's own memory: what it has drawn, so it draws it once.
pub struct View {
    clock: WallClock,
    images: receipt::Images,
    shown_lang: Option<Lang>,
    shown_at: Option<TimeVisible>,
}

impl Default for View {
    fn default() -> Self {
        View { clock: WallClock::new(), images: receipt::Images::default(), shown_lang: None, shown_at: None }
    }
}

impl View {
    /// The terminal's own name and id, and whether this is demo mode.
    pub fn terminal(app: &App, config: &Config, demo: bool) {
        let api = app.global::<Api>();
        api.set_municipality(text(&config.terminal.municipality));
        api.set_terminal_id(text(&config.terminal.terminal_id));
        api.set_demo(demo);
    }

    /// "Out of service", and why: the terminal cannot serve anyone.
    pub fn out_of_service(app: &App, problem: SetupProblem) {
        app.global::<Api>().set_setup_problem(match problem {
            SetupProblem::Incomplete => SetupProblemId::Incomplete,
            SetupProblem::StorageLocked => SetupProblemId::StorageLocked,
            SetupProblem::StorageUnavailable => SetupProblemId::StorageUnavailable,
            SetupProblem::AuthorisationExpired => SetupProblemId::AuthorisationExpired,
        });
    }

    /// After a session ended: makes Slint drop the screens the session
    /// showed, and with them every string and model they held, without
    /// waiting for a frame to be drawn. Slint creates and removes the
    /// elements behind `if` and `for` lazily, whenever it walks its tree: to
    /// draw a frame, and for every pointer event it is given. The pointer
    /// leaving the window is such an event, and changes nothing else on a
    /// touch screen (there is no hover).
    pub fn release_ended_session(app: &App) {
        app.window().dispatch_event(slint::platform::WindowEvent::PointerExited);
    }

    /// Whether time changed something the citizen sees since the last
    /// [`View::show`] (the countdown, a notice going away, the language
    /// going back to the default).
    pub fn stale(&self, session: &Session, now: Millis) -> bool {
        self.shown_at.as_ref() != Some(&time_visible(session, now))
    }

    /// Writes everything the session shows now; `tasks` is the staff page's
    /// view of the devices, while it is open.
    pub fn show(
        &mut self,
        app: &App,
        session: &Session,
        now: Millis,
        config: &Config,
        tasks: Option<&assist::StaffView<'_>>,
    ) {
        let api = app.global::<Api>();
        let settings = session.accessibility();
        let lang = &settings.lang;
        self.select_language(lang);
        let theme = app.global::<Theme>();
        theme.set_large_text(settings.large_text);
        theme.set_high_contrast(settings.high_contrast);
        theme.set_rtl(lang.right_to_left());

        show_languages(&api);
        api.set_lang(text(lang.code()));
        api.set_next_lang(text(next_language(*lang).code()));
        api.set_screen(screen_id(session.screen()));
        api.set_warning_seconds(session.warning_seconds_left(now).map_or(0, |s| i32::try_from(s).unwrap_or(i32::MAX)));
        api.set_notice(match session.notice() {
            Some(Notice::Ended(WipeReason::TimedOut)) => NoticeId::TimedOut,
            Some(Notice::Ended(WipeReason::CardRemoved)) => NoticeId::CardRemoved,
            Some(Notice::Ended(WipeReason::Cancelled)) => NoticeId::Cancelled,
            Some(Notice::Ended(WipeReason::OutOfService)) => NoticeId::OutOfService,
            Some(Notice::Ended(WipeReason::Finished)) | None => NoticeId::None,
        });
        api.set_card_present(session.card_present());
        api.set_services(model(
            session
                .catalogue()
                .services()
                .iter()
                .map(|s| ServiceTile {
                    id: text(&s.id),
                    name: text(s.name.get(lang)),
                    summary: text(s.summary.get(lang)),
                })
                .collect(),
        ));

        let journey = session.journey();
        let (request, pin_service) = (journey.request(), journey.pin_service());
        request::show(&api, request, lang, config, &self.clock, &|id| assist::masked(session, id));
        receipt::show(&api, request.and_then(session::Request::receipt), lang, config, &self.clock, &mut self.images);
        let identification = journey.identification();
        let pad = match pin_service.and_then(pin_service::new_pin_pad) {
            Some(pad) => pad,
            None => identification.map_or((0, Secret::Pin.digits()), |i| (i.digits_typed(), i.digits_needed())),
        };
        identify::show(&api, identification, pad);
        pin_service::show(&api, pin_service);
        status_check::show(&api, journey.status_check(), session);
        assist::show(&api, session, tasks);
        self.shown_at = Some(time_visible(session, now));
    }

    /// The paper receipt for a receipt view, in `lang`.
    pub fn paper(&self, receipt: &ReceiptView, lang: &Lang, config: &Config) -> printer::Receipt {
        receipt::paper(receipt, lang, config, &self.clock)
    }

    /// The staff's test receipt, in `lang`.
    pub fn test_paper(&self, lang: &Lang, config: &Config, now: Millis) -> printer::Receipt {
        receipt::test_paper(lang, config, &self.clock, now)
    }

    pub(crate) fn select_language(&mut self, lang: &Lang) {
        if self.shown_lang.as_ref() == Some(lang) {
            return;
        }
        // English is the UI's source language; others are bundled .po files.
        let code = if *lang == Lang::english() { "" } else { lang.code() };
        if let Err(error) = slint::select_bundled_translation(code) {
            tracing::warn!(?error, lang = lang.code(), "no translation for this language");
        }
        self.shown_lang = Some(*lang);
    }
}

/// The languages on offer, written once: they are the same in every
/// session, and writing them again would rebuild their buttons.
fn show_languages(api: &Api<'_>) {
    use slint::Model;
    if api.get_languages().row_count() == Lang::ALL.len() {
        return;
    }
    let choices: Vec<LanguageChoice> = Lang::ALL
        .into_iter()
        .map(|lang| LanguageChoice {
            code: text(lang.code()),
            name: text(lang.native_name()),
            short: text(short_name(lang)),
        })
        .collect();
    let rows: Vec<ModelRc<LanguageChoice>> =
        choices.chunks(4).map(|row| ModelRc::new(VecModel::from(row.to_vec()))).collect();
    api.set_language_rows(ModelRc::new(VecModel::from(rows)));
    api.set_languages(ModelRc::new(VecModel::from(choices)));
}

/// The header's short name of a language, in its own script, so that a
/// citizen finds theirs without reading German or English first.
fn short_name(lang: Lang) -> &'static str {
    match lang {
        Lang::German => "DE",
        Lang::EasyGerman => "LS",
        Lang::English => "EN",
        Lang::Turkish => "TR",
        Lang::Arabic => "عربي",
        Lang::Ukrainian => "УКР",
        Lang::Russian => "РУС",
    }
}

/// The language after `lang` in the welcome screen's order: the staff's
/// language button steps through them.
fn next_language(lang: Lang) -> Lang {
    let at = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
    Lang::ALL[(at + 1) % Lang::ALL.len()]
}

fn time_visible(session: &Session, now: Millis) -> TimeVisible {
    (session.screen(), session.warning_seconds_left(now), session.notice(), *session.lang())
}

fn screen_id(screen: Screen) -> ScreenId {
    match screen {
        Screen::Welcome => ScreenId::Welcome,
        Screen::Catalogue => ScreenId::Catalogue,
        Screen::ServiceInfo => ScreenId::ServiceInfo,
        Screen::Identify => ScreenId::Identify,
        Screen::Form => ScreenId::Form,
        Screen::Booking => ScreenId::Booking,
        Screen::Review => ScreenId::Review,
        Screen::Sending => ScreenId::Sending,
        Screen::Receipt => ScreenId::Receipt,
        Screen::TakeCard => ScreenId::TakeCard,
        Screen::StatusEntry => ScreenId::StatusEntry,
        Screen::StatusResult => ScreenId::StatusResult,
        Screen::PinService => ScreenId::PinService,
    }
}

/// Turns the session's monotonic clock into the wall-clock times citizens read.
struct WallClock {
    start: DateTime<Local>,
}

impl WallClock {
    fn new() -> Self {
        WallClock { start: Local::now() }
    }

    fn at(&self, at: Millis) -> DateTime<Local> {
        self.start + Duration::from_millis(at.0)
    }

    fn time_of(&self, at: Millis) -> String {
        self.at(at).format("%H:%M").to_string()
    }

    fn date_and_time_of(&self, at: Millis) -> String {
        self.at(at).format("%d.%m.%Y, %H:%M").to_string()
    }
}

fn model<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(items))
}

fn text(s: impl AsRef<str>) -> SharedString {
    SharedString::from(s.as_ref())
}

/// A count or index as the UI's `int`.
fn int(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
