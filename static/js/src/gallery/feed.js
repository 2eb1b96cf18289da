/*
 * The gallery's feed (templates/recommend/home.html). The server draws the first page; the next
 * pages come from GET /api/v1/gallery/feed?cursor= when the end of the grid comes near (an
 * IntersectionObserver on a sentinel), or on “Load more”.
 */

import { api, withQuery } from "./api.js";
import { initCardList, renderCard } from "./cards.js";
import { watchImpressions } from "./signals.js";
import { el, label, urls } from "./util.js";

let grid = null;
let sentinel = null;
let button = null;  // “Load more”
const shown = new Set();
let cursor = "";
let loading = false;
let failed = false;

function chrome() {
  el("feed-loading").hidden = !loading;
  if (button) button.hidden = !cursor || loading;
  el("feed-end").hidden = !!cursor || loading || failed;
}

function nearTheEnd() {
  return sentinel.getBoundingClientRect().top < window.innerHeight + 800;
}

async function loadMore() {
  if (!cursor || loading) return;
  loading = true;
  failed = false;
  el("feed-error").hidden = true;
  chrome();
  try {
    const page = await api(withQuery(urls.feed, { cursor }));
    for (const item of page.items) {
      if (shown.has(item.publication.id)) continue;
      shown.add(item.publication.id);
      const card = renderCard(item.publication, { feed: page.feed, item });
      grid.appendChild(card);
      watchImpressions(card);
    }
    cursor = page.next_cursor || "";
  } catch (error) {
    failed = true;
    const alert = el("feed-error");
    alert.textContent = label("load-failed") + " " + error.message;
    alert.hidden = false;
  }
  loading = false;
  chrome();
  // A short page: the sentinel is still in sight, so keep going.
  if (!failed && cursor) window.requestAnimationFrame(() => { if (nearTheEnd()) loadMore(); });
}

/* The feed's grid (#feed-grid) loads its next pages by itself. */
export function startFeed(feedGrid) {
  grid = feedGrid;
  sentinel = el("feed-sentinel");
  button = el("feed-load-more");
  cursor = grid.dataset.nextCursor || "";
  initCardList(grid);
  for (const card of grid.querySelectorAll(".gcard[data-id]")) shown.add(card.dataset.id);
  if (button) {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      loadMore();
    });
  }
  if ("IntersectionObserver" in window) {
    new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadMore();
    }, { rootMargin: "0px 0px 800px 0px" }).observe(sentinel);
  }
  chrome();
}
