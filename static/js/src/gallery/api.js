/*
 * The gallery's API as the viewer: session cookie, CSRF header on writes, JSON both ways. A failed
 * request throws ApiError with the API's {"error": {code, message, fields}}.
 */

import { restClient } from "../lib/api.js";
import { csrfToken, label } from "./util.js";

export { ApiError, withQuery } from "../lib/api.js";

export const api = restClient({ label, csrfToken });
