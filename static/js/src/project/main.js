/*
 * Live activity on the project page (templates/projects/detail.html).
 *
 * Opens ws(s)://<host>/ws/projects/<id>/events (the path comes from #activity-list's
 * data-ws-path), adds each activity the server sends to the top of #activity-list, shows the
 * connection state in #live-status and reconnects with backoff (lib/socket.js). After a
 * reconnection it fetches the latest activity from the API, so entries sent while the socket
 * was down are not lost.
 *
 * It is the page's only socket to the project: the other bundles on the page (the studio, the
 * rights' works card) listen on `document` instead of opening their own:
 *   storyloom:project-event   detail: every message received, parsed ({"type": "activity"|"job", ...})
 *   storyloom:project-socket  detail: {state, reconnected} when the state changes; state is
 *                             "connecting", "open", "offline" or "denied", and reconnected is true
 *                             for an "open" after a drop (what was sent meanwhile is lost)
 * The current state is also in <html data-project-socket>, for scripts that start later.
 */

import { restClient } from "../lib/api.js";
import { el, labels } from "../lib/page.js";
import { reconnectingSocket } from "../lib/socket.js";
import { refreshTimes, setTime, timeFormatter } from "../lib/time.js";

const REFRESH_TIMES_MS = 30000;
// Activity that changes what the page shows besides the log itself.
const REFRESH_VERBS = /^(member\.|invitation\.|project\.)/;

function start(list) {
  const statusEl = el("live-status");
  const emptyEl = el("activity-empty");
  const maxItems = parseInt(list.dataset.maxItems || "200", 10);
  const formatter = timeFormatter(list.dataset.labelJustNow);
  const api = restClient({ label: labels(list), csrfToken: () => "" });  // reads only
  let state = null;
  let refreshTimer = 0;
  let socket = null;

  // --- connection state indicator ----------------------------------------------------------

  function setState(next, reconnected) {
    if (statusEl) {
      statusEl.dataset.state = next;
      const text = statusEl.dataset["label" + next.charAt(0).toUpperCase() + next.slice(1)];
      if (text) statusEl.textContent = text;
    }
    if (next === state) return;
    state = next;
    document.documentElement.dataset.projectSocket = next;
    document.dispatchEvent(new CustomEvent("storyloom:project-socket",
      { detail: { state: next, reconnected: next === "open" && !!reconnected } }));
  }

  // --- rendering ---------------------------------------------------------------------------

  function initial(name) {
    return name ? Array.from(name)[0].toUpperCase() : "?";
  }

  function renderItem(event) {
    const actor = event.actor;
    const name = actor ? (actor.name || actor.username) : list.dataset.labelSomeone;

    const item = document.createElement("li");
    item.className = "activity-item is-new";
    item.dataset.activityId = String(event.id);
    item.dataset.verb = event.verb || "";

    const avatar = document.createElement("span");
    avatar.className = "avatar avatar--small avatar--initial";
    avatar.setAttribute("aria-hidden", "true");
    avatar.style.setProperty("--hue", String((actor ? actor.id : 0) * 47));
    avatar.textContent = actor ? initial(name) : "?";

    const body = document.createElement("div");
    body.className = "activity-item__body";
    const text = document.createElement("p");
    text.className = "activity-item__text";
    const who = document.createElement("strong");
    who.className = "activity-item__actor";
    who.textContent = name;
    text.append(who, " " + (event.text || event.verb || ""));

    const time = document.createElement("time");
    time.className = "activity-item__time";
    setTime(time, event.created_at, formatter);
    body.append(text, time);
    item.append(avatar, body);
    return item;
  }

  /* Insert an activity in id order (newest first); ignore one already shown. */
  function addActivity(event) {
    if (!event || event.id === undefined || event.id === null) return;
    if (list.querySelector('[data-activity-id="' + String(event.id) + '"]')) return;
    const item = renderItem(event);
    const id = Number(event.id);
    const before = Array.from(list.children).find((other) => Number(other.dataset.activityId) < id) || null;
    list.insertBefore(item, before);
    if (emptyEl) emptyEl.hidden = true;
    while (list.children.length > maxItems) list.lastElementChild.remove();
    window.setTimeout(() => item.classList.remove("is-new"), 2500);
  }

  /* After a reconnection: fetch what may have happened while the socket was down. */
  async function catchUp() {
    const url = list.dataset.apiUrl;
    if (!url) return;
    let data;
    try {
      data = await api(url + "?page_size=50");
    } catch (error) {
      return;  // the next reconnection tries again
    }
    const results = data && (data.results || data);
    if (!Array.isArray(results)) return;
    for (let i = results.length - 1; i >= 0; i--) addActivity(results[i]);
  }

  // --- members, invitations and the header follow the activity ------------------------------

  /* Fetch this page again and swap the sections marked data-live-section, except one the
     user is typing in. The activity list is not swapped: the socket keeps it current. */
  function refreshSections() {
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(async () => {
      let html = null;
      try {
        const response = await fetch(window.location.pathname,
          { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (response.status === 404) {  // no longer a member
          socket.stop();
          setState("denied");
          return;
        }
        html = response.ok ? await response.text() : null;
      } catch (error) {
        return;  // the next event tries again
      }
      if (!html) return;
      const fresh = new DOMParser().parseFromString(html, "text/html");
      for (const current of document.querySelectorAll("[data-live-section][id]")) {
        if (current.contains(document.activeElement) && document.activeElement !== document.body) continue;
        const replacement = fresh.getElementById(current.id);
        if (replacement) current.replaceWith(document.importNode(replacement, true));
      }
    }, 300);
  }

  // --- the socket --------------------------------------------------------------------------

  socket = reconnectingSocket(list.dataset.wsPath, {
    state(next, { reconnected }) {
      setState(next, reconnected);
      if (next === "open" && reconnected) { catchUp(); refreshSections(); }
    },
    message(event) {
      if (event.type === "activity") {
        addActivity(event);
        if (REFRESH_VERBS.test(event.verb || "")) refreshSections();
      }
      document.dispatchEvent(new CustomEvent("storyloom:project-event", { detail: event }));
    },
  });

  refreshTimes(list, formatter);
  window.setInterval(() => refreshTimes(list, formatter), REFRESH_TIMES_MS);
}

const activityList = el("activity-list");
if (activityList && activityList.dataset.wsPath && "WebSocket" in window) start(activityList);
