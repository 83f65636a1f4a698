// Demo client: signs in (a dev token locally, any Supabase access token elsewhere), reads the
// public Pusher settings from /api/config and connects pusher-js with the Bearer token.
"use strict";

const state = { token: null, me: null, pusher: null };
const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(body.error?.message || response.statusText), { status: response.status, body });
  return body;
}

async function signIn(token) {
  state.token = token;
  state.me = await api("/api/me");
  $("login").hidden = true;
  $("session").hidden = false;
  const name = state.me.profile ? `${state.me.profile.firstName} ${state.me.profile.lastName}` : state.me.id;
  $("whoami").textContent = `Signed in as ${name}`;
  await connect();
  const health = await fetch("/api/health").then((r) => r.json());
  $("health").textContent = JSON.stringify(health, null, 2);
}

async function connect() {
  const { pusher } = await api("/api/config");
  const auth = { headers: { Authorization: `Bearer ${state.token}` } };
  state.pusher = new Pusher(pusher.key, {
    ...pusher.options,
    channelAuthorization: { ...pusher.options.channelAuthorization, ...auth },
    userAuthentication: { ...pusher.options.userAuthentication, ...auth },
  });
  state.pusher.connection.bind("state_change", ({ current }) => {
    $("connection").textContent = current;
    $("connection").classList.toggle("connected", current === "connected");
  });
}

document.querySelectorAll("[data-user]").forEach((button) =>
  button.addEventListener("click", async () => {
    try {
      const { token } = await api(`/dev/token?user=${button.dataset.user}`);
      await signIn(token);
    } catch (err) {
      $("login-error").textContent = err.status === 404 ? "Demo tokens exist only on the local dev server." : err.message;
    }
  }),
);

$("token-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await signIn($("token-input").value.trim());
  } catch (err) {
    state.token = null;
    $("login-error").textContent = err.message;
  }
});
