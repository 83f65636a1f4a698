import "./globals.css";

export const metadata = { title: "pusher-chat · Next.js example" };

// Phones: the layout viewport shrinks when the on-screen keyboard opens (resizes-content), so the
// composer at the bottom of the 100dvh layout stays above it; `cover` lets the page reach the
// screen's edges, and the CSS keeps clear of notches with the safe-area insets.
export const viewport = { width: "device-width", initialScale: 1, viewportFit: "cover", interactiveWidget: "resizes-content" };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
