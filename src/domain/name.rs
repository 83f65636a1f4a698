//! A name people see: a user's first or last name, a room's name. One rule for all of them, so
//! nothing invisible or direction-reversing reaches another user's screen through any of them.

use super::reaction::Emoji;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

pub const MAX_NAME_CHARS: usize = 100;

const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';
const BLACK_FLAG: char = '\u{1F3F4}';
const CANCEL_TAG: char = '\u{E007F}';

/// A name: trimmed, at most [`MAX_NAME_CHARS`] characters, with at least one visible character
/// (a letter, digit, punctuation mark or symbol that renders as something), and none of:
/// control, format, private-use or unassigned characters (among them the bidi embeddings,
/// overrides and isolates U+202A–U+202E and U+2066–U+2069, the marks U+200E, U+200F and U+061C,
/// and invisible U+200B, U+2060–U+2064 and U+FEFF), or line and paragraph separators. The
/// zero-width joiner and non-joiner stay (Persian, Indic scripts and emoji sequences need them),
/// and so do the tag characters of a subdivision flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿), nowhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

/// Why a name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    /// Nothing visible: empty, whitespace, or only invisible characters.
    Blank,
    TooLong,
    /// A control, format (bidi, zero-width), private-use or unassigned character.
    Hidden,
}

impl Name {
    /// The name as it is (trimmed), or why not.
    pub fn parse(raw: &str) -> Result<Self, NameProblem> {
        let name = trim(raw);
        if allowed_spans(name).any(|(_, allowed)| !allowed) {
            return Err(NameProblem::Hidden);
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(NameProblem::TooLong);
        }
        if !name.chars().any(is_visible) {
            return Err(NameProblem::Blank);
        }
        Ok(Self(name.to_owned()))
    }

    /// For names that arrive from elsewhere (a token's metadata): the refused characters are
    /// dropped (controls become spaces), the rest trimmed and cut to [`MAX_NAME_CHARS`]; `None`
    /// when nothing visible is left.
    pub fn clean(raw: &str) -> Option<Self> {
        let mut kept = String::with_capacity(raw.len());
        for (span, allowed) in allowed_spans(raw) {
            if allowed {
                kept.push_str(span);
            } else if span.chars().all(char::is_control) {
                kept.push(' ');
            }
        }
        let cut: String = trim(&kept).chars().take(MAX_NAME_CHARS).collect();
        Self::parse(&cut).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for NameProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Blank => "needs a visible character",
            Self::TooLong => "is too long",
            Self::Hidden => "may not contain control, direction-control, invisible or private-use characters",
        })
    }
}

/// Whitespace and the fillers that render as blank space (Hangul fillers, the blank Braille
/// pattern) around a name are not part of it.
fn is_blank(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}')
}

fn trim(raw: &str) -> &str {
    raw.trim_matches(is_blank)
}

/// A letter, digit, punctuation mark or symbol that shows as something.
fn is_visible(c: char) -> bool {
    !is_blank(c)
        && matches!(
            c.general_category_group(),
            GeneralCategoryGroup::Letter
                | GeneralCategoryGroup::Number
                | GeneralCategoryGroup::Punctuation
                | GeneralCategoryGroup::Symbol
        )
}

/// A character a name may hold on its own (not the tags of a flag, which are judged together).
fn is_allowed(c: char) -> bool {
    match c.general_category() {
        GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => false,
        _ if c == ZWNJ || c == ZWJ => true,
        _ => c.general_category_group() != GeneralCategoryGroup::Other,
    }
}

fn is_tag(c: char) -> bool {
    ('\u{E0020}'..=CANCEL_TAG).contains(&c)
}

/// The name cut into spans, each allowed or not: single characters, and a black flag with the
/// tags after it, allowed when together they are a subdivision flag of Unicode's emoji set.
fn allowed_spans(name: &str) -> impl Iterator<Item = (&str, bool)> {
    let mut rest = name;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let mut len = first.len_utf8();
        if first == BLACK_FLAG {
            len += rest[len..].chars().take_while(|c| is_tag(*c)).map(char::len_utf8).sum::<usize>();
        }
        let (span, after) = rest.split_at(len);
        rest = after;
        let allowed = if span.len() > first.len_utf8() {
            span.ends_with(CANCEL_TAG) && Emoji::parse(span).is_ok()
        } else {
            is_allowed(first)
        };
        Some((span, allowed))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(text: &str) -> String {
        text.chars().map(|c| char::from_u32(0xE0000 + c as u32).unwrap()).collect()
    }

    #[test]
    fn names_in_any_script_with_joiners_and_emoji_are_kept_trimmed() {
        let scotland = format!("Team 🏴{}\u{E007F}", tags("gbsct"));
        for (raw, kept) in [
            ("  Ada  ", "Ada"),
            ("\u{3164}Ada\u{3164}", "Ada"),
            ("Grace Brewster Hopper", "Grace Brewster Hopper"),
            ("می\u{200C}خواهم", "می\u{200C}خواهم"),
            ("עברית", "עברית"),
            ("क्ष", "क्ष"),
            ("Zoë 🦊", "Zoë 🦊"),
            ("👩🏽‍💻", "👩🏽‍💻"),
            ("O'Brien-Łukasz", "O'Brien-Łukasz"),
            ("1", "1"),
            ("…", "…"),
            ("🏴 Pirates", "🏴 Pirates"),
            (&scotland, &scotland),
        ] {
            assert_eq!(Name::parse(raw).map(Name::into_string), Ok(kept.to_owned()), "{raw:?}");
        }
        assert!(Name::parse(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert_eq!(Name::parse(&"x".repeat(MAX_NAME_CHARS + 1)), Err(NameProblem::TooLong));
    }

    #[test]
    fn each_problem_says_what_is_wrong() {
        assert_eq!(NameProblem::Blank.to_string(), "needs a visible character");
        assert_eq!(NameProblem::TooLong.to_string(), "is too long");
        assert!(NameProblem::Hidden.to_string().contains("direction-control"));
    }

    #[test]
    fn names_without_a_visible_character_are_blank() {
        for raw in
            ["", "   ", "\u{3164}", "\u{115F}\u{1160}", "\u{2800}", "\u{FFA0}", "\u{0301}", "\u{FE0F}", "\u{200D}"]
        {
            assert_eq!(Name::parse(raw), Err(NameProblem::Blank), "{raw:?}");
        }
    }

    #[test]
    fn control_direction_invisible_and_private_characters_are_refused() {
        let hidden_text = format!("Ada🏴{}\u{E007F}", tags("admin"));
        for raw in [
            "\u{200B}",
            "\u{202E}evil",
            "\u{2066}x",
            "x\u{2069}",
            "Ada\u{202A}",
            "Ada\u{202B}x",
            "Ada\u{202C}x",
            "Ada\u{202D}x",
            "a\u{2067}b",
            "a\u{2068}b",
            "\u{200E}Ada",
            "\u{200F}Ada",
            "\u{061C}Ada",
            " \u{FEFF} ",
            "\u{2060}",
            "a\u{2061}b",
            "a\u{2064}b",
            "\u{00AD}",
            "Ada\u{00AD}",
            "a\nb",
            "a\u{0}",
            "a\u{7F}",
            "a\u{2028}b",
            "a\u{2029}b",
            "\u{E000}",
            "Ada\u{F8FF}",
            "Ada\u{E0041}",
            "Ada\u{E007F}",
            "\u{1F3F4}\u{E0067}",
            &hidden_text,
            "\u{0378}",
        ] {
            assert_eq!(Name::parse(raw), Err(NameProblem::Hidden), "{raw:?}");
        }
    }

    #[test]
    fn names_from_elsewhere_are_cleaned_and_blank_ones_dropped() {
        for (raw, cleaned) in [
            ("\u{202E}Grace\u{202C}", Some("Grace")),
            ("Hop\u{200B}per", Some("Hopper")),
            ("\u{2066}Ada\u{2069}", Some("Ada")),
            ("Ada\nLovelace", Some("Ada Lovelace")),
            ("  Ada  ", Some("Ada")),
            ("\u{3164}", None),
            ("\u{202E}\u{200B}", None),
            ("", None),
        ] {
            assert_eq!(Name::clean(raw).map(Name::into_string).as_deref(), cleaned, "{raw:?}");
        }
        assert_eq!(Name::clean(&format!("{}\u{200B}", "x".repeat(150))).unwrap().as_str().len(), MAX_NAME_CHARS);
    }
}
