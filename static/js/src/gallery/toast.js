/*
 * The toast (#gallery-toast): what just happened, with an action when there is one (Undo, Log in).
 * The same words go to a polite live region (#gallery-announce, always there), for screen readers.
 */

import { el } from "./util.js";

const SHOWN_MS = 6000;
const WITH_ACTION_MS = 10000;
let timer = 0;

export function hideToast() {
  const box = el("gallery-toast");
  if (box) box.hidden = true;
  window.clearTimeout(timer);
}

/* actions: [{label, href} or {label, run()}]. */
export function toast(message, { error = false, actions = [] } = {}) {
  const box = el("gallery-toast");
  if (!box) return;
  el("gallery-toast-text").textContent = message;
  const announce = el("gallery-announce");
  if (announce) announce.textContent = message;
  const place = el("gallery-toast-actions");
  place.textContent = "";
  for (const action of actions) {
    let node;
    if (action.href) {
      node = document.createElement("a");
      node.href = action.href;
    } else {
      node = document.createElement("button");
      node.type = "button";
      node.addEventListener("click", () => { hideToast(); action.run(); });
    }
    node.className = "btn btn--ghost btn--small";
    node.textContent = action.label;
    place.appendChild(node);
  }
  box.classList.toggle("gallery-toast--error", error);
  box.hidden = false;
  window.clearTimeout(timer);
  timer = window.setTimeout(hideToast, actions.length ? WITH_ACTION_MS : SHOWN_MS);
}
