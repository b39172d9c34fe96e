// SPDX-License-Identifier: GPL-3.0-or-later
//! The Bürgerterminal kiosk.
//!
//! `kiosk demo` runs the complete terminal with simulated hardware: a window
//! if there is a display, otherwise a scripted walk-through that writes one
//! screenshot per screen. `kiosk bench` prints the performance figures.

mod appliance;
mod bench;
mod config;
mod controller;
mod demo_portal;
mod hardware;
mod headless;
mod service_manager;
#[cfg(test)]
mod ui_tests;
mod view;
mod walkthrough;

/// The code generated from `ui/*.slint`.
mod ui {
    #![allow(missing_docs, clippy::all, clippy::pedantic, clippy::todo)]
    slint::include_modules!();
}
pub use ui::*;

use anyhow::{Context, Result};
use card_reader::SimulatedReader;
use clap::{Parser, Subcommand};
use controller::{DemoCard, Kiosk};
use hardware::Hardware;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

/// Every byte the kiosk frees is zeroed first, so that a citizen's data
/// cannot linger in freed heap memory after the session is wiped (the
/// session also zeroizes its own data explicitly; this catches the copies
/// that libraries and the UI make).
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> = zeroizing_alloc::ZeroAlloc(std::alloc::System);

#[derive(Parser)]
#[command(name = "kiosk", version, about = "The Bürgerterminal: a self-service terminal for citizens")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The whole terminal with a simulated ID card, portal and printer.
    Demo(DemoArgs),
    /// The terminal on real hardware: the ID card through pcscd, the receipt
    /// printer on its serial line, requests to the configured portal (the
    /// appliance's `kiosk.service` runs this).
    Run(RunArgs),
    /// Prints performance figures, one `name: value unit` per line.
    Bench,
    /// Renders the first frame and reports it on standard output (used by
    /// `bench` to time process start to first frame).
    #[command(hide = true)]
    FirstFrame,
    /// Measures the portal client and queue (used by `bench`).
    #[command(hide = true)]
    PortalFigures,
    /// Runs demo mode's local FIT-Connect portal until standard input closes
    /// (demo mode starts it as a child process).
    #[command(hide = true)]
    LocalPortal {
        /// The portal's own directory (keys, PKI, store).
        dir: PathBuf,
    },
}

#[derive(clap::Args)]
struct DemoArgs {
    /// Run the scripted walk-through without a display (the default when
    /// there is no display).
    #[arg(long)]
    headless: bool,
    /// Where the walk-through writes its screenshots and the receipt.
    #[arg(long, value_name = "DIR")]
    screenshots: Option<PathBuf>,
    /// A configuration directory (terminal.toml, catalogue.toml, texts.toml)
    /// instead of the compiled-in defaults.
    #[arg(long, value_name = "DIR")]
    config: Option<PathBuf>,
    /// The simulated card's file.
    #[arg(long, value_name = "FILE")]
    card: Option<PathBuf>,
    /// The terminal's data directory (queue, device keys).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Which portal demo mode talks to: the local FIT-Connect portal on
    /// loopback over mutual TLS (the real client and queue), or the in-process
    /// simulation.
    #[arg(long, value_enum, default_value_t = PortalChoice::Local)]
    portal: PortalChoice,
    /// After the walk-through, keep running until standard input closes (for
    /// the test that looks for leftovers in the process's memory).
    #[arg(long)]
    hold: bool,
    /// Stop the walk-through on the filled-in form, inside the session (for
    /// the wipe test's proof that its scan finds personal data when present).
    #[arg(long, hide = true)]
    stop_in_session: bool,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The configuration directory: appliance.toml, and terminal.toml,
    /// catalogue.toml and texts.toml where they replace the defaults.
    #[arg(long, value_name = "DIR", default_value = "/etc/kiosk")]
    config: PathBuf,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PortalChoice {
    /// The local FIT-Connect portal over mutual TLS.
    Local,
    /// The in-process simulated portal.
    Simulated,
}

fn main() -> Result<()> {
    init_logging();
    match Cli::parse().command {
        Command::Demo(args) => demo(args),
        Command::Run(args) => run(&args),
        Command::Bench => bench::run(),
        Command::FirstFrame => bench::first_frame(),
        Command::PortalFigures => bench::portal_figures(),
        Command::LocalPortal { dir } => demo_portal::serve(&dir),
    }
}

/// Logs go to standard error; under systemd that is the journal, which adds
/// its own timestamps. Logs never carry personal data.
fn init_logging() {
    let under_journal = std::env::var_os("JOURNAL_STREAM").is_some();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if under_journal {
        builder.without_time().with_ansi(false).init();
    } else {
        builder.init();
    }
}

/// Whether a window can be opened here: a desktop session for the `desktop`
/// build, or a DRM device for the appliance's linuxkms backend.
fn has_display() -> bool {
    let desktop = cfg!(feature = "desktop")
        && (std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some());
    desktop || Path::new("/dev/dri/card0").exists() && std::env::var_os("SLINT_BACKEND").is_some()
}

fn demo(args: DemoArgs) -> Result<()> {
    let config = config::Config::load(args.config.as_deref())?;
    let card_file = args.card.unwrap_or_else(config::default_demo_card);
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("buergerterminal-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let headless = args.headless || args.screenshots.is_some() || !has_display();
    let screenshots = match (headless, args.screenshots) {
        (_, Some(dir)) => Some(dir),
        (true, None) => Some(PathBuf::from("screenshots")),
        (false, None) => None,
    };
    let printer_dir = screenshots.clone().unwrap_or_else(|| data_dir.join("receipts"));
    std::fs::create_dir_all(&printer_dir).with_context(|| format!("cannot create {}", printer_dir.display()))?;

    let screen = if headless { Some(headless::Screen::install()?) } else { None };
    let specs = local_portal::default_specs_dir();
    let choice = if args.portal == PortalChoice::Local && !specs.join(local_portal::spec::OPENAPI_FILE).exists() {
        // The local portal validates every request against the published
        // FIT-Connect specification, kept beside the checkout (shared/specs).
        tracing::warn!(
            specs = %specs.display(),
            "the FIT-Connect specification files are not beside this checkout; \
             demo mode uses the simulated portal instead of the local one"
        );
        PortalChoice::Simulated
    } else {
        args.portal
    };
    // The local portal process lives until demo mode ends (dropping its
    // guard ends it).
    let (portal, _local_portal): (Arc<dyn portal::Portal>, Option<demo_portal::ChildPortal>) = match choice {
        PortalChoice::Local => {
            // The portal is another party: its store and keys live beside the
            // terminal's data directory, not in it.
            let mut portal_dir = data_dir.clone().into_os_string();
            portal_dir.push("-portal");
            let portal_dir = PathBuf::from(portal_dir);
            tracing::info!(dir = %portal_dir.display(), "starting the local portal on loopback");
            let (client, child) =
                demo_portal::ChildPortal::start(&portal_dir, &data_dir).context("cannot start the local portal")?;
            (Arc::new(client), Some(child))
        }
        PortalChoice::Simulated => (Arc::new(portal::SimulatedPortal::new()), None),
    };
    let printer = printer::SimulatedPrinter::new(&printer_dir, config.terminal.paper());
    let kiosk = kiosk_with(config, card_file, portal, Box::new(printer))?;

    match screen {
        Some(screen) => {
            if let Some(dir) = &screenshots {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let outcome = walkthrough::Walkthrough::new(Rc::clone(&kiosk), screen, screenshots.clone(), printer_dir)
                .run(args.stop_in_session)?;
            if let Some(tracking) = &outcome.tracking {
                println!("tracking number: {tracking}");
            }
            println!("taps: {}", outcome.taps);
            println!("screenshots: {} in {}", outcome.screenshots.len(), screenshots.unwrap_or_default().display());
            if args.hold {
                println!("holding");
                hold(&kiosk);
            }
            Ok(())
        }
        None => interactive(&kiosk),
    }
}

/// The appliance. A terminal that is not set up completely (not enrolled,
/// no eID authorisation, a broken configuration) still comes up: it says
/// "out of service" on its screen, tells maintainers why in the journal, and
/// reports ready to systemd, so that it is not restarted in a loop and an
/// update is not rolled back for a missing file. Without a display (a
/// container) it renders into memory.
fn run(args: &RunArgs) -> Result<()> {
    let screen = if Path::new(DRM_DEVICE).exists() {
        None
    } else {
        tracing::warn!(device = DRM_DEVICE, "no display; rendering into memory");
        Some(headless::Screen::install()?)
    };
    let app = App::new().context("cannot create the kiosk UI")?;
    let kiosk = match appliance_kiosk(app.clone_strong(), &args.config) {
        Ok(kiosk) => Some(kiosk),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "out of service: the terminal is not set up completely");
            app.global::<Api>().set_out_of_service(true);
            None
        }
    };
    match screen {
        Some(screen) => serve_headless(&app, kiosk.as_ref(), screen),
        None => serve(&app, kiosk.as_ref()),
    }
}

/// The display the appliance draws on (DRM/KMS).
const DRM_DEVICE: &str = "/dev/dri/card0";

fn appliance_kiosk(app: App, config_dir: &Path) -> Result<Rc<std::cell::RefCell<Kiosk>>> {
    let config = config::Config::load(Some(config_dir))?;
    let appliance = appliance::Appliance::load(config_dir)?;
    let state = appliance::state_dir();
    tracing::info!(config = %config_dir.display(), state = %state.display(), "starting the terminal");
    let reader = appliance::reader(&appliance)?;
    let portal = Arc::new(appliance::portal(&appliance, &config, &state)?);
    let printer = appliance::printer(&appliance, &config);
    let hardware = Hardware::start(reader, portal, printer)?;
    Ok(Kiosk::new(app, config, hardware, None))
}

/// A kiosk with the simulated card, portal and printer. The printer puts its
/// paper into `printer_dir`. A headless screen, if wanted, must be installed
/// before.
#[cfg(test)]
fn demo_kiosk(config: config::Config, card_file: PathBuf, printer_dir: &Path) -> Result<Rc<std::cell::RefCell<Kiosk>>> {
    let printer = printer::SimulatedPrinter::new(printer_dir, config.terminal.paper());
    kiosk_with(config, card_file, Arc::new(portal::SimulatedPortal::new()), Box::new(printer))
}

/// A kiosk with the simulated card and the given portal and printer. A
/// headless screen, if wanted, must be installed before.
fn kiosk_with(
    config: config::Config,
    card_file: PathBuf,
    portal: Arc<dyn portal::Portal>,
    printer: Box<dyn printer::ReceiptPrinter>,
) -> Result<Rc<std::cell::RefCell<Kiosk>>> {
    let (reader, slot) = SimulatedReader::new();
    let hardware = Hardware::start(Box::new(reader), portal, printer)?;
    let app = App::new().context("cannot create the kiosk UI")?;
    Ok(Kiosk::new(app, config, hardware, Some(DemoCard { slot, file: card_file })))
}

/// Keeps the kiosk alive, ticking, until standard input is closed.
fn hold(kiosk: &Rc<std::cell::RefCell<Kiosk>>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        let _ = tx.send(());
    });
    while rx.recv_timeout(std::time::Duration::from_millis(200)).is_err() {
        let mut kiosk = kiosk.borrow_mut();
        kiosk.pump();
        kiosk.tick();
    }
}

/// Runs the UI on the display until it is closed. Under systemd it reports
/// ready once the first frame is on the screen and feeds the watchdog from
/// the UI loop, so that a hung UI gets restarted.
fn interactive(kiosk: &Rc<std::cell::RefCell<Kiosk>>) -> Result<()> {
    let app = kiosk.borrow().app.clone_strong();
    serve(&app, Some(kiosk))
}

/// Runs `app` (and `kiosk`, if there is one) in Slint's event loop.
fn serve(app: &App, kiosk: Option<&Rc<std::cell::RefCell<Kiosk>>>) -> Result<()> {
    let timer = slint::Timer::default();
    if let Some(kiosk) = kiosk {
        let weak = Rc::downgrade(kiosk);
        timer.start(slint::TimerMode::Repeated, std::time::Duration::from_millis(50), move || {
            if let Some(kiosk) = weak.upgrade()
                && let Ok(mut kiosk) = kiosk.try_borrow_mut()
            {
                kiosk.pump();
                kiosk.tick();
            }
        });
    }
    let manager = Rc::new(service_manager::ServiceManager::from_env());
    let watchdog = slint::Timer::default();
    if let Some(interval) = manager.watchdog_interval() {
        let manager = Rc::clone(&manager);
        watchdog.start(slint::TimerMode::Repeated, interval, move || manager.watchdog());
    }
    // The event loop runs due timers, then renders, then waits. A timer due
    // at once runs before the first frame; the one it starts runs in the next
    // turn, after the first frame was rendered and presented.
    slint::Timer::single_shot(std::time::Duration::ZERO, move || {
        slint::Timer::single_shot(std::time::Duration::ZERO, move || {
            manager.ready();
            tracing::info!("kiosk ready");
        });
    });
    app.window().set_fullscreen(true);
    app.run().context("the UI stopped")?;
    Ok(())
}

/// Like [`serve`], without a display: frames are rendered into memory.
fn serve_headless(
    app: &App,
    kiosk: Option<&Rc<std::cell::RefCell<Kiosk>>>,
    mut screen: headless::Screen,
) -> Result<()> {
    let manager = service_manager::ServiceManager::from_env();
    app.show().context("cannot show the kiosk UI")?;
    screen.render();
    manager.ready();
    tracing::info!("kiosk ready");
    let mut fed = std::time::Instant::now();
    let mut drawn = std::time::Instant::now();
    loop {
        if let Some(kiosk) = kiosk {
            let mut kiosk = kiosk.borrow_mut();
            kiosk.pump();
            kiosk.tick();
        }
        // Nobody looks at these frames: one a second shows the loop is alive.
        if drawn.elapsed() >= std::time::Duration::from_secs(1) {
            screen.render();
            drawn = std::time::Instant::now();
        }
        if let Some(interval) = manager.watchdog_interval()
            && fed.elapsed() >= interval
        {
            manager.watchdog();
            fed = std::time::Instant::now();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
