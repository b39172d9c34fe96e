// SPDX-License-Identifier: GPL-3.0-or-later
//! Every text of the UI (`@tr("…")` in `ui/**/*.slint`) has a German
//! translation in `ui/translations/de/LC_MESSAGES/kiosk.po`, and the
//! translation holds no text the UI no longer uses. A text with a plural
//! (`@tr("…" | "…" % n)`) has both German forms.

use std::collections::BTreeMap;
use std::path::Path;

/// A text of the UI: `@tr("…")`, or `@tr("…" | "…" % n)` with its plural.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct UiText {
    singular: String,
    plural: Option<String>,
}

/// The string literal at the start of `text` (after blanks), and what follows it.
fn literal(text: &str) -> Option<(&str, &str)> {
    let rest = text.trim_start().strip_prefix('"')?;
    let end = rest.find('"').expect("closing quote");
    Some((&rest[..end], &rest[end + 1..]))
}

/// The `@tr` texts of every `.slint` file.
fn ui_strings() -> Vec<UiText> {
    fn visit(dir: &Path, out: &mut Vec<UiText>) {
        for entry in std::fs::read_dir(dir).expect("read ui/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                visit(&path, out);
            } else if path.extension().is_some_and(|e| e == "slint") {
                let text = std::fs::read_to_string(&path).expect("read .slint");
                for (i, m) in text.match_indices("@tr(") {
                    let (singular, rest) = literal(&text[i + m.len()..]).expect("@tr starts with a literal");
                    let plural = rest.trim_start().strip_prefix('|').and_then(literal).map(|(p, _)| p.to_owned());
                    out.push(UiText { singular: singular.to_owned(), plural });
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

/// A German entry of the catalogue: `msgstr`, or `msgid_plural` with
/// `msgstr[0]` and `msgstr[1]` (nplurals=2 in the header).
#[derive(Debug, Default)]
struct Entry {
    plural: Option<String>,
    texts: Vec<String>,
}

fn quoted<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.strip_prefix(key)?.strip_prefix(" \"")?.strip_suffix('"')
}

#[test]
fn every_ui_text_has_a_german_translation_and_none_is_stale() {
    let po =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/translations/de/LC_MESSAGES/kiosk.po"))
            .expect("read the German translation");
    assert!(
        po.contains("\"Plural-Forms: nplurals=2; plural=(n != 1);\\n\""),
        "the catalogue names German's plural rule"
    );
    let mut translated: BTreeMap<String, Entry> = BTreeMap::new();
    let mut msgid = String::new();
    for line in po.lines() {
        if let Some(id) = quoted(line, "msgid") {
            id.clone_into(&mut msgid);
            translated.insert(msgid.clone(), Entry::default());
        } else if let Some(plural) = quoted(line, "msgid_plural") {
            translated.entry(msgid.clone()).or_default().plural = Some(plural.to_owned());
        } else if let Some(text) = ["msgstr", "msgstr[0]", "msgstr[1]"].iter().find_map(|key| quoted(line, key)) {
            translated.entry(msgid.clone()).or_default().texts.push(text.to_owned());
        }
    }
    let used = ui_strings();
    let missing: Vec<_> = used
        .iter()
        .filter(|u| {
            let forms = if u.plural.is_some() { 2 } else { 1 };
            translated
                .get(&u.singular)
                .is_none_or(|e| e.plural != u.plural || e.texts.len() != forms || e.texts.iter().any(String::is_empty))
        })
        .collect();
    assert!(missing.is_empty(), "no German text (with each plural form) for {missing:#?}");
    let stale: Vec<_> =
        translated.keys().filter(|k| !k.is_empty() && !used.iter().any(|u| &u.singular == *k)).collect();
    assert!(stale.is_empty(), "translations nobody uses: {stale:#?}");
}
