/*
 * The REST API from the browser, for every bundle: session cookie, CSRF header on writes, JSON
 * both ways. A failed request throws ApiError with the API's {"error": {code, message, fields}}
 * (status 0: the server could not be reached). Each page family makes its client with its own
 * strings (translated in the page: label("network-error"), label("request-failed", {status}))
 * and CSRF token source.
 */

export class ApiError extends Error {
  constructor(message, status, fields, code) {
    super(message);
    this.status = status;  // 0: the server could not be reached
    this.fields = fields || {};  // field name -> messages
    this.code = code || "";
  }
}

export function restClient({ label, csrfToken }) {
  return async function api(url, { method = "GET", body, keepalive = false } = {}) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
    let response;
    try {
      response = await fetch(url, { method, headers, credentials: "same-origin", keepalive,
                                    body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new ApiError(label("network-error"), 0);
    }
    if (response.status === 204 || response.status === 202) return null;
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    if (!response.ok) {
      const info = (data && data.error) || {};
      throw new ApiError(info.message || label("request-failed", { status: response.status }),
                         response.status, info.fields, info.code);
    }
    return data;
  };
}

export function withQuery(url, params) {
  const target = new URL(url, window.location.href);
  for (const [name, value] of Object.entries(params)) target.searchParams.set(name, String(value));
  return target.pathname + target.search;
}
