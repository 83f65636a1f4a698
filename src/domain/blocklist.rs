//! The moderation blocklist (`MODERATION_BLOCKLIST_FILE`): words, phrases and patterns a message
//! may not contain. Pure: the file's text in, a matcher out.

use regex::Regex;

/// One entry a line: a word or phrase, matched without regard to case at word boundaries, or a
/// pattern between slashes (`/fr[e3]{2}\s*money/`), a regular expression matched without regard
/// to case. Blank lines and lines starting with `#` are skipped.
#[derive(Debug, Clone)]
pub struct Blocklist {
    matcher: Regex,
    entries: usize,
}

impl Blocklist {
    /// The list from the file's text; `Err` names the line that is not a valid pattern.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let part = match line.strip_prefix('/').and_then(|rest| rest.strip_suffix('/')) {
                Some(pattern) if !pattern.is_empty() => {
                    Regex::new(pattern).map_err(|err| format!("line {}: not a valid pattern: {err}", number + 1))?;
                    format!("(?:{pattern})")
                }
                _ => format!(r"\b{}\b", regex::escape(line)),
            };
            parts.push(part);
        }
        if parts.is_empty() {
            return Err("has no entries".into());
        }
        let entries = parts.len();
        let matcher = Regex::new(&format!("(?i){}", parts.join("|"))).map_err(|err| format!("is too large: {err}"))?;
        Ok(Self { matcher, entries })
    }

    pub fn entries(&self) -> usize {
        self.entries
    }

    pub fn matches(&self, text: &str) -> bool {
        self.matcher.is_match(text)
    }

    /// The text with every match replaced by as many `*` as it has characters.
    pub fn mask(&self, text: &str) -> String {
        self.matcher.replace_all(text, |found: &regex::Captures<'_>| "*".repeat(found[0].chars().count())).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_whole_and_without_regard_to_case() {
        let list = Blocklist::parse("# a comment\n\nbadword\nfree money\n").unwrap();
        assert_eq!(list.entries(), 2);
        assert!(list.matches("that is a BadWord!"));
        assert!(list.matches("get FREE money now"));
        assert!(!list.matches("badwords are fine as part of a longer word"), "whole words only");
        assert!(!list.matches("free and money"));
    }

    #[test]
    fn patterns_between_slashes_are_regular_expressions() {
        let list = Blocklist::parse(r"/fr[e3]{2}\s*m[o0]ney/").unwrap();
        assert!(list.matches("fr33 m0ney"));
        assert!(!list.matches("free"));
        assert!(Blocklist::parse("/(unclosed/").unwrap_err().starts_with("line 1"));
        assert!(Blocklist::parse("# nothing\n\n").is_err());
    }

    #[test]
    fn masking_keeps_the_rest_of_the_text() {
        let list = Blocklist::parse("darn\n/h[e3]ck/").unwrap();
        assert_eq!(list.mask("Darn it, what the h3ck"), "**** it, what the ****");
        assert_eq!(list.mask("nothing to hide"), "nothing to hide");
        assert_eq!(list.mask("dårn darn"), "dårn ****", "characters, not bytes");
    }
}
