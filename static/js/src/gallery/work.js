/*
 * A work's page (templates/recommend/work.html): like, save, share, hide and report it, follow
 * its creator, the cards of related works; and a view with the time the page was watched (sent
 * when the page is hidden or left), in the context of the feed card it was opened from.
 */

import { Dwell, onHide } from "./signals.js";
import { recalledContext } from "./util.js";

/* The time the work (#work) is watched, as a view. */
export function watchWork(work) {
  const dwell = new Dwell(work.dataset.id, recalledContext(work.dataset.id));
  dwell.start();
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") dwell.start();
  });
  onHide(() => dwell.report());
}
