/*
 * Cards: a work of the gallery as templates/recommend/_card.html draws it. The server draws the
 * first ones; `renderCard` fills the page's <template id="card-template"> for those the scripts
 * load from the API (the same data: the API's publication). A video's card moves while pointed at
 * (its animated preview, else the muted video), and that watching counts as a view.
 */

import { initPopovers } from "./popovers.js";
import { Dwell, watchImpressions } from "./signals.js";
import { feedContext, integer, label, lang, reducedMotion, rememberContext } from "./util.js";

function kindText(card) {
  const kind = label("kind-" + card.kind) || card.kind;
  if (card.kind === "image") return kind;
  const seconds = Math.round((card.seconds || 0) * 10) / 10;
  return kind + " · " + label("seconds", { seconds: seconds.toLocaleString(lang) });
}

function remixText(count) {
  if (!count) return "";
  return count === 1 ? label("remixes-one") : label("remixes-other", { count: integer(count) });
}

/* A new card for `card` (the API's publication); `item` is its feed item ({reason, position}). */
export function renderCard(card, { feed = "", item = null } = {}) {
  const node = document.getElementById("card-template").content.firstElementChild.cloneNode(true);
  const data = node.dataset;
  data.id = card.id;
  data.kind = card.kind;
  data.url = card.url;
  data.title = card.title;
  data.preview = (card.media && card.media.preview) || "";
  if (card.kind !== "image" && card.media && card.media.file) data.file = card.media.file;
  if (item) {
    data.feed = feed;
    data.position = String(item.position);
    data.reason = (item.reason && item.reason.code) || "";
  }
  for (const link of node.querySelectorAll(".gcard__media, .gcard__link")) link.href = card.url;
  const image = node.querySelector(".gcard__image");
  image.src = (card.media && (card.media.thumbnail || card.media.poster)) || "";
  image.width = card.width;
  image.height = card.height;
  node.querySelector(".gcard__kind").textContent = kindText(card);
  node.querySelector(".gcard__link").textContent = card.title;
  const creator = node.querySelector(".gcard__creator");
  creator.href = card.creator.url;
  creator.textContent = card.creator.name;
  const tags = node.querySelector(".gcard__tags");
  tags.hidden = !card.tags.length;
  for (const tag of card.tags) {
    const entry = document.createElement("li");
    entry.className = "gcard__tag";
    entry.textContent = "#" + tag;
    tags.appendChild(entry);
  }
  const licence = node.querySelector(".gcard__licence");
  licence.textContent = card.licence.name;
  if (card.licence.url) licence.href = card.licence.url; else licence.removeAttribute("href");
  const registered = node.querySelector(".gcard__registered");
  registered.hidden = !card.registration;
  if (card.registration) registered.href = card.registration.certificate_url;
  const price = node.querySelector(".gcard__price");
  const from = card.registration && card.registration.licence_from;
  price.hidden = !from;
  if (from) {
    price.textContent = label("licence-from", { price: from });
    price.href = card.registration.offers_url;
  }
  const remixes = node.querySelector(".gcard__remixes");
  remixes.textContent = remixText(card.counts.remixes);
  remixes.hidden = !card.counts.remixes;
  applyCard(node, card);
  const why = node.querySelector(".gcard__why");
  why.hidden = !item;
  if (item) node.querySelector(".gcard__reason-text").textContent = item.reason.text;
  node.querySelector("[data-action=menu]").setAttribute("aria-label", label("more-actions", { title: card.title }));
  initPopovers(node);
  return node;
}

/* The counts and the viewer's likes and saves, as the API says now. */
export function applyCard(container, card) {
  for (const name of ["likes", "saves"]) {
    for (const count of container.querySelectorAll(`[data-count=${name}]`)) count.textContent = integer(card.counts[name]);
  }
  const viewer = card.viewer || {};
  for (const [action, on] of [["like", viewer.liked], ["save", viewer.saved]]) {
    const button = container.querySelector(`[data-action=${action}]`);
    if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
  }
}

// --- moving previews -------------------------------------------------------------------------

const watching = new Map();  // card -> Dwell while its preview plays

function previewStart(card) {
  if (reducedMotion || watching.has(card) || card.dataset.kind === "image") return;
  const frame = card.querySelector(".gcard__media");
  const image = card.querySelector(".gcard__image");
  if (card.dataset.preview) {
    image.dataset.still = image.dataset.still || image.src;
    image.src = card.dataset.preview;
  } else if (card.dataset.file) {
    const video = document.createElement("video");
    Object.assign(video, { muted: true, loop: true, autoplay: true, playsInline: true, src: card.dataset.file });
    video.className = "gcard__video";
    video.setAttribute("aria-hidden", "true");
    frame.appendChild(video);
    video.play().catch(() => {});
  } else {
    return;
  }
  const dwell = new Dwell(card.dataset.id, feedContext(card));
  dwell.start();
  watching.set(card, dwell);
}

function previewStop(card) {
  const dwell = watching.get(card);
  if (!dwell) return;
  watching.delete(card);
  const image = card.querySelector(".gcard__image");
  if (image.dataset.still) image.src = image.dataset.still;
  const video = card.querySelector(".gcard__video");
  if (video) { video.pause(); video.remove(); }
  dwell.report();
}

/* Cards in `container` (and those added later) start moving when pointed at and count impressions. */
export function initCardList(container) {
  for (const card of container.querySelectorAll(".gcard[data-id]")) watchImpressions(card);
  container.addEventListener("mouseover", (event) => {
    const card = event.target.closest(".gcard[data-id]");
    if (card) previewStart(card);
  });
  container.addEventListener("mouseout", (event) => {
    const card = event.target.closest(".gcard[data-id]");
    if (card && (!event.relatedTarget || !card.contains(event.relatedTarget))) previewStop(card);
  });
  container.addEventListener("focusin", (event) => {
    const card = event.target.closest(".gcard[data-id]");
    if (card) previewStart(card);
  });
  container.addEventListener("focusout", (event) => {
    const card = event.target.closest(".gcard[data-id]");
    if (card && (!event.relatedTarget || !card.contains(event.relatedTarget))) previewStop(card);
  });
  // Opening a card's page hands its place in the feed to that page's view.
  container.addEventListener("click", (event) => {
    const link = event.target.closest(".gcard__media, .gcard__link");
    const card = link && link.closest(".gcard[data-id]");
    if (card && card.dataset.feed) rememberContext(card.dataset.id, feedContext(card));
  });
}
