/*
 * The REST API, as the signed-in member: session cookie, CSRF token on writes, JSON both ways.
 * A failed request throws ApiError with the API's {"error": {code, message, fields}}.
 */

import { restClient } from "../lib/api.js";
import { csrfToken, label, studio } from "./util.js";

export { ApiError, withQuery } from "../lib/api.js";

export const api = restClient({ label, csrfToken });

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
