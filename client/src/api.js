// The REST layer: every HTTP call the client makes, with a fresh token (refreshed once on a 401),
// ApiError for every failure and the socket id that leaves this tab out of its own events. Only
// this module knows the API's paths and bodies; the realtime layer and the features call it.
import { ApiError } from "./errors.js";
import { newClientMessageId } from "./ids.js";

/** @typedef {import("../pusher-chat.js").PageQuery} PageQuery */
/** @typedef {"private" | "room"} Kind */

/**
 * How a request names a conversation: the room, or the other user of a 1:1 chat.
 * @param {Kind} kind @param {string} id @returns {Record<string, string>}
 */
const conversationParams = (kind, id) => (kind === "room" ? { roomId: id } : { chatId: id });

/** @param {Record<string, string>} params @param {PageQuery} [query] */
const pageQuery = (params, { before, after, changedAfter, limit } = {}) => {
  const query = new URLSearchParams(params);
  if (before !== undefined) query.set("before", String(before));
  if (after !== undefined) query.set("after", String(after));
  if (changedAfter !== undefined) query.set("changedAfter", String(changedAfter));
  if (limit !== undefined) query.set("limit", String(limit));
  return query;
};

/** Retry-After in seconds, from either of its forms (seconds or an HTTP date). */
const retryAfterSeconds = (value) => {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
};

export class ChatApi {
  #getToken;
  #onTokenExpired;
  #fetch;
  #socketId;
  /** @type {Promise<string | null | undefined> | null} */
  #refreshing = null;

  /**
   * @param {{ baseUrl: string, getToken: Function, onTokenExpired?: Function, fetch: Function, socketId: () => string | undefined }} options
   */
  constructor({ baseUrl, getToken, onTokenExpired, fetch, socketId }) {
    this.baseUrl = baseUrl;
    this.#getToken = getToken;
    this.#onTokenExpired = onTokenExpired;
    this.#fetch = fetch;
    this.#socketId = socketId;
  }

  #token(forceRefresh) {
    if (!forceRefresh) return Promise.resolve(this.#getToken({ forceRefresh: false }));
    // Concurrent 401s share one refresh.
    this.#refreshing ??= (async () => {
      try {
        await this.#onTokenExpired?.();
        return await this.#getToken({ forceRefresh: true });
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  /**
   * One API call with a fresh token; a 401 refreshes the token and tries once more.
   * @param {string} path
   * @param {{ method?: string, json?: unknown, form?: Record<string, string> }} [options]
   */
  async request(path, { method, json, form } = {}) {
    const attempt = async (forceRefresh) => {
      /** @type {Record<string, string>} */
      const headers = { Authorization: `Bearer ${await this.#token(forceRefresh)}` };
      let body;
      if (json !== undefined) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(json);
      } else if (form) {
        headers["Content-Type"] = "application/x-www-form-urlencoded";
        body = new URLSearchParams(form).toString();
      }
      // Leave this tab's own connection out of the events its requests cause.
      const socketId = this.#socketId();
      if (socketId && !form) headers["X-Pusher-Socket-Id"] = socketId;
      try {
        return await this.#fetch(`${this.baseUrl}${path}`, { method: method ?? (body === undefined ? "GET" : "POST"), headers, body });
      } catch (cause) {
        throw new ApiError(0, null, { cause });
      }
    };
    let response = await attempt(false);
    if (response.status === 401) response = await attempt(true);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(response.status, body, { retryAfter: retryAfterSeconds(response.headers?.get("Retry-After")) });
    return body;
  }

  // --- The session and the realtime connection's authorization ---------------------------------

  me() {
    return this.request("/api/me");
  }

  /** The public Pusher settings and the API's options (encryptedChannels, messageEditWindowSecs). */
  config() {
    return this.request("/api/config");
  }

  /** pusher-js's channel authorization, form-encoded as pusher-js's own endpoint would take it. */
  authorizeChannel(socketId, channelName) {
    return this.request("/api/pusher/auth", { form: { socket_id: socketId, channel_name: channelName } });
  }

  /**
   * Several channels of one connection in one call: `{channels: {name: answer | {error}}}`, each
   * channel answered on its own (a refusal names its `status`).
   * @param {string} socketId @param {string[]} channelNames
   */
  authorizeChannels(socketId, channelNames) {
    return this.request("/api/pusher/auth", { json: { socket_id: socketId, channel_names: channelNames } });
  }

  authenticateUser(socketId) {
    return this.request("/api/pusher/user-auth", { form: { socket_id: socketId } });
  }

  // --- Messages --------------------------------------------------------------------------------

  /** A page of a conversation: `{before}` for history, `{after}`/`{changedAfter}` for sync, neither for the newest. */
  page(/** @type {Kind} */ kind, id, /** @type {PageQuery} */ query = {}) {
    return this.request(`/api/messages/${kind}?${pageQuery(conversationParams(kind, id), query)}`);
  }

  /**
   * Sends a message; a clientMessageId is made when `extra` has none. Resolves with the stored message.
   * @param {Kind} kind @param {string} id @param {string} content @param {Record<string, any>} [extra]
   */
  sendMessage(kind, id, content, { clientMessageId, ...extra } = {}) {
    const to = kind === "room" ? { roomId: id } : { receiverId: id };
    const json = { ...extra, content, clientMessageId: clientMessageId || newClientMessageId(), ...to };
    return this.request(`/api/messages/${kind}`, { json }).then((b) => b.message);
  }

  /**
   * A presigned PUT for a file to send in the conversation: `{id, url, method, headers, expiresAt}`.
   * @param {Kind} kind @param {string} id @param {{ fileName: string, contentType: string, size: number }} file
   */
  createUpload(kind, id, { fileName, contentType, size }) {
    return this.request("/api/uploads", { json: { ...conversationParams(kind, id), fileName, contentType, size } }).then((b) => b.upload);
  }

  /**
   * A short-lived URL of a FILE message's file: `{url, expiresAt}`, from its `file.url`
   * (`/api/files?messageId=…`, which redirects; its JSON form takes the bearer token).
   * @param {string} fileUrl
   */
  fileLink(fileUrl) {
    const path = fileUrl.startsWith(this.baseUrl) && this.baseUrl ? fileUrl.slice(this.baseUrl.length) : fileUrl;
    return this.request(`${path}${path.includes("?") ? "&" : "?"}format=json`);
  }

  /** An edit (PATCH, `{content}`) or deletion (DELETE) of a message; resolves with its new state. */
  changeMessage(messageId, method, json) {
    return this.request(`/api/messages?id=${encodeURIComponent(messageId)}`, { method, json }).then((b) => b.message);
  }

  react(messageId, emoji) {
    return this.request("/api/messages/reactions", { json: { messageId, emoji } });
  }

  unreact(messageId, emoji) {
    return this.request(`/api/messages/reactions?${new URLSearchParams({ messageId, emoji })}`, { method: "DELETE" });
  }

  markRead(/** @type {Kind} */ kind, id, upToSeq) {
    return this.request("/api/messages/read", { json: { ...conversationParams(kind, id), upToSeq } });
  }

  /** A typing start or stop; `readUpToSeq` (optional) marks what the user has seen read in the same call. */
  typing(/** @type {Kind} */ kind, id, typing, /** @type {number | undefined} */ readUpToSeq) {
    const read = readUpToSeq == null ? {} : { readUpToSeq };
    return this.request("/api/typing", { json: { ...conversationParams(kind, id), typing, ...read } });
  }

  /** @param {string} q @param {{ limit?: number }} [options] */
  search(q, { limit } = {}) {
    const query = new URLSearchParams({ q });
    if (limit !== undefined) query.set("limit", String(limit));
    return this.request(`/api/messages/search?${query}`);
  }

  // --- Conversations, rooms, presence, profile -------------------------------------------------

  conversations() {
    return this.request("/api/conversations").then((b) => b.conversations);
  }

  createRoom(name, memberIds) {
    return this.request("/api/rooms", { json: { name, memberIds } }).then((b) => b.room);
  }

  rooms() {
    return this.request("/api/rooms");
  }

  acceptRoom(roomId) {
    return this.request(`/api/rooms?roomId=${encodeURIComponent(roomId)}`, { method: "PUT" });
  }

  leaveRoom(roomId) {
    return this.request(`/api/rooms?roomId=${encodeURIComponent(roomId)}`, { method: "DELETE" });
  }

  // --- Room roles: the member list, and what the owner and admins do --------------------------

  roomMembers(roomId) {
    return this.request(`/api/rooms/members?${new URLSearchParams({ roomId })}`);
  }

  /** `{role}` (the owner) or `{banned}` (an admin). */
  changeRoomMember(roomId, userId, json) {
    return this.request(`/api/rooms/members?${new URLSearchParams({ roomId, userId })}`, { method: "PATCH", json });
  }

  removeRoomMember(roomId, userId, ban = false) {
    const query = new URLSearchParams({ roomId, userId, ...(ban ? { ban: "true" } : {}) });
    return this.request(`/api/rooms/members?${query}`, { method: "DELETE" });
  }

  inviteToRoom(roomId, userIds) {
    return this.request(`/api/rooms/members?${new URLSearchParams({ roomId })}`, { json: { userIds } });
  }

  /** `{name?, invitePolicy?}` (an admin). */
  updateRoom(roomId, json) {
    return this.request(`/api/rooms?${new URLSearchParams({ roomId })}`, { method: "PATCH", json });
  }

  setPresence(status) {
    return this.request("/api/presence", { json: { status } });
  }

  /** `PUT /api/conversations/mute`: no push for the conversation until `until` (ISO time) or unmuted. */
  mute(conversationId, until = null) {
    return this.request("/api/conversations/mute", { method: "PUT", json: until ? { conversationId, until } : { conversationId } });
  }

  unmute(conversationId) {
    return this.request(`/api/conversations/mute?conversationId=${encodeURIComponent(conversationId)}`, { method: "DELETE" });
  }

  /** `GET /api/blocks`: `{blocks, mutes}`. */
  blocks() {
    return this.request("/api/blocks");
  }

  /** `PUT` (on) or `DELETE` (off) `/api/blocks?userId=&kind=block|mute`. */
  setBlock(userId, kind, on) {
    const query = `userId=${encodeURIComponent(userId)}&kind=${kind}`;
    return this.request(`/api/blocks?${query}`, { method: on ? "PUT" : "DELETE" });
  }

  /** `POST /api/reports`. */
  report(body) {
    return this.request("/api/reports", { json: body });
  }

  subscribePush(subscription) {
    return this.request("/api/push/subscriptions", { json: subscription });
  }

  unsubscribePush(endpoint) {
    return this.request("/api/push/subscriptions", { method: "DELETE", json: { endpoint } });
  }

  updateProfile({ firstName, lastName, avatar }) {
    return this.request("/api/me", { method: "PUT", json: { firstName, lastName, avatar } });
  }
}
