// Demo chat page on top of client/pusher-chat.js (served as /vendor/pusher-chat.js): signs in
// with a dev token locally or any Supabase access token, then chats in real time.
import { ChatClient } from "/vendor/pusher-chat.js";

// The local stack's demo users (stable ids, see src/db/users.rs).
const DEMO = {
  alice: "00000000-0000-4000-8000-00000000a11c",
  bob: "00000000-0000-4000-8000-000000000b0b",
  carol: "00000000-0000-4000-8000-0000000ca201",
};

const $ = (id) => document.getElementById(id);
const state = { token: null, client: null, me: null, chat: null, open: null, typingSentAt: 0, typingTimer: null };
const displayName = (user) => (user ? `${user.firstName} ${user.lastName}`.trim() : "");
const showError = (target) => (err) => ($(target).textContent = err.status === 429 ? `Slow down: ${err.message}` : err.message);

async function signIn(token) {
  state.token = token;
  state.client = new ChatClient({ getToken: async () => state.token });
  state.me = await state.client.connect({ onNotification: () => refreshInbox() });
  $("login").hidden = true;
  $("app").hidden = false;
  $("whoami").textContent = state.me.profile ? displayName(state.me.profile) : state.me.id;
  state.client.pusher.connection.bind("state_change", ({ current }) => {
    $("connection").textContent = current;
    $("connection").classList.toggle("connected", current === "connected");
  });
  renderDemoContacts();
  await refreshInbox();
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
  const conversations = await state.client.inbox();
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
  state.open?.close();
  state.chat = otherId;
  $("messages").replaceChildren();
  $("typing").textContent = "";
  $("presence").textContent = "";
  $("chat-error").textContent = "";
  $("composer").hidden = false;
  $("chat-title").textContent = Object.entries(DEMO).find(([, id]) => id === otherId)?.[0] || otherId;
  let unread = false;
  let handle = null;
  handle = await state.client.openChat(otherId, {
    onMessage: (m) => {
      renderMessage(m);
      if (m.senderId !== state.me.id && !m.isRead) unread = true;
      queueMicrotask(afterMessages);
    },
    onRead: (r) => markRead(r.messageIds || []),
    onTyping: (t, typing) => showTyping(typing ? `${t.userName} is typing…` : ""),
    onPresence: (online) => {
      $("presence").textContent = online ? "online" : "offline";
      $("presence").classList.toggle("online", online);
    },
    onError: showError("chat-error"),
  });
  state.open = handle;
  // Batched after each burst of messages: one read receipt, one inbox refresh.
  function afterMessages() {
    if (!handle || state.open !== handle) return;
    handle.retryPresence();
    if (unread && document.visibilityState !== "hidden") {
      unread = false;
      state.client.markRead(otherId, handle.lastSeq).then(refreshInbox).catch(() => {});
    }
  }
  afterMessages();
  await refreshInbox();
}

function renderMessage(m) {
  const list = $("messages");
  const li = document.createElement("li");
  li.dataset.messageId = m.id;
  li.classList.toggle("mine", m.senderId === state.me.id);
  li.textContent = m.content;
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = new Date(m.createdAt).toLocaleTimeString() + (m.senderId === state.me.id ? (m.isRead ? " ✓✓" : " ✓") : "");
  li.append(meta);
  list.append(li);
  list.scrollTop = list.scrollHeight;
  // Their message ends their typing, even when the throttled typing-stop never came.
  if (m.senderId !== state.me.id) showTyping("");
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
    state.client.typing(state.chat, true).catch(() => {});
  }
});

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const content = $("draft").value;
  if (!content.trim()) return;
  $("chat-error").textContent = "";
  try {
    const message = await state.client.send(state.chat, content);
    $("draft").value = "";
    if (!document.querySelector(`[data-message-id="${message.id}"]`)) renderMessage(message);
    state.client.typing(state.chat, false).catch(() => {});
    state.typingSentAt = 0;
    state.open?.retryPresence();
    refreshInbox();
  } catch (err) {
    showError("chat-error")(err);
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
      const response = await fetch(`/dev/token?user=${button.dataset.user}`);
      if (!response.ok) throw Object.assign(new Error("Demo tokens exist only on the local dev server."), { status: response.status });
      await signIn((await response.json()).token);
    } catch (err) {
      $("login-error").textContent = err.message;
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
