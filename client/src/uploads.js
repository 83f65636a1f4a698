// Files sent in a conversation: the bytes go from the browser straight to the storage through a
// presigned PUT (POST /api/uploads), with progress, cancel and retry; the FILE message that names
// the finished upload then goes through the outbox like any other send.
import { ApiError } from "./errors.js";
import { newClientMessageId } from "./ids.js";

/** A PUT that reports no progress for this long is given up (it failed; retry() starts again). */
export const UPLOAD_STALL_MS = 60_000;

/** The answers of POST /api/uploads that no retry changes: the file is refused, not the moment. */
const REFUSALS = new Set([400, 403, 404, 413, 415, 422, 501]);

/** The error of an upload the page lost its bytes of (closed or reloaded mid-way). */
export const interruptedError = () =>
  Object.assign(new Error("The upload was interrupted (the page was closed or reloaded): attach the file again"), {
    name: "UploadError",
    code: "upload_interrupted",
  });

const cancelledError = () => Object.assign(new Error("The upload was cancelled"), { name: "AbortError", code: "upload_cancelled" });

/** "1.5 MB", as a user reads a size (1 MB = 1024 kB, as UPLOAD_MAX_BYTES counts it: 25 MB = 26 214 400 bytes). */
export const formatBytes = (bytes) => {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["kB", "MB", "GB"];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) (value /= 1024), unit++;
  return `${value >= 10 ? Math.round(value) : Math.round(value * 10) / 10} ${units[unit]}`;
};

/** The refusal of a file over the API's limit, made before any request. */
export const tooLargeError = (name, size, maxBytes) =>
  new ApiError(413, { error: { code: "file_too_large", message: `${name} is ${formatBytes(size)}; files may be at most ${formatBytes(maxBytes)}` } });

/** Whether `type` is one of the API's UPLOAD_ALLOWED_TYPES (exact types, or a major type with /*). */
export const typeAllowed = (type, allowed) =>
  allowed.some((t) => (t.endsWith("/*") ? type.startsWith(t.slice(0, -1)) : type.toLowerCase() === t.toLowerCase()));

/** The refusals /api/config lets the client make before any request, or null. */
export function refusal({ name, size, contentType }, { enabled, maxBytes, allowedTypes }) {
  if (enabled === false) return new ApiError(501, { error: { code: "storage_disabled", message: "This server takes no files (no storage is configured)" } });
  if (maxBytes != null && size > maxBytes) return tooLargeError(name, size, maxBytes);
  if (Array.isArray(allowedTypes) && !typeAllowed(contentType, allowedTypes))
    return new ApiError(422, { error: { code: "file_type_not_allowed", message: `${name}: files of type ${contentType} cannot be sent here` } });
  return null;
}

/** An image's pixel size as the browser decodes it, or null (not an image it can decode). */
export async function imageSize(file) {
  if (!String(file?.type).startsWith("image/") || typeof globalThis.createImageBitmap !== "function") return null;
  try {
    const bitmap = await globalThis.createImageBitmap(file);
    const size = { width: bitmap.width, height: bitmap.height };
    bitmap.close?.();
    return size.width > 0 && size.height > 0 ? size : null;
  } catch {
    return null;
  }
}

/**
 * One PUT of `file` to a presigned upload, with XMLHttpRequest (fetch reports no upload progress).
 * Resolves when the storage answered 2xx; rejects with an ApiError (status 0: no answer, or it
 * stalled), or an AbortError after abort().
 */
export function putFile(XHR, upload, file, onProgress, stallMs = UPLOAD_STALL_MS) {
  const xhr = new XHR();
  let stalled = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const watch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ((stalled = true), xhr.abort()), stallMs);
  };
  const promise = new Promise((resolve, reject) => {
    xhr.open(upload.method || "PUT", upload.url);
    for (const [name, value] of Object.entries(upload.headers ?? {})) {
      // The browser sets these itself (and refuses to be told); the signature still covers them.
      if (!/^(content-length|host)$/i.test(name)) xhr.setRequestHeader(name, String(value));
    }
    xhr.upload.onprogress = (event) => {
      watch();
      onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    };
    xhr.onload = () => {
      clearTimeout(timer);
      if (xhr.status >= 200 && xhr.status < 300) return resolve(undefined);
      reject(new ApiError(xhr.status, { error: { code: "storage_refused", message: `The storage refused the upload (HTTP ${xhr.status})` } }));
    };
    xhr.onerror = () => {
      clearTimeout(timer);
      reject(new ApiError(0, null, { cause: new Error("the storage did not answer the upload") }));
    };
    xhr.onabort = () => {
      clearTimeout(timer);
      if (stalled) reject(new ApiError(0, { error: { code: "upload_stalled", message: `The upload made no progress for ${stallMs / 1000} s` } }));
      else reject(cancelledError());
    };
    watch();
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}

/**
 * The user's uploads in progress or failed, per conversation. An upload is `pending` while its
 * bytes go up (with `upload.loaded`/`total`) and while its message is sent; `failed` when the PUT
 * or the send failed (retry() starts it again) or when the page was reloaded mid-way: the bytes
 * are not kept, so such an upload comes back as `failed` with the code `upload_interrupted` and
 * only discard() is left. A file the API refuses (too large, a type it does not take, storage not
 * configured) is no message at all: sendFile() rejects and the timeline shows nothing.
 */
export class Uploads {
  #api;
  #storage;
  #XHR;
  #report;
  #failed;
  #changed;
  #outbox;
  #limits;
  #stallMs;
  /** @type {any[]} */
  #entries = [];
  /** @type {string | null} */
  #key = null;
  #generation = 0;

  constructor({ api, storage, XMLHttpRequest, report, failed, changed, outbox, limits, stallMs = () => UPLOAD_STALL_MS }) {
    this.#api = api;
    this.#storage = storage;
    this.#XHR = XMLHttpRequest;
    this.#report = report;
    this.#failed = failed;
    this.#changed = changed;
    this.#outbox = outbox;
    this.#limits = limits;
    this.#stallMs = stallMs;
  }

  /** Uploads a reload cut short come back as failed (their bytes are gone). */
  load(userId) {
    this.#key = `pusher-chat:uploads:${userId}`;
    try {
      const saved = JSON.parse(this.#storage?.getItem(this.#key) ?? "[]");
      for (const item of saved) {
        if (this.#entries.some((e) => e.localId === item.localId)) continue;
        this.#entries.push({ ...item, file: null, status: "failed", error: interruptedError(), loaded: 0, waiters: [], phase: "uploading" });
      }
    } catch (err) {
      this.#report(err, "upload");
    }
  }

  entriesFor(kind, target) {
    return this.#entries.filter((e) => e.kind === kind && e.target === target);
  }

  has(localId) {
    return this.#entries.some((e) => e.localId === localId);
  }

  /**
   * Starts sending `file` to `target`; resolves with the stored FILE message.
   * @param {"private" | "room"} kind @param {string} target @param {Blob & { name?: string }} file
   * @param {{ content?: string, onProgress?: Function, signal?: AbortSignal, width?: number, height?: number, replyToId?: string, clientMessageId?: string }} options
   */
  async add(kind, target, file, { content = "", onProgress, signal, width, height, clientMessageId, ...extra } = {}) {
    if (!file || typeof file.size !== "number") throw new TypeError("sendFile needs a File or Blob");
    const name = String(file.name || "file");
    const contentType = file.type || "application/octet-stream";
    const refused = refusal({ name, size: file.size, contentType }, this.#limits());
    if (refused) throw refused;
    if (signal?.aborted) throw cancelledError();
    const size = width && height ? { width, height } : await imageSize(file);
    const preview = contentType.startsWith("image/") && globalThis.URL?.createObjectURL ? globalThis.URL.createObjectURL(file) : null;
    const entry = {
      localId: clientMessageId || newClientMessageId(),
      kind,
      target,
      content,
      extra,
      meta: { name, size: file.size, contentType, width: size?.width ?? null, height: size?.height ?? null },
      createdAt: new Date().toISOString(),
      file,
      preview,
      onProgress,
      status: "pending",
      phase: "uploading",
      loaded: 0,
      /** @type {any} */
      error: null,
      /** @type {{ resolve: (m: any) => void, reject: (e: any) => void }[]} */
      waiters: [],
      /** @type {(() => void) | null} */
      abort: null,
      generation: this.#generation,
    };
    const promise = new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
    this.#entries.push(entry);
    signal?.addEventListener("abort", () => this.cancel(entry.localId), { once: true });
    this.#persist();
    this.#changed(entry);
    this.#run(entry);
    return promise;
  }

  async #run(entry) {
    const { kind, target, meta } = entry;
    const current = () => this.#entries.includes(entry) && entry.generation === this.#generation && entry.status === "pending";
    try {
      const upload = await this.#api.createUpload(kind, target, { fileName: meta.name, contentType: meta.contentType, size: meta.size });
      if (!current()) return;
      const put = putFile(this.#XHR, upload, entry.file, (loaded, total) => {
        if (!current()) return;
        entry.loaded = Math.min(loaded, total ?? loaded);
        entry.onProgress?.({ loaded: entry.loaded, total: meta.size, fraction: meta.size ? entry.loaded / meta.size : 1 });
        this.#changed(entry);
      }, this.#stallMs());
      entry.abort = put.abort;
      await put.promise;
      entry.abort = null;
      if (!current()) return;
      entry.loaded = meta.size;
      entry.phase = "sending";
      this.#persist(); // the outbox keeps it from here
      this.#changed(entry);
      const fields = { ...entry.extra, clientMessageId: entry.localId, type: "FILE", uploadId: upload.id };
      if (meta.width && meta.height) Object.assign(fields, { width: meta.width, height: meta.height });
      const { promise } = this.#outbox.add(kind, target, entry.content, fields, { file: { ...meta, url: null } });
      this.#finish(entry, await promise);
    } catch (err) {
      entry.abort = null;
      if (!current() || /** @type {any} */ (err)?.name === "AbortError") return;
      if (entry.phase === "uploading" && err instanceof ApiError && REFUSALS.has(err.status)) {
        // Refused before any byte went up: no message, nothing to retry.
        this.#remove(entry);
        for (const w of entry.waiters.splice(0)) w.reject(err);
        this.#report(err, "upload");
        return;
      }
      entry.status = "failed";
      entry.error = err;
      this.#persist();
      for (const w of entry.waiters.splice(0)) w.reject(err);
      this.#changed(entry);
      // A failed send the outbox has reported already.
      if (entry.phase === "uploading") this.#failed(entry, err);
    }
  }

  #finish(entry, message) {
    this.#remove(entry);
    for (const w of entry.waiters.splice(0)) w.resolve(message);
  }

  #remove(entry) {
    const i = this.#entries.indexOf(entry);
    if (i < 0) return;
    this.#entries.splice(i, 1);
    if (entry.preview) globalThis.URL?.revokeObjectURL?.(entry.preview);
    this.#persist();
    this.#changed(entry);
  }

  /** Stops an upload whose bytes are still going up: it leaves the timeline, its promise rejects (AbortError). */
  cancel(localId) {
    const entry = this.#entries.find((e) => e.localId === localId);
    if (!entry || entry.phase !== "uploading" || entry.status !== "pending") return false;
    entry.abort?.();
    entry.status = "cancelled";
    this.#remove(entry);
    for (const w of entry.waiters.splice(0)) w.reject(cancelledError());
    return true;
  }

  /** Uploads a failed one again: a new upload of the same file, or (its bytes are up) only its message. */
  retry(localId) {
    const entry = this.#entries.find((e) => e.localId === localId);
    if (!entry || entry.status !== "failed") return Promise.reject(new Error(`No failed upload ${localId}`));
    if (entry.phase === "uploading" && !entry.file) return Promise.reject(entry.error ?? interruptedError());
    const promise = new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
    entry.status = "pending";
    entry.error = null;
    if (entry.phase === "sending") {
      this.#changed(entry);
      this.#outbox.retry(localId).then(
        (message) => this.#finish(entry, message),
        (err) => {
          if (!this.#entries.includes(entry)) return;
          entry.status = "failed";
          entry.error = err;
          for (const w of entry.waiters.splice(0)) w.reject(err);
          this.#changed(entry);
        },
      );
      return promise;
    }
    entry.loaded = 0;
    this.#persist();
    this.#changed(entry);
    this.#run(entry);
    return promise;
  }

  /** Forgets a failed upload (one a reload interrupted cannot be retried). */
  discard(localId) {
    const entry = this.#entries.find((e) => e.localId === localId);
    if (!entry || entry.status !== "failed") return false;
    if (entry.phase === "sending") this.#outbox.discard(localId);
    this.#remove(entry);
    return true;
  }

  /** What survives a reload: the uploads whose bytes were not all up (and not cancelled). */
  #persist() {
    if (!this.#storage || !this.#key) return;
    const kept = this.#entries
      .filter((e) => e.phase === "uploading")
      .map(({ localId, kind, target, content, extra, meta, createdAt }) => ({ localId, kind, target, content, extra, meta, createdAt }));
    try {
      if (kept.length) this.#storage.setItem(this.#key, JSON.stringify(kept));
      else this.#storage.removeItem(this.#key);
    } catch (err) {
      this.#report(err, "upload");
    }
  }

  /** Ends the user's uploads in this page (what is persisted shows as interrupted next time). */
  clear() {
    this.#generation++;
    for (const entry of this.#entries.splice(0)) {
      entry.abort?.();
      if (entry.preview) globalThis.URL?.revokeObjectURL?.(entry.preview);
    }
    this.#key = null;
  }
}

/**
 * An upload as the message a conversation shows: `file` (name, size, contentType, width, height,
 * and `previewUrl`, a local object URL of an image) and, while its bytes go up, `upload`
 * ({loaded, total, cancel()}). The same object while nothing about it changed.
 * @param {any} entry @param {import("./conversation.js").Conversation} conversation
 */
export function uploadView(entry, conversation) {
  const v = entry.view;
  if (v && v.status === entry.status && v.error === entry.error && v.upload?.loaded === (entry.phase === "uploading" ? entry.loaded : undefined)) return v;
  const { kind, id } = conversation;
  const me = conversation.client.me;
  const uploading = entry.phase === "uploading" && entry.status === "pending";
  entry.view = {
    ...entry.extra,
    id: null,
    seq: null,
    localId: entry.localId,
    clientMessageId: entry.localId,
    senderId: me?.id ?? null,
    receiverId: kind === "private" ? id : null,
    roomId: kind === "room" ? id : null,
    content: entry.content,
    type: "FILE",
    file: { ...entry.meta, url: null, previewUrl: entry.preview ?? null },
    createdAt: entry.createdAt,
    isRead: false,
    readAt: null,
    sender: me?.profile ?? null,
    status: entry.status,
    error: entry.error,
    upload: entry.phase === "uploading" ? { loaded: entry.loaded, total: entry.meta.size, cancel: uploading ? () => conversation.cancelUpload(entry.localId) : null } : undefined,
    retry: () => conversation.retry(entry.localId),
    discard: () => conversation.discard(entry.localId),
  };
  return entry.view;
}
