/*
 * The REST API, as the signed-in member: session cookie, CSRF token on writes, JSON both ways.
 * A failed request throws ApiError with the API's {"error": {code, message, fields}}.
 */

import { label, studio } from "./util.js";

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : studio.dataset.csrfToken;
}

export class ApiError extends Error {
  constructor(message, status, fields, code) {
    super(message);
    this.status = status;  // 0: the server could not be reached
    this.fields = fields || {};  // field name -> messages
    this.code = code || "";
  }
}

export async function api(url, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  let response;
  try {
    response = await fetch(url, { method, headers, credentials: "same-origin",
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(label("network-error"), 0);
  }
  let data = null;
  try { data = await response.json(); } catch (error) { data = null; }
  if (!response.ok) {
    const info = (data && data.error) || {};
    throw new ApiError(info.message || label("request-failed", { status: response.status }),
                       response.status, info.fields, info.code);
  }
  return data;
}

export function withQuery(url, params) {
  const target = new URL(url, window.location.href);
  for (const [name, value] of Object.entries(params)) target.searchParams.set(name, String(value));
  return target.pathname + target.search;
}

// The project's URLs, from #studio's data-*-url attributes.
export const urls = {
  jobs: studio ? studio.dataset.jobsUrl : "",
  assets: studio ? studio.dataset.assetsUrl : "",
  presets: studio ? studio.dataset.presetsUrl : "",
  usage: studio ? studio.dataset.usageUrl : "",
  storyboard: studio ? studio.dataset.storyboardUrl : "",
  job(id, action) {
    return this.jobs + "/" + encodeURIComponent(id) + (action ? "/" + action : "");
  },
  asset(id, action) {
    return this.assets + "/" + encodeURIComponent(id) + (action ? "/" + action : "");
  },
};
