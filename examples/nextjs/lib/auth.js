// Where access tokens come from. The chat client asks getToken() before every API call and channel
// authorization, and getToken({ forceRefresh: true }) after a 401.
//
// Locally: the dev server's demo users (GET /dev/token, a real HS256 token; only `scripts/dev` has
// this route). With Supabase, replace signIn() by your login page and getToken() by
//
//   async ({ forceRefresh }) =>
//     (forceRefresh ? await supabase.auth.refreshSession() : await supabase.auth.getSession()).data.session?.access_token
//
// Who the user is comes from the API (GET /api/me, through the chat client), not from here.

// The demo users of the local stack (fixed ids, seeded by `migrate --seed-demo`).
export const DEMO_USERS = [
  { handle: "alice", id: "00000000-0000-4000-8000-00000000a11c", firstName: "Alice", lastName: "Anders" },
  { handle: "bob", id: "00000000-0000-4000-8000-000000000b0b", firstName: "Bob", lastName: "Brown" },
  { handle: "carol", id: "00000000-0000-4000-8000-0000000ca201", firstName: "Carol", lastName: "Clark" },
];

const SESSION_KEY = "pusher-chat-example:user";

async function devToken(apiUrl, handle) {
  const response = await fetch(`${apiUrl}/dev/token?user=${encodeURIComponent(handle)}`);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error?.message ?? `GET /dev/token answered ${response.status}`);
  return body.token;
}

/** Signs in as a demo user: resolves with the getToken() the chat client needs. */
export async function signIn(apiUrl, handle) {
  let token = await devToken(apiUrl, handle);
  sessionStorage.setItem(SESSION_KEY, handle);
  const getToken = async ({ forceRefresh }) => {
    if (forceRefresh) token = await devToken(apiUrl, handle);
    return token;
  };
  return getToken;
}

/** The demo user this tab was signed in as (survives a reload), or null. */
export const rememberedUser = () => sessionStorage.getItem(SESSION_KEY);

export function signOut() {
  sessionStorage.removeItem(SESSION_KEY);
}
