//! What a reaction is: one emoji, written as a single grapheme (a base emoji with its skin tone,
//! variation selector or keycap, a flag, a tag sequence, or emoji joined by zero-width joiners).

use super::Invalid;

/// At most this many bytes: the longest emoji sequences (families with skin tones, subdivision
/// flags) stay well under it.
pub const MAX_EMOJI_BYTES: usize = 64;
/// At most this many code points.
pub const MAX_EMOJI_CHARS: usize = 16;

const ZWJ: char = '\u{200D}';
const KEYCAP: char = '\u{20E3}';

/// Characters that modify or join a base character rather than start a new one.
fn is_modifier(c: char) -> bool {
    matches!(c, '\u{FE0E}' | '\u{FE0F}' | ZWJ | KEYCAP | '\u{1F3FB}'..='\u{1F3FF}' | '\u{E0020}'..='\u{E007F}')
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// A base that may start an emoji: a pictograph or symbol (not a letter, digit, space, control
/// or punctuation of ordinary text), or a keycap base (`0-9`, `#`, `*`) when a keycap follows.
fn is_emoji_base(c: char, keycap_follows: bool) -> bool {
    if c.is_ascii() {
        return keycap_follows && (c.is_ascii_digit() || c == '#' || c == '*');
    }
    !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control() && (c == '\u{A9}' || c == '\u{AE}' || c >= '\u{2000}')
}

/// A reaction's emoji.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emoji(String);

impl Emoji {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new("invalid_emoji", "emoji must be a single emoji");
        let chars: Vec<char> = raw.chars().collect();
        if chars.is_empty() || raw.len() > MAX_EMOJI_BYTES || chars.len() > MAX_EMOJI_CHARS {
            return Err(invalid());
        }
        // A flag: exactly two regional indicators.
        if chars.iter().any(|c| is_regional_indicator(*c)) {
            return match chars.as_slice() {
                [a, b] if is_regional_indicator(*a) && is_regional_indicator(*b) => Ok(Self(raw.to_owned())),
                _ => Err(invalid()),
            };
        }
        // Otherwise: bases joined by ZWJ, one more base than joiners, each base followed only by
        // modifiers; the first character is a base.
        let mut bases = 0;
        let mut joiners = 0;
        for (i, c) in chars.iter().enumerate() {
            if *c == ZWJ {
                joiners += 1;
                // A joiner sits between two bases.
                if i == 0 || i == chars.len() - 1 {
                    return Err(invalid());
                }
            } else if is_modifier(*c) {
                if i == 0 {
                    return Err(invalid());
                }
            } else {
                let keycap_follows = chars[i + 1..].iter().take(2).any(|n| *n == KEYCAP);
                if !is_emoji_base(*c, keycap_follows) {
                    return Err(invalid());
                }
                bases += 1;
            }
        }
        if bases != joiners + 1 {
            return Err(invalid());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_emoji_of_every_shape_are_accepted() {
        for ok in [
            "👍",
            "👍🏽",
            "❤️",
            "❤",
            "🔥",
            "😂",
            "✅",
            "©️",
            "1️⃣",
            "#️⃣",
            "🇫🇷",
            "👨‍👩‍👧‍👦",
            "🏳️‍🌈",
            "👩🏽‍💻",
            "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
        ] {
            assert_eq!(Emoji::parse(ok).unwrap().as_str(), ok, "{ok:?}");
        }
    }

    #[test]
    fn text_several_emoji_and_stray_modifiers_are_refused() {
        for bad in [
            "",
            "a",
            "ok",
            "1",
            " 👍",
            "👍 ",
            "👍👍",
            "🇫🇷🇫",
            "🇫",
            "\u{FE0F}",
            "\u{200D}👍",
            "👍\u{200D}",
            "👍\u{200D}\u{200D}👍",
            "é",
            "日",
            "\u{0}",
            "\u{7}👍",
            "<script>",
            "👍a",
            &"👍\u{200D}".repeat(9),
        ] {
            assert_eq!(Emoji::parse(bad).unwrap_err().code, "invalid_emoji", "{bad:?}");
        }
    }
}
