//! The one cleaning rule for free text that people type: what is stored is what moderators, staff
//! and the database can read. Every parser of a free-text field goes through [`clean`], and the form
//! layer applies [`clean_form_value`] to every posted value, so no handler can forget it.
use unicode_normalization::UnicodeNormalization;

/// Whether a field may hold several lines (a description) or is a single line (a title, a name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    Single,
    Multi,
}

/// Characters that change how text looks or reads without being visible: the zero-width space,
/// directional marks, bidi embeddings/overrides (U+202A–U+202E) and isolates (U+2066–U+2069), the
/// byte-order mark. The zero-width (non-)joiners stay: Persian and Kurdish words and names, Indic
/// scripts and emoji sequences are spelt with them.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// The zero-width non-joiner and joiner: part of the spelling of words (Persian, Kurdish, Indic
/// scripts) and of emoji, but nothing on their own.
pub fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// Drops NUL and every other C0/C1 control character (PostgreSQL refuses NUL in text; the others
/// hide or garble what a reader sees) and invisible format characters, keeps line breaks and tabs
/// only in multi-line fields (a single line turns them into spaces), normalises line endings to `\n`
/// and the text to Unicode NFC, and trims.
pub fn clean(raw: &str, lines: Lines) -> String {
    let multi = lines == Lines::Multi;
    raw.replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\n' | '\r' | '\t' if multi => Some(if c == '\r' { '\n' } else { c }),
            '\n' | '\r' | '\t' => Some(' '),
            c if c.is_control() || is_invisible_format(c) => None,
            c => Some(c),
        })
        .nfc()
        .collect::<String>()
        // Joiners join letters: at either end they only pad a name or a required field.
        .trim_matches(|c: char| c.is_whitespace() || is_joiner(c))
        .to_owned()
}

/// A single-line field, cleaned.
pub fn line(raw: &str) -> String {
    clean(raw, Lines::Single)
}

/// A multi-line field, cleaned.
pub fn multiline(raw: &str) -> String {
    clean(raw, Lines::Multi)
}

/// Fields whose value is taken byte for byte: a password must verify as it was typed.
pub fn is_verbatim_field(name: &str) -> bool {
    name.starts_with("password")
}

/// The cleaning applied to every value of a posted form before any handler sees it. Line breaks
/// stay (the form layer does not know which fields are multi-line; single-line parsers drop them),
/// and the value is not trimmed, so a field's own rules still see what was typed.
pub fn clean_form_value(name: &str, raw: &str) -> Option<String> {
    if is_verbatim_field(name) {
        return None;
    }
    let needs_cleaning = raw
        .chars()
        .any(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || is_invisible_format(c))
        || !unicode_normalization::is_nfc(raw);
    needs_cleaning.then(|| {
        raw.chars()
            .filter(|c| {
                matches!(c, '\n' | '\r' | '\t') || !(c.is_control() || is_invisible_format(*c))
            })
            .nfc()
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nul_controls_and_bidi_are_dropped() {
        assert_eq!(line("Kurs\u{0} für\u{202E} alle\u{2066}"), "Kurs für alle");
        assert_eq!(line("a\u{85}b\u{9F}c\u{7}d"), "abcd");
        assert_eq!(line("zwei\nZeilen\tTab"), "zwei Zeilen Tab");
        assert_eq!(multiline(" eins\r\nzwei\rdrei\t! "), "eins\nzwei\ndrei\t!");
        assert_eq!(line("\u{FEFF}\u{200B}Hallo"), "Hallo");
    }

    #[test]
    fn joiners_that_spell_words_and_emoji_stay() {
        // A Persian family name with a zero-width non-joiner, and "woman technologist" (ZWJ).
        assert_eq!(line("علی\u{200C}زاده"), "علی\u{200C}زاده");
        assert_eq!(line("👩\u{200D}💻"), "👩\u{200D}💻");
        assert_eq!(line("a\u{200E}b\u{200F}c"), "abc");
        // Alone or at the ends they only pad a required field.
        assert_eq!(line(" \u{200C}\u{200D} "), "");
        assert_eq!(line("\u{200D}Erika\u{200C}"), "Erika");
    }

    #[test]
    fn text_is_normalised_to_nfc() {
        // "ö" written as o + combining diaeresis becomes the one precomposed character.
        assert_eq!(line("scho\u{308}n"), "sch\u{F6}n");
    }

    #[test]
    fn form_values_are_cleaned_except_passwords() {
        assert_eq!(
            clean_form_value("titel", "a\u{0}b\u{202E}\nc").as_deref(),
            Some("ab\nc")
        );
        assert_eq!(clean_form_value("titel", " schon gut "), None);
        assert_eq!(clean_form_value("password", "a\u{0}b"), None);
    }

    proptest! {
        #[test]
        fn cleaned_text_has_no_controls_and_is_stable(s in "\\PC{0,80}|[\\x00-\\x1f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}a ]{0,40}") {
            for lines in [Lines::Single, Lines::Multi] {
                let cleaned = clean(&s, lines);
                prop_assert!(!cleaned.chars().any(|c| c.is_control() && !(lines == Lines::Multi && matches!(c, '\n' | '\t'))));
                prop_assert!(!cleaned.chars().any(is_invisible_format));
                prop_assert_eq!(clean(&cleaned, lines), cleaned.clone());
            }
            if let Some(value) = clean_form_value("x", &s) {
                prop_assert!(!value.contains('\0'));
            }
        }
    }
}
