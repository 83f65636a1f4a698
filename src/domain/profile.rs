//! A user's public profile: the name and avatar others see.

use super::message::is_https_url;
use super::name::{Name, MAX_NAME_CHARS};
use super::Invalid;
use serde::Deserialize;
use serde_json::Value;

pub const MAX_AVATAR_URL_LEN: usize = 2048;

/// A validated profile: a first name (a [`Name`]), a last name (a [`Name`] or empty) and an
/// optional `https://` avatar URL, so avatars in payloads work from any origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    first_name: String,
    last_name: String,
    avatar: Option<String>,
}

/// A profile as a client sends it (`PUT /api/me`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileFields {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub avatar: Option<String>,
}

/// A name field: a [`Name`], or (when not `required`) nothing but whitespace, which is empty.
fn name(raw: &str, field: &'static str, required: bool) -> Result<String, Invalid> {
    if !required && raw.trim().is_empty() {
        return Ok(String::new());
    }
    Name::parse(raw).map(Name::into_string).map_err(|problem| {
        Invalid::new(
            "invalid_profile",
            format!("{field} {problem}: at most {MAX_NAME_CHARS} characters of plain text with a visible one"),
        )
    })
}

/// A name from a token: cleaned ([`Name::clean`]), empty when nothing visible is left.
fn cleaned(raw: &str) -> String {
    Name::clean(raw).map(Name::into_string).unwrap_or_default()
}

fn avatar(raw: &str) -> Result<String, Invalid> {
    let url = raw.trim();
    if url.len() <= MAX_AVATAR_URL_LEN && is_https_url(url) {
        Ok(url.to_owned())
    } else {
        Err(Invalid::new("invalid_profile", "avatar must be an https:// URL"))
    }
}

impl Profile {
    pub fn parse(fields: &ProfileFields) -> Result<Self, Invalid> {
        Ok(Self {
            first_name: name(fields.first_name.as_deref().unwrap_or(""), "firstName", true)?,
            last_name: name(fields.last_name.as_deref().unwrap_or(""), "lastName", false)?,
            avatar: fields.avatar.as_deref().filter(|a| !a.trim().is_empty()).map(avatar).transpose()?,
        })
    }

    /// A first profile from a Supabase token's `user_metadata` (`first_name`/`last_name`,
    /// `full_name`/`name`, `avatar_url`/`picture`), else the email's local part, else the id.
    /// Names are cleaned of what [`Name`] refuses; an avatar that does not pass is left out.
    pub fn from_token(metadata: Option<&Value>, email: Option<&str>, fallback: &str) -> Self {
        let text = |key: &str| metadata.and_then(|m| m.get(key)).and_then(Value::as_str).map(str::trim);
        let (mut first, mut last) =
            match (text("first_name").or(text("given_name")), text("last_name").or(text("family_name"))) {
                (Some(first), last) => (first.to_owned(), last.unwrap_or("").to_owned()),
                (None, _) => match text("full_name").or(text("name")) {
                    Some(full) => match full.split_once(' ') {
                        Some((first, last)) => (first.to_owned(), last.trim().to_owned()),
                        None => (full.to_owned(), String::new()),
                    },
                    None => (String::new(), String::new()),
                },
            };
        first = cleaned(&first);
        if first.is_empty() {
            first = cleaned(email.and_then(|e| e.split('@').next()).unwrap_or(""));
        }
        if first.is_empty() {
            first = fallback.chars().take(MAX_NAME_CHARS).collect();
        }
        last = cleaned(&last);
        let avatar = text("avatar_url").or(text("picture")).and_then(|url| avatar(url).ok());
        Self { first_name: first, last_name: last, avatar }
    }

    pub fn first_name(&self) -> &str {
        &self.first_name
    }

    pub fn last_name(&self) -> &str {
        &self.last_name
    }

    pub fn avatar(&self) -> Option<&str> {
        self.avatar.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(first: Option<&str>, last: Option<&str>, avatar: Option<&str>) -> ProfileFields {
        ProfileFields {
            first_name: first.map(Into::into),
            last_name: last.map(Into::into),
            avatar: avatar.map(Into::into),
        }
    }

    #[test]
    fn a_profile_needs_a_first_name_and_takes_an_https_avatar() {
        let profile =
            Profile::parse(&fields(Some(" Ada "), Some(" Lovelace "), Some("https://cdn.example/a.png"))).unwrap();
        assert_eq!((profile.first_name(), profile.last_name()), ("Ada", "Lovelace"));
        assert_eq!(profile.avatar(), Some("https://cdn.example/a.png"));
        assert_eq!(Profile::parse(&fields(Some("Ada"), None, Some(""))).unwrap().avatar(), None);
        for bad in [
            fields(None, None, None),
            fields(Some("  "), None, None),
            fields(Some("a\u{0}"), None, None),
            fields(Some(&"x".repeat(MAX_NAME_CHARS + 1)), None, None),
            fields(Some("Ada"), Some("a\nb"), None),
            fields(Some("Ada"), None, Some("/avatars/a.svg")),
            fields(Some("Ada"), None, Some("javascript:alert(1)")),
            fields(Some("Ada"), None, Some("http://cdn.example/a.png")),
            fields(Some("Ada"), None, Some("https://cdn.example/\"><script>")),
        ] {
            assert_eq!(Profile::parse(&bad).unwrap_err().code, "invalid_profile", "{bad:?}");
        }
        assert!(Profile::parse(&fields(Some(&"é".repeat(MAX_NAME_CHARS)), None, None)).is_ok());
    }

    #[test]
    fn a_first_profile_comes_from_supabase_metadata_then_the_email() {
        let meta = json!({"full_name": "Grace Brewster Hopper", "avatar_url": "https://cdn.example/g.png"});
        let profile = Profile::from_token(Some(&meta), Some("grace@navy.mil"), "u1");
        assert_eq!((profile.first_name(), profile.last_name()), ("Grace", "Brewster Hopper"));
        assert_eq!(profile.avatar(), Some("https://cdn.example/g.png"));

        let meta = json!({"first_name": "Ada", "last_name": "Lovelace", "picture": "javascript:x"});
        let profile = Profile::from_token(Some(&meta), None, "u1");
        assert_eq!((profile.first_name(), profile.last_name(), profile.avatar()), ("Ada", "Lovelace", None));

        let profile = Profile::from_token(Some(&json!({"name": "\u{0}"})), Some("linus@example.org"), "u1");
        assert_eq!((profile.first_name(), profile.last_name()), ("linus", ""));
        assert_eq!(Profile::from_token(None, None, "u1").first_name(), "u1");
    }
}
