/*
 * The staff Models page (templates/generation/models.html): while an install runs, polls
 * GET /api/v1/models every two seconds and moves each row's <progress>; once an install ends
 * the page is loaded again, so its state, size and buttons come from the server.
 */

import { el, fill, numberFormat } from "../lib/page.js";

const POLL_MS = 2000;
const bytes = numberFormat({ style: "unit", unit: "megabyte", maximumFractionDigits: 1 });

function show(row, install) {
  const bar = row.querySelector("[data-progress]");
  const text = row.querySelector("[data-progress-text]");
  if (!bar || !install) return;
  const page = el("models-page");
  if (install.bytes_total) {
    bar.max = install.bytes_total;
    bar.value = Math.min(install.bytes_done, install.bytes_total);
    if (text) text.textContent = fill(page.dataset.labelProgressBytes, {
      done: bytes.format(install.bytes_done / 1e6), total: bytes.format(install.bytes_total / 1e6) });
  } else if (install.files_total) {
    bar.max = install.files_total;
    bar.value = install.files_done;
    if (text) text.textContent = fill(page.dataset.labelProgressFiles, {
      done: install.files_done, total: install.files_total });
  }
}

async function poll(page) {
  let models;
  try {
    const response = await fetch(page.dataset.apiUrl, { headers: { Accept: "application/json" },
                                                       credentials: "same-origin" });
    if (!response.ok) return;  // signed out, or no longer staff: the page stays as it is
    models = await response.json();
  } catch (error) {
    window.setTimeout(() => poll(page), POLL_MS * 2);  // the server was not reached: later
    return;
  }
  let running = false;
  for (const model of models) {
    const row = page.querySelector('tr[data-model="' + CSS.escape(model.name) + '"]');
    if (!row) continue;
    if (row.dataset.state !== model.state) {
      window.location.reload();  // an install ended (or began elsewhere): redraw from the server
      return;
    }
    if (model.state === "installing") {
      running = true;
      show(row, model.install);
    }
  }
  if (running) window.setTimeout(() => poll(page), POLL_MS);
}

export function initModels() {
  const page = el("models-page");
  if (page && page.dataset.installing === "true" && window.fetch) window.setTimeout(() => poll(page), POLL_MS);
}
