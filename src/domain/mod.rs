//! Validated domain values: once built, an id, a channel name or a message is known to be well
//! formed, so nothing past the boundary checks it again. This layer depends on no other module.

mod blocklist;
mod channel;
mod conversation;
mod file;
mod ids;
mod message;
mod name;
mod profile;
mod push;
mod reaction;
mod room;
mod search;
mod status;
mod timestamp;

pub use blocklist::Blocklist;
pub use channel::{ChannelKind, ChannelName, SocketId};
pub use conversation::ConversationKey;
pub use file::{ContentType, Dimensions, FileName, FileSize, SizeProblem, MAX_DIMENSION};
pub use ids::{ClientMessageId, MessageId, RoomId, UploadId, UserId};
pub use message::{Attachment, Draft, MessageContent, MessageFields, MessageKind, UploadRequest};
pub use name::{Name, NameProblem, MAX_NAME_CHARS};
pub use profile::{Profile, ProfileFields};
pub use push::{PushEndpoint, PushKeys, MAX_ENDPOINT_LEN};
pub use reaction::Emoji;
pub use room::{member_list, room_name, MAX_MEMBERS};
pub use search::SearchQuery;
pub use status::Status;
pub use timestamp::Timestamp;

/// Why a value was refused: a stable machine-readable `code` and a message for people. The
/// boundary decides the HTTP status (422 unless it says otherwise).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub code: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}
