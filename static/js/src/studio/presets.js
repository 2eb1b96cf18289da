/*
 * The models (GET /api/v1/generation/presets: only those installed here) and the
 * user's plan limits (GET /api/v1/generation/usage), and the select and number inputs built on them.
 */

import { api, urls } from "./api.js";
import { canGenerate, label } from "./util.js";

export const presetByName = new Map();
let presets = [];  // in the API's order
let usage = null;

export async function loadPresets() {
  const data = await api(urls.presets);
  presets = Array.isArray(data) ? data : (data && data.results) || [];
  presetByName.clear();
  for (const preset of presets) presetByName.set(preset.name, preset);
  return presets;
}

/* Today's use against the plan (null until known, or for viewers). */
export async function loadUsage() {
  if (!canGenerate || !urls.usage) return null;
  try {
    usage = await api(urls.usage);
  } catch (error) {
    return null;
  }
  return usage;
}

/* A preset's name for people: its label, or its name when unknown. */
export function presetLabel(name) {
  const preset = presetByName.get(name);
  return preset ? preset.label || name : name || "";
}

/* The first preset with weights here (of `kind`: "image" or "video"), else the first at all. */
export function defaultPreset(kind) {
  const list = presets.filter((preset) => !kind || preset.kind === kind);
  return list.find((preset) => preset.available !== false) || list[0] || null;
}

/* Whether creators may choose the model: the API lists only installed ones. */
export function isAvailable(name) {
  const preset = presetByName.get(name);
  return !!preset && preset.available !== false;
}

/* The select's options, video and image models in groups (only `kind`'s when given). Keeps
   `selected` (else the current choice) when offered, otherwise the first available model. */
export function fillPresetSelect(select, kind, selected) {
  const previous = selected || select.value;
  select.textContent = "";
  const groups = [["video", label("video-models")], ["image", label("image-models")]];
  for (const [groupKind, groupLabel] of groups) {
    if (kind && kind !== groupKind) continue;
    const list = presets.filter((preset) => preset.kind === groupKind);
    if (!list.length) continue;
    const group = document.createElement("optgroup");
    group.label = groupLabel;
    for (const preset of list) {
      const option = document.createElement("option");
      option.value = preset.name;
      const name = preset.label || preset.name;
      option.textContent = preset.available === false ? label("preset-unavailable", { name }) || name : name;
      option.dataset.available = String(preset.available !== false);
      group.appendChild(option);
    }
    select.appendChild(group);
  }
  if (previous && select.querySelector('option[value="' + CSS.escape(previous) + '"]')) {
    select.value = previous;
  } else {
    const fallback = defaultPreset(kind);
    if (fallback) select.value = fallback.name;
  }
}

export function frameCount(preset, seconds, fps) {
  const step = Math.max(1, preset.frame_step || 1);
  return Math.max(1, Math.round(seconds * fps / step)) * step + 1;
}

/* The largest width and height the preset makes within the plan, and their multiple. */
export function sizeLimits(preset) {
  const side = usage && usage.max_side ? usage.max_side : Infinity;
  return { width: Math.min(preset.max_width, side), height: Math.min(preset.max_height, side),
           multiple: preset.size_multiple || 1 };
}

/* The form's numbers set to the preset's defaults and limits. */
export function applyPreset(form, preset) {
  const limits = sizeLimits(preset);
  const set = (name, value, attrs) => {
    const input = form.elements.namedItem(name);
    if (!input) return;
    if (value !== undefined) input.value = value;
    for (const [attr, attrValue] of Object.entries(attrs || {})) input.setAttribute(attr, attrValue);
  };
  const low = Math.max(64, limits.multiple);
  set("width", Math.min(preset.width, limits.width), { min: low, max: limits.width, step: limits.multiple });
  set("height", Math.min(preset.height, limits.height), { min: low, max: limits.height, step: limits.multiple });
  set("fps", preset.fps);
  // A clip of n frames lasts (n - 1) frame steps: 97 frames at 24 fps is 4 s, not 4.04.
  set("seconds", Math.round((preset.frames - 1) / preset.fps * 10) / 10 || Math.round(preset.frames / preset.fps * 10) / 10,
      { max: Math.floor((preset.max_frames - 1) / preset.fps * 10) / 10 });
  set("steps", preset.steps, { max: preset.max_steps });
  set("guidance", preset.guidance);
  showRenderModes(form, preset);
}

/* The speed choice, where the model has a fast mode; otherwise hidden and at full quality. */
export function showRenderModes(form, preset) {
  const field = form.querySelector('[data-field="render_mode"]');
  if (!field) return;
  const fast = !!preset && (preset.render_modes || []).includes("fast");
  field.hidden = !fast;
  if (!fast) form.elements.namedItem("render_mode").value = "quality";
}
