//! What a reaction is: exactly one emoji of Unicode's recommended set (RGI, emoji-test.txt: single
//! emoji, skin-tone modifiers, keycaps, flags, subdivision flags and ZWJ sequences), stored in its
//! fully-qualified form so that "❤" and "❤️" are one reaction.

use super::Invalid;

/// A reaction's emoji, fully qualified.
///
/// Accepted: what `emoji-test.txt` of the Unicode version of the `emojis` crate lists, in any of
/// its fully-qualified, minimally-qualified or unqualified forms (U+2764 alone is "❤️"). Refused:
/// everything else, including characters with the Emoji property that are not emoji on their own
/// (`1`, `#`, `*`), invisible or direction-control characters, private-use characters, and tag
/// characters other than the three RGI subdivision flags, so no text hides inside a reaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emoji(&'static str);

impl Emoji {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        emojis::get(raw).map(|emoji| Self(emoji.as_str())).ok_or_else(invalid)
    }

    pub fn as_str(&self) -> &str {
        self.0
    }
}

fn invalid() -> Invalid {
    Invalid::new("invalid_emoji", "emoji must be a single emoji (Unicode's recommended set)")
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
            "🔥",
            "😂",
            "✅",
            "©️",
            "1️⃣",
            "#️⃣",
            "*️⃣",
            "🇫🇷",
            "🇺🇳",
            "👨‍👩‍👧",
            "👨‍👩‍👧‍👦",
            "🏳️‍🌈",
            "👩🏽‍💻",
            "🧑🏿‍🤝‍🧑🏻",
            "🫩",
            "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",
            "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
        ] {
            assert_eq!(Emoji::parse(ok).unwrap().as_str(), ok, "{ok:?}");
        }
    }

    #[test]
    fn every_emoji_of_the_recommended_set_is_accepted_as_it_is() {
        let all: Vec<&str> =
            emojis::iter().flat_map(|e| e.skin_tones().into_iter().flatten().chain([e])).map(|e| e.as_str()).collect();
        assert!(all.len() > 3500, "{}", all.len());
        for emoji in all {
            assert_eq!(Emoji::parse(emoji).map(|e| e.as_str().to_owned()), Ok(emoji.to_owned()));
        }
    }

    #[test]
    fn unqualified_and_minimally_qualified_forms_become_the_fully_qualified_one() {
        for (sent, stored) in
            [("❤", "❤️"), ("©", "©️"), ("1\u{20E3}", "1️⃣"), ("☺", "☺️"), ("🏳\u{200D}🌈", "🏳️‍🌈"), ("👁‍🗨", "👁️‍🗨️")]
        {
            assert_eq!(Emoji::parse(sent).unwrap().as_str(), stored, "{sent:?}");
        }
    }

    #[test]
    fn invisible_characters_symbols_and_private_use_are_refused() {
        for bad in [
            "\u{202E}",
            "\u{200B}",
            "\u{FEFF}",
            "\u{2060}",
            "\u{2066}",
            "\u{200E}",
            "\u{00AD}",
            "\u{E000}",
            "€",
            "→",
            "。",
            "☃\u{FE0E}",
            "\u{3164}",
            "\u{2800}",
            "✓",
            "\u{1F3FB}\u{1F3FB}",
        ] {
            assert_eq!(Emoji::parse(bad).unwrap_err().code, "invalid_emoji", "{bad:?}");
        }
    }

    #[test]
    fn tag_characters_are_accepted_only_as_a_subdivision_flag() {
        // Text hidden after a base emoji in tag characters ("👍" then tags spelling "hi").
        let tags = |text: &str| text.chars().map(|c| char::from_u32(0xE0000 + c as u32).unwrap()).collect::<String>();
        for bad in [
            format!("👍{}\u{E007F}", tags("hi")),
            format!("👍{}", tags("hi")),
            format!("🏴{}\u{E007F}", tags("hello")),
            format!("🏴{}\u{E007F}", tags("usca")),
            format!("🏴{}", tags("gbeng")),
            tags("gbeng"),
        ] {
            assert_eq!(Emoji::parse(&bad).unwrap_err().code, "invalid_emoji", "{bad:?}");
        }
        assert!(Emoji::parse(&format!("🏴{}\u{E007F}", tags("gbwls"))).is_ok());
    }

    #[test]
    fn text_several_emoji_and_stray_modifiers_are_refused() {
        for bad in [
            "",
            "a",
            "ok",
            "1",
            "#",
            " 👍",
            "👍 ",
            "👍👍",
            "👍\u{FE0F}\u{FE0F}",
            "🇫🇷🇫",
            "🇫",
            "\u{FE0F}",
            "\u{20E3}",
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
            &"😀".repeat(1000),
        ] {
            assert_eq!(Emoji::parse(bad).unwrap_err().code, "invalid_emoji", "{bad:?}");
        }
    }
}
