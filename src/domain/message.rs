//! What a valid message is: its kind, its text and its attachment.

use super::{ClientMessageId, Dimensions, Invalid, MessageId, UploadId};
use serde::Deserialize;

/// Message text limit: 10 KB of UTF-8.
pub const MAX_CONTENT_BYTES: usize = 10 * 1024;
pub const MAX_FILE_URL_LEN: usize = 2048;
pub const MAX_FILE_NAME_LEN: usize = 255;

/// The seed's `MessageType` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Text,
    File,
}

impl MessageKind {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "TEXT" => Ok(Self::Text),
            "FILE" => Ok(Self::File),
            _ => Err(Invalid::new("invalid_type", "type must be TEXT or FILE")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "TEXT",
            Self::File => "FILE",
        }
    }
}

/// Plain text: no control characters except newline and tab.
fn has_forbidden_controls(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

/// A message's text: trimmed, non-empty, at most 10 KB, plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageContent(String);

impl MessageContent {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let text = raw.trim();
        if text.len() > MAX_CONTENT_BYTES {
            return Err(Invalid::new("content_too_long", format!("content is over {MAX_CONTENT_BYTES} bytes")));
        }
        if has_forbidden_controls(text) {
            return Err(Invalid::new(
                "invalid_content",
                "content may not contain control characters other than newline and tab",
            ));
        }
        if text.is_empty() {
            return Err(Invalid::new("empty_content", "content must not be empty"));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A file message's attachment: an `https://` URL, a one-line name and a size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub url: String,
    pub name: String,
    pub size: i32,
}

/// An `https://` URL with a host and no credentials, whitespace, control characters or HTML
/// delimiters, so it is safe to put in an attribute.
pub(super) fn is_https_url(url: &str) -> bool {
    let host = url.strip_prefix("https://").map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
    matches!(host, Some(h) if !h.is_empty() && !h.contains('@'))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '<' || c == '>')
}

impl Attachment {
    pub fn parse(url: Option<&str>, name: Option<&str>, size: Option<i64>) -> Result<Self, Invalid> {
        let url = url.map(str::trim).unwrap_or("");
        if url.len() > MAX_FILE_URL_LEN || !is_https_url(url) {
            return Err(Invalid::new("invalid_file_url", "fileUrl must be an https:// URL"));
        }
        let name = name.map(str::trim).unwrap_or("");
        if name.is_empty()
            || name.len() > MAX_FILE_NAME_LEN
            || has_forbidden_controls(name)
            || name.contains(['\n', '\t'])
        {
            return Err(Invalid::new("invalid_file_name", "fileName must be 1-255 characters of plain text"));
        }
        let size = match size {
            Some(size) if (0..=i64::from(i32::MAX)).contains(&size) => size as i32,
            _ => return Err(Invalid::new("invalid_file_size", "fileSize must be a whole number of bytes, 0 or more")),
        };
        Ok(Self { url: url.to_owned(), name: name.to_owned(), size })
    }
}

/// The message fields of a send request, as a client writes them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageFields {
    pub content: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub file_url: Option<String>,
    pub file_name: Option<String>,
    pub file_size: Option<i64>,
    pub client_message_id: Option<String>,
    /// The message this one replies to (same conversation).
    pub reply_to_id: Option<String>,
    /// A file uploaded with `POST /api/uploads`, instead of `fileUrl`/`fileName`/`fileSize`.
    pub upload_id: Option<String>,
    /// An uploaded image's size in pixels, as the client measured it.
    pub width: Option<i64>,
    pub height: Option<i64>,
}

/// A FILE message's uploaded file, before it is checked against the upload and the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    pub id: UploadId,
    pub dimensions: Dimensions,
}

/// A message that passed validation, ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub content: MessageContent,
    pub kind: MessageKind,
    pub file: Option<Attachment>,
    pub client_message_id: Option<ClientMessageId>,
    pub reply_to: Option<MessageId>,
    /// An uploaded file still to attach ([`Draft::attach_upload`]); `file` is `None` until then.
    pub upload: Option<UploadRequest>,
}

impl Draft {
    /// Attaches the checked upload: its file, and its name as the text when there is no caption.
    pub fn attach_upload(&mut self, file: Attachment) {
        if self.content.0.is_empty() {
            self.content = MessageContent(file.name.clone());
        }
        self.file = Some(file);
        self.upload = None;
    }

    pub fn parse(fields: &MessageFields) -> Result<Self, Invalid> {
        let kind = MessageKind::parse(fields.kind.as_deref().unwrap_or("TEXT"))?;
        // Length and characters first: an empty text is fine while a file may stand in for it.
        let text = fields.content.as_deref().unwrap_or("");
        let content = match MessageContent::parse(text) {
            Ok(content) => Some(content),
            Err(err) if err.code == "empty_content" => None,
            Err(err) => return Err(err),
        };
        let seed_fields = fields.file_url.is_some() || fields.file_name.is_some() || fields.file_size.is_some();
        let upload = match (kind, &fields.upload_id) {
            (MessageKind::File, Some(_)) if seed_fields => {
                return Err(Invalid::new("invalid_body", "send uploadId or fileUrl, fileName and fileSize, not both"))
            }
            (MessageKind::File, Some(id)) => Some(UploadRequest {
                id: UploadId::from_field(Some(id), "uploadId")?,
                dimensions: Dimensions::parse(fields.width, fields.height)?,
            }),
            (_, None) if fields.width.is_some() || fields.height.is_some() => {
                return Err(Invalid::new("invalid_dimensions", "width and height go with uploadId"))
            }
            (MessageKind::Text, Some(_)) => return Err(Invalid::new("unexpected_file", "uploadId needs type FILE")),
            _ => None,
        };
        let file = match kind {
            MessageKind::File if upload.is_some() => None,
            MessageKind::File => {
                Some(Attachment::parse(fields.file_url.as_deref(), fields.file_name.as_deref(), fields.file_size)?)
            }
            MessageKind::Text
                if fields.file_url.is_some() || fields.file_name.is_some() || fields.file_size.is_some() =>
            {
                return Err(Invalid::new("unexpected_file", "fileUrl, fileName and fileSize need type FILE"))
            }
            MessageKind::Text => None,
        };
        let content = match (content, &file) {
            (Some(content), _) => content,
            // A file without a caption is shown by its name (already checked as plain text).
            (None, Some(file)) => MessageContent(file.name.clone()),
            // The upload's name stands in once it is attached.
            (None, None) if upload.is_some() => MessageContent(String::new()),
            (None, None) => return Err(Invalid::new("empty_content", "content must not be empty")),
        };
        let client_message_id = fields.client_message_id.as_deref().map(ClientMessageId::parse).transpose()?;
        let reply_to =
            fields.reply_to_id.as_deref().map(|id| MessageId::from_field(Some(id), "replyToId")).transpose()?;
        Ok(Self { content, kind, file, client_message_id, reply_to, upload })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(content: &str) -> MessageFields {
        MessageFields { content: Some(content.into()), ..Default::default() }
    }

    fn file(url: &str, name: &str, size: i64) -> MessageFields {
        MessageFields {
            kind: Some("FILE".into()),
            file_url: Some(url.into()),
            file_name: Some(name.into()),
            file_size: Some(size),
            ..Default::default()
        }
    }

    fn code(fields: &MessageFields) -> &'static str {
        Draft::parse(fields).unwrap_err().code
    }

    #[test]
    fn text_is_trimmed_and_must_not_be_empty() {
        assert_eq!(Draft::parse(&text("  hi \n")).unwrap().content.as_str(), "hi");
        assert_eq!(code(&text(" \n\t ")), "empty_content");
        assert_eq!(code(&MessageFields::default()), "empty_content");
    }

    #[test]
    fn text_over_ten_kilobytes_of_utf8_is_refused() {
        assert!(Draft::parse(&text(&"a".repeat(10_240))).is_ok(), "the seed's 10 KB");
        assert_eq!(code(&text(&"a".repeat(10_241))), "content_too_long");
        assert!(Draft::parse(&text(&"a".repeat(MAX_CONTENT_BYTES))).is_ok());
        assert_eq!(code(&text(&"a".repeat(MAX_CONTENT_BYTES + 1))), "content_too_long");
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
        assert_eq!(ok.kind, MessageKind::File);
        assert_eq!(ok.content.as_str(), "a.png");
        assert_eq!(
            ok.file,
            Some(Attachment { url: "https://cdn.example/a.png".into(), name: "a.png".into(), size: 10 })
        );
        for url in [
            "http://cdn.example/a",
            "javascript:alert(1)",
            "data:text/html,hi",
            "https://",
            "https://a b",
            "https://user@evil",
            "https://cdn.example/a\"b",
            "https://cdn.example/<b>",
            "https://cdn.example/a>",
            "https://cdn.example/a\u{7f}",
        ] {
            assert_eq!(code(&file(url, "a.png", 1)), "invalid_file_url", "{url:?}");
        }
        let url_of = |len: usize| format!("https://cdn.example/{}", "a".repeat(len - "https://cdn.example/".len()));
        assert!(Draft::parse(&file(&url_of(MAX_FILE_URL_LEN), "a.png", 1)).is_ok(), "2048 characters fit");
        assert_eq!(code(&file(&url_of(MAX_FILE_URL_LEN + 1), "a.png", 1)), "invalid_file_url");
        assert_eq!(code(&file("https://cdn.example/a", "", 1)), "invalid_file_name");
        assert_eq!(code(&file("https://cdn.example/a", "a\nb", 1)), "invalid_file_name");
        assert_eq!(code(&file("https://cdn.example/a", "a\tb", 1)), "invalid_file_name");
        assert_eq!(code(&file("https://cdn.example/a", "a\u{1}b", 1)), "invalid_file_name");
        assert_eq!(code(&file("https://cdn.example/a", "a", -1)), "invalid_file_size");
        assert_eq!(code(&file("https://cdn.example/a", "a", i64::from(i32::MAX) + 1)), "invalid_file_size");
        assert!(Draft::parse(&file("https://cdn.example/a", "a", i64::from(i32::MAX))).is_ok());
        assert!(Draft::parse(&file("https://cdn.example/a", "a", 0)).is_ok());
    }

    #[test]
    fn an_upload_stands_in_for_the_file_fields_and_its_name_for_an_empty_caption() {
        let upload = |id: &str| MessageFields {
            kind: Some("FILE".into()),
            upload_id: Some(id.into()),
            width: Some(640),
            height: Some(480),
            ..Default::default()
        };
        let mut draft = Draft::parse(&upload("u-1")).unwrap();
        assert_eq!((draft.file.as_ref(), draft.content.as_str()), (None, ""));
        assert_eq!(draft.upload.as_ref().unwrap().dimensions.width, Some(640));
        draft.attach_upload(Attachment { url: "/api/files?messageId=m".into(), name: "cat.png".into(), size: 3 });
        assert_eq!((draft.content.as_str(), draft.upload.is_none()), ("cat.png", true));
        let mut captioned = Draft::parse(&MessageFields { content: Some("look".into()), ..upload("u-1") }).unwrap();
        captioned.attach_upload(Attachment { url: "/x".into(), name: "cat.png".into(), size: 3 });
        assert_eq!(captioned.content.as_str(), "look");
        assert_eq!(code(&upload("not an id")), "invalid_id");
        assert_eq!(
            code(&MessageFields { file_url: Some("https://a.example/x".into()), ..upload("u-1") }),
            "invalid_body"
        );
        assert_eq!(
            code(&MessageFields { kind: Some("TEXT".into()), content: Some("x".into()), ..upload("u-1") }),
            "unexpected_file"
        );
        assert_eq!(code(&MessageFields { width: Some(0), ..upload("u-1") }), "invalid_dimensions");
        assert_eq!(code(&MessageFields { width: Some(3), ..text("hi") }), "invalid_dimensions");
    }

    #[test]
    fn file_names_are_at_most_255_bytes() {
        assert!(Draft::parse(&file("https://cdn.example/a", &"n".repeat(MAX_FILE_NAME_LEN), 1)).is_ok());
        assert_eq!(code(&file("https://cdn.example/a", &"n".repeat(MAX_FILE_NAME_LEN + 1), 1)), "invalid_file_name");
        assert_eq!(code(&file("https://cdn.example/a", &"é".repeat(128), 1)), "invalid_file_name");
    }

    #[test]
    fn a_caption_wins_over_the_file_name() {
        let mut fields = file("https://cdn.example/a.png", "a.png", 10);
        fields.content = Some(" look ".into());
        assert_eq!(Draft::parse(&fields).unwrap().content.as_str(), "look");
    }

    #[test]
    fn file_fields_need_type_file_and_types_are_checked() {
        for set in [
            |f: &mut MessageFields| f.file_url = Some("https://cdn.example/a".into()),
            |f: &mut MessageFields| f.file_name = Some("a".into()),
            |f: &mut MessageFields| f.file_size = Some(1),
        ] {
            let mut fields = text("hi");
            set(&mut fields);
            assert_eq!(code(&fields), "unexpected_file");
        }
        let mut fields = text("hi");
        fields.kind = Some("IMAGE".into());
        assert_eq!(code(&fields), "invalid_type");
        assert_eq!(MessageKind::parse("TEXT").unwrap().as_str(), "TEXT");
        assert_eq!(MessageKind::parse("FILE").unwrap().as_str(), "FILE");
    }

    #[test]
    fn client_message_ids_are_short_tokens() {
        let mut fields = text("hi");
        fields.client_message_id = Some("3f2c-AB_9".into());
        assert_eq!(Draft::parse(&fields).unwrap().client_message_id.unwrap().as_str(), "3f2c-AB_9");
        fields.client_message_id = Some("has space".into());
        assert_eq!(code(&fields), "invalid_client_message_id");
    }

    #[test]
    fn a_reply_names_a_message_id() {
        let mut fields = text("hi");
        assert_eq!(Draft::parse(&fields).unwrap().reply_to, None);
        fields.reply_to_id = Some("m-1".into());
        assert_eq!(Draft::parse(&fields).unwrap().reply_to.unwrap().as_str(), "m-1");
        fields.reply_to_id = Some("not an id".into());
        assert_eq!(code(&fields), "invalid_id");
    }
}
