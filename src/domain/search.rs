//! What a message search asks for: words, each matched as a prefix.

use super::Invalid;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Words used from a query; the rest are ignored.
pub const MAX_QUERY_WORDS: usize = 8;

/// A search query: the lower-cased words of the text (letters and digits), every one of which a
/// message must contain as a word or a word's beginning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery(Vec<String>);

impl SearchQuery {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(Invalid::new("invalid_query", format!("q is longer than {MAX_QUERY_CHARS} characters")));
        }
        let words: Vec<String> = raw
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(str::to_lowercase)
            .take(MAX_QUERY_WORDS)
            .collect();
        if words.is_empty() {
            return Err(Invalid::new("invalid_query", "q must contain at least one word (letters or digits)"));
        }
        Ok(Self(words))
    }

    pub fn words(&self) -> &[String] {
        &self.0
    }

    /// The `to_tsquery` text: every word as a quoted prefix term, all required. Words hold only
    /// letters and digits, so nothing in them can be tsquery syntax.
    pub fn to_tsquery(&self) -> String {
        self.0.iter().map(|word| format!("'{word}':*")).collect::<Vec<_>>().join(" & ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_required_prefix_terms() {
        assert_eq!(SearchQuery::parse("Hello").unwrap().to_tsquery(), "'hello':*");
        assert_eq!(SearchQuery::parse("  lunch   TOMORROW? ").unwrap().to_tsquery(), "'lunch':* & 'tomorrow':*");
        assert_eq!(SearchQuery::parse("don't & 'x':* | !y").unwrap().to_tsquery(), "'don':* & 't':* & 'x':* & 'y':*");
        assert_eq!(SearchQuery::parse("Café 東京 42").unwrap().words(), ["café", "東京", "42"]);
        let many = SearchQuery::parse("a b c d e f g h i j").unwrap();
        assert_eq!(many.words().len(), MAX_QUERY_WORDS);
    }

    #[test]
    fn a_query_needs_a_word_and_a_bound() {
        for bad in ["", "   ", "!!! ???", "'", "\u{0}"] {
            assert_eq!(SearchQuery::parse(bad).unwrap_err().code, "invalid_query", "{bad:?}");
        }
        assert!(SearchQuery::parse(&"a".repeat(MAX_QUERY_CHARS)).is_ok());
        assert_eq!(SearchQuery::parse(&"a".repeat(MAX_QUERY_CHARS + 1)).unwrap_err().code, "invalid_query");
    }
}
