/*
 * What every page does (the base bundle, loaded by base.html; no inline scripts or styles under
 * the Content-Security-Policy):
 * - forms with data-confirm ask before they are sent (remove, leave, revoke...);
 * - initials avatars take their colour from data-hue (set through the CSSOM, which the policy
 *   allows, instead of a style attribute, which it does not);
 * - the inbox badge in the navigation counts unread notifications live (notifications.js).
 */

import { ready } from "../lib/page.js";
import { startInboxBadge } from "./notifications.js";

document.addEventListener("submit", (event) => {
  const question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});

function paintHues(root) {
  for (const marked of root.querySelectorAll("[data-hue]")) {
    const hue = Number(marked.getAttribute("data-hue"));
    if (isFinite(hue)) marked.style.setProperty("--hue", String(hue));
  }
}

ready(() => {
  paintHues(document);
  const badge = document.getElementById("inbox-badge");
  if (badge && badge.dataset.wsPath && "WebSocket" in window) startInboxBadge(badge);
});
