/*
 * The media library (#asset-grid): each finished job's output, newest first, a page at a time.
 * A tile opens the player; a video's tile moves (its animated preview) while pointed at. Under
 * its picture, a strip of its palette (its aesthetic report's colours, as wide as their shares;
 * drawn in SVG attributes, as the CSP allows no inline styles); a render that has just arrived is
 * measured a moment later, so its tile asks for its palette again a few times.
 */

import { paletteLabel } from "./aesthetics.js";
import { api, urls, withQuery } from "./api.js";
import { duration, el, flash, label, listChrome, reducedMotion, shorten, showAlert } from "./util.js";

const PAGE_SIZE = 24;
const SVG = "http://www.w3.org/2000/svg";
const PALETTE_RETRIES = 4;
const PALETTE_RETRY_MS = 4000;

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

function renderPalette(tile, colours) {
  const strip = tile.querySelector(".asset-tile__palette");
  strip.textContent = "";
  if (!colours || !colours.length) {  // not measured yet: an empty strip, silent
    strip.removeAttribute("role");
    strip.removeAttribute("aria-label");
    strip.setAttribute("aria-hidden", "true");
    return;
  }
  strip.removeAttribute("aria-hidden");
  strip.setAttribute("role", "img");
  strip.setAttribute("aria-label", paletteLabel(colours));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 1000 10");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("aria-hidden", "true");  // (the strip's label says it all)
  svg.setAttribute("shape-rendering", "crispEdges");  // (no faint seams between the colours)
  let x = 0;
  for (const colour of colours) {
    const rect = document.createElementNS(SVG, "rect");
    const width = 1000 * colour.share;
    rect.setAttribute("x", x.toFixed(1));
    rect.setAttribute("y", "0");
    rect.setAttribute("width", width.toFixed(1));
    rect.setAttribute("height", "10");
    rect.setAttribute("fill", colour.hex);
    svg.appendChild(rect);
    x += width;
  }
  strip.appendChild(svg);
}

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
  renderPalette(tile, asset.palette);
}

/* The palette of `id` from its report, shown in the player (or asked for again, below). */
export function paletteMeasured(id, colours) {
  const asset = assets.get(Number(id));
  const tile = tiles.get(Number(id));
  if (!asset || !tile || !colours || !colours.length) return;
  asset.palette = colours.map(({ hex, share, percent }) => ({ hex, share, percent }));
  renderPalette(tile, asset.palette);
}

/* A new render's palette, once it has been measured: asked for a few times, then left pending. */
function awaitPalette(id, retries) {
  window.setTimeout(async () => {
    const known = assets.get(id);
    if (!known || known.palette) return;  // (gone, or the player brought it)
    try {
      const asset = await api(urls.asset(id));
      if (asset.palette) { paletteMeasured(id, asset.palette); return; }
    } catch (error) {
      return;
    }
    if (retries > 1) awaitPalette(id, retries - 1);
  }, PALETTE_RETRY_MS);
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
  if (!asset.palette) awaitPalette(asset.id, PALETTE_RETRIES);
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
