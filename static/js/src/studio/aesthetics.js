/*
 * The player's aesthetic report (GET /assets/<id>/aesthetics): the palette and each measure
 * with where the render stands among published works. A render is measured just after it is
 * stored: while its report is pending, it is asked for again a few times.
 */

import { api, urls } from "./api.js";
import { el, label } from "./util.js";

const box = el("asset-aesthetics");
const status = el("asset-aesthetics-status");
const palette = el("asset-aesthetics-palette");
const list = el("asset-aesthetics-measures");
const RETRIES = 5;
const RETRY_MS = 3000;
let token = 0;  // the asset asked about (a later open makes an answer stale)
let timer = null;
let onMeasured = () => {};

/* "Palette: #aa3300 45 %, …", for a palette's accessible label. */
export function paletteLabel(colours) {
  return label("aesthetics-palette", {
    colours: colours.map((colour) => colour.hex + " " + colour.percent + " %").join(", ") });
}

function show(report) {
  status.textContent = report.harmony_template && report.harmony_template !== "grey"
    ? label("aesthetics-template", { template: report.harmony_template }) : "";
  palette.textContent = "";
  const colours = report.palette || [];
  palette.setAttribute("aria-label", paletteLabel(colours));
  for (const colour of colours) {
    const swatch = document.createElement("span");
    swatch.className = "asset-aesthetics__swatch";
    swatch.style.background = colour.hex;
    swatch.style.flexGrow = String(colour.share);
    swatch.title = colour.hex + " · " + colour.percent + " %";
    palette.appendChild(swatch);
  }
  list.textContent = "";
  for (const measure of report.measures || []) {
    if (!measure.shown) continue;
    const row = document.createElement("div");
    const term = document.createElement("dt");
    term.textContent = measure.name;
    term.title = measure.explains;
    const value = document.createElement("dd");
    const number = measure.shown;
    value.textContent = measure.compared ? measure.compared + " (" + number + ")" : number;
    value.title = measure.explains + " " + measure.unit;
    row.append(term, value);
    list.appendChild(row);
  }
}

async function load(asset, mine, retries) {
  try {
    const report = await api(urls.asset(asset.id, "aesthetics"));
    if (mine !== token) return;
    if (report.status === "pending") {
      status.textContent = label("aesthetics-pending");
      if (retries > 0) timer = setTimeout(() => load(asset, mine, retries - 1), RETRY_MS);
      return;
    }
    show(report);
    onMeasured(asset, report);
  } catch (error) {
    if (mine === token) status.textContent = label("aesthetics-failed");
  }
}

/* hooks: measured(asset, report), once a report is shown (the library's tile takes its palette). */
export function initAesthetics(hooks) {
  onMeasured = hooks.measured;
}

/* Show the report of `asset` (the player's): the palette, the measures. */
export function showAesthetics(asset) {
  token += 1;
  clearTimeout(timer);
  palette.textContent = "";
  list.textContent = "";
  status.textContent = "";
  box.hidden = false;
  load(asset, token, RETRIES);
}
