/*
 * Relative times ("5 minutes ago", "5分钟前") in the page's language (<html lang>, "en" or
 * "zh-hans"): "just now" (the page's own translation) under 45 seconds, minutes, hours, days,
 * then the date. Shared by the project's activity, the studio and the storyboard.
 */

import { lang as pageLang } from "./page.js";

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

/* { relative(date), absolute(date) } for `lang`; `justNow` is what under 45 seconds reads as. */
export function timeFormatter(justNow, lang = pageLang) {
  let relative = null;
  let absolute = null;
  try {
    relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
    absolute = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  } catch (error) {
    relative = null;  // an unknown language, or an old browser: the date itself
  }
  return {
    relative(date) {
      const seconds = Math.round((date.getTime() - Date.now()) / 1000);
      const abs = Math.abs(seconds);
      if (abs < 45) return justNow;
      if (!relative) return date.toLocaleString(lang);
      if (abs < HOUR) return relative.format(Math.round(seconds / MINUTE), "minute");
      if (abs < DAY) return relative.format(Math.round(seconds / HOUR), "hour");
      if (abs < DAY * 30) return relative.format(Math.round(seconds / DAY), "day");
      return date.toLocaleDateString(lang);
    },
    absolute(date) {
      return absolute ? absolute.format(date) : date.toLocaleString(lang);
    },
  };
}

/* The relative time of an ISO date (or "" when it is not one). */
export function ago(value, formatter) {
  const date = new Date(value);
  return isNaN(date.getTime()) ? "" : formatter.relative(date);
}

/* A <time> element showing `iso` relatively (its title: the date), which refreshTimes() keeps current. */
export function setTime(el, iso, formatter) {
  const date = new Date(iso);
  if (!iso || isNaN(date.getTime())) {
    el.textContent = "";
    el.removeAttribute("datetime");
    return;
  }
  el.setAttribute("datetime", iso);
  el.title = formatter.absolute(date);
  el.textContent = formatter.relative(date);
}

/* Every <time datetime> under `root` shown relatively again (time passes). */
export function refreshTimes(root, formatter) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    const date = new Date(el.getAttribute("datetime"));
    if (!isNaN(date.getTime())) el.textContent = formatter.relative(date);
  }
}
