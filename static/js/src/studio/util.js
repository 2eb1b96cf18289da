/*
 * Shared by the studio's modules: the #studio element, its translated strings (data-label-*
 * attributes, filled in by templates/generation/_studio.html) and number, length and time formats.
 */

import { csrfToken as pageCsrfToken, el, labels, numberFormat } from "../lib/page.js";
import { ago as agoWith, timeFormatter } from "../lib/time.js";

export { el, reducedMotion } from "../lib/page.js";

export const studio = document.getElementById("studio");
export const canGenerate = !!studio && studio.dataset.canGenerate === "true";

export const ACTIVE = new Set(["queued", "running"]);
export const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
export const MAX_PROMPT = 2000;

/* The string in data-label-<name> on #studio, with {placeholders} filled from `values`. */
export const label = labels(studio);

export function csrfToken() { return pageCsrfToken(studio); }
export const integer = numberFormat({ maximumFractionDigits: 0 });

/* A paged list's surroundings, the elements `${prefix}-loading`, `-empty`, `-count` and `-more`. */
export function listChrome(prefix, { loaded, shown, total, more }) {
  el(`${prefix}-loading`).hidden = loaded;
  el(`${prefix}-empty`).hidden = !loaded || shown > 0;
  const count = el(`${prefix}-count`);
  count.hidden = !total;
  count.textContent = integer.format(total);
  el(`${prefix}-more`).hidden = !more;
}

/* Shows `message` in the alert element `id`. */
export function showAlert(id, message) {
  const alert = el(id);
  alert.textContent = message;
  alert.hidden = false;
}
export const percent = numberFormat({ style: "percent", maximumFractionDigits: 0 });
const secondsShort = numberFormat({ style: "unit", unit: "second", unitDisplay: "short", maximumFractionDigits: 1 });
const secondsWhole = numberFormat({ style: "unit", unit: "second", unitDisplay: "short", maximumFractionDigits: 0 });
const minutesShort = numberFormat({ style: "unit", unit: "minute", unitDisplay: "short", maximumFractionDigits: 0 });

/* A length for people: "1.1 s", "12 s" (`whole`), "3 min". */
export function duration(seconds, whole) {
  if (seconds >= 90) return minutesShort.format(Math.round(seconds / 60));
  return (whole ? secondsWhole : secondsShort).format(whole ? Math.max(1, Math.round(seconds)) : seconds);
}

const times = timeFormatter(label("just-now"));

/* "5 minutes ago" (in the page's language) for an ISO date; "" for none. */
export function ago(value) { return agoWith(value, times); }

export function shorten(text, length) {
  const chars = Array.from(text || "");
  return chars.length > length ? chars.slice(0, length - 1).join("").trimEnd() + "…" : chars.join("");
}

/* Who asked for a job: the display name, else the username. */
export function requesterName(job) {
  return (job && (job.requester_name || job.requester)) || label("someone");
}

/* A row or tile that just arrived glows for a moment. */
export function flash(node) {
  node.classList.add("is-new");
  window.setTimeout(() => node.classList.remove("is-new"), 2500);
}
