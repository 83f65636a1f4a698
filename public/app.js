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
const state = { token: null, client: null, me: null, inbox: null, chat: null, open: null };
const displayName = (user) => (user ? `${user.firstName} ${user.lastName}`.trim() : "");
const showError = (target) => (err) => ($(target).textContent = err.status === 429 ? `Slow down: ${err.message}` : err.message);
// Typing and presence failures (and refused channels) are side issues: the console gets them.
const CHAT_ERRORS = new Set(["load", "sync", "send", "read"]);

async function signIn(token) {
  state.client?.close();
  state.token = token;
  state.client = new ChatClient({
    getToken: async () => state.token,
    onStateChange: ({ current }) => {
      $("connection").textContent = current;
      $("connection").classList.toggle("connected", current === "connected");
    },
    onError: (err) => console.warn(`pusher-chat ${err.operation ?? ""}:`, err.message),
  });
  try {
    state.me = await state.client.connect();
  } catch (err) {
    state.client.close();
    throw err;
  }
  $("login").hidden = true;
  $("app").hidden = false;
  $("whoami").textContent = state.me.profile ? displayName(state.me.profile) : state.me.id;
  renderDemoContacts();
  state.inbox = state.client.openInbox({ onChange: renderInbox });
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

function renderInbox(conversations) {
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
      badge.textContent = c.unreadCapped ? `${c.unreadCount}+` : c.unreadCount;
      li.append(badge);
    }
    li.addEventListener("click", () => openChat(c.otherUser.id));
    list.append(li);
  }
}

function openChat(otherId) {
  state.open?.close();
  state.chat = otherId;
  $("messages").replaceChildren();
  $("typing").textContent = "";
  $("presence").textContent = "";
  $("chat-error").textContent = "";
  $("composer").hidden = false;
  $("chat-title").textContent = Object.entries(DEMO).find(([, id]) => id === otherId)?.[0] || otherId;
  let shown = null;
  const chat = state.client.openChat(otherId, {
    onChange: (messages, { typingUsers }) => {
      if (messages !== shown) renderMessages((shown = messages));
      $("typing").textContent = typingUsers.map((u) => `${u.userName} is typing…`).join(" ");
      markSeen(chat);
    },
    onPresence: (online) => {
      $("presence").textContent = online ? "online" : "offline";
      $("presence").classList.toggle("online", online);
    },
    onError: (err) => (CHAT_ERRORS.has(err.operation) ? showError("chat-error")(err) : console.warn(err.message)),
  });
  state.open = chat;
  if (state.inbox) renderInbox(state.inbox.conversations);
}

// Read receipts are batched by the client: one call for everything on screen.
function markSeen(chat) {
  const unread = chat.messages.some((m) => m.status === "sent" && m.senderId !== state.me.id && !m.isRead);
  if (unread && state.open === chat && document.visibilityState !== "hidden") chat.markRead();
}

function renderMessages(messages) {
  const list = $("messages");
  list.replaceChildren(...messages.map(renderMessage));
  list.scrollTop = list.scrollHeight;
}

function renderMessage(m) {
  const mine = m.senderId === state.me.id;
  const li = document.createElement("li");
  li.dataset.messageId = m.id ?? m.localId;
  li.classList.toggle("mine", mine);
  if (m.status !== "sent") li.classList.add(m.status);
  li.textContent = m.content;
  const meta = document.createElement("span");
  meta.className = "meta";
  const receipt = { pending: " …", failed: " not sent", sent: m.isRead ? " ✓✓" : " ✓" }[m.status];
  meta.textContent = new Date(m.createdAt).toLocaleTimeString() + (mine ? receipt : "");
  li.append(meta);
  if (m.status === "failed") {
    const retry = document.createElement("button");
    retry.type = "button";
    retry.textContent = "Retry";
    retry.addEventListener("click", () => m.retry());
    li.append(retry);
  }
  return li;
}

document.addEventListener("visibilitychange", () => state.open && markSeen(state.open));

$("draft").addEventListener("input", () => state.open?.notifyTyping());

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const content = $("draft").value;
  if (!content.trim() || !state.open) return;
  $("chat-error").textContent = "";
  $("draft").value = "";
  // Shown at once; a refusal comes back through onError and the message's "not sent" + Retry.
  state.open.send(content).catch(() => {});
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
