// Conversation keys and channel names, as the server forms them.

// Ids are ASCII, so JavaScript's string order is the server's byte order.
export const conversationKey = (a, b) => (a < b ? `${a}:${b}` : `${b}:${a}`);
export const roomKey = (roomId) => `room:${roomId}`;
export const privateChatChannel = (a, b) => (a < b ? `private-chat-${a}-${b}` : `private-chat-${b}-${a}`);
/** Who has a 1:1 chat open: its members are the participants viewing it (it carries no events). */
export const presenceChatChannel = (a, b) => (a < b ? `presence-chat-${a}-${b}` : `presence-chat-${b}-${a}`);
export const roomChannel = (roomId) => `private-room-${roomId}`;
export const notificationsChannel = (userId) => `private-notifications-${userId}`;
export const presenceChannel = (userId) => `presence-user-${userId}`;
/** The conversation an event belongs to (`chatId` is the older name of `conversationId`). */
export const eventConversation = (data) => data?.conversationId ?? data?.chatId;

/** The name a channel has on the wire: its private-encrypted- twin when encryption is on. */
export const wireName = (name, encrypted) => {
  const plain = name.startsWith("private-") && !name.startsWith("private-encrypted-");
  return encrypted && plain ? `private-encrypted-${name.slice("private-".length)}` : name;
};
