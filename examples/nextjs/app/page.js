import ChatApp from "../components/ChatApp";

// Rendered per request, so that API_BASE_URL is read when the server runs, not when it is built:
// one build serves any API. NEXT_PUBLIC_API_URL (inlined by `next build`) is the fallback.
export const dynamic = "force-dynamic";

export default function Page() {
  const apiUrl = process.env.API_BASE_URL || process.env.NEXT_PUBLIC_API_URL || "http://127.0.0.1:3000";
  return <ChatApp apiUrl={apiUrl.replace(/\/+$/, "")} />;
}
