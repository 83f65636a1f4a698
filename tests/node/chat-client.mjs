// The product's client package (client/pusher-chat.js) with the real pusher-js (Node build),
// following conversations and reporting what a user would see as JSON lines on stdout:
//   {type: "state", current}            the realtime connection's state
//   {type: "messages", chat, contents}  a conversation's messages (texts), on every change
//   {type: "subscribed", channel}       a channel the client subscribed (again), with the time
//   {type: "signed-in"}                 the connection signed in (again), so the API can close it
//   {type: "error", operation, code, channel, message}
// Settings from the environment: API_BASE, TOKEN, CHATS (user ids, comma-separated), ROOMS
// (room ids), SIGN_IN (0: do not sign in; by default the client signs in), SAFETY_SYNC_MS (the
// client's safety sync period, to test the other ways it heals). It exits when stdin closes.
import Pusher from "pusher-js";
import { ChatClient } from "../../client/pusher-chat.js";

const emit = (obj) => process.stdout.write(JSON.stringify({ ...obj, at: Date.now() }) + "\n");
const list = (name) => (process.env[name] || "").split(",").filter(Boolean);

const client = new ChatClient({
  baseUrl: process.env.API_BASE,
  getToken: async () => process.env.TOKEN,
  Pusher,
  signIn: process.env.SIGN_IN !== "0",
  timing: process.env.SAFETY_SYNC_MS ? { safetySyncInterval: Number(process.env.SAFETY_SYNC_MS) } : undefined,
  onStateChange: ({ current }) => emit({ type: "state", current }),
  onError: (err) => emit({ type: "error", operation: err.operation, code: err.code, channel: err.channel, message: err.message }),
});
await client.connect();
// Every subscription the connection makes (pusher-js subscribes each channel again after a connect).
client.pusher.connection.bind("message", (message) => {
  if (message.event === "pusher_internal:subscription_succeeded") emit({ type: "subscribed", channel: message.channel });
  if (message.event === "pusher:signin_success") emit({ type: "signed-in" });
});
// A sign-in that finished before the binding above.
if (client.pusher.user?.user_data) emit({ type: "signed-in" });
const contents = (messages) => messages.map((m) => m.content);
for (const id of list("CHATS")) {
  client.openChat(id, { onChange: (messages) => emit({ type: "messages", chat: `chat:${id}`, contents: contents(messages) }) });
}
for (const id of list("ROOMS")) {
  client.openRoom(id, { onChange: (messages) => emit({ type: "messages", chat: `room:${id}`, contents: contents(messages) }) });
}
emit({ type: "ready" });
process.stdin.on("end", () => {
  client.close();
  process.exit(0);
});
process.stdin.resume();
