/*
 * A work's page (templates/recommend/work.html): like, save, share, hide and report it, follow
 * its creator, the cards of related works; and a view with the time the page was watched (sent
 * when the page is hidden or left), in the context of the feed card it was opened from.
 */

import { initActions } from "./actions.js";
import { initCardList } from "./cards.js";
import { initFollow } from "./follow.js";
import { Dwell, onHide } from "./signals.js";
import { el, recalledContext, root } from "./util.js";

function start() {
  initActions(root);
  initFollow(root);
  initCardList(root);
  const work = el("work");
  if (!work) return;
  const dwell = new Dwell(work.dataset.id, recalledContext(work.dataset.id));
  dwell.start();
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") dwell.start();
  });
  onHide(() => dwell.report());
}

if (root && window.fetch) start();
