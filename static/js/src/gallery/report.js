/*
 * Reporting a work (#report-dialog, templates/recommend/_tools.html): a reason and a note; the
 * work is hidden from the reporter once the report is in.
 */

import { api } from "./api.js";
import { toast } from "./toast.js";
import { el, label, urls } from "./util.js";

let target = null;  // {container, done}

function showError(message) {
  const box = el("report-error");
  box.textContent = message;
  box.hidden = !message;
}

/* Ask about the work in `container`; `done()` runs once the report is in. */
export function openReport(container, done) {
  const dialog = el("report-dialog");
  if (!dialog) return;
  target = { container, done };
  el("report-form").reset();
  showError("");
  el("report-work").textContent = container.dataset.title || "";
  dialog.showModal();
  const first = dialog.querySelector("input[name=reason]");
  if (first) first.focus();
}

function close() {
  const dialog = el("report-dialog");
  dialog.close();
  const button = target && target.container.querySelector("[data-action=menu], [data-action=report]");
  if (button && button.isConnected) button.focus();
}

async function submit(event) {
  event.preventDefault();
  if (!target) return;
  const form = el("report-form");
  const reason = form.querySelector("input[name=reason]:checked");
  if (!reason) {
    showError(label("choose-reason"));
    return;
  }
  const sent = target;
  try {
    await api(urls.work(sent.container.dataset.id, "report"), {
      method: "POST", body: { reason: reason.value, note: form.elements.note.value.trim() } });
  } catch (error) {
    showError(label("report-failed", { message: error.message }));
    return;
  }
  close();
  target = null;
  sent.done();
  toast(label("reported"));
}

const form = el("report-form");
if (form) {
  form.addEventListener("submit", submit);
  el("report-cancel").addEventListener("click", close);
}
