/*
 * The queue (#job-list): the project's jobs, newest first, updated in place from the project's
 * event stream; cancel (editors and owners); "Open" plays a finished job's output.
 *
 * A job event carries the job's state, kind and preset and, once it succeeded, its asset
 * {id, thumbnail}: a row the page knows needs no request. A job the page does not know yet
 * (someone else's) is fetched once for its prompt and requester.
 */

import { api, urls, withQuery } from "./api.js";
import { presetLabel } from "./presets.js";
import {
  ACTIVE, FINISHED, ago, duration, el, flash, label, listChrome, percent, requesterName, shorten, showAlert,
} from "./util.js";

const PAGE_SIZE = 20;
const PROMPT_SHOWN = 160;

const list = el("job-list");
const template = el("job-template");
const announcer = el("jobs-announcer");
const jobs = new Map();  // public id -> the job as last known
const rows = new Map();  // public id -> its <li>
const fetching = new Map();  // public id -> events that arrived while it was being fetched
let buffered = [];  // events that arrived before the first page
let submitting = 0;  // our own POSTs in flight
let held = [];  // events of jobs unknown here while they are: likely those very jobs
let loaded = false;
let total = 0;
let next = null;
let hooks = { open() {}, succeeded() {}, finished() {}, changed() {} };

function statusLabel(status) { return label("status-" + status) || status; }

function kindGlyph(kind) { return kind === "image" ? "◼" : kind === "storyboard" ? "▦" : "▶"; }

function announce(text) {
  announcer.textContent = "";
  window.setTimeout(() => { announcer.textContent = text; }, 50);
}

function sceneCount(job) { return Array.isArray(job.scenes) ? job.scenes.length : 0; }

/* Every step done, the files not stored yet: the worker is encoding and signing them. */
export function finishing(job) {
  return job.status === "running" && (job._phase === "encoding" || (job.progress || 0) >= 100);
}

function progressText(job) {
  if (finishing(job)) return [label("finishing")];
  const parts = [percent.format((job.progress || 0) / 100)];
  if (job.status === "running" && job.eta_s !== null && job.eta_s !== undefined && job.progress < 100) {
    parts.push(label("eta", { time: duration(job.eta_s, true) }));
  }
  const scenes = sceneCount(job);
  if (job.kind === "storyboard" && scenes) {
    let clip = job._clip;
    if (!clip && job.steps) clip = Math.min(scenes, Math.floor((job.step || 0) / job.steps) + 1);
    parts.push(label("scene", { number: clip || 1, count: scenes }));
  }
  return parts;
}

function jobMeta(job) {
  const parts = [label("by", { name: requesterName(job) })];
  if (job.width && job.height) parts.push(label("size", { width: job.width, height: job.height }));
  if (job.kind !== "image" && job.seconds) parts.push(duration(job.seconds));
  if (job.kind === "storyboard" && sceneCount(job)) parts.push(label("scenes", { count: sceneCount(job) }));
  parts.push(ago(job.created_at));
  return parts.filter(Boolean).join(" · ");
}

function renderProgress(row, job) {
  const running = job.status === "running";
  const progress = row.querySelector(".job__progress");
  progress.hidden = !running;
  if (!running) return;
  const value = Math.max(0, Math.min(100, job.progress || 0));
  const bar = progress.querySelector(".progress");
  const parts = progressText(job);
  bar.setAttribute("aria-valuenow", String(Math.round(value)));
  bar.setAttribute("aria-valuetext", parts.join(" · "));
  bar.setAttribute("aria-label", shorten(job.prompt, 60));
  progress.querySelector(".progress__bar").style.width = value + "%";
  progress.querySelector(".job__progress-text").replaceChildren(...parts.map((part) => {
    const span = document.createElement("span");
    span.textContent = part;
    return span;
  }));
}

function renderJob(row, job) {
  row.dataset.jobId = job.id;
  row.dataset.status = job.status;
  row.dataset.kind = job.kind;
  const badge = row.querySelector(".job__status");
  badge.textContent = statusLabel(job.status);
  badge.className = "badge job__status job__status--" + job.status;
  row.querySelector(".job__kind").textContent = label("kind-" + job.kind) || job.kind;
  const model = row.querySelector(".job__model");
  model.textContent = presetLabel(job.preset);
  model.title = job.preset || "";
  const prompt = row.querySelector(".job__prompt");
  prompt.textContent = shorten(job.prompt, PROMPT_SHOWN);
  prompt.title = job.prompt || "";
  row.querySelector(".job__meta").textContent = jobMeta(job);
  renderProgress(row, job);

  const error = row.querySelector(".job__error");
  error.hidden = !(job.status === "failed" && job.error);
  error.textContent = job.status === "failed" ? job.error || "" : "";

  const running = job.status === "running";
  const image = row.querySelector(".job__image");
  const source = running && job._preview ? job._preview
    : job.asset && job.asset.thumbnail ? job.asset.thumbnail : "";
  if (source) {
    if (image.getAttribute("src") !== source) image.src = source;
    image.hidden = false;
  } else {
    image.hidden = true;
    image.removeAttribute("src");
  }
  row.querySelector(".job__glyph").textContent = source ? "" : kindGlyph(job.kind);
  row.querySelector(".job__thumb").classList.toggle("is-live", running && !!job._preview);

  row.querySelector(".job__open").hidden = !(job.status === "succeeded" && job.asset);
  const cancel = row.querySelector(".job__cancel");
  if (cancel) {
    cancel.hidden = !ACTIVE.has(job.status);
    cancel.disabled = !!job._cancelling;
  }
  hooks.changed(job);
}

function updateChrome() {
  listChrome("jobs", { loaded, shown: rows.size, total, more: !!next });
}

function showError(message) {
  showAlert("jobs-error", message);
}

function placeRow(row, job) {
  const created = Date.parse(job.created_at) || Date.now();
  for (const other of list.children) {
    const otherJob = jobs.get(other.dataset.jobId);
    if (otherJob && otherJob.id !== job.id && (Date.parse(otherJob.created_at) || 0) < created) {
      list.insertBefore(row, other);
      return;
    }
  }
  list.appendChild(row);
}

/* Add or update a job from the API (the whole job); returns it as now known. */
export function upsertJob(data, { flash: glow = false, append = false } = {}) {
  const known = jobs.get(data.id);
  const job = known ? Object.assign(known, data) : Object.assign({}, data);
  if (!known) {
    jobs.set(job.id, job);
    const row = template.content.firstElementChild.cloneNode(true);
    rows.set(job.id, row);
    renderJob(row, job);
    if (append) list.appendChild(row); else placeRow(row, job);
    if (!append) total += 1;
    if (glow) flash(row);
  } else {
    if (FINISHED.has(job.status)) job._preview = null;
    renderJob(rows.get(job.id), job);
  }
  updateChrome();
  return job;
}

/* A job queued from this page (`request`: the POST's promise): on top of the queue once the
   API answers, with the events that came first applied after. Returns the job. */
export async function submitted(request) {
  submitting += 1;
  let job = null;
  try {
    job = upsertJob(await request, { flash: true });
  } finally {
    submitting -= 1;
    if (!submitting) {
      const pending = held;
      held = [];
      pending.forEach(applyEvent);
    }
  }
  return job;
}

/* The job as the page knows it (from the API, kept current by events). */
export function getJob(id) { return jobs.get(id) || null; }

async function fetchJob(id) {
  if (fetching.has(id)) return;
  fetching.set(id, []);
  try {
    const data = await api(urls.job(id));
    const before = jobs.get(id);
    const previous = before ? before.status : null;
    const job = upsertJob(data, { flash: !before });
    if (previous !== job.status && job.status === "succeeded") hooks.succeeded(job);
  } catch (error) {
    /* gone, or the network: the next event or reconnection tries again */
  } finally {
    const pending = fetching.get(id) || [];
    fetching.delete(id);
    if (jobs.has(id)) pending.forEach(applyEvent);  // newer than what the GET saw
  }
}

/* A job's state from the project's stream. */
export function applyEvent(payload) {
  if (!payload || !payload.id) return;
  if (!loaded) { buffered.push(payload); return; }
  if (fetching.has(payload.id)) { fetching.get(payload.id).push(payload); return; }
  const job = jobs.get(payload.id);
  if (!job && submitting) { held.push(payload); return; }  // the server told before it answered
  if (!job) { fetchJob(payload.id); return; }  // someone else's: its prompt and requester
  const previous = job.status;
  if (FINISHED.has(previous) && !FINISHED.has(payload.status)) return;  // a late, older event
  for (const name of ["status", "progress", "step", "eta_s", "error", "kind", "preset"]) {
    if (name in payload) job[name] = payload[name];
  }
  if ("steps" in payload) job.steps_total = payload.steps;  // the stream's steps are all clips'
  if ("clip" in payload) job._clip = payload.clip;
  job._phase = payload.phase || null;
  if (payload.preview) job._preview = payload.preview;
  if (payload.asset) {
    job.asset = job.asset && job.asset.id === payload.asset.id ? Object.assign(job.asset, payload.asset)
      : Object.assign({}, payload.asset);
  }
  if (FINISHED.has(job.status)) job._preview = null;
  renderJob(rows.get(job.id), job);
  if (previous === job.status) return;
  announce(label("announce", { prompt: shorten(job.prompt, 60), status: statusLabel(job.status) }));
  if (job.status === "succeeded") {
    if (job.asset) hooks.succeeded(job); else fetchJob(job.id);  // (an older server: no asset)
  }
  if (FINISHED.has(job.status)) hooks.finished(job);
}

/* The first page (again, when `refresh`), or the next one at `url`. */
export async function loadJobs({ url, refresh = false } = {}) {
  const target = url || withQuery(urls.jobs, { page_size: PAGE_SIZE });
  try {
    const data = await api(target);
    const results = (data && data.results) || [];
    for (const job of results) {
      const before = jobs.get(job.id);
      const previous = before ? before.status : null;
      upsertJob(job, { append: !!url });
      if (refresh && before && previous !== job.status) {
        if (job.status === "succeeded") hooks.succeeded(jobs.get(job.id));
        if (FINISHED.has(job.status)) hooks.finished(jobs.get(job.id));
      }
    }
    if (!url) total = data.count || results.length;
    if (url || !loaded) next = data.next;
    el("jobs-error").hidden = true;
  } catch (error) {
    showError(loaded ? error.message : label("load-failed"));
  }
  if (!loaded) {
    loaded = true;
    const pending = buffered;
    buffered = [];
    pending.forEach(applyEvent);
  }
  updateChrome();
}

/* Without the stream: ask about the jobs still in progress. */
export function pollActive() {
  for (const job of jobs.values()) if (ACTIVE.has(job.status)) fetchJob(job.id);
}

/* Draw every row again (the preset labels arrived). */
export function rerender() {
  for (const [id, row] of rows) renderJob(row, jobs.get(id));
}

async function cancelJob(id) {
  const job = jobs.get(id);
  if (!job || !window.confirm(label("cancel-confirm"))) return;
  job._cancelling = true;
  renderJob(rows.get(id), job);
  try {
    upsertJob(await api(urls.job(id, "cancel"), { method: "POST" }));
    el("jobs-error").hidden = true;
  } catch (error) {
    showError(error.message);
  } finally {
    job._cancelling = false;
    renderJob(rows.get(id), job);
  }
}

/* hooks: open(assetId), succeeded(job) (its asset is known), finished(job), changed(job) (drawn
   again with news). */
export function initQueue(given) {
  hooks = Object.assign(hooks, given);
  list.addEventListener("click", (event) => {
    const row = event.target.closest("[data-job-id]");
    if (!row) return;
    const id = row.dataset.jobId;
    if (event.target.closest(".job__cancel")) cancelJob(id);
    if (event.target.closest(".job__open")) {
      const job = jobs.get(id);
      if (job && job.asset) hooks.open(job.asset.id);
    }
  });
  el("jobs-more").addEventListener("click", () => { if (next) loadJobs({ url: next }); });
  window.setInterval(() => {
    for (const [id, row] of rows) row.querySelector(".job__meta").textContent = jobMeta(jobs.get(id));
  }, 30000);
}
