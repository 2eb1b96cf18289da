/*
 * What every page's scripts read from the page: its language and motion setting, elements by id,
 * the translated strings a template puts on a root element (data-label-*), the CSRF token and
 * number formats.
 */

export const lang = document.documentElement.lang || "en";
export const reducedMotion = !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);

export function el(id) { return document.getElementById(id); }

/* "{count} remixes" + {count: 3} -> "3 remixes"; unknown placeholders stay as they are. */
export function fill(template, values) {
  const text = String(template || "");
  if (!values) return text;
  return text.replace(/\{(\w+)\}/g, (whole, field) => (field in values ? String(values[field]) : whole));
}

/* label(name, values): the string in data-label-<name> on `root`, {placeholders} filled from `values`. */
export function labels(root) {
  return function label(name, values) {
    const key = "label" + name.replace(/(^|-)(\w)/g, (_, dash, letter) => letter.toUpperCase());
    return fill((root && root.dataset[key]) || "", values);
  };
}

/* The CSRF token from its cookie, else the one `root` carries (data-csrf-token). */
export function csrfToken(root) {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : (root ? root.dataset.csrfToken : "");
}

export function numberFormat(options) {
  try { return new Intl.NumberFormat(lang, options); } catch (error) { return new Intl.NumberFormat(lang); }
}

/* Run `start` once the document is parsed (at once when it already is). */
export function ready(start) {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}
