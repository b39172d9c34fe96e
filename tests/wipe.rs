// SPDX-License-Identifier: GPL-3.0-or-later
//! Wipe means wipe: after a citizen's session has ended, neither the
//! terminal's data directory nor the memory of the still-running kiosk
//! process holds the citizen's name, street, PIN or what they typed. For
//! every way a session ends (finished, cancelled, timed out, card pulled),
//! both while the screen keeps being drawn and when no frame is drawn after
//! the end: the wipe must not depend on the UI redrawing.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What must not survive the session: the specimen card's family name,
/// street and PIN, in the spellings a card or a form could produce, and
/// what the scripted citizen types into the form.
const PERSONAL: &[&str] =
    &["Mustermann", "MUSTERMANN", "Heidestraße", "HEIDESTRASSE", "Heidestrasse", "123456", "Ecksofa, 3 Regale"];

/// What must be found, to show that the scan itself works: the
/// municipality's name, which the terminal's configuration puts into its
/// (writable) heap at start-up and keeps for its header and receipts.
const CONTROL: &str = "Stadt Musterstadt";

struct Kiosk(Child);

impl Drop for Kiosk {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `needle` occurs in `haystack`. A number (the PIN) counts only as
/// a whole run of digits: "123456" inside "+49170123456789", an example phone
/// number of the FIT-Connect specification that the local portal loads, is
/// not a PIN.
fn find(haystack: &[u8], needle: &[u8]) -> bool {
    let numeric = needle.iter().all(u8::is_ascii_digit);
    haystack.windows(needle.len()).enumerate().any(|(i, w)| {
        w == needle
            && (!numeric
                || (!haystack.get(i.wrapping_sub(1)).is_some_and(u8::is_ascii_digit)
                    && !haystack.get(i + needle.len()).is_some_and(u8::is_ascii_digit)))
    })
}

/// Every readable mapping of the process, searched for each needle.
fn scan_memory(pid: u32, needles: &[&str]) -> Vec<String> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("read the kiosk's memory map");
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).expect("open the kiosk's memory");
    let mut found = Vec::new();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else { continue };
        let name = fields.nth(3).unwrap_or("");
        // A citizen's data can only have been written into writable memory:
        // heap, stacks, anonymous mappings and writable data segments.
        // Read-only mappings of files are the files' own bytes (a shared
        // library's digit table contains "123456", for example).
        if !perms.starts_with("rw") || name == "[vvar]" || name == "[vsyscall]" {
            continue;
        }
        let (start, end) = range.split_once('-').expect("address range");
        let start = u64::from_str_radix(start, 16).expect("start address");
        let end = u64::from_str_radix(end, 16).expect("end address");
        let mut region = vec![0u8; usize::try_from(end - start).expect("region size")];
        if mem.seek(SeekFrom::Start(start)).is_err() || mem.read_exact(&mut region).is_err() {
            continue;
        }
        for needle in needles {
            if find(&region, needle.as_bytes()) {
                found.push(format!("{needle:?} in {range} {perms} {name}"));
            }
        }
    }
    found
}

fn scan_dir(dir: &Path, needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read the data directory").flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(scan_dir(&path, needles));
        } else if let Ok(bytes) = std::fs::read(&path) {
            found.extend(
                needles.iter().filter(|n| find(&bytes, n.as_bytes())).map(|n| format!("{n:?} in {}", path.display())),
            );
        }
    }
    found
}

/// Runs the headless demo with `extra` arguments until it holds, and
/// returns the running kiosk and what it printed.
fn run_until_holding(extra: &[&str], data: &Path, shots: &Path) -> (Kiosk, Vec<String>) {
    let child = Command::new(env!("CARGO_BIN_EXE_kiosk-demo"))
        .args(["demo", "--headless", "--hold", "--data-dir"])
        .arg(data)
        .arg("--screenshots")
        .arg(shots)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the kiosk");
    let mut kiosk = Kiosk(child);
    let stdout = kiosk.0.stdout.take().expect("kiosk stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut said = Vec::new();
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("the kiosk did not reach the hold in time; it said {said:?}"));
        if line == "holding" {
            return (kiosk, said);
        }
        said.push(line);
    }
}

fn finish(mut kiosk: Kiosk) {
    drop(kiosk.0.stdin.take());
    let status = kiosk.0.wait().expect("kiosk exit");
    assert!(status.success(), "the kiosk ended with {status}");
}

#[test]
fn the_scan_finds_the_citizens_data_while_the_session_runs() {
    let work = tempfile::tempdir().expect("temp dir");
    let (kiosk, _) = run_until_holding(&["--end", "in-session"], &work.path().join("data"), &work.path().join("shots"));
    let found = scan_memory(kiosk.0.id(), PERSONAL);
    for needle in ["Mustermann", "Heidestraße", "Ecksofa, 3 Regale"] {
        assert!(
            found.iter().any(|f| f.starts_with(&format!("{needle:?}"))),
            "{needle} is on the screen, so the scan must find it in memory; found only {found:?}"
        );
    }
    finish(kiosk);
}

/// Runs the walk-through with `extra` arguments and checks that nothing
/// personal is left when it holds. `submits`: whether the walk-through
/// sends a request.
fn assert_nothing_personal_remains(extra: &[&str], submits: bool) {
    let work = tempfile::tempdir().expect("temp dir");
    let data = work.path().join("data");
    let config = work.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    // Short timeouts, for the idle timeout's ending.
    let terminal = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../session/config/terminal.toml"))
        .expect("the default terminal.toml");
    let short = terminal
        .replace("idle-seconds = 90", "idle-seconds = 10")
        .replace("warning-seconds = 30", "warning-seconds = 5");
    assert_ne!(short, terminal, "the defaults changed; adapt the timeouts here");
    std::fs::write(config.join("terminal.toml"), short).expect("write terminal.toml");
    let mut args = vec!["--config", config.to_str().expect("a UTF-8 path")];
    args.extend_from_slice(extra);
    let (kiosk, said) = run_until_holding(&args, &data, &work.path().join("shots"));
    assert_eq!(
        said.iter().any(|l| l.starts_with("tracking number: ")),
        submits,
        "whether a request was submitted: {said:?}"
    );
    let pid = kiosk.0.id();

    let control = scan_memory(pid, &[CONTROL]);
    assert!(!control.is_empty(), "the scan must find the municipality's name, or it proves nothing");

    let in_memory = scan_memory(pid, PERSONAL);
    assert!(in_memory.is_empty(), "personal data left in the kiosk's memory:\n{}", in_memory.join("\n"));
    let on_disk = scan_dir(&data, PERSONAL);
    assert!(on_disk.is_empty(), "personal data left in the data directory:\n{}", on_disk.join("\n"));
    finish(kiosk);
}

#[test]
fn nothing_personal_remains_in_memory_or_on_disk_after_the_whole_demo() {
    assert_nothing_personal_remains(&[], true);
}

#[test]
fn nothing_personal_remains_after_a_session_a_staff_member_helped_with() {
    // A staff member joins on the form and the citizen shows them their
    // family name: assist mode's masks and the shown value go too.
    assert_nothing_personal_remains(&["--assisted"], true);
}

/// The visit ended as `ending`, once with frames drawn after the end and
/// once without.
fn assert_wiped_when_it_ends(ending: &str) {
    for draw in [false, true] {
        let mut args = vec!["--end", ending];
        if draw {
            args.push("--draw-while-holding");
        }
        assert_nothing_personal_remains(&args, ending == "finished");
    }
}

#[test]
fn nothing_personal_remains_after_a_finished_session() {
    assert_wiped_when_it_ends("finished");
}

#[test]
fn nothing_personal_remains_after_a_cancelled_session() {
    assert_wiped_when_it_ends("cancelled");
}

#[test]
fn nothing_personal_remains_after_a_timed_out_session() {
    assert_wiped_when_it_ends("timed-out");
}

#[test]
fn nothing_personal_remains_after_the_card_is_pulled() {
    assert_wiped_when_it_ends("card-pulled");
}
