/*
 * Live activity on the project page.
 *
 * Opens ws(s)://<host>/ws/projects/<id>/events (the path comes from #activity-list's
 * data-ws-path), adds each activity the server sends to the top of #activity-list, shows the
 * connection state in #live-status and reconnects with exponential backoff. After a
 * reconnection it fetches the latest activity from the API, so entries sent while the socket
 * was down are not lost. Plain JS, no build step.
 *
 * It is the page's only socket to the project: other scripts (the studio, static/js/generation/)
 * listen on `document` instead of opening their own:
 *   storyloom:project-event   detail: every message received, parsed ({"type": "activity"|"job", ...})
 *   storyloom:project-socket  detail: {state, reconnected} when the state changes; state is
 *                             "connecting", "open", "offline" or "denied", and reconnected is true
 *                             for an "open" after a drop (what was sent meanwhile is lost)
 * The current state is also in <html data-project-socket>, for scripts that start later.
 */
(function () {
  "use strict";

  var list = document.getElementById("activity-list");
  if (!list || !list.dataset.wsPath || !("WebSocket" in window)) return;

  var statusEl = document.getElementById("live-status");
  var emptyEl = document.getElementById("activity-empty");
  var lang = document.documentElement.lang || "en";
  var maxItems = parseInt(list.dataset.maxItems || "200", 10);
  var CLOSE_FORBIDDEN = 4403;
  var PING_EVERY_MS = 25000;
  var BACKOFF_MIN_MS = 1000;
  var BACKOFF_MAX_MS = 30000;

  var socket = null;
  var state = null;
  var attempts = 0;
  var everConnected = false;
  var pingTimer = null;
  var retryTimer = null;
  var stopped = false;

  // --- connection state indicator ----------------------------------------------------------

  function announce(name, detail) {
    var event;
    try {
      event = new CustomEvent(name, { detail: detail });
    } catch (error) {
      return;  // a browser without CustomEvent: nobody can listen either
    }
    document.dispatchEvent(event);
  }

  function setState(next, reconnected) {
    if (statusEl) {
      statusEl.dataset.state = next;
      var label = statusEl.dataset["label" + next.charAt(0).toUpperCase() + next.slice(1)];
      if (label) statusEl.textContent = label;
    }
    if (next === state) return;
    state = next;
    document.documentElement.dataset.projectSocket = next;
    announce("storyloom:project-socket", { state: next, reconnected: next === "open" && !!reconnected });
  }

  // --- rendering ---------------------------------------------------------------------------

  var relative = ("RelativeTimeFormat" in Intl)
    ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;

  function relativeTime(date) {
    var seconds = Math.round((date.getTime() - Date.now()) / 1000);
    var abs = Math.abs(seconds);
    if (abs < 45 || !relative) {
      return abs < 45 ? list.dataset.labelJustNow : date.toLocaleString(lang);
    }
    if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
    if (abs < 86400) return relative.format(Math.round(seconds / 3600), "hour");
    if (abs < 86400 * 30) return relative.format(Math.round(seconds / 86400), "day");
    return date.toLocaleDateString(lang);
  }

  function refreshTimes() {
    var times = list.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var date = new Date(times[i].getAttribute("datetime"));
      if (!isNaN(date.getTime())) times[i].textContent = relativeTime(date);
    }
  }

  function initial(name) {
    return name ? Array.from(name)[0].toUpperCase() : "?";
  }

  function renderItem(event) {
    var actor = event.actor;
    var name = actor ? (actor.name || actor.username) : list.dataset.labelSomeone;
    var created = new Date(event.created_at);

    var item = document.createElement("li");
    item.className = "activity-item is-new";
    item.dataset.activityId = String(event.id);
    item.dataset.verb = event.verb || "";

    var avatar = document.createElement("span");
    avatar.className = "avatar avatar--small avatar--initial";
    avatar.setAttribute("aria-hidden", "true");
    avatar.style.setProperty("--hue", String((actor ? actor.id : 0) * 47));
    avatar.textContent = actor ? initial(name) : "?";

    var body = document.createElement("div");
    body.className = "activity-item__body";
    var text = document.createElement("p");
    text.className = "activity-item__text";
    var who = document.createElement("strong");
    who.className = "activity-item__actor";
    who.textContent = name;
    text.appendChild(who);
    text.appendChild(document.createTextNode(" " + (event.text || event.verb || "")));

    var time = document.createElement("time");
    time.className = "activity-item__time";
    if (!isNaN(created.getTime())) {
      time.setAttribute("datetime", event.created_at);
      time.title = created.toLocaleString(lang);
      time.textContent = relativeTime(created);
    }
    body.appendChild(text);
    body.appendChild(time);
    item.appendChild(avatar);
    item.appendChild(body);
    return item;
  }

  /* Insert an activity in id order (newest first); ignore one already shown. */
  function addActivity(event) {
    if (!event || event.id === undefined || event.id === null) return;
    if (list.querySelector('[data-activity-id="' + String(event.id) + '"]')) return;
    var item = renderItem(event);
    var id = Number(event.id);
    var before = null;
    var items = list.children;
    for (var i = 0; i < items.length; i++) {
      if (Number(items[i].dataset.activityId) < id) { before = items[i]; break; }
    }
    list.insertBefore(item, before);
    if (emptyEl) emptyEl.hidden = true;
    while (list.children.length > maxItems) list.removeChild(list.lastElementChild);
    window.setTimeout(function () { item.classList.remove("is-new"); }, 2500);
  }

  /* After a reconnection: fetch what may have happened while the socket was down. */
  function catchUp() {
    var url = list.dataset.apiUrl;
    if (!url || !window.fetch) return;
    fetch(url + "?page_size=50", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        var results = data && (data.results || data);
        if (!Array.isArray(results)) return;
        for (var i = results.length - 1; i >= 0; i--) addActivity(results[i]);
      })
      .catch(function () { /* the next reconnection tries again */ });
  }

  // --- members, invitations and the header follow the activity ------------------------------

  // Activity that changes what the page shows besides the log itself.
  var REFRESH_VERBS = /^(member\.|invitation\.|project\.)/;
  var refreshTimer = null;

  /* Fetch this page again and swap the sections marked data-live-section, except one the
     user is typing in. The activity list is not swapped: the socket keeps it current. */
  function refreshSections() {
    if (!window.fetch || !window.DOMParser) return;
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(function () {
      fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (response.status === 404) {  // no longer a member
            stopped = true;
            setState("denied");
            if (socket) socket.close(1000);
            return null;
          }
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var sections = document.querySelectorAll("[data-live-section][id]");
          for (var i = 0; i < sections.length; i++) {
            var current = sections[i];
            if (current.contains(document.activeElement) && document.activeElement !== document.body) continue;
            var replacement = fresh.getElementById(current.id);
            if (replacement) current.replaceWith(document.importNode(replacement, true));
          }
        })
        .catch(function () { /* the next event tries again */ });
    }, 300);
  }

  // --- the socket --------------------------------------------------------------------------

  function socketUrl() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + list.dataset.wsPath;
  }

  function scheduleReconnect() {
    if (stopped) return;
    attempts += 1;
    var delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, attempts - 1));
    delay = delay / 2 + Math.random() * delay / 2;  // jitter: clients do not return in lockstep
    setState("offline");
    retryTimer = window.setTimeout(connect, delay);
  }

  function connect() {
    retryTimer = null;
    if (stopped) return;
    setState(everConnected ? "offline" : "connecting");
    try {
      socket = new WebSocket(socketUrl());
    } catch (error) {
      scheduleReconnect();
      return;
    }
    socket.onopen = function () {
      var reconnected = everConnected;
      everConnected = true;
      attempts = 0;
      setState("open", reconnected);
      if (reconnected) { catchUp(); refreshSections(); }
      window.clearInterval(pingTimer);
      pingTimer = window.setInterval(function () {
        if (socket && socket.readyState === WebSocket.OPEN) {
          socket.send(JSON.stringify({ type: "ping" }));
        }
      }, PING_EVERY_MS);
    };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (error) { return; }
      if (event && event.type === "activity") {
        addActivity(event);
        if (REFRESH_VERBS.test(event.verb || "")) refreshSections();
      }
      if (event !== null && typeof event === "object") announce("storyloom:project-event", event);
    };
    socket.onclose = function (close) {
      window.clearInterval(pingTimer);
      socket = null;
      if (close.code === CLOSE_FORBIDDEN) {  // not (or no longer) a member: do not retry
        stopped = true;
        setState("denied");
        return;
      }
      scheduleReconnect();
    };
    socket.onerror = function () { /* onclose follows and schedules the retry */ };
  }

  // Reconnect at once when the tab comes back or the network returns.
  function reconnectNow() {
    if (stopped || socket) return;
    if (retryTimer) window.clearTimeout(retryTimer);
    attempts = 0;
    connect();
  }
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") reconnectNow();
  });
  window.addEventListener("pagehide", function () {
    stopped = true;
    if (socket) socket.close(1000);
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { stopped = false; reconnectNow(); }
  });

  refreshTimes();
  window.setInterval(refreshTimes, 30000);
  connect();
})();
