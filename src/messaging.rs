//! Messaging rules shared by the routes: what a valid message is, and how one is published.

use crate::context::AppContext;
use crate::db::messages::Message;
use crate::error::ApiError;
use crate::http::ApiRequest;
use crate::pusher::channels::is_valid_socket_id;
use crate::pusher::client::MAX_EVENT_DATA_BYTES;
use crate::runtime::Background;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

/// Message text limit: 10 KB of UTF-8.
pub const MAX_CONTENT_BYTES: usize = 10 * 1024;
pub const MAX_FILE_URL_LEN: usize = 2048;
pub const MAX_FILE_NAME_LEN: usize = 255;

/// The body of `POST /api/messages/private` and `POST /api/messages/room`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendBody {
    pub receiver_id: Option<String>,
    pub room_id: Option<String>,
    pub content: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub file_url: Option<String>,
    pub file_name: Option<String>,
    pub file_size: Option<i64>,
    pub client_message_id: Option<String>,
    pub socket_id: Option<String>,
}

/// A message that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub content: String,
    pub kind: &'static str,
    pub file: Option<Attachment>,
    pub client_message_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub url: String,
    pub name: String,
    pub size: i32,
}

fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::unprocessable(code, message)
}

/// Plain text: no control characters except newline and tab.
fn has_forbidden_controls(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

impl Draft {
    pub fn parse(body: &SendBody) -> Result<Self, ApiError> {
        let kind = match body.kind.as_deref().unwrap_or("TEXT") {
            "TEXT" => "TEXT",
            "FILE" => "FILE",
            _ => return Err(invalid("invalid_type", "type must be TEXT or FILE")),
        };
        let content = body.content.as_deref().unwrap_or("").trim().to_owned();
        if content.len() > MAX_CONTENT_BYTES {
            return Err(invalid("content_too_long", format!("content is over {MAX_CONTENT_BYTES} bytes")));
        }
        if has_forbidden_controls(&content) {
            return Err(invalid("invalid_content", "content may not contain control characters other than newline and tab"));
        }
        let file = match kind {
            "FILE" => Some(Attachment::parse(body)?),
            _ => {
                if body.file_url.is_some() || body.file_name.is_some() || body.file_size.is_some() {
                    return Err(invalid("unexpected_file", "fileUrl, fileName and fileSize need type FILE"));
                }
                None
            }
        };
        let content = match (&file, content.is_empty()) {
            (_, false) => content,
            // A file without a caption is shown by its name.
            (Some(file), true) => file.name.clone(),
            (None, true) => return Err(invalid("empty_content", "content must not be empty")),
        };
        let client_message_id = match &body.client_message_id {
            None => None,
            Some(id) if crate::auth::is_valid_id(id) => Some(id.clone()),
            Some(_) => {
                return Err(invalid(
                    "invalid_client_message_id",
                    "clientMessageId must be 1-64 characters of A-Z, a-z, 0-9, '-' or '_'",
                ))
            }
        };
        Ok(Self { content, kind, file, client_message_id })
    }
}

impl Attachment {
    fn parse(body: &SendBody) -> Result<Self, ApiError> {
        let url = body.file_url.as_deref().map(str::trim).unwrap_or("");
        let host = url.strip_prefix("https://").map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
        let url_ok = matches!(host, Some(h) if !h.is_empty() && !h.contains('@'))
            && url.len() <= MAX_FILE_URL_LEN
            && !url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>');
        if !url_ok {
            return Err(invalid("invalid_file_url", "fileUrl must be an https:// URL"));
        }
        let name = body.file_name.as_deref().map(str::trim).unwrap_or("");
        if name.is_empty() || name.len() > MAX_FILE_NAME_LEN || has_forbidden_controls(name) || name.contains(['\n', '\t']) {
            return Err(invalid("invalid_file_name", "fileName must be 1-255 characters of plain text"));
        }
        let size = match body.file_size {
            Some(size) if (0..=i32::MAX as i64).contains(&size) => size as i32,
            _ => return Err(invalid("invalid_file_size", "fileSize must be a whole number of bytes, 0 or more")),
        };
        Ok(Self { url: url.to_owned(), name: name.to_owned(), size })
    }
}

/// The connection to leave out of a broadcast: `X-Pusher-Socket-Id` or a body's `socketId`.
pub fn excluded_socket(request: &ApiRequest, from_body: Option<&str>) -> Result<Option<String>, ApiError> {
    match request.header("x-pusher-socket-id").or(from_body) {
        None | Some("") => Ok(None),
        Some(id) if is_valid_socket_id(id) => Ok(Some(id.to_owned())),
        Some(_) => Err(ApiError::bad_request("invalid_socket_id", "socket id must look like 1234.5678")),
    }
}

/// Reads an id parameter that must be a valid user or room id.
pub fn id_param(value: Option<&str>, name: &'static str) -> Result<String, ApiError> {
    match value {
        Some(id) if crate::auth::is_valid_id(id) => Ok(id.to_owned()),
        Some(_) => Err(invalid("invalid_id", format!("{name} is not a valid id"))),
        None => Err(invalid("missing_field", format!("{name} is required"))),
    }
}

/// `new-message` data: the message, or when it would exceed Pusher's 10 KB event limit, the same
/// without its text and with `truncated: true` (clients then fetch it with a sync).
pub fn new_message_payload(message: &Message) -> Value {
    let mut payload = serde_json::to_value(message).unwrap_or(Value::Null);
    if payload.to_string().len() > MAX_EVENT_DATA_BYTES {
        payload["content"] = Value::String(String::new());
        payload["truncated"] = Value::Bool(true);
    }
    payload
}

/// Publishes one event to some channels after the response, with one Pusher call. A failure is
/// logged and never fails the request that caused it: clients recover through sync.
pub fn publish(
    ctx: &Arc<AppContext>,
    background: &Background,
    channels: Vec<String>,
    event: &'static str,
    data: Value,
    socket_id: Option<String>,
) {
    let ctx = ctx.clone();
    background.spawn(async move {
        if let Err(err) = ctx.pusher.trigger(&channels, event, &data, socket_id.as_deref()).await {
            tracing::warn!(%err, event, "event not published");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(content: &str) -> SendBody {
        SendBody { content: Some(content.into()), ..Default::default() }
    }

    fn file(url: &str, name: &str, size: i64) -> SendBody {
        SendBody {
            kind: Some("FILE".into()),
            file_url: Some(url.into()),
            file_name: Some(name.into()),
            file_size: Some(size),
            ..Default::default()
        }
    }

    fn code(body: &SendBody) -> &'static str {
        Draft::parse(body).unwrap_err().code()
    }

    #[test]
    fn text_is_trimmed_and_must_not_be_empty() {
        assert_eq!(Draft::parse(&text("  hi \n")).unwrap().content, "hi");
        assert_eq!(code(&text(" \n\t ")), "empty_content");
        assert_eq!(code(&SendBody::default()), "empty_content");
    }

    #[test]
    fn text_over_ten_kilobytes_of_utf8_is_refused() {
        assert!(Draft::parse(&text(&"a".repeat(MAX_CONTENT_BYTES))).is_ok());
        assert_eq!(code(&text(&"é".repeat(MAX_CONTENT_BYTES / 2 + 1))), "content_too_long");
    }

    #[test]
    fn control_characters_other_than_newline_and_tab_are_refused() {
        assert!(Draft::parse(&text("line\nnext\tcol")).is_ok());
        for bad in ["a\u{0}b", "a\u{7}b", "a\rb", "a\u{1b}[31mb", "a\u{85}b"] {
            assert_eq!(code(&text(bad)), "invalid_content", "{bad:?}");
        }
    }

    #[test]
    fn files_need_an_https_url_a_name_and_a_size() {
        let ok = Draft::parse(&file("https://cdn.example/a.png", "a.png", 10)).unwrap();
        assert_eq!(ok.kind, "FILE");
        assert_eq!(ok.content, "a.png");
        for url in ["http://cdn.example/a", "javascript:alert(1)", "data:text/html,hi", "https://", "https://a b", "https://user@evil"] {
            assert_eq!(code(&file(url, "a.png", 1)), "invalid_file_url", "{url}");
        }
        assert_eq!(code(&file("https://cdn.example/a", "", 1)), "invalid_file_name");
        assert_eq!(code(&file("https://cdn.example/a", "a\nb", 1)), "invalid_file_name");
        assert_eq!(code(&file("https://cdn.example/a", "a", -1)), "invalid_file_size");
        assert_eq!(code(&file("https://cdn.example/a", "a", i64::from(i32::MAX) + 1)), "invalid_file_size");
    }

    #[test]
    fn file_fields_need_type_file_and_types_are_checked() {
        let mut body = text("hi");
        body.file_url = Some("https://cdn.example/a".into());
        assert_eq!(code(&body), "unexpected_file");
        let mut body = text("hi");
        body.kind = Some("IMAGE".into());
        assert_eq!(code(&body), "invalid_type");
    }

    #[test]
    fn client_message_ids_are_short_tokens() {
        let mut body = text("hi");
        body.client_message_id = Some("3f2c-AB_9".into());
        assert_eq!(Draft::parse(&body).unwrap().client_message_id.as_deref(), Some("3f2c-AB_9"));
        body.client_message_id = Some("has space".into());
        assert_eq!(code(&body), "invalid_client_message_id");
        body.client_message_id = Some("x".repeat(65));
        assert_eq!(code(&body), "invalid_client_message_id");
    }
}
