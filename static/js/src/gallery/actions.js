/*
 * What a viewer does with a work, on a card or on the work's page (any element with data-id and
 * buttons with data-action): like and save (at once, taken back with a message if the server
 * refuses), hide and “see less like this” (the card goes at once; Undo brings it back), report,
 * share (the link copied, and a share signal), and the “Why this?” and “⋯” popovers.
 * Logged out, the writes ask to log in.
 */

import { api } from "./api.js";
import { applyCard } from "./cards.js";
import { closePopover, initPopovers } from "./popovers.js";
import { openReport } from "./report.js";
import { flush, record, unwatchImpressions } from "./signals.js";
import { toast } from "./toast.js";
import { authenticated, feedContext, integer, label, recalledContext, urls } from "./util.js";

const busy = new WeakSet();  // containers with a like or save on its way
let toldWhereLikesGo = false;  // the first like on a page says where liked works are found

/* Where the work was shown: a card's own context, or on its page the card it was opened from. */
function contextOf(container) {
  return container.classList.contains("gcard") ? feedContext(container) : recalledContext(container.dataset.id);
}

function askToLogIn() {
  toast(label("login-to-act"), { actions: [{ label: label("log-in"), href: urls.login }] });
}

function setToggle(container, action, on) {
  const button = container.querySelector(`[data-action=${action}]`);
  button.setAttribute("aria-pressed", on ? "true" : "false");
  const name = action === "like" ? "likes" : "saves";
  for (const count of container.querySelectorAll(`[data-count=${name}]`)) {
    const value = Number((count.textContent || "0").replace(/\D/g, "")) || 0;
    count.textContent = integer(Math.max(0, value + (on ? 1 : -1)));
  }
}

async function toggle(container, action) {
  if (!authenticated) return askToLogIn();
  if (busy.has(container)) return;
  const button = container.querySelector(`[data-action=${action}]`);
  const on = button.getAttribute("aria-pressed") !== "true";
  setToggle(container, action, on);  // at once; taken back below if the server says no
  busy.add(container);
  try {
    const card = await api(urls.work(container.dataset.id, action), {
      method: on ? "POST" : "DELETE", body: on ? contextOf(container) : undefined });
    applyCard(container, card);
    if (action === "like" && on && !toldWhereLikesGo && urls.liked) {
      toldWhereLikesGo = true;
      toast(label("liked"), { actions: [{ label: label("open-liked"), href: urls.liked }] });
    }
  } catch (error) {
    setToggle(container, action, !on);
    toast(label(action + "-failed", { message: error.message }), { error: true });
  } finally {
    busy.delete(container);
  }
}

/* The card leaves the page at once (a comment keeps its place, for Undo). */
function removeCard(container) {
  if (!container.classList.contains("gcard") || !container.parentNode) return null;
  // The focus was on the card (its menu): it moves on to the next card, not to the page's top.
  const next = container.nextElementSibling || container.previousElementSibling;
  if (next && (container.contains(document.activeElement) || document.activeElement === document.body)) {
    const link = next.querySelector(".gcard__link");
    if (link) link.focus({ preventScroll: true });
  }
  const mark = document.createComment("hidden work");
  container.replaceWith(mark);
  unwatchImpressions(container);
  return mark;
}

async function hide(container, less) {
  if (!authenticated) return askToLogIn();
  const id = container.dataset.id;
  const mark = removeCard(container);
  try {
    await api(urls.work(id, "hide"), { method: "POST", body: { less_like_it: less, ...contextOf(container) } });
  } catch (error) {
    if (mark) mark.replaceWith(container);
    toast(label("hide-failed", { message: error.message }), { error: true });
    return;
  }
  toast(label(less ? "less" : "hidden"), { actions: [{ label: label("undo"), run: async () => {
    try {
      await api(urls.work(id, "hide"), { method: "DELETE" });
    } catch (error) {
      toast(label("hide-failed", { message: error.message }), { error: true });
      return;
    }
    if (mark && mark.isConnected) mark.replaceWith(container);
    toast(label("shown-again"));
  } }] });
}

async function share(container) {
  const url = new URL(container.dataset.url, window.location.href).href;
  let copied = false;
  try {
    await navigator.clipboard.writeText(url);
    copied = true;
  } catch (error) { /* no clipboard here: the link is shown to copy */ }
  toast(copied ? label("copied") : label("copy-this") + " " + url);
  record({ publication: container.dataset.id, kind: "share", ...contextOf(container) });
  flush();
}

function report(container) {
  if (!authenticated) return askToLogIn();
  openReport(container, () => removeCard(container));
}

/* Buttons with data-action inside `scope` act on the element with data-id around them (“Why
   this?” and “⋯” open their popovers by themselves). */
export function initActions(scope) {
  initPopovers(scope);
  scope.addEventListener("click", (event) => {
    const button = event.target.closest("[data-action]");
    const container = button && button.closest("[data-id]");
    if (!button || !container || !scope.contains(container)) return;
    const action = button.dataset.action;
    if (action === "why" || action === "menu") return;
    closePopover({ focus: button.getAttribute("role") === "menuitem" && action === "share" });
    if (action === "like" || action === "save") toggle(container, action);
    else if (action === "hide" || action === "less") hide(container, action === "less");
    else if (action === "share") share(container);
    else if (action === "report") report(container);
  });
}
