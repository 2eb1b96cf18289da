/*
 * The gallery bundle, on every gallery page (templates/recommend/*.html). What runs depends on
 * what the page has:
 *   #gallery (the feed, a work, a creator, saved works)  the cards' actions, their popovers, the
 *                                                          toast and the report dialog
 *   #feed-grid  (the feed)       next pages as the end comes near
 *   #work       (a work's page)  following its creator, its view with the time it was watched
 *   a creator, saved works       following, the cards
 *   the welcome and preferences forms                     sliders and tag rows
 *
 *   util.js     strings, URLs, feed context      api.js       fetch with session + CSRF (lib/api.js)
 *   cards.js    drawing cards, moving previews    actions.js   like, save, hide, report, share
 *   signals.js  impressions, views, batching      popovers.js  “Why this?” and the “⋯” menu
 *   report.js   the report dialog                 toast.js     what just happened
 *   feed.js     the feed's next pages             work.js      a work's view
 *   follow.js   following creators                preferences.js  the preference forms
 *   reception.js  the publish page's predicted reception, once it is ready
 */

import { initActions } from "./actions.js";
import { initCardList } from "./cards.js";
import { startFeed } from "./feed.js";
import { initFollow } from "./follow.js";
import { initPreferences } from "./preferences.js";
import { watchReception } from "./reception.js";
import { el, root } from "./util.js";
import { watchWork } from "./work.js";

initPreferences();
const reception = el("reception");
if (reception) watchReception(reception);

if (root) {
  initActions(root);  // an empty gallery still has its toast and dialog
  const feed = el("feed-grid");
  if (feed) {
    startFeed(feed);
  } else {
    initFollow(root);
    initCardList(root);
    const work = el("work");
    if (work) watchWork(work);
  }
}
