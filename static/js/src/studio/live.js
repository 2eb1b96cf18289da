/*
 * The studio's live updates, from the page's one socket to /ws/projects/<id>/events, which
 * the project bundle (src/project/main.js) holds. It relays on `document`:
 *   storyloom:project-event   detail: each message, e.g. {"type": "job", id, status, ...}
 *   storyloom:project-socket  detail: {state: "connecting"|"open"|"offline"|"denied", reconnected}
 * and keeps the state in <html data-project-socket> (this module may start after it changed).
 *
 * While the socket is not open, the jobs in progress are polled instead; once it is back after a
 * drop, everything is fetched again.
 */

import { studio } from "./util.js";

const POLL_MS = 4000;

/* hooks: job(payload), reconnected(), poll(). */
export function initLive(hooks) {
  let state = document.documentElement.dataset.projectSocket || "connecting";
  studio.dataset.live = state;

  document.addEventListener("storyloom:project-event", (event) => {
    const data = event.detail;
    if (!data || typeof data !== "object") return;
    // {"type": "job", ...the job} as the server sends it; {"event": "job", "payload": {...}} too
    if (data.type === "job") hooks.job(data);
    else if (data.event === "job") hooks.job(data.payload);
  });

  document.addEventListener("storyloom:project-socket", (event) => {
    const detail = event.detail || {};
    if (!detail.state) return;
    state = detail.state;
    studio.dataset.live = state;
    if (state === "open" && detail.reconnected) hooks.reconnected();  // what changed meanwhile
  });

  // Without the socket (down, or no project bundle on the page), ask now and then.
  window.setInterval(() => {
    if (state === "open" || state === "denied" || document.visibilityState === "hidden") return;
    hooks.poll();
  }, POLL_MS);
}
