/*
 * A WebSocket to this site that comes back by itself: after a drop it reconnects with exponential
 * backoff (with jitter, so clients do not return in lockstep), at once when the tab becomes
 * visible again or the network returns; it pings now and then to stay open; the server's 4403
 * close (not, or no longer, a member) ends it for good. Used for the project's activity stream
 * (/ws/projects/<id>/events) by the project page and the storyboard.
 *
 *   const socket = reconnectingSocket("/ws/projects/1/events", {
 *     message(data) {},                 // each JSON object the server sends
 *     state(name, { reconnected }) {},  // "connecting" (the first time), "open", "offline",
 *   });                                 // "denied"; reconnected: an "open" after a drop
 *   socket.stop();                      // close it, no retry
 */

export const CLOSE_FORBIDDEN = 4403;

export function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  return scheme + window.location.host + path;
}

export function reconnectingSocket(path, {
  message = () => {}, state = () => {}, pingMs = 25000, minDelayMs = 1000, maxDelayMs = 30000,
} = {}) {
  let socket = null;
  let attempts = 0;
  let everConnected = false;
  let pingTimer = 0;
  let retryTimer = 0;
  let stopped = false;

  function scheduleReconnect() {
    if (stopped) return;
    attempts += 1;
    const delay = Math.min(maxDelayMs, minDelayMs * 2 ** (attempts - 1));
    state("offline", { reconnected: false });
    retryTimer = window.setTimeout(connect, delay / 2 + Math.random() * delay / 2);
  }

  function connect() {
    retryTimer = 0;
    if (stopped) return;
    state(everConnected ? "offline" : "connecting", { reconnected: false });
    try {
      socket = new WebSocket(socketUrl(path));
    } catch (error) {
      scheduleReconnect();
      return;
    }
    socket.onopen = () => {
      const reconnected = everConnected;
      everConnected = true;
      attempts = 0;
      state("open", { reconnected });
      window.clearInterval(pingTimer);
      pingTimer = window.setInterval(() => {
        if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "ping" }));
      }, pingMs);
    };
    socket.onmessage = (event) => {
      let data;
      try { data = JSON.parse(event.data); } catch (error) { return; }
      if (data !== null && typeof data === "object") message(data);
    };
    socket.onclose = (close) => {
      window.clearInterval(pingTimer);
      socket = null;
      if (close.code === CLOSE_FORBIDDEN) {
        stopped = true;
        state("denied", { reconnected: false });
        return;
      }
      scheduleReconnect();
    };
    socket.onerror = () => { /* onclose follows and schedules the retry */ };
  }

  function reconnectNow() {
    if (stopped || socket) return;
    window.clearTimeout(retryTimer);
    attempts = 0;
    connect();
  }

  function stop() {
    stopped = true;
    window.clearTimeout(retryTimer);
    if (socket) socket.close(1000);
  }

  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") reconnectNow();
  });
  window.addEventListener("pagehide", stop);
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) { stopped = false; reconnectNow(); }
  });

  connect();
  return { stop };
}
