/*
 * The player's remix form (#remix-form, editors and owners): starts from the asset's settings;
 * only what the user changed is sent to POST /assets/<id>/remix. "New random seed" sends
 * "seed": null (the server draws one): same settings, a different take.
 */

import { api, urls } from "./api.js";
import {
  clearErrors, clearFieldErrorOnInput, fieldVisible, readNumber, showErrors, updateCounter,
} from "./fields.js";
import { fillPresetSelect, isAvailable, presetByName, showRenderModes, sizeLimits } from "./presets.js";
import { el, label } from "./util.js";

const NUMBERS = ["seed", "steps", "guidance", "width", "height", "seconds"];

const form = el("remix-form");
const toggle = el("asset-remix-toggle");
const select = el("remix-preset");
const newSeed = el("remix-new-seed");
let initial = {};  // control name -> its value when the form opened
let hooks = { shown: () => null, submit: (request) => request };

let keptSeed = "";  // the seed input's value while "New random seed" is ticked

/* Ticked: the seed input is off and says "random"; unticked: it has its number back. */
function setNewSeed(on) {
  const seed = form.elements.namedItem("seed");
  if (on && !seed.disabled) {
    keptSeed = seed.value;
    seed.value = "";
  } else if (!on && seed.disabled) {
    seed.value = keptSeed;
  }
  newSeed.checked = on;
  seed.disabled = on;
  seed.placeholder = on ? label("random-seed") : "";
}

function updatePresetHelp() {
  el("remix-preset-help").hidden = isAvailable(select.value);
}

function fill(asset) {
  const job = asset.job || {};
  const kind = job.kind === "image" ? "image" : "video";
  fillPresetSelect(select, kind, job.preset);
  if (job.preset && !presetByName.has(job.preset)) {  // a model no longer offered: keep it selectable
    const option = document.createElement("option");
    option.value = job.preset;
    option.textContent = job.preset;
    select.prepend(option);
    select.value = job.preset;
  }
  const values = {
    preset: job.preset || "", prompt: job.prompt || "", negative_prompt: job.negative_prompt || "",
    style: "", seed: job.seed ?? "", steps: job.steps ?? "", guidance: job.guidance ?? "",
    render_mode: job.render_mode || "quality",
    width: asset.width, height: asset.height,
    seconds: asset.kind === "video" && asset.seconds ? Math.round(asset.seconds * 100) / 100 : "",
  };
  setNewSeed(false);
  initial = {};
  for (const [name, value] of Object.entries(values)) {
    const control = form.elements.namedItem(name);
    if (!control) continue;
    control.value = String(value);
    initial[name] = control.value;
  }
  const preset = presetByName.get(job.preset);
  showRenderModes(form, preset);
  if (preset) {
    const limits = sizeLimits(preset);
    form.elements.namedItem("width").setAttribute("step", limits.multiple);
    form.elements.namedItem("height").setAttribute("step", limits.multiple);
    form.elements.namedItem("steps").setAttribute("max", preset.max_steps);
  }
  // A storyboard renders its scenes as they are now: no prompt or length of its own.
  const storyboard = job.kind === "storyboard";
  for (const name of ["prompt", "negative_prompt"]) {
    form.querySelector('[data-field="' + name + '"]').hidden = storyboard;
  }
  form.querySelector('[data-field="style"]').hidden = !storyboard;
  form.querySelector('[data-field="seconds"]').hidden = storyboard || asset.kind !== "video";
  clearErrors(form, "remix");
  updateCounter(el("remix-prompt-counter"));
  updatePresetHelp();
}

/* What the user changed, as the API takes it. */
function changes() {
  const result = {};
  for (const [name, start] of Object.entries(initial)) {
    const control = form.elements.namedItem(name);
    const field = control && control.closest(".field");
    if (!control || control.disabled || (field && !fieldVisible(field)) || control.value === start) continue;
    if (NUMBERS.includes(name)) {
      const value = readNumber(form, name);
      if (value !== undefined) result[name] = value;
    } else {
      result[name] = control.value.trim();
    }
  }
  if (newSeed.checked) result.seed = null;
  return result;
}

function show(opening) {
  form.hidden = !opening;
  toggle.setAttribute("aria-expanded", String(opening));
}

async function send(event) {
  event.preventDefault();
  const asset = hooks.shown();
  if (!asset) return;
  const submit = el("remix-submit");
  const status = el("remix-status");
  const body = changes();
  if (!Object.keys(body).length) {
    status.textContent = label("remix-unchanged");
    return;
  }
  submit.disabled = true;
  status.textContent = label("submitting");
  try {
    await hooks.submit(api(urls.asset(asset.id, "remix"), { method: "POST", body }));
    clearErrors(form, "remix");
    show(false);
    status.textContent = label("remix-queued");
    toggle.focus();
  } catch (error) {
    status.textContent = "";
    showErrors(form, "remix", error);
  } finally {
    submit.disabled = false;
  }
}

/* The player opened another asset: the form starts closed. */
export function remixReset() {
  if (!form) return;
  show(false);
  el("remix-status").textContent = "";
}

/* hooks: shown() (the player's asset), submit(request) (the POST's promise; resolves to the job). */
export function initRemix(given) {
  if (!form) return;
  hooks = Object.assign(hooks, given);
  toggle.addEventListener("click", () => {
    const opening = form.hidden;
    const asset = hooks.shown();
    if (opening && asset) fill(asset);
    show(opening);
    el("remix-status").textContent = "";
    if (opening) {
      const first = form.querySelector(".field:not([hidden]) textarea, .field:not([hidden]) input");
      if (first) first.focus();
    }
  });
  newSeed.addEventListener("change", () => {
    setNewSeed(newSeed.checked);
    if (!newSeed.checked) form.elements.namedItem("seed").focus();
  });
  select.addEventListener("change", () => {
    updatePresetHelp();
    showRenderModes(form, presetByName.get(select.value));
  });
  form.addEventListener("submit", send);
  form.addEventListener("input", () => { el("remix-status").textContent = ""; });
  clearFieldErrorOnInput(form);
}
