// SPDX-License-Identifier: GPL-3.0-or-later
//! Demo mode: the terminal with the simulated ID card (the specimen identity
//! on the OpenPACE card, identified through the same eID code as a real
//! card), the local FIT-Connect portal in a child process reached over
//! mutual TLS, and the simulated printer that writes the paper as a PNG.

use crate::demo_portal::ChildPortal;
use crate::simulated_reader::CardFile;
use crate::simulated_reader::{SimulatedCardSlot, SimulatedReader};
use crate::touch::Touchscreen;
use crate::walkthrough::{CardInHand, Walkthrough};
use anyhow::{Context, Result};
use kiosk::devices::Devices;
use kiosk::view::receipt::paper_width;
use kiosk::{App, DemoCard, Terminal};
use session::{Config, Pin, StaffSeeds};
use slint::ComponentHandle;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// `kiosk-demo demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
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
    /// A staff member joins the walk-through's request, and the citizen
    /// shows them a field (for the wipe test of an assisted session).
    #[arg(long, hide = true)]
    assisted: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
/// The portal demo mode talks to.
pub enum PortalChoice {
    /// The local FIT-Connect portal over mutual TLS.
    Local,
    /// The in-process simulated portal.
    Simulated,
}

/// The specimen card, kept beside the demo's sources. It is deliberately not
/// compiled in: the specimen identity must not sit in the process's memory
/// before a card is inserted or after it is removed.
pub fn default_card_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo-card.toml")
}

/// Demo mode's staff codes (`config/staff-codes.toml`).
pub fn staff_seeds() -> Result<StaffSeeds> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/staff-codes.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    StaffSeeds::from_toml(&text).with_context(|| format!("{} is not valid", path.display()))
}

/// The simulated card's slot and the card file that goes into it: what the
/// on-screen demo buttons and the scripted citizen do with the card.
#[derive(Clone)]
pub struct SpecimenCard {
    /// The simulated reader's slot.
    pub slot: SimulatedCardSlot,
    /// The card's file.
    pub file: PathBuf,
}

impl DemoCard for SpecimenCard {
    fn insert(&self) {
        if let Err(error) = self.slot.insert(&self.file) {
            tracing::error!(%error, "cannot insert the demo card");
        }
    }

    fn remove(&self) {
        self.slot.remove();
    }
}

impl CardInHand for SpecimenCard {
    fn put(&self) -> Result<()> {
        Ok(self.slot.insert(&self.file)?)
    }

    fn take(&self) {
        self.slot.remove();
    }

    fn pin(&self) -> Result<Pin> {
        // Here the PIN letter is the card file.
        Ok(CardFile::load(&self.file)?.pin())
    }

    fn slow_down(&self, delay: Duration) {
        self.slot.set_read_delay(delay);
    }
}

/// Runs demo mode.
pub fn run(args: DemoArgs) -> Result<()> {
    let config = Config::load(args.config.as_deref())?;
    let card_file = args.card.unwrap_or_else(default_card_file);
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

    let screen = if headless { Some(Touchscreen::install()?) } else { None };
    // The local portal process lives until demo mode ends (dropping its
    // guard ends it).
    let (portal, _local_portal): (Arc<dyn portal::Portal>, Option<ChildPortal>) = match args.portal {
        PortalChoice::Local => {
            // The portal is another party: its store and keys live beside the
            // terminal's data directory, not in it.
            let mut portal_dir = data_dir.clone().into_os_string();
            portal_dir.push("-portal");
            let portal_dir = PathBuf::from(portal_dir);
            tracing::info!(dir = %portal_dir.display(), "starting the local portal on loopback");
            let (client, child) =
                ChildPortal::start(&portal_dir, &data_dir).context("cannot start the local portal")?;
            (Arc::new(client), Some(child))
        }
        PortalChoice::Simulated => (Arc::new(portal::SimulatedPortal::new()), None),
    };
    let printer = printer::SimulatedPrinter::new(&printer_dir, paper_width(&config.terminal));
    let (terminal, card) = terminal(config, card_file, portal, Box::new(printer))?;

    match screen {
        Some(screen) => {
            if let Some(dir) = &screenshots {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let mut walk = Walkthrough::new(Rc::clone(&terminal), card, screen, screenshots.clone(), Some(printer_dir));
            if args.assisted {
                walk = walk.with_staff(staff_seeds()?);
            }
            let outcome = walk.run(args.stop_in_session)?;
            if let Some(tracking) = &outcome.tracking {
                println!("tracking number: {tracking}");
            }
            println!("taps: {}", outcome.taps);
            println!("screenshots: {} in {}", outcome.screenshots.len(), screenshots.unwrap_or_default().display());
            if args.hold {
                println!("holding");
                hold(&terminal);
            }
            Ok(())
        }
        None => {
            let app = terminal.borrow().app().clone_strong();
            kiosk::appliance::serve(&app, Some(&terminal), "kiosk ready")
        }
    }
}

/// A terminal with the simulated card and the given portal and printer, and
/// the card's slot. A headless screen, if wanted, must be installed before.
pub fn terminal(
    config: Config,
    card_file: PathBuf,
    portal: Arc<dyn portal::Portal>,
    printer: Box<dyn printer::ReceiptPrinter>,
) -> Result<(Rc<RefCell<Terminal>>, SpecimenCard)> {
    let (reader, slot) = SimulatedReader::new();
    let devices = Devices::start(Box::new(reader), portal, printer).context("cannot start the device threads")?;
    let app = App::new().context("cannot create the kiosk UI")?;
    let card = SpecimenCard { slot, file: card_file };
    let terminal = Terminal::new(app, config, devices, Some(staff_seeds()?), Some(Box::new(card.clone())));
    Ok((terminal, card))
}

/// Whether a window can be opened here: a desktop session for the `desktop`
/// build, or a DRM device for the appliance's linuxkms backend.
fn has_display() -> bool {
    let desktop = cfg!(feature = "desktop")
        && (std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some());
    desktop || Path::new("/dev/dri/card0").exists() && std::env::var_os("SLINT_BACKEND").is_some()
}

/// Keeps the terminal alive, ticking, until standard input is closed.
fn hold(terminal: &Rc<RefCell<Terminal>>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
        let _ = tx.send(());
    });
    while rx.recv_timeout(std::time::Duration::from_millis(200)).is_err() {
        let mut terminal = terminal.borrow_mut();
        terminal.pump();
        terminal.tick();
    }
}
