/*
 * Follow buttons (button[data-follow=username], aria-pressed): at once, taken back with a message
 * if the server refuses; data-count names the followers count to keep in step.
 */

import { api } from "./api.js";
import { toast } from "./toast.js";
import { integer, label, urls } from "./util.js";

function show(button, on) {
  button.setAttribute("aria-pressed", on ? "true" : "false");
  button.textContent = on ? label("following") : label("follow");
  button.classList.toggle("btn--primary", !on);
  button.classList.toggle("btn--ghost", on);
  const count = button.dataset.count && document.querySelector(button.dataset.count);
  if (count) {
    const value = Number((count.textContent || "0").replace(/\D/g, "")) || 0;
    count.textContent = integer(Math.max(0, value + (on ? 1 : -1)));
  }
}

async function toggle(button) {
  if (button.dataset.busy) return;
  const on = button.getAttribute("aria-pressed") !== "true";
  show(button, on);
  button.dataset.busy = "1";
  try {
    await api(urls.follow(button.dataset.follow), { method: on ? "POST" : "DELETE" });
  } catch (error) {
    show(button, !on);
    toast(label("follow-failed", { message: error.message }), { error: true });
  } finally {
    delete button.dataset.busy;
  }
}

export function initFollow(scope) {
  for (const button of scope.querySelectorAll("button[data-follow]")) {
    const on = button.getAttribute("aria-pressed") === "true";
    button.classList.toggle("btn--primary", !on);
    button.classList.toggle("btn--ghost", on);
    button.addEventListener("click", () => toggle(button));
  }
}
