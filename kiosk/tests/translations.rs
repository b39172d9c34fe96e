// SPDX-License-Identifier: GPL-3.0-or-later
//! Every text of the UI (`@tr("…")` in `ui/**/*.slint`) has a German
//! translation in `ui/translations/de/LC_MESSAGES/kiosk.po`, and the
//! translation holds no text the UI no longer uses.

use std::collections::BTreeMap;
use std::path::Path;

/// The `@tr("…")` source strings of every `.slint` file.
fn ui_strings() -> Vec<String> {
    fn visit(dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("read ui/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                visit(&path, out);
            } else if path.extension().is_some_and(|e| e == "slint") {
                let text = std::fs::read_to_string(&path).expect("read .slint");
                for (_, rest) in text.match_indices("@tr(\"").map(|(i, m)| ((), &text[i + m.len()..])) {
                    let end = rest.find('"').expect("closing quote");
                    out.push(rest[..end].to_owned());
                }
            }
        }
    }
    let mut out = Vec::new();
    visit(&Path::new(env!("CARGO_MANIFEST_DIR")).join("ui"), &mut out);
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_ui_text_has_a_german_translation_and_none_is_stale() {
    let po =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/translations/de/LC_MESSAGES/kiosk.po"))
            .expect("read the German translation");
    let mut translated = BTreeMap::new();
    let mut msgid = None;
    for line in po.lines() {
        if let Some(id) = line.strip_prefix("msgid \"").and_then(|l| l.strip_suffix('"')) {
            msgid = Some(id.to_owned());
        } else if let (Some(text), Some(id)) =
            (line.strip_prefix("msgstr \"").and_then(|l| l.strip_suffix('"')), msgid.take())
        {
            translated.insert(id, text.to_owned());
        }
    }
    let used = ui_strings();
    let missing: Vec<_> = used.iter().filter(|s| translated.get(*s).is_none_or(String::is_empty)).collect();
    assert!(missing.is_empty(), "no German text for {missing:#?}");
    let stale: Vec<_> = translated.keys().filter(|k| !k.is_empty() && !used.contains(k)).collect();
    assert!(stale.is_empty(), "translations nobody uses: {stale:#?}");
}
