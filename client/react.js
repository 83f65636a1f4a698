// React bindings for pusher-chat: a provider that owns the client's connection and the hooks of
// the design (usePusher, useRealtimeMessages) plus useInbox, usePresence, useSearch, useFileUrl
// and useConnectionState.
// Plain ESM on `react` (createElement, no JSX), so nothing needs building.
import { createContext, createElement, useCallback, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { ChatClient } from "./pusher-chat.js";

/** @typedef {import("./pusher-chat.js").ChatError} ChatError */
/** @typedef {import("./react.js").RealtimeMessages} RealtimeMessages */

const ChatContext = createContext(/** @type {ChatClient | null} */ (null));

const EMPTY_CONVERSATION = { messages: [], typingUsers: [], isConnected: false, error: null, hasMore: false, loading: true, lastSeq: 0 };
const EMPTY_INBOX = { conversations: [], loading: true, error: null };
const EMPTY_PRESENCE = { online: false, status: null, lastActive: null, error: null };
/** @type {ReturnType<typeof import("./react.js").useSearch>} */
const EMPTY_SEARCH = { query: "", words: [], messages: [], hasMore: false, loading: false, error: null };
const noSubscription = () => () => {};

/**
 * A client for <ChatProvider>; create it once (e.g. with useState) per signed-in user.
 * @param {import("./pusher-chat.js").ChatClientOptions} options
 */
export function createChatClient(options) {
  return new ChatClient(options);
}

/**
 * Gives the hooks below their client; connects it on mount and closes it on unmount.
 * @param {{ client: ChatClient, children?: import("react").ReactNode }} props
 */
export function ChatProvider({ client, children }) {
  useEffect(() => {
    client.connect().catch(() => {}); // the client reports it through onError
    return () => client.close();
  }, [client]);
  return createElement(ChatContext.Provider, { value: client }, children);
}

export function useChatClient() {
  const client = useContext(ChatContext);
  if (!client) throw new Error("pusher-chat hooks must be used inside <ChatProvider>");
  return client;
}

/** The realtime connection's state: `connecting`, `connected`, `unavailable`… */
export function useConnectionState() {
  const client = useChatClient();
  const subscribe = useCallback((onChange) => client.on("state", onChange), [client]);
  return useSyncExternalStore(subscribe, () => client.state, () => "initialized");
}

/**
 * Opens a conversation, inbox or presence watch for as long as the component shows it.
 * @template {{ closed: boolean, close(): void }} T
 * @param {() => T | null} open
 * @param {unknown[]} deps
 */
function useOpened(open, deps) {
  const [store, setStore] = useState(/** @type {T | null} */ (null));
  useEffect(() => {
    const opened = open();
    setStore(opened);
    return () => opened?.close();
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps
  return store && !store.closed ? store : null;
}

function useStore(store, empty) {
  return useSyncExternalStore(store?.subscribe ?? noSubscription, store ? store.getSnapshot : () => empty, () => empty);
}

const notOpen = () => {
  const promise = Promise.reject(new Error("The conversation is not open yet"));
  promise.catch(() => {});
  return promise;
};

/**
 * Follows one channel: `events` maps event names to handlers (the latest ones are called, so
 * inline functions do not resubscribe). Channels are shared and reference counted.
 * @param {import("./react.js").UsePusherOptions} options
 * @returns {{ isConnected: boolean, error: ChatError | null }}
 */
export function usePusher({ channelName, events = {} }) {
  const client = useChatClient();
  const latest = useRef(events);
  useEffect(() => {
    latest.current = events;
  });
  const names = Object.keys(events).sort().join("\n");
  const [state, setState] = useState(/** @type {{ isConnected: boolean, error: ChatError | null }} */ ({ isConnected: false, error: null }));
  useEffect(() => {
    if (!channelName) return;
    const handlers = Object.fromEntries(names.split("\n").filter(Boolean).map((name) => [name, (data) => latest.current[name]?.(data)]));
    const subscription = client.subscribe(channelName, handlers);
    const update = () => {
      const next = { isConnected: client.state === "connected" && subscription.status === "subscribed", error: subscription.error };
      setState((prev) => (prev.isConnected === next.isConnected && prev.error === next.error ? prev : next));
    };
    update();
    const offChange = subscription.onChange(update);
    const offState = client.on("state", update);
    return () => {
      offChange();
      offState();
      subscription.unsubscribe();
    };
  }, [client, channelName, names]);
  return state;
}

/**
 * The messages of a 1:1 chat (`chatId` = the other user's id) or a room (`chatType: "room"`,
 * `chatId` = the room id), live, gap-free, with optimistic sending. `userId` (the signed-in user)
 * is optional: the client knows it.
 * @param {import("./react.js").UseRealtimeMessagesOptions} options
 * @returns {RealtimeMessages}
 */
export function useRealtimeMessages({ chatId, chatType = "private" }) {
  const client = useChatClient();
  const opened = useOpened(() => (chatId ? (chatType === "room" ? client.openRoom(chatId) : client.openChat(chatId)) : null), [client, chatId, chatType]);
  const conversation = opened?.id === chatId && opened?.kind === chatType ? opened : null;
  const { messages, typingUsers, isConnected, error, hasMore, loading } = useStore(conversation, EMPTY_CONVERSATION);
  const actions = useMemo(
    () => ({
      sendMessage: (content, extra) => (conversation ? conversation.send(content, extra) : notOpen()),
      retry: (localId) => (conversation ? conversation.retry(localId) : notOpen()),
      sendFile: (file, options) => (conversation ? conversation.sendFile(file, options) : notOpen()),
      cancelUpload: (localId) => conversation?.cancelUpload(localId) ?? false,
      discard: (localId) => conversation?.discard(localId) ?? false,
      editMessage: (messageId, content) => (conversation ? conversation.edit(messageId, content) : notOpen()),
      deleteMessage: (messageId) => (conversation ? conversation.delete(messageId) : notOpen()),
      react: (messageId, emoji) => (conversation ? conversation.react(messageId, emoji) : notOpen()),
      unreact: (messageId, emoji) => (conversation ? conversation.unreact(messageId, emoji) : notOpen()),
      markRead: (upToSeq) => conversation?.markRead(upToSeq),
      markVisible: (seq) => conversation?.markVisible(seq),
      loadOlder: (limit) => (conversation ? conversation.loadOlder(limit) : Promise.resolve([])),
      notifyTyping: () => conversation?.notifyTyping(),
      stopTyping: () => conversation?.stopTyping(),
    }),
    [conversation],
  );
  return { messages, typingUsers, isConnected, error, hasMore, loading, ...actions };
}

/**
 * A URL of a FILE message's file for `<img src>` (client.fileUrl: short-lived, asked for with the
 * user's token): null until known, and for an unsent message (show `file.previewUrl` then).
 * @param {any} message
 * @returns {{ url: string | null, error: ChatError | null }}
 */
export function useFileUrl(message) {
  const client = useChatClient();
  const path = message?.file?.url ?? message?.fileUrl ?? null;
  const [state, setState] = useState(/** @type {{ path: string | null, url: string | null, error: any }} */ ({ path: null, url: null, error: null }));
  useEffect(() => {
    if (!path) return;
    let live = true;
    client.fileUrl(message).then(
      (url) => live && setState({ path, url, error: null }),
      (error) => live && setState({ path, url: null, error }),
    );
    return () => {
      live = false;
    };
    // The message object changes with every edit or reaction; its file does not.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, path]);
  return state.path === path ? { url: state.url, error: state.error } : { url: null, error: null };
}

/**
 * The user's conversations, most recent first, kept fresh.
 * @returns {ReturnType<typeof import("./react.js").useInbox>}
 */
export function useInbox() {
  const client = useChatClient();
  const inbox = useOpened(() => client.openInbox(), [client]);
  const snapshot = useStore(inbox, EMPTY_INBOX);
  const refresh = useCallback(() => inbox?.refresh() ?? Promise.resolve(), [inbox]);
  return { ...snapshot, refresh };
}

const EMPTY_MEMBERS = { room: null, role: null, members: [], invitations: [], bans: null, isMember: true, loading: true, error: null };

/**
 * A room's member list with roles, kept live, and the actions of the owner and admins (each
 * resolves once the server answered and the list was read again; a refusal rejects).
 * @param {string | null | undefined} roomId
 */
export function useRoomMembers(roomId) {
  const client = useChatClient();
  const opened = useOpened(() => (roomId ? client.openRoomMembers(roomId) : null), [client, roomId]);
  const store = opened?.roomId === roomId ? opened : null;
  const snapshot = useStore(store, EMPTY_MEMBERS);
  const actions = useMemo(() => {
    const call = (name) => (...args) => (store ? store[name](...args) : notOpen());
    return {
      refresh: call("refresh"),
      setRole: call("setRole"),
      remove: call("remove"),
      ban: call("ban"),
      unban: call("unban"),
      invite: call("invite"),
      rename: call("rename"),
      setInvitePolicy: call("setInvitePolicy"),
      mayModerate: (member) => store?.mayModerate(member) ?? false,
    };
  }, [store]);
  return { ...snapshot, ...actions };
}

/**
 * Whether `userId` is online (refused, with `error`, until the two share a conversation).
 * @param {string | null | undefined} userId
 * @returns {ReturnType<typeof import("./react.js").usePresence>}
 */
export function usePresence(userId) {
  const client = useChatClient();
  const opened = useOpened(() => (userId ? client.watchPresence(userId) : null), [client, userId]);
  const watch = opened?.userId === userId ? opened : null;
  const snapshot = useStore(watch, EMPTY_PRESENCE);
  const retry = useCallback(() => watch?.retry(), [watch]);
  return { ...snapshot, retry };
}

/**
 * Searches the user's messages as they type: `query` is sent once it has rested for `delay` ms
 * (only the latest query's answer is shown), an empty one clears the results. Each message names
 * its `conversationId` and `seq`, to open it there.
 * @param {string | null | undefined} query
 * @param {{ limit?: number, delay?: number }} [options]
 * @returns {ReturnType<typeof import("./react.js").useSearch>}
 */
export function useSearch(query, { limit, delay = 250 } = {}) {
  const client = useChatClient();
  const q = (query ?? "").trim();
  const [state, setState] = useState(EMPTY_SEARCH);
  useEffect(() => {
    if (!q) {
      setState(EMPTY_SEARCH);
      return;
    }
    let current = true;
    setState((prev) => ({ ...prev, loading: true }));
    const timer = setTimeout(() => {
      client.search(q, { limit }).then(
        ({ words, messages, hasMore }) => current && setState({ query: q, words, messages, hasMore, loading: false, error: null }),
        (error) => current && setState({ ...EMPTY_SEARCH, query: q, error }),
      );
    }, delay);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [client, q, limit, delay]);
  return state;
}
