// pusher-chat browser client: plain ES modules (besides pusher-js 8) that wrap the HTTP API and
// the Pusher subscriptions for any frontend, on the API's origin or another one.
//
//   import Pusher from "pusher-js";
//   const chat = new ChatClient({ baseUrl, Pusher, getToken: async ({ forceRefresh }) => token, onError });
//   await chat.connect();
//   const conversation = chat.openChat(otherUserId, { onChange: (messages) => render(messages) });
//   conversation.send("hello");      // shows at once as `pending`, then `sent` (or `failed` + retry())
//   conversation.close();
//
// Every message carries a per-conversation sequence number; a conversation asks for everything
// after the last one it has (`after=<seq>`) after each reconnect, when a live event skips a number,
// when the browser comes back online or visible, and every 5 s while the realtime connection is
// down, so a missed Pusher event is never a lost message.
//
// This entry only re-exports; the modules are in src/ (see README.md, "Layout").

export { ChatClient } from "./src/client.js";
export { ApiError, RealtimeError } from "./src/errors.js";
export { PushError } from "./src/push.js";
export { MEMBER_EVENTS, outranks, tombstoneText } from "./src/members.js";
export { REPORT_REASONS } from "./src/safety.js";
export { formatBytes } from "./src/uploads.js";
export { conversationKey, eventConversation, notificationsChannel, presenceChannel, privateChatChannel, roomChannel, roomKey } from "./src/names.js";
