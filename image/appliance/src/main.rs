// SPDX-License-Identifier: GPL-3.0-or-later
//! `appliance`: the appliance's own programs in the root (see the library).
//!
//! RAUC runs a handler by its path with one argument, the bundle's handler
//! arguments, usually empty (`launch_and_wait_handler` in RAUC 1.8's
//! src/install.c), so system.conf cannot name a subcommand. Started under a
//! handler's name (`/usr/lib/kiosk/rauc-pre-install`, a link to this binary
//! that image/build.sh makes), it acts as that subcommand.

use anyhow::Result;
use appliance::{downgrade, update};
use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "appliance", version, about = "The Bürgerterminal appliance's own programs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Installs the bundle on a maintenance stick with RAUC, unless it was
    /// installed before, then reboots into it (kiosk-update.service).
    UpdateFromStick {
        /// The bundle on the mounted stick.
        bundle: PathBuf,
        /// Where the digest of the bundle last installed is kept.
        #[arg(long, value_name = "DIR", env = "STATE_DIRECTORY", default_value = "/var/lib/kiosk-update")]
        state_dir: PathBuf,
    },
    /// RAUC's pre-install handler: refuses a bundle older than the running
    /// system unless a maintainer allowed exactly its version.
    RaucPreInstall {
        /// Where RAUC mounted the bundle.
        #[arg(long, value_name = "DIR", env = "RAUC_BUNDLE_MOUNT_POINT")]
        bundle_mount_point: PathBuf,
        /// The running system's version.
        #[arg(long, value_name = "FILE", default_value = downgrade::SYSTEM_VERSION_FILE)]
        system_version_file: PathBuf,
        /// The maintainer's allowance for one downgrade.
        #[arg(long, value_name = "FILE", default_value = downgrade::ALLOWANCE_FILE)]
        allowance: PathBuf,
        /// The handler arguments RAUC passes on from the bundle's manifest;
        /// this terminal's bundles have none.
        #[arg(value_name = "HANDLER_ARGS")]
        handler_args: Option<String>,
    },
}

/// The subcommand a handler link stands for.
const HANDLER_LINKS: [(&str, &str); 1] = [("rauc-pre-install", "rauc-pre-install")];

/// The command line, with a handler link's name turned into its subcommand.
/// What RAUC passes a handler is the bundle's, so it is taken as the handler
/// arguments, never as options (`--`): the paths stay the built-in ones.
fn arguments() -> Vec<OsString> {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let name = args.first().and_then(|arg0| Path::new(arg0).file_name()).and_then(|name| name.to_str());
    if let Some(&(_, subcommand)) = HANDLER_LINKS.iter().find(|(link, _)| Some(*link) == name) {
        args.splice(0..1, ["appliance".into(), subcommand.into(), "--".into()]);
    }
    args
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // The journal (directly, or through rauc.service's handler pipe) takes
    // plain lines; it adds the time itself.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(arguments());
    init_logging();
    // Each message names the task, the unit or handler it runs for.
    let result = match cli.command {
        Command::UpdateFromStick { bundle, state_dir } => {
            update_from_stick(&bundle, &state_dir).inspect_err(|e| tracing::error!(target: "kiosk-update", "{e:#}"))
        }
        Command::RaucPreInstall { bundle_mount_point, system_version_file, allowance, handler_args } => {
            let run = downgrade::PreInstall { bundle_mount_point, system_version_file, allowance };
            pre_install(&run, handler_args.as_deref())
                .inspect_err(|e| tracing::error!(target: "rauc-pre-install", "{e:#}"))
        }
    };
    if result.is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn update_from_stick(bundle: &Path, state_dir: &Path) -> Result<()> {
    match update::update_from_stick(bundle, state_dir)? {
        update::Outcome::AlreadyInstalled(digest) => {
            tracing::info!(target: "kiosk-update", "{digest} is installed already; remove the stick");
            Ok(())
        }
        update::Outcome::Installed(digest) => {
            tracing::info!(target: "kiosk-update", "installed {digest}, rebooting into the new slot");
            Ok(update::reboot()?)
        }
    }
}

fn pre_install(run: &downgrade::PreInstall, handler_args: Option<&str>) -> Result<()> {
    if let Some(args) = handler_args.filter(|args| !args.is_empty()) {
        anyhow::bail!("refused: the bundle passes handler arguments ({args:?}); this terminal's bundles have none");
    }
    let checked = run.run()?;
    let (bundle, system) = (&checked.bundle, &checked.system);
    match checked.verdict {
        downgrade::Verdict::Newer => {
            tracing::info!(target: "rauc-pre-install", "bundle {bundle} is newer than the running {system}")
        }
        downgrade::Verdict::Same => {
            tracing::info!(target: "rauc-pre-install", "bundle {bundle} is the running version again")
        }
        downgrade::Verdict::AllowedDowngrade => tracing::warn!(
            target: "rauc-pre-install",
            "bundle {bundle} is older than the running {system}: downgrade allowed by a maintainer, allowance used up"
        ),
    }
    Ok(())
}
