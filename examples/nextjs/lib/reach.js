// Whether this page can talk to the API, and if not, what to change: a sign-in that only says
// "Failed to fetch" leaves the user guessing between a stopped API, a missing CORS origin and a
// wrong URL.

const TIMEOUT_MS = 5000;

/** Resolves with null when GET /api/config answers this page, else with what is wrong. */
export async function apiProblem(apiUrl) {
  const url = `${apiUrl}/api/config`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (response.ok) return null;
    return `The API at ${apiUrl} answered ${response.status} to GET /api/config: is API_BASE_URL the pusher-chat API?`;
  } catch (err) {
    if (err?.name === "TimeoutError") return `The API at ${apiUrl} did not answer within ${TIMEOUT_MS / 1000} s.`;
  }
  const origin = window.location.origin;
  if (window.location.protocol === "https:" && url.startsWith("http:")) {
    return `This page is served over https and the API at ${apiUrl} over http, which browsers refuse: serve both over https.`;
  }
  // A request that does not need CORS still gets through when only CORS refused the first.
  const answers = await fetch(url, { mode: "no-cors", signal: AbortSignal.timeout(TIMEOUT_MS) }).then(
    () => true,
    () => false,
  );
  return answers
    ? `The API at ${apiUrl} answers, but not to this page: add ${origin} to the API's CORS_ALLOWED_ORIGINS and restart it.`
    : `Cannot reach the API at ${apiUrl}: is it running (scripts/dev)? Set API_BASE_URL when the API is elsewhere.`;
}
