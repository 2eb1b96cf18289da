/*
 * The player (#asset-dialog): an output with its settings, lineage and download link.
 *
 * A storyboard render's output is its scenes' clips joined; the job (GET /jobs/<id>) lists each
 * clip in `scene_assets`. They are offered under the video: each plays in the same player,
 * with its own prompt, seed, length and download, and "Whole video" goes back to the output.
 */

import { showAesthetics } from "./aesthetics.js";
import { api, urls } from "./api.js";
import { presetLabel } from "./presets.js";
import { ago, duration, el, integer, label, reducedMotion, requesterName, shorten } from "./util.js";

const dialog = el("asset-dialog");
const media = el("asset-media");
const scenesBox = el("asset-scenes");
const sceneList = el("asset-scene-list");
const sceneTemplate = el("scene-clip-template");
let shown = null;  // the asset opened (with its job's summary)
let clips = new Map();  // clip asset id -> {asset, scene}: a storyboard's whole video and scenes
let scenesToken = 0;  // the storyboard being listed (a later open makes an answer stale)
let hooks = { getAsset: null, getJob: () => null, opened() {} };

/* The asset in the player, or null. */
export function shownAsset() { return shown; }

function stopMedia() {
  const video = media.querySelector("video");
  if (video) {
    video.pause();
    video.removeAttribute("src");
    video.load();
  }
  media.textContent = "";
}

/* `asset` in the media box: the <video> already there plays it, or a new <video> or <img>. */
function showMedia(asset, text) {
  if (asset.kind !== "video") {
    stopMedia();
    const image = document.createElement("img");
    image.src = asset.file;
    image.alt = text;
    image.width = asset.width;
    image.height = asset.height;
    media.appendChild(image);
    return;
  }
  let video = media.querySelector("video");
  if (!video) {
    stopMedia();
    video = document.createElement("video");
    video.controls = true;
    video.playsInline = true;
    video.loop = true;
    video.muted = true;
    video.preload = "auto";
    video.autoplay = !reducedMotion;
    media.appendChild(video);
  }
  video.width = asset.width;
  video.height = asset.height;
  if (asset.poster) video.poster = asset.poster; else video.removeAttribute("poster");
  video.src = asset.file;
  video.setAttribute("aria-label", shorten(text, 120));
  if (video.autoplay) video.play().catch(() => { /* the user presses play */ });
}

/* The facts of what plays: its prompt and seed (a scene's own), size, length, download. */
function showFacts(asset, { prompt, seed }) {
  el("asset-prompt").textContent = prompt || "";
  el("asset-seed").textContent = seed !== undefined && seed !== null ? String(seed) : "";
  el("asset-size").textContent = label("size", { width: asset.width, height: asset.height });
  const isVideo = asset.kind === "video";
  el("asset-length-row").hidden = !isVideo;
  el("asset-length").textContent = isVideo
    ? label("length", { seconds: duration(asset.seconds || 0), frames: integer.format(asset.frames),
                        fps: integer.format(asset.fps) }) : "";
  el("asset-download").href = asset.download || asset.file;
  const register = document.getElementById("asset-register");  // editors and owners: rights/pages.py
  if (register) register.href = register.dataset.href + asset.id;
  showPublished(asset);
}

// Published renders (asset id -> its gallery page), from projects/views.py.
const publishedData = document.getElementById("studio-published");
const published = publishedData ? JSON.parse(publishedData.textContent) : {};

/* Owners publish a render in the gallery; once it is, everyone gets the link to it. */
function showPublished(asset) {
  const publish = document.getElementById("asset-publish");  // owners: recommend/pages.py
  const page = published[String(asset.id)];
  if (publish) {
    publish.href = publish.dataset.href.replace(/\/0\/$/, "/" + asset.id + "/");
    publish.hidden = !!page;
  }
  const link = el("asset-published");
  link.hidden = !page;
  if (page) link.href = page;
}

export function openAsset(asset) {
  if (!asset) return;
  shown = asset;
  const job = asset.job || {};
  el("asset-title").textContent = (label("kind-" + (job.kind || asset.kind)) || asset.kind) + " · "
    + label("asset-name", { id: asset.id });
  showMedia(asset, job.prompt || "");
  showFacts(asset, { prompt: job.prompt, seed: job.seed });
  showAesthetics(asset);
  el("asset-preset").textContent = presetLabel(job.preset);
  el("asset-preset").title = job.preset || "";
  el("asset-requested").textContent = [label("by", { name: requesterName(job) }),
                                       ago(asset.created_at)].filter(Boolean).join(" · ");
  const parent = asset.parent;
  el("asset-parent").hidden = !parent;
  if (parent) {
    const link = el("asset-parent-link");
    link.textContent = label("asset-name", { id: parent.asset });
    link.href = "#asset-" + parent.asset;
    link.dataset.assetId = String(parent.asset);
  }
  showRemixes(asset);
  listScenes(asset);
  hooks.opened(asset);
  if (!dialog.open) dialog.showModal();
  if (window.history.replaceState) window.history.replaceState(null, "", "#asset-" + asset.id);
}

function showRemixes(asset) {
  const remixes = asset.remixes || 0;
  el("asset-remixes").textContent = remixes === 1 ? label("remixes-one")
    : remixes > 1 ? label("remixes-other", { count: integer.format(remixes) }) : "";
}

/* The library asked for `asset` again (a remix of it finished): if the player shows it, its
   count of remixes follows. */
export function assetUpdated(asset) {
  if (!shown || shown.id !== asset.id) return;
  shown = { ...shown, remixes: asset.remixes };
  showRemixes(shown);
}

export async function openAssetById(id) {
  let asset;
  try {
    asset = await hooks.getAsset(id);
  } catch (error) {
    return;  // gone, or not this project's
  }
  openAsset(asset);
}

// --- a storyboard's scenes ----------------------------------------------------------------

function sceneNumber(asset) {
  const match = /^scene-(\d+)$/.exec(asset.role || "");
  return match ? Number(match[1]) : 0;
}

function clipButton(asset, text, title) {
  const item = sceneTemplate.content.firstElementChild.cloneNode(true);
  const button = item.querySelector(".scene-clip");
  button.dataset.clipId = String(asset.id);
  button.dataset.role = asset.role || "output";
  button.title = title || "";
  const image = item.querySelector(".scene-clip__image");
  image.src = asset.thumbnail || asset.poster || "";
  image.width = asset.width;
  image.height = asset.height;
  if (asset.width && asset.height) {  // the clips' own shape (a storyboard's are all alike)
    item.querySelector(".scene-clip__frame").style.aspectRatio = asset.width + " / " + asset.height;
  }
  item.querySelector(".scene-clip__label").textContent = text;
  return item;
}

/* The job with its scene clips: the queue's copy when it has them, else one GET. */
async function storyboardJob(id) {
  const known = hooks.getJob(id);
  if (known && Array.isArray(known.scene_assets) && known.scene_assets.length && known.asset
      && known.asset.file) return known;
  return api(urls.job(id));
}

async function listScenes(asset) {
  const token = ++scenesToken;
  scenesBox.hidden = true;
  sceneList.textContent = "";
  clips = new Map();
  const job = asset.job || {};
  if (job.kind !== "storyboard" || !job.id) return;
  let full;
  try {
    full = await storyboardJob(job.id);
  } catch (error) {
    return;  // the whole video still plays
  }
  if (token !== scenesToken || !full || !Array.isArray(full.scene_assets) || !full.scene_assets.length) return;
  const whole = asset.role === "output" || !full.asset ? asset : full.asset;
  const scenes = Array.isArray(full.scenes) ? full.scenes : [];
  clips.set(whole.id, { asset: whole, scene: null });
  const items = [clipButton(whole, label("whole-video", { length: duration(whole.seconds || 0) }), full.prompt)];
  for (const clip of full.scene_assets) {
    const number = sceneNumber(clip);
    const scene = scenes.find((entry) => entry.number === number) || scenes[number - 1] || null;
    clips.set(clip.id, { asset: clip, scene });
    items.push(clipButton(clip, label("scene-clip", { number, length: duration(clip.seconds || 0) }),
                          scene ? scene.prompt : ""));
  }
  sceneList.replaceChildren(...items);
  scenesBox.hidden = false;
  playClip(asset.id, { media: false });  // an opened scene shows its own prompt and seed
}

function markCurrent(id) {
  for (const button of sceneList.querySelectorAll(".scene-clip")) {
    if (Number(button.dataset.clipId) === id) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
}

/* Play one of the storyboard's clips (or the whole video) in the player. */
function playClip(id, { media = true } = {}) {
  const entry = clips.get(id);
  if (!entry || !shown) return;
  const job = shown.job || {};
  const prompt = entry.scene ? entry.scene.prompt : job.prompt;
  if (media) showMedia(entry.asset, prompt || "");
  showFacts(entry.asset, { prompt, seed: entry.scene ? entry.scene.seed : job.seed });
  markCurrent(id);
}

// --- closing ------------------------------------------------------------------------------

function closeDialog() {
  if (dialog.open) dialog.close();
}

/* hooks: getAsset(id) (a promise), getJob(id) (the queue's copy or null), opened(asset). */
export function initPlayer(given) {
  hooks = Object.assign(hooks, given);
  dialog.addEventListener("close", () => {
    stopMedia();
    shown = null;
    scenesToken += 1;
    if (window.location.hash.startsWith("#asset-") && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
    }
  });
  el("asset-close").addEventListener("click", closeDialog);
  dialog.addEventListener("click", (event) => {  // a click on the backdrop closes it
    if (event.target === dialog) closeDialog();
  });
  el("asset-parent-link").addEventListener("click", (event) => {
    event.preventDefault();
    openAssetById(event.currentTarget.dataset.assetId);
  });
  sceneList.addEventListener("click", (event) => {
    const button = event.target.closest(".scene-clip");
    if (button) playClip(Number(button.dataset.clipId));
  });
}
