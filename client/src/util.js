// Small helpers without a feature of their own.

/** @typedef {ReturnType<typeof setTimeout>} Timer */

/** A promise with its resolve function outside. */
export const deferred = () => {
  /** @type {(value?: any) => void} */
  let resolve = () => {};
  /** @type {Promise<void>} */
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
};

/** localStorage when the browser allows it, else null. */
export const defaultStorage = () => {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage blocked by the browser's privacy settings
  }
};
