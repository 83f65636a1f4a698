// Demo chat client: signs in (a dev token locally, any Supabase access token elsewhere), reads
// the public Pusher settings from /api/config, and uses the API for everything it saves. Pusher
// events make it live; a sync by sequence number (after=<seq>) fills any gap after a reconnect.
"use strict";

// The local stack's demo users (stable ids, see src/db/users.rs).
const DEMO = {
  alice: "00000000-0000-4000-8000-00000000a11c",
  bob: "00000000-0000-4000-8000-000000000b0b",
  carol: "00000000-0000-4000-8000-0000000ca201",
};

const state = { token: null, me: null, pusher: null, chat: null, chatChannel: null, presenceChannel: null, lastSeq: 0, typingSentAt: 0, typingTimer: null };
const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options = { ...options, method: options.method || "POST", body: JSON.stringify(options.json) };
  }
  if (state.pusher && state.pusher.connection.socket_id) headers["X-Pusher-Socket-Id"] = state.pusher.connection.socket_id;
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error?.message || response.statusText), { status: response.status, body });
  return body;
}

const chatChannelName = (a, b) => (a <= b ? `private-chat-${a}-${b}` : `private-chat-${b}-${a}`);
const displayName = (user) => (user ? `${user.firstName} ${user.lastName}`.trim() : "");

async function signIn(token) {
  state.token = token;
  state.me = await api("/api/me");
  $("login").hidden = true;
  $("app").hidden = false;
  $("whoami").textContent = state.me.profile ? displayName(state.me.profile) : state.me.id;
  renderDemoContacts();
  await connect();
  await refreshInbox();
}

async function connect() {
  const { pusher } = await api("/api/config");
  const auth = { headers: { Authorization: `Bearer ${state.token}` } };
  state.pusher = new Pusher(pusher.key, {
    ...pusher.options,
    channelAuthorization: { ...pusher.options.channelAuthorization, ...auth },
    userAuthentication: { ...pusher.options.userAuthentication, ...auth },
  });
  state.pusher.connection.bind("state_change", ({ previous, current }) => {
    $("connection").textContent = current;
    $("connection").classList.toggle("connected", current === "connected");
    // Back from a disconnection: fetch what was missed.
    if (current === "connected" && previous !== "connecting" && state.chat) syncChat();
  });
  // Being in one's own presence channel is what "online" means to contacts.
  state.pusher.subscribe(`presence-user-${state.me.id}`);
  const own = state.pusher.subscribe(`private-notifications-${state.me.id}`);
  own.bind("new-message", () => refreshInbox());
  own.bind("room-created", () => refreshInbox());
}

function renderDemoContacts() {
  const box = $("demo-contacts");
  box.replaceChildren();
  for (const [handle, id] of Object.entries(DEMO)) {
    if (id === state.me.id) continue;
    const button = document.createElement("button");
    button.textContent = `Chat with ${handle}`;
    button.dataset.chatWith = handle;
    button.addEventListener("click", () => openChat(id));
    box.append(button);
  }
}

async function refreshInbox() {
  const { conversations } = await api("/api/conversations");
  const list = $("inbox");
  list.replaceChildren();
  for (const c of conversations.filter((c) => c.kind === "private")) {
    const li = document.createElement("li");
    li.dataset.userId = c.otherUser.id;
    li.classList.toggle("active", state.chat === c.otherUser.id);
    const img = document.createElement("img");
    img.src = c.otherUser.avatar || "/avatars/alice.svg";
    img.alt = "";
    const text = document.createElement("div");
    const name = document.createElement("div");
    name.textContent = displayName(c.otherUser);
    const preview = document.createElement("div");
    preview.className = "preview";
    preview.textContent = c.lastMessage ? c.lastMessage.content : "";
    text.append(name, preview);
    li.append(img, text);
    if (c.unreadCount > 0) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = c.unreadCount;
      li.append(badge);
    }
    li.addEventListener("click", () => openChat(c.otherUser.id));
    list.append(li);
  }
}

async function openChat(otherId) {
  if (state.chatChannel) state.pusher.unsubscribe(state.chatChannel.name);
  state.chat = otherId;
  state.lastSeq = 0;
  $("messages").replaceChildren();
  $("typing").textContent = "";
  $("chat-error").textContent = "";
  $("composer").hidden = false;
  $("chat-title").textContent = Object.entries(DEMO).find(([, id]) => id === otherId)?.[0] || otherId;

  const channel = state.pusher.subscribe(chatChannelName(state.me.id, otherId));
  state.chatChannel = channel;
  channel.bind("new-message", (m) => (m.truncated ? syncChat() : addMessages([m])));
  channel.bind("message-read", (r) => markRead(r.messageIds || []));
  channel.bind("typing-start", (t) => t.userId !== state.me.id && showTyping(`${t.userName} is typing…`));
  channel.bind("typing-stop", (t) => t.userId !== state.me.id && showTyping(""));

  subscribePresence(otherId);

  const page = await api(`/api/messages/private?chatId=${encodeURIComponent(otherId)}`).catch((err) => {
    $("chat-error").textContent = err.message;
    return { messages: [] };
  });
  addMessages(page.messages);
  await refreshInbox();
}

// Presence of a contact is visible once the two share a conversation: until then the
// subscription is refused, and it is tried again after messages arrive.
function subscribePresence(otherId) {
  if (state.presenceChannel) state.pusher.unsubscribe(state.presenceChannel.name);
  const presence = state.pusher.subscribe(`presence-user-${otherId}`);
  state.presenceChannel = presence;
  const showPresence = () => {
    const online = presence.members && presence.members.get(otherId);
    $("presence").textContent = online ? "online" : "offline";
    $("presence").classList.toggle("online", !!online);
  };
  presence.bind("pusher:subscription_succeeded", showPresence);
  presence.bind("pusher:subscription_error", () => (presence.refused = true));
  presence.bind("pusher:member_added", showPresence);
  presence.bind("pusher:member_removed", showPresence);
}

async function syncChat() {
  const page = await api(`/api/messages/private?chatId=${encodeURIComponent(state.chat)}&after=${state.lastSeq}`);
  addMessages(page.messages);
}

function addMessages(messages) {
  const list = $("messages");
  for (const m of messages) {
    if (document.querySelector(`[data-message-id="${m.id}"]`)) continue;
    const li = document.createElement("li");
    li.dataset.messageId = m.id;
    li.dataset.seq = m.seq;
    li.classList.toggle("mine", m.senderId === state.me.id);
    li.textContent = m.content;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = new Date(m.createdAt).toLocaleTimeString() + (m.senderId === state.me.id ? (m.isRead ? " ✓✓" : " ✓") : "");
    li.append(meta);
    list.append(li);
    // Their message ends their typing, even when the throttled typing-stop never came.
    if (m.senderId !== state.me.id) showTyping("");
    state.lastSeq = Math.max(state.lastSeq, m.seq);
  }
  list.scrollTop = list.scrollHeight;
  if (messages.length && state.presenceChannel && state.presenceChannel.refused) subscribePresence(state.chat);
  const unreadFromOther = messages.some((m) => m.senderId !== state.me.id && !m.isRead);
  if (unreadFromOther && document.visibilityState !== "hidden") {
    api("/api/messages/read", { json: { chatId: state.chat, upToSeq: state.lastSeq } }).then(refreshInbox).catch(() => {});
  }
}

function markRead(ids) {
  for (const id of ids) {
    const meta = document.querySelector(`[data-message-id="${id}"] .meta`);
    if (meta) meta.textContent = meta.textContent.replace(/ ✓$/, " ✓✓");
  }
}

function showTyping(text) {
  $("typing").textContent = text;
  clearTimeout(state.typingTimer);
  // A missed typing-stop must not leave the indicator on.
  if (text) state.typingTimer = setTimeout(() => ($("typing").textContent = ""), 4000);
}

$("draft").addEventListener("input", () => {
  const now = Date.now();
  if (now - state.typingSentAt > 1500 && state.chat) {
    state.typingSentAt = now;
    api("/api/typing", { json: { chatId: state.chat, typing: true } }).catch(() => {});
  }
});

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const content = $("draft").value;
  if (!content.trim()) return;
  $("chat-error").textContent = "";
  try {
    const { message } = await api("/api/messages/private", {
      json: { receiverId: state.chat, content, clientMessageId: crypto.randomUUID() },
    });
    $("draft").value = "";
    addMessages([message]);
    api("/api/typing", { json: { chatId: state.chat, typing: false } }).catch(() => {});
    state.typingSentAt = 0;
    refreshInbox();
  } catch (err) {
    $("chat-error").textContent = err.status === 429 ? `Slow down: ${err.message}` : err.message;
  }
});

$("new-chat").addEventListener("submit", (event) => {
  event.preventDefault();
  const id = $("new-chat-id").value.trim();
  if (id) openChat(id);
});

document.querySelectorAll("[data-user]").forEach((button) =>
  button.addEventListener("click", async () => {
    try {
      const { token } = await api(`/dev/token?user=${button.dataset.user}`);
      await signIn(token);
    } catch (err) {
      $("login-error").textContent = err.status === 404 ? "Demo tokens exist only on the local dev server." : err.message;
    }
  }),
);

$("token-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await signIn($("token-input").value.trim());
  } catch (err) {
    state.token = null;
    $("login-error").textContent = err.message;
  }
});
