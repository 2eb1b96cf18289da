/*
 * Shared by the gallery's modules: the page's root (#gallery, templates/recommend/_root_attrs.html),
 * its translated strings (data-label-*), the API's URLs and the viewer's state.
 */

import { csrfToken as pageCsrfToken, labels, numberFormat } from "../lib/page.js";

export { el, lang, reducedMotion } from "../lib/page.js";

export const root = document.getElementById("gallery");
export const authenticated = !!root && root.dataset.authenticated === "true";

/* The string in data-label-<name> on #gallery, with {placeholders} filled from `values`. */
export const label = labels(root);

const integerFormat = numberFormat({ maximumFractionDigits: 0 });
export function integer(value) { return integerFormat.format(value); }

export function csrfToken() { return pageCsrfToken(root); }

export const urls = {
  feed: root ? root.dataset.feedUrl : "",
  signals: root ? root.dataset.signalsUrl : "",
  login: root ? root.dataset.loginUrl : "/accounts/login/",
  liked: root ? root.dataset.likedUrl || "" : "",
  work(id, action) {
    return root.dataset.workApi.replace("__id__", encodeURIComponent(id)) + (action ? "/" + action : "");
  },
  follow(username) {
    return root.dataset.followApi.replace("__name__", encodeURIComponent(username));
  },
};

/* Where a card came from in the feed (sent back with what the viewer does with it). */
export function feedContext(node) {
  const data = (node && node.dataset) || {};
  const context = {};
  if (data.feed) context.feed = data.feed;
  if (data.position !== undefined && data.position !== "") context.position = Number(data.position);
  if (data.reason) context.reason = data.reason;
  return context;
}

const CONTEXT_KEY = "gallery:context:";

/* A card opened from the feed hands its context to the work's page (same tab, this session). */
export function rememberContext(id, context) {
  try { window.sessionStorage.setItem(CONTEXT_KEY + id, JSON.stringify(context)); } catch (error) { /* private mode */ }
}

export function recalledContext(id) {
  try { return JSON.parse(window.sessionStorage.getItem(CONTEXT_KEY + id) || "{}") || {}; } catch (error) { return {}; }
}
