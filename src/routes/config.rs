//! `GET /api/config`: what a browser needs to start pusher-js, with no secrets and no
//! build-time variables, and the channel names to subscribe to (`private-encrypted-…` when
//! end-to-end encryption is on).

use super::{path_of, Answer, Call, Route};
use crate::config::PusherEndpoint;
use crate::http::ok_json;
use serde_json::json;

/// pusher-js pings after this long without a frame from the server (its default, or the server's
/// advertised 120 s, would leave a silently dead socket unnoticed for minutes). Pings and pongs
/// are protocol frames: Pusher does not count them as messages.
pub const ACTIVITY_TIMEOUT_MS: u64 = 6_000;
/// ...and gives up on the connection (and opens a new one) when no pong came back within this:
/// a socket that stopped carrying bytes without closing is replaced within 10 s.
pub const PONG_TIMEOUT_MS: u64 = 4_000;

/// Absolute auth endpoints, so the options work as they are from a frontend on another origin:
/// `PUBLIC_BASE_URL`, else the origin the request came to (forwarded host and scheme on Vercel).
pub async fn get(call: Call) -> Answer {
    let pusher = &call.ctx.config.pusher;
    let base = call.ctx.config.http.public_base_url.clone().or_else(|| call.request.origin_seen_by_client());
    let endpoint = |route| format!("{}{}", base.as_deref().unwrap_or(""), path_of(route));
    let mut options = json!({
        "cluster": pusher.cluster,
        "channelAuthorization": {"endpoint": endpoint(Route::PusherAuth), "transport": "ajax"},
        "userAuthentication": {"endpoint": endpoint(Route::PusherUserAuth), "transport": "ajax"},
        "activityTimeout": ACTIVITY_TIMEOUT_MS,
        "pongTimeout": PONG_TIMEOUT_MS,
    });
    match &pusher.endpoint {
        PusherEndpoint::Hosted { .. } => options["forceTLS"] = json!(true),
        PusherEndpoint::SelfHosted { host, port, use_tls } => {
            let ws_host = pusher.ws_host.clone().unwrap_or_else(|| host.clone());
            let ws_port = pusher.ws_port.unwrap_or(*port);
            options["wsHost"] = json!(ws_host);
            options["wsPort"] = json!(ws_port);
            options["wssPort"] = json!(ws_port);
            options["forceTLS"] = json!(use_tls);
            options["enabledTransports"] = json!(["ws", "wss"]);
            options["disableStats"] = json!(true);
        }
    }
    // With end-to-end encryption every private channel is its `private-encrypted-` twin, which
    // only pusher-js's encryption build can read.
    let encrypted = pusher.encryption_master_key.is_some();
    let private = if encrypted { "private-encrypted-" } else { "private-" };
    let channels = json!({
        "privateChat": format!("{private}chat-{{low}}-{{high}}"),
        "notifications": format!("{private}notifications-{{userId}}"),
        "room": format!("{private}room-{{roomId}}"),
        "presenceUser": "presence-user-{userId}",
    });
    ok_json(&json!({
        "pusher": {"key": pusher.key, "options": options},
        "apiBaseUrl": base,
        "encryptedChannels": encrypted,
        "channels": channels,
        // How long a sender may edit a message, so a client hides "Edit" once it would be refused.
        "messageEditWindowSecs": call.ctx.config.limits.message_edit_window.as_secs(),
        // Web Push: the key `pushManager.subscribe({applicationServerKey})` takes (null: push is off).
        "webPush": {
            "enabled": call.ctx.config.push.is_some(),
            "vapidPublicKey": call.ctx.config.push.as_ref().map(|push| push.vapid.public_base64()),
        },
        // File uploads, so a client refuses a file before sending a byte.
        "uploads": {
            "enabled": call.ctx.config.storage.is_some(),
            "maxBytes": call.ctx.config.uploads.max_bytes,
            "allowedTypes": call.ctx.config.uploads.allowed_types,
        },
    }))
}
