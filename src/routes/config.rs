//! `GET /api/config`: what a browser needs to start pusher-js, with no secrets and no
//! build-time variables.

use super::{path_of, Answer, Call, Route};
use crate::config::PusherEndpoint;
use crate::http::ok_json;
use serde_json::json;

pub async fn get(call: Call) -> Answer {
    let pusher = &call.ctx.config.pusher;
    let mut options = json!({
        "cluster": pusher.cluster,
        "channelAuthorization": {"endpoint": path_of(Route::PusherAuth), "transport": "ajax"},
        "userAuthentication": {"endpoint": path_of(Route::PusherUserAuth), "transport": "ajax"},
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
    ok_json(&json!({"pusher": {"key": pusher.key, "options": options}}))
}
