/*
 * What the page reports by itself (POST /api/v1/gallery/signals), for viewers who are logged in:
 * - impressions: a card at least half visible for a second, once per card per page view;
 * - views with dwell time: how long the work's page (or a card's moving preview) was watched;
 * - shares.
 * Events are batched: sent every few seconds or at 20, and when the page is hidden or left, with
 * navigator.sendBeacon (a form with `events` as JSON and the CSRF token), which outlives the page.
 */

import { api } from "./api.js";
import { authenticated, csrfToken, feedContext, urls } from "./util.js";

const FLUSH_MS = 4000;
const BATCH = 20;
const MAX_PER_REQUEST = 100;
const IMPRESSION_MS = 1000;
const MIN_DWELL_MS = 1000;

const queue = [];
const hideHooks = [];  // called when the page is hidden, before the last flush
let timer = 0;

function send(events, beacon) {
  if (beacon && navigator.sendBeacon) {
    const form = new FormData();
    form.append("events", JSON.stringify(events));
    form.append("csrfmiddlewaretoken", csrfToken());
    if (navigator.sendBeacon(urls.signals, form)) return;
  }
  api(urls.signals, { method: "POST", body: { events }, keepalive: true })
    .catch(() => { /* lost: signals are best effort */ });
}

export function flush({ beacon = false } = {}) {
  window.clearTimeout(timer);
  timer = 0;
  while (queue.length) send(queue.splice(0, MAX_PER_REQUEST), beacon);
}

/* event: {publication, kind: impression|view|share, dwell_ms?, feed?, position?, reason?}. */
export function record(event) {
  if (!authenticated || !urls.signals) return;
  queue.push(event);
  if (queue.length >= BATCH) flush();
  else if (!timer) timer = window.setTimeout(flush, FLUSH_MS);
}

/* `hook()` runs when the page is hidden or left (to record a view's dwell time then). */
export function onHide(hook) { hideHooks.push(hook); }

function pageHidden() {
  for (const hook of hideHooks) hook();
  flush({ beacon: true });
}

document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") pageHidden(); });
window.addEventListener("pagehide", pageHidden);

// --- impressions ---------------------------------------------------------------------------------

const impressed = new Set();  // publication ids already reported on this page view
const pending = new Map();  // card -> timer

function impressionCheck(entries) {
  for (const entry of entries) {
    const card = entry.target;
    const visible = entry.isIntersecting && entry.intersectionRatio >= 0.5;
    if (visible && !pending.has(card) && !impressed.has(card.dataset.id)) {
      pending.set(card, window.setTimeout(() => {
        pending.delete(card);
        if (document.visibilityState !== "visible" || !card.isConnected || impressed.has(card.dataset.id)) return;
        impressed.add(card.dataset.id);
        observer.unobserve(card);
        record({ publication: card.dataset.id, kind: "impression", ...feedContext(card) });
      }, IMPRESSION_MS));
    } else if (!visible && pending.has(card)) {
      window.clearTimeout(pending.get(card));
      pending.delete(card);
    }
  }
}

const observer = ("IntersectionObserver" in window)
  ? new IntersectionObserver(impressionCheck, { threshold: [0, 0.5, 1] }) : null;

export function watchImpressions(card) {
  if (observer && authenticated && card.dataset.id && !impressed.has(card.dataset.id)) observer.observe(card);
}

export function unwatchImpressions(card) {
  if (!observer) return;
  observer.unobserve(card);
  if (pending.has(card)) {
    window.clearTimeout(pending.get(card));
    pending.delete(card);
  }
}

// --- views with dwell time -----------------------------------------------------------------------

/* Counts the time something is watched while the page is visible; `report()` records a view with
   that time (if long enough) and starts again. */
export class Dwell {
  constructor(publication, context) {
    this.publication = publication;
    this.context = context || {};
    this.total = 0;
    this.since = null;
  }

  start() {
    if (this.since === null && document.visibilityState === "visible") this.since = performance.now();
  }

  pause() {
    if (this.since !== null) this.total += performance.now() - this.since;
    this.since = null;
  }

  report() {
    this.pause();
    const dwell = Math.round(this.total);
    this.total = 0;
    if (dwell >= MIN_DWELL_MS) {
      record({ publication: this.publication, kind: "view", dwell_ms: Math.min(dwell, 3600000), ...this.context });
    }
  }
}
