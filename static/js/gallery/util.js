/*
 * Shared by the gallery's modules: the page's root (#gallery, templates/recommend/_root_attrs.html),
 * its translated strings (data-label-*), the API's URLs and the viewer's state.
 */

export const root = document.getElementById("gallery");
export const lang = document.documentElement.lang || "en";
export const authenticated = !!root && root.dataset.authenticated === "true";
export const reducedMotion = !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);

export function el(id) { return document.getElementById(id); }

/* The string in data-label-<name> on #gallery, with {placeholders} filled from `values`. */
export function label(name, values) {
  const key = "label" + name.replace(/(^|-)(\w)/g, (_, dash, letter) => letter.toUpperCase());
  let text = (root && root.dataset[key]) || "";
  if (values) text = text.replace(/\{(\w+)\}/g, (whole, field) => (field in values ? String(values[field]) : whole));
  return text;
}

let integerFormat;
try { integerFormat = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }); } catch (error) { integerFormat = new Intl.NumberFormat(); }
export function integer(value) { return integerFormat.format(value); }

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : (root ? root.dataset.csrfToken : "");
}

export const urls = {
  feed: root ? root.dataset.feedUrl : "",
  signals: root ? root.dataset.signalsUrl : "",
  login: root ? root.dataset.loginUrl : "/accounts/login/",
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
