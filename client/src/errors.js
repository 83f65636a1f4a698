// The errors the client reports: an HTTP answer (or none), a realtime failure, and the abort of
// work a close() ended.

/** An HTTP error answer (or status 0: the request never got an answer). */
export class ApiError extends Error {
  /** @param {number} status @param {any} body @param {{ retryAfter?: number | null, cause?: any }} [options] */
  constructor(status, body, { retryAfter = null, cause } = {}) {
    super(body?.error?.message || (status ? `HTTP ${status}` : `Network error: ${cause?.message ?? "no answer"}`), { cause });
    this.name = "ApiError";
    this.status = status;
    this.code = body?.error?.code ?? (status ? undefined : "network_error");
    this.body = body;
    /** Seconds to wait before sending again (429). */
    this.retryAfter = retryAfter;
    /** @type {string | undefined} What the client was doing: connect, load, sync, send, read, typing, subscribe, inbox. */
    this.operation = undefined;
  }
}

/** A failure of the realtime connection or of a channel subscription (e.g. 403 from the auth endpoint). */
export class RealtimeError extends Error {
  /** @param {string} message @param {{ channel?: string, status?: number, data?: any, cause?: any }} [options] */
  constructor(message, { channel, status, data, cause } = {}) {
    super(message, { cause });
    this.name = "RealtimeError";
    this.channel = channel;
    this.status = status;
    this.data = data;
    /** @type {string | undefined} */
    this.operation = undefined;
  }
}

/** What work a close() cut short rejects with; never reported as an error. */
export const abortError = () => Object.assign(new Error("The chat client was closed"), { name: "AbortError" });
