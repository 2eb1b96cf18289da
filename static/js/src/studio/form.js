/*
 * The generate panel (#generate-form, for editors and owners): a prompt or the storyboard, a
 * model, its numbers; POST /jobs and the API's field errors shown on the form.
 */

import { api, urls } from "./api.js";
import { clearErrors, clearFieldErrorOnInput, readNumber, setVisibility, showErrors } from "./fields.js";
import {
  applyPreset, defaultPreset, fillPresetSelect, frameCount, isAvailable, loadUsage, presetByName,
  sizeLimits,
} from "./presets.js";
import { finishing } from "./queue.js";
import { ACTIVE, duration, el, integer, label, percent } from "./util.js";

const PRESET_KEY = "storyloom.generation.preset";

const form = el("generate-form");
const select = el("gen-preset");
const submit = el("gen-submit");
const status = el("gen-status");
let queue = (request) => request;  // into the queue (main.js)
let openAsset = () => {};
let followed = null;  // the id of the job last queued here: the status line follows it

function mode() {
  const checked = form.querySelector("input[name=mode]:checked");
  return checked ? checked.value : "prompt";
}

function currentPreset() {
  return presetByName.get(select.value) || null;
}

function storedPreset() {
  try { return window.localStorage.getItem(PRESET_KEY); } catch (error) { return null; }  // private mode
}

function updateHints() {
  const preset = currentPreset();
  el("gen-preset-help").hidden = !preset || isAvailable(preset.name);
  if (!preset) return;
  const limits = sizeLimits(preset);
  el("gen-size-help").textContent = label("size-hint", { multiple: limits.multiple,
    width: integer.format(limits.width), height: integer.format(limits.height) });
  const seconds = Number(form.elements.namedItem("seconds").value);
  const fps = Number(form.elements.namedItem("fps").value) || preset.fps;
  el("gen-seconds-help").textContent = seconds > 0
    ? label("frames", { count: integer.format(frameCount(preset, seconds, fps)) }) : "";
}

function updateMode() {
  const current = mode();
  form.dataset.mode = current;
  fillPresetSelect(select, current === "storyboard" ? "video" : null);
  const preset = currentPreset();
  setVisibility(form, current, preset ? preset.kind : "video");
  submit.textContent = submit.dataset["label" + (current === "storyboard" ? "Storyboard" : "Prompt")];
  if (current === "storyboard") loadStoryboardSummary();
}

async function loadStoryboardSummary() {
  const summary = el("gen-storyboard-summary");
  try {
    const board = await api(urls.storyboard);
    const scenes = (board && board.scenes) || [];
    const total = scenes.reduce((sum, scene) => sum + (Number(scene.duration) || 0), 0);
    summary.textContent = scenes.length
      ? label("storyboard-summary", { count: integer.format(scenes.length), length: duration(total) })
      : label("storyboard-empty");
    summary.classList.toggle("is-warning", !scenes.length);
  } catch (error) {
    summary.textContent = "";
  }
}

function payload() {
  const preset = currentPreset();
  const body = { preset: select.value };
  if (!form.querySelector('[data-field="render_mode"]').hidden) {
    body.render_mode = form.elements.namedItem("render_mode").value;
  }
  const take = (name) => {
    const value = readNumber(form, name);
    if (value !== undefined) body[name] = value;
  };
  if (mode() === "storyboard") {
    body.kind = "storyboard";
    body.style = form.elements.namedItem("style").value.trim();
    ["width", "height", "steps", "seed"].forEach(take);
    return body;
  }
  body.kind = preset ? preset.kind : "video";
  body.prompt = form.elements.namedItem("prompt").value.trim();
  const negative = form.elements.namedItem("negative_prompt").value.trim();
  if (negative) body.negative_prompt = negative;
  ["width", "height", "steps", "guidance", "seed"].forEach(take);
  if (body.kind === "video") ["seconds", "fps"].forEach(take);
  return body;
}

async function send(event) {
  event.preventDefault();
  if (submit.disabled) return;
  const body = payload();
  submit.disabled = true;
  status.textContent = label("submitting");
  try {
    const job = await queue(api(urls.jobs, { method: "POST", body }));
    clearErrors(form, "gen");
    followed = job ? job.id : null;
    status.textContent = label("queued-note");
    if (job) jobChanged(job);
    try { window.localStorage.setItem(PRESET_KEY, body.preset); } catch (error) { /* private mode */ }
  } catch (error) {
    status.textContent = "";
    showErrors(form, "gen", error);
  } finally {
    submit.disabled = false;
  }
}

/* The status line under the form says where the job queued from it is: queued, rendering (how
   far), encoding and signing, done (with a button that plays it), failed (with the reason). */
export function jobChanged(job) {
  if (!form || !job || job.id !== followed) return;
  const done = job.status === "succeeded";
  status.dataset.jobStatus = job.status;
  if (job.status === "queued") {
    status.textContent = label("queued-note");
  } else if (job.status === "running") {
    status.textContent = finishing(job) ? label("finishing")
      : label("running-note", { percent: percent.format((job.progress || 0) / 100) });
  } else if (done) {
    status.textContent = label("done-note") + " ";
    if (job.asset) {
      const open = document.createElement("button");
      open.type = "button";
      open.className = "btn btn--ghost btn--small gen-form__open";
      open.textContent = label("done-open");
      open.addEventListener("click", () => openAsset(job.asset.id));
      status.appendChild(open);
    }
  } else if (job.status === "failed") {
    status.textContent = label("failed-note", { error: job.error || "" });
  } else {
    status.textContent = label("cancelled-note");
  }
  status.classList.toggle("is-error", job.status === "failed");
  if (!ACTIVE.has(job.status)) followed = null;
}

/* Today's use above the form, and the size limits of the plan on the inputs. */
export async function refreshUsage() {
  if (!form) return;
  const usage = await loadUsage();
  if (!usage) return;
  el("gen-usage").textContent = label("usage", {
    used: integer.format(usage.compute_today), limit: integer.format(usage.compute_per_day),
    video: duration(usage.video_seconds_today),
    jobs: integer.format(usage.jobs_in_flight), max: integer.format(usage.jobs_in_flight_max) });
  const preset = currentPreset();
  if (preset) {
    const limits = sizeLimits(preset);
    for (const [name, limit] of [["width", limits.width], ["height", limits.height]]) {
      form.elements.namedItem(name).setAttribute("max", limit);
    }
    updateHints();
  }
}

/* Once the presets are known: the model last used here if it still has its weights, else the
   first model that has them. */
export function presetsLoaded() {
  if (!form) return;
  const stored = storedPreset();
  const fallback = defaultPreset(null);
  fillPresetSelect(select, null, stored && isAvailable(stored) ? stored : fallback && fallback.name);
  updateMode();
  const preset = currentPreset();
  if (preset) applyPreset(form, preset);
  updateHints();
}

export function presetsFailed(error) {
  if (form) showErrors(form, "gen", error);
}

/* hooks: submit(request) (the POST's promise; resolves to the job, in the queue), open(assetId). */
export function initForm(hooks) {
  if (!form) return;
  queue = hooks.submit;
  openAsset = hooks.open || openAsset;
  form.addEventListener("submit", send);
  form.addEventListener("change", (event) => {
    if (event.target.name === "mode") {
      const before = select.value;
      updateMode();
      if (select.value !== before && currentPreset()) applyPreset(form, currentPreset());
      updateHints();
    } else if (event.target === select) {
      const preset = currentPreset();
      if (preset) applyPreset(form, preset);
      setVisibility(form, mode(), preset ? preset.kind : "video");
      updateHints();
    }
  });
  form.addEventListener("input", (event) => {
    if (event.target.name === "seconds" || event.target.name === "fps") updateHints();
    if (!followed) status.textContent = "";
  });
  clearFieldErrorOnInput(form);
}
