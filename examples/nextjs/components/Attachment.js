"use client";
import { useEffect, useState } from "react";
import { useChatClient, useFileUrl } from "@pusher-chat/client/react";
import { formatBytes } from "@pusher-chat/client";

/** The images a browser shows inline (the API serves every other type as an attachment). */
const INLINE = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
const THUMB = 240; // px, the longer side of an image in the list

/** A paperclip and a page, drawn (an emoji font is not on every machine). */
export const PaperclipIcon = () => (
  <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
    <path d="M21 11.5l-8.6 8.6a5.5 5.5 0 01-7.8-7.8l8.6-8.6a3.7 3.7 0 015.2 5.2l-8.6 8.6a1.8 1.8 0 01-2.6-2.6l7.9-7.9" />
  </svg>
);
const FileIcon = () => (
  <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round">
    <path d="M14 3H6a1 1 0 00-1 1v16a1 1 0 001 1h12a1 1 0 001-1V8z" />
    <path d="M14 3v5h5" />
  </svg>
);

/** The API refused the file before any byte went up (too large, its type, no storage): no message was made. */
export const isRefusal = (err) => err?.name !== "AbortError" && [400, 403, 404, 413, 415, 422, 501].includes(err?.status);

/**
 * A FILE message's file: an image inline at thumbnail size (a tap opens it whole), anything else
 * as a chip with its name and size that downloads it. Its URL is short-lived (the API signs one
 * per user, see client.fileUrl), so a download asks for a fresh one.
 */
export function Attachment({ message: m }) {
  const client = useChatClient();
  const file = m.file ?? { name: m.fileName ?? "file", size: m.fileSize ?? null, contentType: "", width: null, height: null, url: null };
  const sent = m.status === "sent";
  const { url, error } = useFileUrl(sent ? m : null);
  const [open, setOpen] = useState(false);
  const image = INLINE.has(file.contentType) || (!m.file && /\.(png|jpe?g|gif|webp)$/i.test(m.fileUrl ?? ""));
  const src = url ?? file.previewUrl ?? null;

  if (image) {
    const scale = file.width && file.height ? Math.min(1, THUMB / file.width, THUMB / file.height) : null;
    const size = scale ? { width: Math.round(file.width * scale), height: Math.round(file.height * scale) } : {};
    return (
      <>
        <button type="button" className="attachment image" aria-label={`Open ${file.name}`} title={file.name} disabled={!src} onClick={() => setOpen(true)}>
          {src ? <img src={src} alt={file.name} {...size} /> : <span className="placeholder" style={size}>{error ? "image unavailable" : "…"}</span>}
        </button>
        {open && <Viewer message={m} file={file} fallback={src} onClose={() => setOpen(false)} />}
      </>
    );
  }

  async function download(event) {
    if (!sent) return event.preventDefault();
    event.preventDefault();
    try {
      window.location.assign(await client.fileUrl(m)); // served as an attachment: the page stays
    } catch {
      // the chip shows the failure below
    }
  }
  return (
    <a className="attachment chip file" href={url ?? undefined} onClick={download} download={file.name} title={`Download ${file.name}`} data-file-name={file.name}>
      <FileIcon />
      <span className="name">{file.name}</span>
      {file.size != null && <span className="size">{formatBytes(file.size)}</span>}
      {error && <span className="error">unavailable</span>}
    </a>
  );
}

/** An image at full size over the page; Escape, the ✕ or a click beside it closes it. */
function Viewer({ message, file, fallback, onClose }) {
  const client = useChatClient();
  const [src, setSrc] = useState(fallback);
  useEffect(() => {
    if (message.status !== "sent") return;
    let live = true;
    client.fileUrl(message).then((url) => live && setSrc(url), () => {});
    return () => {
      live = false;
    };
  }, [client, message]);
  useEffect(() => {
    const close = (event) => event.key === "Escape" && onClose();
    document.addEventListener("keydown", close);
    return () => document.removeEventListener("keydown", close);
  }, [onClose]);
  return (
    <div className="viewer" role="dialog" aria-modal="true" aria-label={file.name} onClick={(event) => event.target === event.currentTarget && onClose()}>
      <img src={src ?? undefined} alt={file.name} />
      <p className="viewer-bar">
        <span className="name">{file.name}</span>
        {src && (
          <a href={src} target="_blank" rel="noopener noreferrer">
            Open original
          </a>
        )}
        <button type="button" aria-label="Close" onClick={onClose}>
          ✕
        </button>
      </p>
    </div>
  );
}

/** How far an upload's bytes are, with a button that stops it. */
export function UploadProgress({ upload, name }) {
  const percent = upload.total ? Math.floor((upload.loaded / upload.total) * 100) : 0;
  return (
    <span className="upload">
      <progress value={upload.loaded} max={upload.total || 1} aria-label={`Uploading ${name ?? "file"}`} />
      <span className="percent">{percent}%</span>
      {upload.cancel && (
        <button type="button" className="plain" data-action="cancel-upload" aria-label="Cancel upload" title="Cancel upload" onClick={() => upload.cancel()}>
          ✕
        </button>
      )}
    </span>
  );
}
