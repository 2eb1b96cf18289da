/*
 * The rights pages' few behaviours; each part runs only where its element is on the page, and the
 * pages work without it.
 *
 * 1. Project page, "Registered works" card (#project-works): follows the project's "work" events,
 *    which the project bundle (src/project/) re-dispatches on `document` as
 *    `storyloom:project-event` with detail {type: "work", id, title, status, status_label,
 *    block_number}. A work it does not list yet is added on top. Labels come from the list's
 *    data-label-status-* attributes.
 * 2. Work page, owners form (#owners-form): the running total of the shares.
 * 3. Work page, a registration on its way ([data-work-pending]): reloads the page when its status
 *    changes (checked every few seconds), so the certificate appears once the chain confirms.
 * 4. Register form (#register-form): shows the render picker or the file input, and the custom
 *    terms only for custom terms.
 */

import { el, fill, numberFormat } from "../lib/page.js";

// --- 1. the project's works, live ------------------------------------------------------------

function followProjectWorks(list) {
  const empty = el("project-works-empty");
  const count = el("project-works-count");

  const statusLabel = (status, fallback) => {
    const key = "labelStatus" + status.charAt(0).toUpperCase() + status.slice(1);
    return list.dataset[key] || fallback || status;
  };

  const render = (item, work) => {
    let link = item.querySelector(".work-mini__title");
    if (!link) {
      link = document.createElement("a");
      link.className = "work-mini__title";
      const state = document.createElement("span");
      state.className = "work-mini__state";
      const block = document.createElement("span");
      block.className = "muted small work-mini__block";
      state.append(document.createElement("span"), " ", block);
      item.append(link, " ", state);
    }
    link.href = list.dataset.urlTemplate.replace("WORK_ID", encodeURIComponent(work.id));
    if (work.title) link.textContent = work.title;
    const status = String(work.status || "");
    item.dataset.status = status;
    const badge = item.querySelector(".work-mini__state .badge") || item.querySelector(".work-mini__state > span");
    badge.className = "badge work-status work-status--" + status;
    badge.textContent = statusLabel(status, work.status_label);
    const block = item.querySelector(".work-mini__block");
    if (block) block.textContent = work.block_number ? fill(list.dataset.labelBlock, { number: work.block_number }) : "";
  };

  document.addEventListener("storyloom:project-event", (event) => {
    const work = event.detail;
    if (!work || work.type !== "work" || !work.id) return;
    let item = Array.from(list.querySelectorAll("[data-work-id]")).find((node) => node.dataset.workId === String(work.id));
    if (!item) {
      item = document.createElement("li");
      item.className = "work-mini is-new";
      item.dataset.workId = String(work.id);
      list.insertBefore(item, list.firstElementChild);
      const added = item;
      window.setTimeout(() => added.classList.remove("is-new"), 2500);
    }
    render(item, work);
    if (empty) empty.hidden = true;
    if (count) count.textContent = String(list.children.length);
  });
}

// --- 2. the owners' running total --------------------------------------------------------------

function ownersTotal(form) {
  const total = el("owners-total");
  const wanted = parseInt(form.dataset.total || "10000", 10);
  const number = numberFormat();
  const update = () => {
    let sum = 0;
    for (const input of form.querySelectorAll(".owners-row__bps")) {
      const value = parseInt(input.value, 10);
      if (!isNaN(value)) sum += value;
    }
    let text = fill(form.dataset.labelTotal, { sum: number.format(sum) });
    if (sum < wanted) text += " · " + fill(form.dataset.labelLeft, { left: number.format(wanted - sum) });
    if (sum > wanted) text += " · " + fill(form.dataset.labelOver, { over: number.format(sum - wanted) });
    total.textContent = text;
    total.dataset.state = sum === wanted ? "ok" : "off";
    total.hidden = false;
  };
  form.addEventListener("input", update);
  update();
}

// --- 3. a registration on its way ----------------------------------------------------------------

function reloadWhenConfirmed(badge) {
  const shown = badge.dataset.status;
  let delay = 3000;
  const poll = async () => {
    try {
      const response = await fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } });
      const html = response.ok ? await response.text() : null;
      const fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById("work-status");
      if (fresh && fresh.dataset.status !== shown) window.location.reload();
    } catch (error) {
      /* the next poll tries again */
    }
    delay = Math.min(delay * 1.3, 20000);
    window.setTimeout(poll, delay);
  };
  window.setTimeout(poll, delay);
}

// --- 4. the register form ----------------------------------------------------------------------

function registerForm(form) {
  const sync = () => {
    const source = form.querySelector("input[name=source]:checked");
    const licence = form.querySelector("input[name=licence]:checked");
    for (const part of form.querySelectorAll("[data-source-only]")) {
      part.hidden = !!source && part.dataset.sourceOnly !== source.value;
    }
    for (const part of form.querySelectorAll("[data-licence-only]")) {
      part.hidden = !licence || part.dataset.licenceOnly !== licence.value;
    }
  };
  form.addEventListener("change", sync);
  sync();
}

const works = el("project-works");
if (works) followProjectWorks(works);
const owners = el("owners-form");
if (owners) ownersTotal(owners);
const pending = document.querySelector("[data-work-pending]");
const statusBadge = el("work-status");
if (pending && statusBadge) reloadWhenConfirmed(statusBadge);
const register = el("register-form");
if (register) registerForm(register);
