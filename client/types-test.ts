// Compiled by `tsc -p client` only: uses the public API the way an app would, through the package's
// own exports, so a .d.ts that drifts from it (or is too loose, see @ts-expect-error) fails.
import Pusher from "pusher-js";
import { createElement, type ReactElement } from "react";
import {
  ApiError,
  ChatClient,
  RealtimeError,
  conversationKey,
  eventConversation,
  privateChatChannel,
  outranks,
  tombstoneText,
  type ChatError,
  type ChatMessage,
  type Conversation,
  type ConversationSummary,
  type Message,
  type RoomMember,
} from "@pusher-chat/client";
import {
  ChatProvider,
  createChatClient,
  useConnectionState,
  useInbox,
  usePresence,
  usePusher,
  useRealtimeMessages,
  useRoomMembers,
  useSearch,
  useFileUrl,
} from "@pusher-chat/client/react";

const client = new ChatClient({
  baseUrl: "https://chat-api.example.com",
  Pusher,
  getToken: async ({ forceRefresh }) => (forceRefresh ? "fresh-token" : "cached-token"),
  onStateChange: ({ previous, current }) => console.info(`pusher: ${previous} → ${current}`),
  onError: (err: ChatError) => console.warn(err.operation, err.message),
  timing: { pollInterval: 10_000 },
});

// @ts-expect-error getToken is required
new ChatClient({ baseUrl: "https://chat-api.example.com" });

function describe(m: ChatMessage): string {
  if (m.status === "sent") return `#${m.seq.toFixed(0)} ${m.content}`;
  // @ts-expect-error an unsent message has no seq yet
  m.seq.toFixed(0);
  if (m.status === "failed") void m.retry();
  return `${m.localId}: ${m.error?.message ?? "sending…"}`;
}

async function session(): Promise<void> {
  const me = await client.connect();
  const myId: string = me.id;
  const chat: Conversation = client.openChat("bob", {
    onChange: (messages) => messages.map(describe),
    onTyping: (user, typing) => console.info(user.userName, typing),
    onPresence: (online, presence) => console.info(online, presence.status),
    onError: (err) => {
      if (err instanceof ApiError && err.status === 429) console.info(`retry in ${err.retryAfter ?? 1}s`);
      if (err instanceof RealtimeError) console.info(err.channel, err.status);
    },
  });
  await chat.ready;
  const sent: Message = await chat.send("hello", { clientMessageId: "abc-123" });
  chat.markVisible(sent.seq);
  chat.notifyTyping();
  const older: Message[] = await chat.loadOlder(20);
  const room = client.openRoom("room-1");
  room.close();
  const inbox: ConversationSummary[] = await client.inbox();
  const key: string = conversationKey(myId, "bob");
  const channel: string = privateChatChannel(myId, "bob");
  const subscription = client.subscribe(channel, { "new-message": (m: Message) => console.info(m.seq) });
  const off = client.on("state", ({ current }) => current === "connected" && subscription.retry());
  console.info(older.length, inbox.length, key, eventConversation(sent), subscription.status);
  off();
  subscription.unsubscribe();
  // @ts-expect-error send takes the content as text
  chat.send({ content: "hi" });
  const file = new File(["x"], "notes.txt", { type: "text/plain" });
  const controller = new AbortController();
  const shared: Message = await chat.sendFile(file, { content: "notes", signal: controller.signal, onProgress: ({ fraction }) => console.info(fraction) });
  const link: string = await client.fileUrl(shared);
  const limit: number | null = client.uploads?.maxBytes ?? null;
  console.info(link, limit, shared.file?.name, shared.file?.width);
  for (const m of chat.messages) if (m.status !== "sent" && m.upload?.cancel) m.upload.cancel();
  // @ts-expect-error sendFile takes a File or Blob
  void chat.sendFile("notes.txt");
  chat.close();
  client.close();
}

function ChatView({ otherUserId }: { otherUserId: string }): ReactElement {
  const { messages, sendMessage, markRead, typingUsers, isConnected, error, loadOlder, notifyTyping } = useRealtimeMessages({
    chatId: otherUserId,
    chatType: "private",
    userId: "alice",
  });
  const notifications = usePusher({ channelName: "private-notifications-alice", events: { "room-created": (data) => console.info(data) } });
  const { conversations } = useInbox();
  const { online } = usePresence(otherUserId);
  const state = useConnectionState();
  const status = `${state} ${isConnected} ${notifications.isConnected} ${online} ${conversations.length} ${error?.message ?? ""}`;
  const typing = typingUsers.map((u) => u.userName).join(", ");
  return createElement(
    "section",
    { onFocus: () => markRead(), onScroll: () => void loadOlder() },
    createElement("p", null, status, typing),
    createElement("ul", null, ...messages.map((m) => createElement("li", { key: m.localId }, describe(m)))),
    createElement("input", { onInput: notifyTyping, onBlur: () => void sendMessage("hi") }),
  );
}

function FileView({ message }: { message: ChatMessage }): ReactElement | null {
  const { url, error } = useFileUrl(message);
  const { sendFile, cancelUpload } = useRealtimeMessages({ chatId: "bob" });
  const preview = message.status === "sent" ? null : (message.file?.previewUrl ?? null);
  if (!message.file) return null;
  return createElement("img", { src: url ?? preview ?? undefined, alt: message.file.name, title: error?.message, onClick: () => void sendFile(new Blob(["x"])), onAbort: () => cancelUpload(message.localId) });
}

function SearchView({ query, onOpen }: { query: string; onOpen(conversationId: string, seq: number): void }): ReactElement {
  const { messages, words, hasMore, loading, error } = useSearch(query, { limit: 20, delay: 300 });
  // @ts-expect-error the query is text
  useSearch(42);
  const found = messages.map((m: Message) =>
    createElement("li", { key: m.id, onClick: () => onOpen(m.conversationId ?? "", m.seq) }, m.replyTo?.deletedAt ? "(quote deleted)" : m.content),
  );
  return createElement("ul", { "aria-busy": loading, title: `${words.join(" ")} ${hasMore} ${error?.message ?? ""}` }, ...found);
}

export const app = createElement(ChatProvider, { client: createChatClient({ getToken: () => "token" }) }, createElement(ChatView, { otherUserId: "bob" }));
function MembersView({ roomId }: { roomId: string }): ReactElement {
  const { members, role, room, bans, mayModerate, remove, ban, setRole, rename } = useRoomMembers(roomId);
  // @ts-expect-error a role is one of three
  void setRole("bob", "king");
  const rows = members.map((m: RoomMember) =>
    createElement(
      "li",
      { key: m.id, onClick: () => void (mayModerate(m) && outranks(role, m.role) ? remove(m.id) : ban(m.id)) },
      `${m.firstName} ${m.role}`,
    ),
  );
  return createElement("ul", { title: `${room?.name ?? ""} ${bans?.length ?? 0} ${tombstoneText({ deletedBy: "moderator" })}`, onBlur: () => void rename("x") }, ...rows);
}

const roomList = client.openRoomMembers("room-1", { onChange: (s) => s.members.map((m) => m.role), onEvent: (name) => name === "room-updated" });
void roomList.setInvitePolicy("admins");
// @ts-expect-error the policy is members or admins
void roomList.setInvitePolicy("everyone");

export { session, SearchView, FileView, MembersView };
