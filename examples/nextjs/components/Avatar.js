"use client";
import { useChatClient } from "@pusher-chat/client/react";

export const displayName = (user) => `${user.firstName ?? ""} ${user.lastName ?? ""}`.trim() || user.id;

/** The user's picture (a relative avatar URL is the API's), or their initials. */
export function Avatar({ user }) {
  const { baseUrl } = useChatClient();
  if (!user.avatar) return <span className="avatar initials">{displayName(user).slice(0, 1)}</span>;
  return <img className="avatar" src={new URL(user.avatar, `${baseUrl}/`).href} alt="" />;
}
