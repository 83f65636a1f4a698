// Types of react.js (hand-written: the module ships as plain JavaScript).
import type { ReactNode, ReactElement } from "react";
import type {
  ChatClient,
  ChatClientOptions,
  ChatError,
  ChatMessage,
  ConnectionState,
  ConversationSnapshot,
  ConversationSummary,
  Message,
  PresenceStatus,
  RoomMember,
  RoomMembersSnapshot,
  RoomRole,
  SendExtra,
  SendFileOptions,
  TypingUser,
} from "./pusher-chat.js";

export declare function createChatClient(options: ChatClientOptions): ChatClient;

/** Gives the hooks their client; connects it on mount and closes it on unmount. */
export declare function ChatProvider(props: { client: ChatClient; children?: ReactNode }): ReactElement;

export declare function useChatClient(): ChatClient;

export declare function useConnectionState(): ConnectionState;

export interface UsePusherOptions {
  channelName: string | null | undefined;
  events?: { [eventName: string]: (data: any) => void };
}

export declare function usePusher(options: UsePusherOptions): { isConnected: boolean; error: ChatError | null };

export interface UseRealtimeMessagesOptions {
  /** The other user's id (1:1) or the room id. */
  chatId: string | null | undefined;
  chatType?: "private" | "room";
  /** The signed-in user (optional: the client knows it). */
  userId?: string;
}

/** The conversation's state (messages oldest first, own unsent ones last) and its actions. */
export interface RealtimeMessages extends Omit<ConversationSnapshot, "lastSeq"> {
  sendMessage(content: string, extra?: SendExtra): Promise<Message>;
  retry(localId: string): Promise<Message>;
  /** Sends a file (see Conversation.sendFile): pending with upload progress, then sent. */
  sendFile(file: Blob & { name?: string }, options?: SendFileOptions): Promise<Message>;
  /** Stops an upload whose bytes are going up. Whether one was. */
  cancelUpload(localId: string): boolean;
  /** Forgets a failed message or upload. Whether one was there. */
  discard(localId: string): boolean;
  editMessage(messageId: string, content: string): Promise<Message>;
  deleteMessage(messageId: string): Promise<Message>;
  react(messageId: string, emoji: string): Promise<{ messageId: string; emoji: string; changed: boolean; reactions: { emoji: string; count: number; mine: boolean }[] }>;
  unreact(messageId: string, emoji: string): Promise<{ messageId: string; emoji: string; changed: boolean; reactions: { emoji: string; count: number; mine: boolean }[] }>;
  /** Marks everything up to `upToSeq` (default: the newest message) as read. */
  markRead(upToSeq?: number): void;
  /** The user saw the message with this seq; read receipts are batched. */
  markVisible(seq: number): void;
  loadOlder(limit?: number): Promise<Message[]>;
  /** Call on every keystroke in the composer. */
  notifyTyping(): void;
  stopTyping(): void;
}

export declare function useRealtimeMessages(options: UseRealtimeMessagesOptions): RealtimeMessages;

/**
 * A short-lived URL of a FILE message's file for `<img src>` (asked for with the user's token); null
 * until known and for unsent messages (show `file.previewUrl`).
 */
export declare function useFileUrl(message: Pick<Message, "file" | "fileUrl"> | null | undefined): { url: string | null; error: ChatError | null };

export declare function useInbox(): {
  conversations: ConversationSummary[];
  loading: boolean;
  error: ChatError | null;
  refresh(): Promise<void>;
};

/** A room's member list with roles, kept live; the actions of the owner and admins (see RoomMembers). */
export declare function useRoomMembers(roomId: string | null | undefined): RoomMembersSnapshot & {
  refresh(): Promise<void>;
  mayModerate(member: RoomMember | RoomRole): boolean;
  setRole(userId: string, role: RoomRole): Promise<unknown>;
  remove(userId: string): Promise<unknown>;
  ban(userId: string): Promise<unknown>;
  unban(userId: string): Promise<unknown>;
  invite(userIds: string[]): Promise<unknown>;
  rename(name: string): Promise<unknown>;
  setInvitePolicy(policy: "members" | "admins"): Promise<unknown>;
};

export declare function usePresence(userId: string | null | undefined): {
  online: boolean;
  status: PresenceStatus | null;
  lastActive: string | null;
  error: ChatError | null;
  retry(): void;
};

export declare function useSearch(
  query: string | null | undefined,
  options?: { limit?: number; /** Milliseconds the query must rest before it is sent (250). */ delay?: number },
): {
  /** The query these results answer (trimmed); "" while none was answered. */
  query: string;
  /** The words searched for, as the server matched them (lower-cased prefixes). */
  words: string[];
  /** Newest first; each names its `conversationId` and `seq`. */
  messages: Message[];
  hasMore: boolean;
  /** A query is waiting for its delay or its answer. */
  loading: boolean;
  error: ChatError | null;
};
