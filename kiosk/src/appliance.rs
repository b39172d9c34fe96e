// SPDX-License-Identifier: GPL-3.0-or-later
//! `kiosk run`: the terminal on real hardware, as the appliance image starts
//! it. The ID card goes through pcscd, the receipt to the serial printer, and
//! requests to the configured FIT-Connect portal through the on-disk queue in
//! the state directory.
//!
//! A terminal that is not set up completely (not enrolled, no eID
//! authorisation, a broken configuration) still comes up: it says "out of
//! service" on its screen, tells maintainers why in the journal, and reports
//! ready to systemd, so that it is not restarted in a loop and an update is
//! not rolled back for a missing file. Without a display (a container) it
//! renders into memory.

use crate::App;
use crate::devices::Devices;
use crate::input_guard::{DeviceId, InputPolicy, libinput_hook};
use crate::screen::MemoryScreen;
use crate::sd_notify::SdNotify;
use crate::terminal::Terminal;
use crate::view::receipt::paper_width;
use crate::view::{SetupProblem, View};
use anyhow::{Context, Result};
use portal::FitConnectPortal;
use portal::fitconnect::{FitConnectConfig, KeyTrust};
use portal::tls::TlsMaterial;
use serde::Deserialize;
use session::config_file::read_text;
use session::{Config, StaffSeeds, is_https_url};
use slint::ComponentHandle;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The display the appliance draws on (DRM/KMS).
const DRM_DEVICE: &str = "/dev/dri/card0";
/// How often the UI loop lets the terminal pump the devices and tick.
const TICK: Duration = Duration::from_millis(50);

/// Runs the terminal configured in `config_dir`. The UI's event loop never
/// ends by itself: if it does, something outside the kiosk ended it, and
/// this returns an error (systemd restarts the kiosk).
pub fn run(config_dir: &Path) -> Result<()> {
    let appliance = Appliance::load(config_dir);
    let display = Display::open(appliance.as_ref().map_or(InputPolicy::TouchOnly, Appliance::input_policy))?;
    let app = App::new().context("cannot create the kiosk UI")?;
    let (terminal, problem) = match appliance
        .and_then(|appliance| terminal_with(app.clone_strong(), config_dir, &appliance))
    {
        Ok(terminal) => (Some(terminal), None),
        Err(error) if authorisation_expired(&error) => {
            tracing::error!(error = %format!("{error:#}"), "out of service: the eID authorisation is not valid today; renew it");
            (None, Some(SetupProblem::AuthorisationExpired))
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "out of service: the terminal is not set up completely");
            (None, Some(SetupProblem::Incomplete))
        }
    };
    let _languages = problem.map(|problem| show_out_of_service(&app, problem));
    display.serve(&app, terminal.as_ref(), "kiosk ready")
}

/// Whether `error` is an eID authorisation (CV certificate chain) outside
/// its validity period, rather than a missing or broken one.
fn authorisation_expired(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<card_reader::EidConfigError>()
            .is_some_and(card_reader::EidConfigError::is_outside_validity)
    })
}

/// Shows only "out of service" and why, for a terminal that cannot run at
/// all (its storage cannot be unlocked or mounted). Reads no configuration
/// and nothing of the state directory, and takes no input.
pub fn out_of_service(problem: SetupProblem) -> Result<()> {
    tracing::error!(reason = problem.key(), "the terminal cannot run; showing out of service");
    let display = Display::open(InputPolicy::Listed(Default::default()))?;
    let app = App::new().context("cannot create the kiosk UI")?;
    let _languages = show_out_of_service(&app, problem);
    display.serve(&app, None, &format!("kiosk out of service: reason={}", problem.key()))
}

/// "Out of service" for `problem`, alternating between German and English,
/// as nobody can choose a language there, for as long as the returned
/// timer lives.
fn show_out_of_service(app: &App, problem: SetupProblem) -> slint::Timer {
    View::out_of_service(app, problem);
    let mut view = View::default();
    let mut english = false;
    view.select_language(&session::Lang::german());
    let alternate = slint::Timer::default();
    alternate.start(slint::TimerMode::Repeated, LANGUAGE_ALTERNATION, move || {
        english = !english;
        view.select_language(&if english { session::Lang::english() } else { session::Lang::german() });
    });
    alternate
}

/// How long the out-of-service page shows one language before the next.
const LANGUAGE_ALTERNATION: Duration = Duration::from_secs(8);

/// Where the appliance draws: the display through DRM/KMS, or, without one
/// (a container), memory.
enum Display {
    Kms,
    Memory(MemoryScreen),
}

impl Display {
    /// The display, with `policy` deciding which input devices reach the UI.
    fn open(policy: InputPolicy) -> Result<Display> {
        if Path::new(DRM_DEVICE).exists() {
            slint::BackendSelector::new()
                .backend_name("linuxkms".into())
                .with_libinput_event_hook(libinput_hook(policy))
                .select()
                .context("cannot open the display")?;
            Ok(Display::Kms)
        } else {
            tracing::warn!(device = DRM_DEVICE, "no display; rendering into memory");
            Ok(Display::Memory(MemoryScreen::install().context("cannot install the in-memory screen")?))
        }
    }

    /// Runs the UI; `ready` is logged once the first frame is drawn.
    fn serve(self, app: &App, terminal: Option<&Rc<RefCell<Terminal>>>, ready: &str) -> Result<()> {
        match self {
            Display::Kms => {
                serve(app, terminal, ready)?;
                anyhow::bail!("the UI's event loop ended, which the kiosk never asks for: the display backend ended it")
            }
            Display::Memory(screen) => serve_in_memory(app, terminal, screen, ready),
        }
    }
}

/// The terminal as `kiosk run` builds it from `config_dir`: its configuration,
/// `appliance.toml` and the devices it names.
pub fn terminal(app: App, config_dir: &Path) -> Result<Rc<RefCell<Terminal>>> {
    terminal_with(app, config_dir, &Appliance::load(config_dir)?)
}

fn terminal_with(app: App, config_dir: &Path, appliance: &Appliance) -> Result<Rc<RefCell<Terminal>>> {
    let config = Config::load(Some(config_dir))?;
    let state = state_dir();
    tracing::info!(config = %config_dir.display(), state = %state.display(), "starting the terminal");
    let reader = reader(appliance)?;
    let portal = Arc::new(portal(appliance, &config, &state)?);
    let printer = printer(appliance, &config);
    let staff = staff_seeds(appliance);
    let devices = Devices::start(reader, portal, printer).context("cannot start the device threads")?;
    Ok(Terminal::new(app, config, devices, staff, None))
}

/// Runs `app` (and `terminal`, if there is one) in Slint's event loop, on the
/// display, until the UI is closed. Under systemd it reports ready once the
/// first frame is on the screen (and logs `ready`) and feeds the watchdog
/// from the UI loop, so that a hung UI gets restarted.
pub fn serve(app: &App, terminal: Option<&Rc<RefCell<Terminal>>>, ready: &str) -> Result<()> {
    let timer = slint::Timer::default();
    if let Some(terminal) = terminal {
        let weak = Rc::downgrade(terminal);
        timer.start(slint::TimerMode::Repeated, TICK, move || {
            if let Some(terminal) = weak.upgrade()
                && let Ok(mut terminal) = terminal.try_borrow_mut()
            {
                terminal.pump();
                terminal.tick();
            }
        });
    }
    let notify = Rc::new(SdNotify::from_env());
    let watchdog = slint::Timer::default();
    if let Some(interval) = notify.watchdog_interval() {
        let notify = Rc::clone(&notify);
        watchdog.start(slint::TimerMode::Repeated, interval, move || notify.watchdog());
    }
    // The event loop runs due timers, then renders, then waits. A timer due
    // at once runs before the first frame; the one it starts runs in the next
    // turn, after the first frame was rendered and presented.
    let ready = ready.to_owned();
    slint::Timer::single_shot(Duration::ZERO, move || {
        slint::Timer::single_shot(Duration::ZERO, move || {
            notify.ready();
            tracing::info!("{ready}");
        });
    });
    app.window().set_fullscreen(true);
    app.run().context("the UI stopped")?;
    Ok(())
}

/// Like [`serve`], without a display: frames are rendered into memory, one
/// a second (nobody looks at them; it shows the loop is alive).
fn serve_in_memory(
    app: &App,
    terminal: Option<&Rc<RefCell<Terminal>>>,
    mut screen: MemoryScreen,
    ready: &str,
) -> Result<()> {
    let notify = SdNotify::from_env();
    app.show().context("cannot show the kiosk UI")?;
    screen.render();
    notify.ready();
    tracing::info!("{ready}");
    let mut fed = Instant::now();
    let mut drawn = Instant::now();
    loop {
        if let Some(terminal) = terminal {
            let mut terminal = terminal.borrow_mut();
            terminal.pump();
            terminal.tick();
        }
        if drawn.elapsed() >= Duration::from_secs(1) {
            screen.render();
            drawn = Instant::now();
        }
        if let Some(interval) = notify.watchdog_interval()
            && fed.elapsed() >= interval
        {
            notify.watchdog();
            fed = Instant::now();
        }
        std::thread::sleep(TICK);
    }
}

/// `appliance.toml`: the hardware, the portal and the staff codes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Appliance {
    reader: ReaderSettings,
    printer: PrinterSettings,
    portal: PortalSettings,
    #[serde(default)]
    staff: Option<StaffSettings>,
    #[serde(default)]
    input: Option<InputSettings>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct InputSettings {
    /// The input devices that reach the UI, as USB `vendor:product` ids.
    allow: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct StaffSettings {
    /// The town's staff code seeds (`session::StaffSeeds::from_toml`).
    codes_file: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct ReaderSettings {
    name: String,
    eid_dir: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct PrinterSettings {
    device: PathBuf,
    baud: u32,
    /// Whether the printer draws QR codes itself (`GS ( k`).
    #[serde(default)]
    native_qr: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct PortalSettings {
    api_url: String,
    token_url: String,
    client_id_file: PathBuf,
    client_secret_file: PathBuf,
    ca_file: PathBuf,
    client_certificate_file: PathBuf,
    client_key_file: PathBuf,
    /// The administration PKI's root(s), PEM: what every destination key
    /// must be certified under.
    administration_pki_root_file: PathBuf,
    /// Where that PKI's CRLs are fetched.
    crl_urls: Vec<String>,
    /// How long a checked destination key is used before it is checked again.
    #[serde(default = "default_key_max_age")]
    key_max_age_seconds: u64,
    /// How long a confirmed request's status row stays in the queue.
    #[serde(default = "default_confirmed_retention")]
    confirmed_retention_days: u64,
}

fn default_key_max_age() -> u64 {
    portal::fitconnect::DEFAULT_MAX_KEY_AGE.as_secs()
}

fn default_confirmed_retention() -> u64 {
    portal::fitconnect::DEFAULT_CONFIRMED_RETENTION.as_secs() / SECONDS_PER_DAY
}

const SECONDS_PER_DAY: u64 = 24 * 60 * 60;

/// A key is checked again at least weekly (a revocation takes effect
/// within this), and not more than once a minute.
const KEY_MAX_AGE_SECONDS: std::ops::RangeInclusive<u64> = 60..=7 * SECONDS_PER_DAY;

/// 0: a confirmed request's row goes at once; at most a year.
const CONFIRMED_RETENTION_DAYS: std::ops::RangeInclusive<u64> = 0..=365;

/// The serial line speeds ESC/POS receipt printers offer.
const BAUD_RATES: [u32; 5] = [9600, 19_200, 38_400, 57_600, 115_200];

impl Appliance {
    /// Reads `appliance.toml` from the configuration directory and checks
    /// every setting.
    pub fn load(config_dir: &Path) -> Result<Appliance> {
        let path = config_dir.join("appliance.toml");
        let text = read_text(&path)?;
        let appliance: Appliance = toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
        appliance.check().with_context(|| format!("{} is not valid", path.display()))?;
        Ok(appliance)
    }

    /// Every setting within what the terminal can work with; the error
    /// names the key and what it may be.
    fn check(&self) -> Result<()> {
        anyhow::ensure!(
            BAUD_RATES.contains(&self.printer.baud),
            "`printer.baud` is {}, but must be one of {BAUD_RATES:?}",
            self.printer.baud
        );
        for (key, url) in [("portal.api-url", &self.portal.api_url), ("portal.token-url", &self.portal.token_url)] {
            anyhow::ensure!(is_https_url(url), "`{key}` is {url:?}, but must be an https:// address with a host");
        }
        let p = &self.portal;
        anyhow::ensure!(
            !p.crl_urls.is_empty(),
            "`portal.crl-urls` is empty, but must name where the administration PKI's CRLs are fetched"
        );
        for url in &p.crl_urls {
            anyhow::ensure!(
                is_https_url(url),
                "`portal.crl-urls` has {url:?}, but each must be an https:// address with a host"
            );
        }
        anyhow::ensure!(
            KEY_MAX_AGE_SECONDS.contains(&p.key_max_age_seconds),
            "`portal.key-max-age-seconds` is {}, but must be from {} to {}",
            p.key_max_age_seconds,
            KEY_MAX_AGE_SECONDS.start(),
            KEY_MAX_AGE_SECONDS.end()
        );
        anyhow::ensure!(
            CONFIRMED_RETENTION_DAYS.contains(&p.confirmed_retention_days),
            "`portal.confirmed-retention-days` is {}, but must be from {} to {}",
            p.confirmed_retention_days,
            CONFIRMED_RETENTION_DAYS.start(),
            CONFIRMED_RETENTION_DAYS.end()
        );
        let mut paths = vec![
            ("reader.eid-dir", &self.reader.eid_dir),
            ("printer.device", &self.printer.device),
            ("portal.client-id-file", &p.client_id_file),
            ("portal.client-secret-file", &p.client_secret_file),
            ("portal.ca-file", &p.ca_file),
            ("portal.client-certificate-file", &p.client_certificate_file),
            ("portal.client-key-file", &p.client_key_file),
            ("portal.administration-pki-root-file", &p.administration_pki_root_file),
        ];
        if let Some(staff) = &self.staff {
            paths.push(("staff.codes-file", &staff.codes_file));
        }
        if let Some(input) = &self.input {
            anyhow::ensure!(
                !input.allow.is_empty(),
                "`input.allow` is empty, but must list at least the touch screen (USB \"vendor:product\" ids)"
            );
            for id in &input.allow {
                id.parse::<DeviceId>().map_err(|error| anyhow::anyhow!("`input.allow`: {error}"))?;
            }
        }
        for (key, path) in paths {
            anyhow::ensure!(path.is_absolute(), "`{key}` is {}, but must be an absolute path", path.display());
        }
        Ok(())
    }

    /// Which input devices reach the UI: the listed ones, or, without an
    /// `[input]` section, touch screens only.
    fn input_policy(&self) -> InputPolicy {
        match &self.input {
            None => InputPolicy::TouchOnly,
            Some(input) => InputPolicy::Listed(input.allow.iter().filter_map(|id| id.parse().ok()).collect()),
        }
    }
}

/// Where the terminal keeps its state: systemd's `StateDirectory=`, else
/// `/var/lib/kiosk`.
pub fn state_dir() -> PathBuf {
    std::env::var_os("STATE_DIRECTORY")
        .map(PathBuf::from)
        .and_then(|dirs| dirs.to_str().and_then(|s| s.split(':').next()).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/var/lib/kiosk"))
}

/// The portal client: credentials from the provisioned files, destinations
/// from the catalogue, the queue in `state_dir`. It needs no network to
/// start; requests wait in the queue while the portal cannot be reached.
pub fn portal(appliance: &Appliance, config: &Config, state_dir: &Path) -> Result<FitConnectPortal> {
    let p = &appliance.portal;
    let tls = TlsMaterial {
        ca_pem: read_text(&p.ca_file)?.as_bytes().to_vec(),
        client_cert_pem: read_text(&p.client_certificate_file)?.as_bytes().to_vec(),
        client_key_pem: zeroize::Zeroizing::new(read_text(&p.client_key_file)?.as_bytes().to_vec()),
    };
    let client_id = read_text(&p.client_id_file)?;
    let secret = read_text(&p.client_secret_file)?;
    let mut portal_config = FitConnectConfig::new(
        p.api_url.clone(),
        p.token_url.clone(),
        client_id.trim().to_owned(),
        secret.trim().to_owned(),
        tls,
        KeyTrust {
            anchors_pem: read_text(&p.administration_pki_root_file)?.as_bytes().to_vec(),
            crl_urls: p.crl_urls.clone(),
            max_key_age: Duration::from_secs(p.key_max_age_seconds),
        },
        state_dir.join("queue.sqlite"),
    );
    portal_config.confirmed_retention = Duration::from_secs(p.confirmed_retention_days * SECONDS_PER_DAY);
    portal_config.destinations = config
        .catalogue
        .services()
        .iter()
        .filter_map(|s| s.authority.as_ref().map(|a| (s.id.clone(), a.destination.clone())))
        .collect();
    FitConnectPortal::start(portal_config).context("cannot start the portal client")
}

/// The PC/SC reader with this terminal's eID authorisation.
pub fn reader(appliance: &Appliance) -> Result<Box<dyn card_reader::CardReader>> {
    let settings = &appliance.reader;
    let eid = card_reader::Authorisation::load(&settings.eid_dir)
        .with_context(|| format!("cannot load the terminal's eID authorisation from {}", settings.eid_dir.display()))?;
    let reader = if settings.name.is_empty() {
        reader_pcsc::PcscReader::any(eid)
    } else {
        reader_pcsc::PcscReader::named(&settings.name, eid)
    };
    Ok(Box::new(reader))
}

/// `kiosk eid-request`: makes the CV certificate request for the next eID
/// authorisation (card_reader::renewal) and prints where it lies, for the
/// document verifier.
pub fn eid_request(config_dir: &Path) -> Result<()> {
    let dir = Appliance::load(config_dir)?.reader.eid_dir;
    let request = card_reader::renewal::request(&dir)
        .with_context(|| format!("cannot make the eID certificate request in {}", dir.display()))?;
    println!(
        "{} request for {} written to {}: hand it to the document verifier",
        if request.authenticated { "authenticated" } else { "unauthenticated" },
        request.chr,
        request.path.display()
    );
    Ok(())
}

/// `kiosk eid-install`: installs the document verifier's answer to the
/// waiting request; a running terminal uses it from the next card on.
pub fn eid_install(config_dir: &Path, certificate: &Path, dv: Option<&Path>) -> Result<()> {
    let dir = Appliance::load(config_dir)?.reader.eid_dir;
    let read = |path: &Path| std::fs::read(path).with_context(|| format!("cannot read {}", path.display()));
    let terminal = read(certificate)?;
    let dv = dv.map(read).transpose()?;
    let installed = card_reader::renewal::install(&dir, &terminal, dv.as_deref())
        .with_context(|| format!("the eID authorisation in {} was not changed", dir.display()))?;
    println!("eID authorisation {} installed, valid until {}", installed.chr, installed.valid_until);
    Ok(())
}

/// The staff code seeds. A terminal without them works for citizens; staff
/// cannot unlock assist mode or their page, and the journal says why.
fn staff_seeds(appliance: &Appliance) -> Option<StaffSeeds> {
    let path = &appliance.staff.as_ref()?.codes_file;
    let text = match read_text(path) {
        Ok(text) => text,
        Err(error) => {
            tracing::warn!(file = %path.display(), %error, "no staff codes: staff cannot unlock assist mode");
            return None;
        }
    };
    match StaffSeeds::from_toml(&text) {
        Ok(seeds) => Some(seeds),
        Err(error) => {
            tracing::error!(file = %path.display(), %error, "the staff codes cannot be used: staff cannot unlock assist mode");
            None
        }
    }
}

/// The receipt printer on its serial line, for the configured paper.
pub fn printer(appliance: &Appliance, config: &Config) -> Box<dyn printer::ReceiptPrinter> {
    let settings = &appliance.printer;
    let profile = printer::PrinterProfile {
        native_qr: settings.native_qr,
        ..printer::PrinterProfile::raster(paper_width(&config.terminal))
    };
    Box::new(printer::SerialPrinter::new(printer::SerialConfig::new(settings.device.clone(), settings.baud, profile)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_appliance_configuration_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let appliance = Appliance::load(&dir).unwrap();
        assert_eq!(appliance.printer.baud, 115_200);
        assert!(appliance.portal.api_url.starts_with("https://"));
        assert_eq!(appliance.input_policy(), InputPolicy::TouchOnly);
    }

    #[test]
    fn the_listed_input_devices_are_the_only_ones_allowed() {
        let shipped =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/appliance.toml")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let listed = shipped.replace("[staff]", "[input]\nallow = [\"0eef:0001\", \"04D9:1203\"]\n\n[staff]");
        std::fs::write(dir.path().join("appliance.toml"), listed).unwrap();
        let policy = Appliance::load(dir.path()).unwrap().input_policy();
        let id = |vendor, product| DeviceId { vendor, product };
        assert_eq!(policy, InputPolicy::Listed([id(0x0eef, 1), id(0x04d9, 0x1203)].into_iter().collect()));
    }

    #[test]
    fn settings_outside_their_range_are_refused_with_the_key_named() {
        let shipped =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/appliance.toml")).unwrap();
        for (from, to, key) in [
            ("baud = 115200", "baud = 115201", "printer.baud"),
            (
                "api-url = \"https://portal.musterstadt.example/fit-connect\"",
                "api-url = \"http://portal.musterstadt.example/fit-connect\"",
                "portal.api-url",
            ),
            ("device = \"/dev/ttyUSB0\"", "device = \"ttyUSB0\"", "printer.device"),
            ("crl-urls = [", "crl-urls = [\"http://crl.example/root.crl\", ", "portal.crl-urls"),
            ("key-max-age-seconds = 86400", "key-max-age-seconds = 59", "portal.key-max-age-seconds"),
            ("key-max-age-seconds = 86400", "key-max-age-seconds = 604801", "portal.key-max-age-seconds"),
            ("confirmed-retention-days = 30", "confirmed-retention-days = 366", "portal.confirmed-retention-days"),
            ("[staff]", "[input]\nallow = [\"0eef:0001\", \"keypad\"]\n\n[staff]", "input.allow"),
            ("[staff]", "[input]\nallow = []\n\n[staff]", "input.allow"),
        ] {
            assert!(shipped.contains(from), "{from}");
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("appliance.toml"), shipped.replace(from, to)).unwrap();
            let error = format!("{:#}", Appliance::load(dir.path()).unwrap_err());
            assert!(error.contains("appliance.toml") && error.contains(key), "{to}: {error}");
        }
    }

    #[test]
    fn an_unknown_key_is_refused_with_the_file_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("appliance.toml"), "[reader]\nname = \"\"\neid-dir = \"/x\"\nspeed = 1\n")
            .unwrap();
        let error = format!("{:#}", Appliance::load(dir.path()).unwrap_err());
        assert!(error.contains("appliance.toml is not valid"), "{error}");
    }
}
