import { headers } from "next/headers";
import ChatApp from "../components/ChatApp";

// Rendered per request, so that API_BASE_URL is read when the server runs, not when it is built:
// one build serves any API. NEXT_PUBLIC_API_URL (inlined by `next build`) is the fallback.
export const dynamic = "force-dynamic";

export default async function Page() {
  const apiUrl = process.env.API_BASE_URL || process.env.NEXT_PUBLIC_API_URL || "http://127.0.0.1:3000";
  // Under `next dev`, the host the page was opened at: the page names it if the dev server
  // refuses it its scripts (a host that is not localhost, 127.0.0.1 or in ALLOWED_DEV_ORIGINS).
  const devHost = process.env.NODE_ENV === "development" ? hostname((await headers()).get("host")) : null;
  return <ChatApp apiUrl={apiUrl.replace(/\/+$/, "")} devHost={devHost} />;
}

function hostname(host) {
  try {
    return host ? new URL(`http://${host}`).hostname : null;
  } catch {
    return null;
  }
}
