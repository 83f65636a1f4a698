// Types of pusher-chat.js (hand-written: the module ships as plain JavaScript).

export type ConnectionState = "initialized" | "connecting" | "connected" | "unavailable" | "failed" | "disconnected";

/** What the client was doing when an error happened. */
export type Operation = "connect" | "load" | "sync" | "send" | "upload" | "read" | "typing" | "subscribe" | "inbox" | "members";

export interface UserProfile {
  id: string;
  firstName: string;
  lastName: string;
  avatar: string | null;
}

/** `GET /api/me`. */
export interface Me {
  id: string;
  email: string | null;
  profile: UserProfile | null;
}

/** A stored message, as the API and `new-message` events carry it. */
export interface Message {
  id: string;
  /** 1, 2, 3… within its conversation, no gaps. */
  seq: number;
  /** The conversation key: "{lowerId}:{higherId}" or "room:{roomId}". */
  conversationId?: string;
  /** Older name of conversationId. */
  chatId?: string;
  clientMessageId: string | null;
  senderId: string;
  receiverId: string | null;
  roomId: string | null;
  content: string;
  type: "TEXT" | "FILE";
  /** The older form of a FILE message: a public URL the sender hosted (see `file` for uploads). */
  fileUrl?: string | null;
  fileName?: string | null;
  fileSize?: number | null;
  /** A FILE message's uploaded file; `client.fileUrl(message)` gives a URL of it. */
  file?: MessageFile | null;
  createdAt: string;
  isRead: boolean;
  readAt: string | null;
  sender?: UserProfile;
  /** Only in events: the text was left out (Pusher's 10 KB limit); the client fetches it. */
  truncated?: boolean;
  /** The message this one answers, quoted. */
  replyToId?: string | null;
  replyTo?: { id: string; seq: number; senderId: string; content: string; /** Set when the quoted message was deleted (content then empty). */ deletedAt?: string | null } | null;
  /** Set once the sender edited the text (same seq). */
  editedAt?: string | null;
  /** Set once the sender took it back: a tombstone, `content` empty. */
  deletedAt?: string | null;
  /** `"moderator"` when a room's owner or admin deleted it, not its sender: show "removed by a moderator" (see tombstoneText). */
  deletedBy?: "moderator";
  /** The conversation's change number of this message's latest edit, deletion or reaction. */
  changeSeq?: number;
  /** Per emoji: how many reacted and whether the user did. */
  reactions?: { emoji: string; count: number; mine: boolean }[];
  /** In a room view: the sender is muted by the user (ChatClient.muteUser); fold the message. */
  collapsed?: boolean;
}

/** The file of a FILE message sent with sendFile(). */
export interface MessageFile {
  /** The upload's id (absent while unsent). */
  id?: string;
  name: string;
  size: number;
  contentType: string;
  /** Pixels, for images (as the sender's browser measured them). */
  width: number | null;
  height: number | null;
  /** Relative to the API (`/api/files?messageId=…`, which answers with a short-lived redirect); null while unsent. */
  url: string | null;
}

/** How far an upload's bytes are. */
export interface UploadProgress {
  loaded: number;
  total: number;
  /** loaded / total, 0 to 1. */
  fraction: number;
}

export interface SendFileOptions {
  /** A caption, sent as the message's content. */
  content?: string;
  /** Every progress event of the upload's PUT. */
  onProgress?(progress: UploadProgress): void;
  /** Aborting it cancels the upload (as cancelUpload()). */
  signal?: AbortSignal;
  /** An image's size; measured in the browser (createImageBitmap) when absent. */
  width?: number;
  height?: number;
  replyToId?: string;
  clientMessageId?: string;
}

export type MessageStatus = "pending" | "sent" | "failed";

/** A message the server has: `localId` is its clientMessageId for own messages, else its id. */
export interface SentMessage extends Message {
  localId: string;
  status: "sent";
}

/** An own message not (yet) accepted by the server. */
export interface UnsentMessage extends Omit<Message, "id" | "seq" | "clientMessageId"> {
  id: null;
  seq: null;
  localId: string;
  clientMessageId: string;
  status: "pending" | "failed";
  error: Error | null;
  /**
   * Sends a failed message again with the same clientMessageId (an upload: its file again; one a
   * reload interrupted, code `upload_interrupted`, rejects: only discard() is left).
   */
  retry(): Promise<Message>;
  /** Forgets a failed message: it leaves the timeline. Whether it was there. */
  discard(): boolean;
  /** An unsent FILE message's file; `previewUrl` is a local object URL of an image being sent. */
  file?: MessageFile & { previewUrl?: string | null };
  /** While a file's bytes go up; cancel() stops it (null once it failed). */
  upload?: { loaded: number; total: number; cancel: (() => boolean) | null };
}

export type ChatMessage = SentMessage | UnsentMessage;

/** Optional fields of a send besides `content`. */
export interface SendExtra {
  type?: "TEXT" | "FILE";
  fileUrl?: string;
  fileName?: string;
  fileSize?: number;
  /** A finished upload (POST /api/uploads) to send as this FILE message; sendFile() does it all. */
  uploadId?: string;
  width?: number;
  height?: number;
  /** Generated when absent; a repeat with the same id is answered with the original message. */
  clientMessageId?: string;
  /** Answers that message (same conversation). */
  replyToId?: string;
}

export interface MessagePage {
  chatId?: string;
  messages: Message[];
  hasMore: boolean;
  cursor?: { before: number | null; after: number | null };
}

export interface PageQuery {
  before?: number;
  after?: number;
  /** Messages edited, deleted or reacted to since this change number, in change order. */
  changedAfter?: number;
  limit?: number;
}

export interface ReadEvent {
  messageId?: string;
  messageIds?: string[];
  readBy: string;
  readAt: string;
  conversationId?: string;
  chatId?: string;
  upToSeq?: number;
}

export interface TypingEvent {
  userId: string;
  userName: string;
  conversationId?: string;
  chatId?: string;
  roomId?: string | null;
}

export interface TypingUser {
  userId: string;
  userName: string;
}

export type PresenceStatus = "online" | "away" | "offline";

/** One entry of `GET /api/conversations`. */
export interface ConversationSummary {
  chatId: string;
  kind: "private" | "room";
  otherUser: UserProfile | null;
  room: { id: string; name: string } | null;
  lastSeq: number;
  readSeq?: number;
  /** Unread messages, counted up to 100. */
  unreadCount: number;
  /** More than `unreadCount` messages are unread (show "100+"). */
  unreadCapped?: boolean;
  lastMessage: Message | null;
  lastMessageAt: string | null;
  /** The caller muted it: no push for it (see ChatClient.mute). */
  muted?: boolean;
  mutedUntil?: string | null;
}

export interface Room {
  id: string;
  name: string;
  /** Members: the creator, then whoever accepted. */
  memberIds: string[];
  /** Invited and not yet joined (in the creator's answer). */
  invitedIds?: string[];
}

export interface RoomInvitation {
  room: { id: string; name: string };
  invitedBy: { id: string; firstName: string; lastName: string; avatar?: string | null };
  invitedAt: string;
}

export declare class ApiError extends Error {
  constructor(status: number, body: unknown, options?: { retryAfter?: number | null; cause?: unknown });
  /** The HTTP status, 0 when no answer came (offline, CORS). */
  readonly status: number;
  readonly code: string | undefined;
  readonly body: unknown;
  /** Seconds to wait before sending again (429). */
  readonly retryAfter: number | null;
  operation: Operation | undefined;
}

/** Why Web Push could not be turned on. */
export declare class PushError extends Error {
  constructor(code: "unsupported" | "disabled" | "denied", message: string);
  /** `unsupported` (no service workers or notifications), `disabled` (the server has no VAPID keys), `denied` (permission refused). */
  readonly code: "unsupported" | "disabled" | "denied";
}

export type PushStatus = "on" | "off" | "denied" | "unsupported";

export interface MuteState {
  conversationId: string;
  muted: boolean;
  /** When the mute ends; null with `muted: true`: until unmuted. */
  mutedUntil: string | null;
  changed?: boolean;
}

export declare class RealtimeError extends Error {
  constructor(message: string, options?: { channel?: string; status?: number; data?: unknown; cause?: unknown });
  /** The channel whose subscription failed. */
  readonly channel: string | undefined;
  /** The auth endpoint's HTTP status (e.g. 403). */
  readonly status: number | undefined;
  readonly data: unknown;
  operation: Operation | undefined;
}

export type ChatError = (ApiError | RealtimeError | Error) & { operation?: Operation };

export interface StateChange {
  previous: ConnectionState;
  current: ConnectionState;
}

// The parts of pusher-js 8 the client uses (its `Pusher` class fits these).
export interface PusherChannelLike {
  readonly name: string;
  subscribed: boolean;
  members?: { get(id: string): unknown; count: number };
  bind(event: string, callback: (data: any) => void): unknown;
  unbind(event?: string, callback?: (data: any) => void): unknown;
  bind_global(callback: (event: string, data: any) => void): unknown;
  unbind_global(callback?: (event: string, data: any) => void): unknown;
}

export interface PusherLike {
  connection: {
    state: string;
    socket_id?: string;
    bind(event: string, callback: (data: any) => void): unknown;
    unbind(event?: string, callback?: (data: any) => void): unknown;
  };
  subscribe(channelName: string): PusherChannelLike;
  unsubscribe(channelName: string): void;
  disconnect(): void;
  signin?(): void;
}

export type PusherConstructor = new (key: string, options: any) => PusherLike;

export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

export interface Timing {
  /** Sync period while a conversation has no live channel (5000 ms). */
  pollInterval: number;
  /** Read receipts within this window go out as one call (250 ms). */
  readDelay: number;
  /** Never more than one typing-start per this period (1000 ms). */
  typingThrottle: number;
  /** While typing goes on, its typing-start goes again this often; each says when it ends (3000 ms). */
  typingRefresh: number;
  /** This long without input ends the user's typing, without a call: its start expires (3000 ms). */
  typingIdle: number;
  /** A remote typing indicator whose start names no end disappears after this without news (6000 ms). */
  typingExpiry: number;
  /** Bursts of what the inbox cannot work out by itself refresh it once (150 ms). */
  inboxDelay: number;
  /** A closed 1:1 chat keeps its channel this long, passing news to the inbox (5000 ms). */
  chatLeaveGrace: number;
  /** While connected, an open conversation or the inbox with no news live for this long syncs anyway (30 000 ms). */
  safetySyncInterval: number;
  /**
   * After the server closed the connection on purpose (close code 4000-4099, e.g. 4009 once the
   * user left a room), connect again after this long, doubling up to 30 s (1000 ms).
   */
  reconnectDelay: number;
  /** A file's upload that reports no progress for this long fails (code `upload_stalled`; 60 000 ms). */
  uploadStallTimeout: number;
}

export interface ChatClientOptions {
  /** The API's origin for a frontend on another origin, e.g. "https://chat-api.example.com". */
  baseUrl?: string;
  /** The current access token; called for every request and channel authorization. */
  getToken(options: { forceRefresh: boolean }): string | null | undefined | Promise<string | null | undefined>;
  /** Called on a 401, before getToken({forceRefresh: true}) and one retry. */
  onTokenExpired?(): void | Promise<void>;
  /** pusher-js's class (default: the global `Pusher`). */
  Pusher?: PusherConstructor;
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** For sendFile()'s upload progress (default: the global XMLHttpRequest). */
  XMLHttpRequest?: { new (): XMLHttpRequest };
  /** Where unsent messages survive a reload (default: localStorage when available). */
  storage?: StorageLike | null;
  /** `online` events and navigator.onLine (default: the global window). */
  window?: (EventTargetLike & { navigator?: { onLine: boolean } }) | null;
  /** `visibilitychange` events (default: the global document). */
  document?: (EventTargetLike & { visibilityState: string }) | null;
  /**
   * Signs the connection in as the user (pusher-js `signin()`; default true), so the API can close
   * the user's connections when they lose access to a channel (leaving a room).
   */
  signIn?: boolean;
  onError?(error: ChatError): void;
  /** Every connection state change; a place to log them. */
  onStateChange?(change: StateChange): void;
  /** Events on the user's notifications channel (new-message, room-created…). */
  onNotification?(event: string, data: any): void;
  timing?: Partial<Timing>;
}

/** A handle on a shared channel; release it with unsubscribe(). */
export interface ChannelSubscription {
  readonly channelName: string;
  readonly status: "pending" | "subscribed" | "failed";
  readonly error: RealtimeError | null;
  /** The pusher-js channel (presence channels have `members`); null before connect(). */
  readonly channel: PusherChannelLike | null;
  onChange(listener: () => void): () => void;
  onEvent(listener: (event: string, data: any) => void): () => void;
  /** Asks for authorization again after a refusal. */
  retry(): void;
  unsubscribe(): void;
}

export type EventHandlers = Record<string, (data: any) => void>;

interface StoreBase<Snapshot> {
  readonly closed: boolean;
  /** The last failure; cleared once the operation that failed (sync, load, read, inbox) succeeds. */
  readonly error: ChatError | null;
  /** Resolves once started (after connect()) and loaded. */
  readonly ready: Promise<void>;
  /** For useSyncExternalStore. */
  subscribe(listener: () => void): () => void;
  getSnapshot(): Snapshot;
  close(): void;
}

export interface ConversationSnapshot {
  messages: ChatMessage[];
  typingUsers: TypingUser[];
  isConnected: boolean;
  error: ChatError | null;
  hasMore: boolean;
  loading: boolean;
  lastSeq: number;
}

export interface ConversationHandlers {
  /** Every change, with all messages (oldest first, own unsent ones last). */
  onChange?(messages: ChatMessage[], snapshot: ConversationSnapshot): void;
  /** Once per message the server has, in seq order within a batch (older pages included). */
  onMessage?(message: SentMessage): void;
  /** A shown message was edited, deleted or reacted to (live, or learnt through a sync). */
  onMessageChange?(message: SentMessage): void;
  onRead?(event: ReadEvent): void;
  onTyping?(user: TypingUser, typing: boolean): void;
  /** The other user's presence (1:1 chats only). */
  onPresence?(online: boolean, presence: PresenceSnapshot): void;
  onError?(error: ChatError): void;
}

export interface Conversation extends StoreBase<ConversationSnapshot> {
  readonly kind: "private" | "room";
  /** The other user's id, or the room id. */
  readonly id: string;
  /** The conversation key events carry; null until connected. */
  readonly key: string | null;
  readonly channelName: string | null;
  /** Highest seq up to which no message is missing. */
  readonly lastSeq: number;
  readonly hasMore: boolean;
  readonly loading: boolean;
  readonly isConnected: boolean;
  readonly messages: ChatMessage[];
  readonly typingUsers: TypingUser[];
  send(content: string, extra?: SendExtra): Promise<Message>;
  retry(localId: string): Promise<Message>;
  /**
   * Sends a file: shown at once as a `pending` FILE message with `upload` progress, its bytes go
   * straight to the storage (a presigned PUT), then the message. Rejects with nothing shown when
   * the file is one `client.uploads` rules out (before any request: 413 `file_too_large`, 422
   * `file_type_not_allowed`, 501 `storage_disabled`) or the API refuses it (the same, 415); a failed upload stays `failed` with retry(). An upload a reload interrupted comes
   * back `failed` with the code `upload_interrupted` (the bytes are not kept).
   */
  sendFile(file: Blob & { name?: string }, options?: SendFileOptions): Promise<Message>;
  /** Stops an upload whose bytes are going up (its promise rejects with an AbortError). Whether one was. */
  cancelUpload(localId: string): boolean;
  /** Forgets a failed message or upload. Whether one was there. */
  discard(localId: string): boolean;
  /** Edits one of the user's own messages (within the server's edit window). */
  edit(messageId: string, content: string): Promise<Message>;
  /** Takes back one of the user's own messages; it stays as a tombstone. */
  delete(messageId: string): Promise<Message>;
  react(messageId: string, emoji: string): Promise<{ messageId: string; emoji: string; changed: boolean; reactions: { emoji: string; count: number; mine: boolean }[] }>;
  unreact(messageId: string, emoji: string): Promise<{ messageId: string; emoji: string; changed: boolean; reactions: { emoji: string; count: number; mine: boolean }[] }>;
  /** The conversation's change counter this view has caught up to. */
  readonly changeSeq: number;
  /**
   * The user saw the message with this seq; read receipts are batched, one call at a time. A read
   * that failed goes again when marked again and with the next sync that works (reconnect, online).
   */
  markVisible(seq: number): void;
  /** Marks everything up to `upToSeq` (default: the newest message) as read. */
  markRead(upToSeq?: number): void;
  /**
   * Call on every keystroke in the composer: one typing-start per burst (again every typingRefresh
   * while it lasts), carrying a read receipt that is due; no stop after a send or a pause (the
   * start expires, the message ends it).
   */
  notifyTyping(): void;
  /** The user stopped on purpose (e.g. emptied the composer): typing-stop if a start went out. */
  stopTyping(): void;
  loadOlder(limit?: number): Promise<Message[]>;
  sync(): Promise<void>;
  retryPresence(): void;
}

export interface InboxSnapshot {
  conversations: ConversationSummary[];
  loading: boolean;
  error: ChatError | null;
}

export interface Inbox extends StoreBase<InboxSnapshot> {
  readonly conversations: ConversationSummary[];
  /** Until the first answer of `GET /api/conversations`. */
  readonly loading: boolean;
  refresh(): Promise<void>;
}

export interface PresenceSnapshot {
  online: boolean;
  status: PresenceStatus | null;
  lastActive: string | null;
  error: ChatError | null;
}

export interface PresenceWatch extends StoreBase<PresenceSnapshot> {
  readonly userId: string;
  readonly online: boolean;
  readonly status: PresenceStatus | null;
  /** When the user was last active, as their last status change announced it. */
  readonly lastActive: string | null;
  retry(): void;
}

export type RoomRole = "owner" | "admin" | "member";

export interface RoomMember {
  id: string;
  firstName: string;
  lastName: string;
  avatar: string | null;
  role: RoomRole;
  joinedAt: string;
}

/** An open invitation (`by`: who invited) or a ban (`by`: who banned; null once that account is gone). */
export interface RoomListedUser {
  id: string;
  firstName: string;
  lastName: string;
  avatar: string | null;
  by: string | null;
  at: string;
}

export interface RoomSettings {
  id: string;
  name: string;
  /** Who may invite: every member, or only the owner and admins. */
  invitePolicy: "members" | "admins";
}

export interface RoomMembersSnapshot {
  room: RoomSettings | null;
  /** The user's role; null until loaded and once they are no longer a member. */
  role: RoomRole | null;
  /** The owner, then admins, then members, each longest-standing first. */
  members: RoomMember[];
  invitations: RoomListedUser[];
  /** Only for the owner and admins. */
  bans: RoomListedUser[] | null;
  /** False once the server refuses the user the room (removed, banned, left). */
  isMember: boolean;
  loading: boolean;
  error: ChatError | null;
}

export interface RoomMembersHandlers {
  onChange?(snapshot: RoomMembersSnapshot): void;
  /** Each member event of the room as it arrives (the list is read again after it). */
  onEvent?(event: (typeof MEMBER_EVENTS)[number], data: any): void;
  onError?(error: ChatError): void;
}

/** A room's member list, kept fresh by the room's member events; the actions the server allows by role. */
export interface RoomMembers extends StoreBase<RoomMembersSnapshot>, Readonly<Omit<RoomMembersSnapshot, "error">> {
  readonly roomId: string;
  refresh(): Promise<void>;
  /** Whether the user's role outranks this member's (the owner: everyone else; an admin: plain members). */
  mayModerate(member: RoomMember | RoomRole): boolean;
  /** The owner only: `owner` hands the room over (the old owner becomes an admin). */
  setRole(userId: string, role: RoomRole): Promise<{ roomId: string; userId: string; role: RoomRole }>;
  /** Removes a member or withdraws an invitation (owner and admins). */
  remove(userId: string): Promise<{ roomId: string; userId: string; removed: boolean; uninvited: boolean; banned: boolean }>;
  /** Removes and bans (owner and admins): no invitation reaches them until unban(). */
  ban(userId: string): Promise<{ roomId: string; userId: string; removed: boolean; uninvited: boolean; banned: boolean }>;
  unban(userId: string): Promise<{ roomId: string; userId: string; banned: false; lifted: boolean }>;
  invite(userIds: string[]): Promise<{ roomId: string; invited: string[] }>;
  rename(name: string): Promise<{ room: RoomSettings }>;
  setInvitePolicy(policy: "members" | "admins"): Promise<{ room: RoomSettings }>;
}

export declare const MEMBER_EVENTS: readonly [
  "room-member-joined",
  "room-member-left",
  "room-member-invited",
  "room-member-removed",
  "room-member-banned",
  "room-member-unbanned",
  "room-member-role-changed",
  "room-updated",
];
/** Whether role `actor` may remove, ban or moderate role `target` (the server's rule; the server checks it). */
export declare function outranks(actor: RoomRole | null | undefined, target: RoomRole | null | undefined): boolean;
/** "removed by a moderator" for a moderator's tombstone, "message deleted" otherwise. */
export declare function tombstoneText(message: { deletedBy?: string | null } | null | undefined): string;

export interface ClientEvents {
  state: (change: StateChange) => void;
  error: (error: ChatError) => void;
  notification: (event: string, data: any) => void;
  /** The user's block or mute list changed (also once at connect()). */
  safety: (lists: { blocked: string[]; muted: string[] }) => void;
}

/** A user the caller blocked or muted (`GET /api/blocks`). */
export interface BlockedUser {
  userId: string;
  kind: "block" | "mute";
  createdAt: string;
  firstName?: string;
  lastName?: string;
  avatar?: string | null;
}

export type ReportReason = "spam" | "harassment" | "hate" | "sexual" | "violence" | "other";

/** What to report: exactly one of messageId, userId and roomId. */
export type ReportTarget = ({ messageId: string; userId?: never; roomId?: never } | { userId: string; messageId?: never; roomId?: never } | { roomId: string; messageId?: never; userId?: never }) & {
  reason: ReportReason;
  note?: string;
};

export interface FiledReport {
  id: string;
  targetType: "message" | "user" | "room";
  targetId: string;
  reason: ReportReason;
  note: string | null;
  createdAt: string;
}

export declare const REPORT_REASONS: readonly ReportReason[];

export declare class ChatClient {
  constructor(options: ChatClientOptions);
  readonly baseUrl: string;
  readonly timing: Timing;
  readonly signIn: boolean;
  readonly state: ConnectionState;
  readonly me: Me | null;
  /** The API's channels are end-to-end encrypted (`private-encrypted-…`): pass pusher-js's
   * encryption build (`pusher-js/with-encryption`). Known after connect(). */
  readonly encryptedChannels: boolean;
  /** How long after sending the user may edit a message (the API's MESSAGE_EDIT_WINDOW_SECS; 0:
   * never; null: an API that does not say). Known after connect(). */
  readonly messageEditWindowSecs: number | null;
  /**
   * What files the API takes (`uploads` of /api/config: UPLOAD_MAX_BYTES, UPLOAD_ALLOWED_TYPES, and
   * whether a store is configured); sendFile() refuses others before any request. null: an API
   * that does not say. Known after connect().
   */
  readonly uploads: { enabled: boolean; maxBytes: number | null; allowedTypes: string[] | null } | null;
  /**
   * A URL of a FILE message's file for `<img src>` or a link, valid for a few minutes (reused
   * while fresh); the older form's public `fileUrl` as it is. Rejects with a TypeError for a
   * message without a file.
   */
  fileUrl(message: Pick<Message, "file" | "fileUrl">): Promise<string>;
  readonly pusher: PusherLike | null;
  /** Resolves once connect() has finished. */
  readonly ready: Promise<void>;
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): () => void;
  connect(): Promise<Me>;
  /** Ends subscriptions, conversations, timers, listeners and the connection; connect() may follow. */
  close(): void;
  disconnect(): void;
  api<T = any>(path: string, options?: { method?: string; json?: unknown; form?: Record<string, string> }): Promise<T>;
  subscribe(channelName: string, events?: EventHandlers): ChannelSubscription;
  openChat(otherUserId: string, handlers?: ConversationHandlers): Conversation;
  openRoom(roomId: string, handlers?: ConversationHandlers): Conversation;
  /** A room's member list with roles, kept fresh by its member events; the owner's and admins' actions. */
  openRoomMembers(roomId: string, handlers?: RoomMembersHandlers): RoomMembers;
  openInbox(handlers?: { onChange?(conversations: ConversationSummary[]): void; onError?(error: ChatError): void }): Inbox;
  watchPresence(userId: string, handlers?: { onChange?(presence: PresenceSnapshot): void; onError?(error: ChatError): void }): PresenceWatch;
  send(receiverId: string, content: string, extra?: SendExtra): Promise<Message>;
  history(otherUserId: string, query?: PageQuery): Promise<MessagePage>;
  roomHistory(roomId: string, query?: PageQuery): Promise<MessagePage>;
  markRead(otherUserId: string, upToSeq: number): Promise<{ readBy: string; readAt: string; messageIds: string[] }>;
  typing(otherUserId: string, typing: boolean): Promise<{ sent: boolean }>;
  inbox(): Promise<ConversationSummary[]>;
  setPresence(status: PresenceStatus): Promise<{ status: PresenceStatus; changed: boolean }>;
  /** Web Push for this browser: registers the service worker the app serves at `serviceWorkerUrl` ("/push-sw.js"), asks for permission, subscribes and stores the subscription. Rejects with a PushError. */
  enablePush(options?: { serviceWorkerUrl?: string; scope?: string }): Promise<{ endpoint: string; subscription: { id: string; endpoint: string; created: boolean; replaced: number } }>;
  /** Unsubscribes this browser; resolves with whether it was subscribed. */
  disablePush(options?: { scope?: string }): Promise<boolean>;
  pushStatus(options?: { scope?: string }): Promise<PushStatus>;
  /** No push for this conversation (`conversationId`) until `until`, or until unmute(). */
  mute(conversationId: string, options?: { until?: Date | string }): Promise<MuteState>;
  unmute(conversationId: string): Promise<MuteState>;
  /** Whether the user blocked `userId` (the list fetched at connect(), kept by block()/unblock()). */
  isBlocked(userId: string): boolean;
  /** Whether the user muted `userId`. */
  isMuted(userId: string): boolean;
  /** Fetches the block and mute lists again. */
  blocks(): Promise<{ blocks: BlockedUser[]; mutes: BlockedUser[] }>;
  /** Blocks a user: they cannot write, type or react in the 1:1 chat; their room messages are hidden. */
  block(userId: string): Promise<{ userId: string; kind: "block"; created: boolean }>;
  unblock(userId: string): Promise<{ userId: string; kind: "block"; removed: boolean }>;
  /** Mutes a user: no pushes from them; their room messages come `collapsed`. */
  muteUser(userId: string): Promise<{ userId: string; kind: "mute"; created: boolean }>;
  unmuteUser(userId: string): Promise<{ userId: string; kind: "mute"; removed: boolean }>;
  /** Reports a message, a user or a room to the operators. */
  report(target: ReportTarget): Promise<{ report: FiledReport; duplicate?: true }>;
  /** `PUT /api/me`; resolves with the server's answer. */
  updateProfile(profile: { firstName: string; lastName: string; avatar?: string | null }): Promise<any>;
  /** `GET /api/messages/search`: the caller's messages matching every word of `q` as a prefix. */
  search(q: string, options?: { limit?: number }): Promise<{ words: string[]; messages: Message[]; hasMore: boolean }>;
  /** The caller is the room's member; everyone in `memberIds` is invited. */
  createRoom(name: string, memberIds?: string[]): Promise<Room>;
  /** The caller's rooms and open invitations. */
  rooms(): Promise<{ rooms: { id: string; name: string; role?: RoomRole }[]; invitations: RoomInvitation[] }>;
  /** Accepts an invitation; the room then shows in the inbox. */
  acceptRoom(roomId: string): Promise<{ joined: string; alreadyMember: boolean }>;
  /** Leaves a room, or declines an invitation to it. */
  leaveRoom(roomId: string): Promise<{ left: string }>;
}

/** A size as a user reads it ("1.5 MB"; 1 MB = 1024 kB, as UPLOAD_MAX_BYTES counts it). */
export declare function formatBytes(bytes: number): string;
export declare function conversationKey(a: string, b: string): string;
export declare function roomKey(roomId: string): string;
export declare function privateChatChannel(a: string, b: string): string;
export declare function roomChannel(roomId: string): string;
export declare function notificationsChannel(userId: string): string;
export declare function presenceChannel(userId: string): string;
/** `conversationId ?? chatId` of an event. */
export declare function eventConversation(data: { conversationId?: string; chatId?: string } | null | undefined): string | undefined;
