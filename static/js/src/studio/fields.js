/*
 * What the generate and remix forms share: the API's errors shown on the form, prompt length
 * counters, parts shown per mode or kind, numbers read from inputs.
 */

import { MAX_PROMPT, el, integer, label } from "./util.js";

export function clearErrors(form, prefix) {
  for (const list of form.querySelectorAll(".field__errors")) list.textContent = "";
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  for (const field of form.querySelectorAll(".field--error")) field.classList.remove("field--error");
  el(prefix + "-form-error").hidden = true;
  el(prefix + "-form-list").textContent = "";
}

export function fieldVisible(field) {
  for (let node = field; node && node !== document.body; node = node.parentElement) {
    if (node.hidden) return false;
  }
  return true;
}

/* The API's {"error": {message, fields}} on the form: each field's messages under it, the rest
   (a storyboard's "scenes", unknown fields, the quota) in the alert above the form. */
export function showErrors(form, prefix, error) {
  clearErrors(form, prefix);
  const alert = el(prefix + "-form-error");
  const list = el(prefix + "-form-list");
  let firstControl = null;
  let general = 0;
  for (const [name, messages] of Object.entries(error.fields || {})) {
    const field = form.querySelector('[data-field="' + CSS.escape(name) + '"]');
    const errors = el(prefix + "-" + name + "-errors");
    const target = field && errors && fieldVisible(field) ? errors : list;
    for (const message of messages) {
      const item = document.createElement("li");
      item.textContent = message;
      target.appendChild(item);
    }
    if (target === list) {
      general += messages.length;
    } else {
      field.classList.add("field--error");
      const control = field.querySelector("input, select, textarea");
      if (control) {
        control.setAttribute("aria-invalid", "true");
        firstControl = firstControl || control;
      }
    }
  }
  el(prefix + "-form-message").textContent = error.message;
  alert.hidden = false;
  if (general || !firstControl) {
    alert.focus();
  } else {
    firstControl.focus();
  }
}

/* A field the user is typing in is no longer marked wrong. */
export function clearFieldErrorOnInput(form) {
  form.addEventListener("input", (event) => {
    const field = event.target.closest(".field--error");
    if (field) {
      field.classList.remove("field--error");
      event.target.removeAttribute("aria-invalid");
    }
  });
}

export function updateCounter(counter) {
  const input = el(counter.dataset.counterFor);
  if (!input) return;
  const count = Array.from(input.value).length;
  counter.textContent = label("counter", { count: integer.format(count), max: integer.format(MAX_PROMPT) });
  counter.classList.toggle("is-near", count >= MAX_PROMPT * 0.9);
}

export function initCounters(root) {
  for (const counter of root.querySelectorAll("[data-counter-for]")) {
    const input = el(counter.dataset.counterFor);
    if (input) input.addEventListener("input", () => updateCounter(counter));
    updateCounter(counter);
  }
}

/* Show the parts marked data-mode-only / data-kind-only that fit `mode` and `kind`. */
export function setVisibility(form, mode, kind) {
  for (const node of form.querySelectorAll("[data-mode-only], [data-kind-only]")) {
    const modeOk = !node.dataset.modeOnly || node.dataset.modeOnly === mode;
    const kindOk = !node.dataset.kindOnly || node.dataset.kindOnly === kind;
    node.hidden = !(modeOk && kindOk);
  }
}

/* The input's number; undefined when blank; the text itself when not a number (the API says why). */
export function readNumber(form, name) {
  const input = form.elements.namedItem(name);
  if (!input || input.value.trim() === "") return undefined;
  const value = Number(input.value);
  return Number.isFinite(value) ? value : input.value;
}
