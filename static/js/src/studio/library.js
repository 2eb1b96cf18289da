/*
 * The media library (#asset-grid): each finished job's output, newest first, a page at a time.
 * A tile opens the player; a video's tile moves (its animated preview) while pointed at.
 */

import { api, urls, withQuery } from "./api.js";
import { duration, el, flash, label, listChrome, reducedMotion, shorten, showAlert } from "./util.js";

const PAGE_SIZE = 24;

const grid = el("asset-grid");
const template = el("asset-template");
const assets = new Map();  // asset id -> the asset, with its job's summary
const tiles = new Map();  // asset id -> its <li>
let loaded = false;
let total = 0;
let next = null;
let loading = null;  // the first page's request in flight
let onOpen = () => {};
let onUpdated = () => {};

function renderTile(tile, asset) {
  tile.dataset.assetId = String(asset.id);
  tile.dataset.kind = asset.kind;
  const image = tile.querySelector(".asset-tile__image");
  image.src = asset.thumbnail || asset.poster || "";
  image.width = asset.width;
  image.height = asset.height;
  const job = asset.job || {};
  const kind = label("kind-" + (job.kind || asset.kind)) || asset.kind;
  tile.querySelector(".asset-tile__badge").textContent =
    asset.kind === "video" && asset.seconds ? kind + " · " + duration(asset.seconds) : kind;
  tile.querySelector(".asset-tile__caption").textContent =
    shorten(job.prompt || label("asset-name", { id: asset.id }), 90);
  tile.querySelector(".asset-tile__button").title = job.prompt || "";
}

function addAsset(asset, { prepend = false } = {}) {
  assets.set(asset.id, asset);
  let tile = tiles.get(asset.id);
  if (!tile) {
    tile = template.content.firstElementChild.cloneNode(true);
    tiles.set(asset.id, tile);
    if (prepend) {
      let before = null;
      for (const other of grid.children) {
        if (Number(other.dataset.assetId) < asset.id) { before = other; break; }
      }
      grid.insertBefore(tile, before);
      flash(tile);
    } else {
      grid.appendChild(tile);
    }
  }
  renderTile(tile, asset);
}

function updateChrome() {
  listChrome("library", { loaded, shown: tiles.size, total, more: !!next });
}

function showError(message) {
  showAlert("library-error", message);
}

/* The first page (again, when `refresh`: new assets go on top), or the next one at `url`. */
export function loadAssets({ url, refresh = false } = {}) {
  if (loading && !url) {  // one refresh at a time; ask again once it is done
    return loading.then(() => (refresh ? loadAssets({ refresh: true }) : null));
  }
  const target = url || withQuery(urls.assets, { page_size: PAGE_SIZE });
  const run = (async () => {
    try {
      const data = await api(target);
      const results = (data && data.results) || [];
      if (!url) total = data.count || results.length;
      const ordered = refresh && !url ? results.slice().reverse() : results;
      for (const asset of ordered) addAsset(asset, { prepend: refresh && !url });
      if (url || !loaded) next = data.next;
      el("library-error").hidden = true;
    } catch (error) {
      showError(loaded ? error.message : label("load-failed"));
    }
    loaded = true;
    updateChrome();
  })();
  if (!url) {
    loading = run;
    run.finally(() => { if (loading === run) loading = null; });
  }
  return run;
}

/* A job's new output (its id from the job's event): one GET for it, on top of the grid. A
   remix's source shown here is asked again too, for its count of remixes. */
export async function addNewAsset(id) {
  if (assets.has(id)) return;
  if (loading) await loading;  // the first page may bring it
  if (assets.has(id)) return;
  let asset;
  try {
    asset = await api(urls.asset(id));
  } catch (error) {
    return;  // gone already, or the network: a reconnection refreshes the grid
  }
  if (assets.has(id) || (asset.role && asset.role !== "output")) return;
  total += 1;
  addAsset(asset, { prepend: true });
  updateChrome();
  if (asset.parent && assets.has(asset.parent.asset)) refreshAsset(asset.parent.asset);
}

async function refreshAsset(id) {
  try {
    const asset = await api(urls.asset(id));
    addAsset(asset);
    onUpdated(asset);
  } catch (error) {
    /* the count stays as it was */
  }
}

/* The asset as the library knows it, or from the API. */
export async function getAsset(id) {
  const known = assets.get(Number(id));
  if (known) return known;
  return api(urls.asset(id));
}

// Videos move while pointed at (or focused): the animated WebP preview.
function hoverPreview(event, on) {
  const tile = event.target.closest && event.target.closest("[data-asset-id]");
  if (!tile || reducedMotion) return;
  const asset = assets.get(Number(tile.dataset.assetId));
  if (!asset || !asset.preview) return;
  tile.querySelector(".asset-tile__image").src = on ? asset.preview : asset.thumbnail || asset.poster;
}

/* hooks: open(asset). */
export function initLibrary(hooks) {
  onOpen = hooks.open;
  onUpdated = hooks.updated;
  grid.addEventListener("click", (event) => {
    const tile = event.target.closest("[data-asset-id]");
    if (tile) onOpen(assets.get(Number(tile.dataset.assetId)));
  });
  grid.addEventListener("mouseover", (event) => hoverPreview(event, true));
  grid.addEventListener("mouseout", (event) => {
    const tile = event.target.closest("[data-asset-id]");
    if (tile && (!event.relatedTarget || !tile.contains(event.relatedTarget))) hoverPreview(event, false);
  });
  grid.addEventListener("focusin", (event) => hoverPreview(event, true));
  grid.addEventListener("focusout", (event) => hoverPreview(event, false));
  el("library-more").addEventListener("click", () => { if (next) loadAssets({ url: next }); });
}
