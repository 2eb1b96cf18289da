/*
 * The navigation's inbox badge (templates/inbox/_nav_badge.html), on every page of a signed-in
 * person: it opens /ws/notifications (the path is the badge's data-ws-path) and shows the unread
 * count the server sends, live; a new notification's sentence (already in the reader's
 * language) is read out through #inbox-announcer. The socket reconnects with backoff
 * (lib/socket.js) and the server sends the count again on each (re)connection, so nothing sent
 * while it was down is missed. A 4403 (signed out meanwhile) ends it.
 *
 * Other scripts may listen on `document` for
 *   storyloom:notification  detail: {unread, notification: {id, kind, text, link, created_at}}
 */

import { reconnectingSocket } from "../lib/socket.js";

export function startInboxBadge(badge) {
  const announcer = document.getElementById("inbox-announcer");

  function show(count) {
    const unread = Math.max(0, Number(count) || 0);
    badge.dataset.count = String(unread);
    badge.textContent = String(unread);
    badge.hidden = unread === 0;
    const template = unread === 1 ? badge.dataset.labelOne : badge.dataset.labelOther;
    if (template) badge.setAttribute("aria-label", template.replace("{count}", String(unread)));
  }

  return reconnectingSocket(badge.dataset.wsPath, {
    message(data) {
      if (data.type !== "count" && data.type !== "notification") return;
      if (typeof data.unread === "number") show(data.unread);
      if (data.type === "notification" && data.notification) {
        if (announcer) announcer.textContent = String(data.notification.text || "");
        document.dispatchEvent(new CustomEvent("storyloom:notification", { detail: data }));
      }
    },
  });
}
