// Ids the client makes itself.

/** A message's clientMessageId: 128 random bits as hex, so a resend is recognised as the same message. */
export const newClientMessageId = () => {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
};
