// SPDX-License-Identifier: GPL-3.0-or-later
//! Every text of the UI (`@tr("…")` in `ui/**/*.slint`) is translated into
//! every language the terminal offers except English, the source language
//! (`ui/translations/<code>/LC_MESSAGES/kiosk.po`, one folder per
//! `session::Lang`), and no translation holds a text the UI no longer uses.
//! A text with a plural (`@tr("…" | "…" % n)`) has every plural form of the
//! language, and a translation keeps the `{}` placeholders of its source.

use session::Lang;
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

/// An entry of a catalogue: `msgstr`, or `msgid_plural` with
/// `msgstr[0]` to `msgstr[nplurals - 1]`.
#[derive(Debug, Default)]
struct Entry {
    plural: Option<String>,
    texts: Vec<String>,
}

fn quoted<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.strip_prefix(key)?.strip_prefix(" \"")?.strip_suffix('"')
}

/// The number of plural forms of each language and the rule that picks
/// one, as the Unicode CLDR plural rules and GNU gettext's manual
/// ("Plural forms") give them.
fn plural_forms(lang: Lang) -> &'static str {
    match lang {
        Lang::German | Lang::EasyGerman | Lang::English | Lang::Turkish => "nplurals=2; plural=(n != 1);",
        Lang::Arabic => {
            "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);"
        }
        Lang::Ukrainian | Lang::Russian => {
            "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
        }
    }
}

/// The placeholders of a text, in order: `{}`, `{n}`, `{0}`.
fn placeholders(text: &str) -> Vec<&str> {
    text.match_indices('{').filter_map(|(i, _)| text[i..].find('}').map(|end| &text[i..=i + end])).collect()
}

fn catalogue(lang: Lang) -> (String, BTreeMap<String, Entry>) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("ui/translations/{}/LC_MESSAGES/kiosk.po", lang.code()));
    let po = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut translated: BTreeMap<String, Entry> = BTreeMap::new();
    let mut msgid = String::new();
    for line in po.lines() {
        if let Some(id) = quoted(line, "msgid") {
            id.clone_into(&mut msgid);
            translated.insert(msgid.clone(), Entry::default());
        } else if let Some(plural) = quoted(line, "msgid_plural") {
            translated.entry(msgid.clone()).or_default().plural = Some(plural.to_owned());
        } else if let Some(text) = quoted(line, "msgstr").or_else(|| {
            let rest = line.strip_prefix("msgstr[")?;
            let (_, text) = rest.split_once(']')?;
            text.strip_prefix(" \"")?.strip_suffix('"')
        }) {
            translated.entry(msgid.clone()).or_default().texts.push(text.to_owned());
        }
    }
    (po, translated)
}

/// The languages with a catalogue: every language but the source language.
fn translated_languages() -> Vec<Lang> {
    Lang::ALL.into_iter().filter(|l| *l != Lang::English).collect()
}

/// What is wrong with `lang`'s catalogue `translated` for the UI texts `used`.
fn problems(lang: Lang, used: &[UiText], translated: &BTreeMap<String, Entry>) -> Vec<String> {
    let rule = plural_forms(lang);
    let nplurals: usize = rule["nplurals=".len()..rule.find(';').unwrap()].parse().unwrap();
    let mut problems = Vec::new();
    for u in used {
        let forms = if u.plural.is_some() { nplurals } else { 1 };
        let Some(entry) = translated.get(&u.singular) else {
            problems.push(format!("{}: missing {:?}", lang.code(), u.singular));
            continue;
        };
        if entry.plural != u.plural || entry.texts.len() != forms || entry.texts.iter().any(|t| t.trim().is_empty()) {
            problems.push(format!(
                "{}: {:?} needs {forms} non-empty form(s), has {:?}",
                lang.code(),
                u.singular,
                entry.texts
            ));
        }
        // A plural form may say "one" or "two" in words instead of `{n}`.
        if u.plural.is_none() && entry.texts.iter().any(|t| placeholders(t) != placeholders(&u.singular)) {
            problems.push(format!("{}: {:?} changes the placeholders: {:?}", lang.code(), u.singular, entry.texts));
        }
    }
    let stale: Vec<_> =
        translated.keys().filter(|k| !k.is_empty() && !used.iter().any(|u| &u.singular == *k)).collect();
    if !stale.is_empty() {
        problems.push(format!("{}: translations nobody uses: {stale:?}", lang.code()));
    }
    problems
}

#[test]
fn every_ui_text_is_translated_into_every_language_and_none_is_stale() {
    let used = ui_strings();
    assert!(used.len() > 200, "the scan found the UI's texts ({})", used.len());
    let mut all = Vec::new();
    for lang in translated_languages() {
        let (po, translated) = catalogue(lang);
        let rule = plural_forms(lang);
        assert!(po.contains(&format!("\"Language: {}\\n\"", lang.code())), "{} names its language", lang.code());
        assert!(po.contains(&format!("\"Plural-Forms: {rule}\\n\"")), "{} names its plural rule {rule}", lang.code());
        all.extend(problems(lang, &used, &translated));
        println!("{}: {} messages", lang.code(), translated.keys().filter(|k| !k.is_empty()).count());
    }
    assert!(all.is_empty(), "{all:#?}");
}

#[test]
fn a_missing_empty_or_misplaced_translation_is_found() {
    let used = ui_strings();
    let (_, mut russian) = catalogue(Lang::Russian);
    let plural = used.iter().find(|u| u.plural.is_some()).unwrap();
    let with_placeholder = used.iter().find(|u| u.plural.is_none() && u.singular.contains("{}")).unwrap();
    russian.remove(&used[0].singular);
    russian.get_mut(&plural.singular).unwrap().texts.pop();
    russian.get_mut(&with_placeholder.singular).unwrap().texts[0] = "без заполнителя".into();
    russian.insert("Not in the UI".into(), Entry::default());
    let found = problems(Lang::Russian, &used, &russian);
    assert_eq!(found.len(), 4, "{found:#?}");
}

#[test]
fn every_language_but_english_has_exactly_one_catalogue() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/translations");
    let mut found: Vec<String> =
        std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    found.sort();
    let mut expected: Vec<String> = translated_languages().iter().map(|l| l.code().to_owned()).collect();
    expected.sort();
    assert_eq!(found, expected);
}
