/*
 * The rights pages' few behaviours. Plain JS, no build step; each part runs only where its
 * element is on the page, and the pages work without it.
 *
 * 1. Project page, "Registered works" card (#project-works): follows the project's "work" events,
 *    which static/js/project-events.js re-dispatches on `document` as `storyloom:project-event`
 *    with detail {type: "work", id, title, status, status_label, block_number}. A work it does not
 *    list yet is added on top. Labels come from the list's data-label-status-* attributes.
 * 2. Work page, owners form (#owners-form): the running total of the shares.
 * 3. Work page, a registration on its way ([data-work-pending]): reloads the page when its status
 *    changes (checked every few seconds), so the certificate appears once the chain confirms.
 * 4. Register form (#register-form): shows the render picker or the file input, and the custom
 *    terms only for custom terms.
 */
(function () {
  "use strict";

  function format(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (whole, key) {
      return values[key] !== undefined ? values[key] : whole;
    });
  }

  // --- 1. the project's works, live --------------------------------------------------------

  var list = document.getElementById("project-works");
  if (list) {
    var empty = document.getElementById("project-works-empty");
    var count = document.getElementById("project-works-count");

    var statusLabel = function (status, fallback) {
      var key = "labelStatus" + status.charAt(0).toUpperCase() + status.slice(1);
      return list.dataset[key] || fallback || status;
    };

    var render = function (item, work) {
      var link = item.querySelector(".work-mini__title");
      if (!link) {
        link = document.createElement("a");
        link.className = "work-mini__title";
        var state = document.createElement("span");
        state.className = "work-mini__state";
        var badge = document.createElement("span");
        var block = document.createElement("span");
        block.className = "muted small work-mini__block";
        state.appendChild(badge);
        state.appendChild(document.createTextNode(" "));
        state.appendChild(block);
        item.appendChild(link);
        item.appendChild(document.createTextNode(" "));
        item.appendChild(state);
      }
      link.href = list.dataset.urlTemplate.replace("WORK_ID", encodeURIComponent(work.id));
      if (work.title) link.textContent = work.title;
      var status = String(work.status || "");
      item.dataset.status = status;
      var badgeEl = item.querySelector(".work-mini__state .badge") || item.querySelector(".work-mini__state > span");
      badgeEl.className = "badge work-status work-status--" + status;
      badgeEl.textContent = statusLabel(status, work.status_label);
      var blockEl = item.querySelector(".work-mini__block");
      if (blockEl) {
        blockEl.textContent = work.block_number ? format(list.dataset.labelBlock, { number: work.block_number }) : "";
      }
    };

    document.addEventListener("storyloom:project-event", function (event) {
      var work = event.detail;
      if (!work || work.type !== "work" || !work.id) return;
      var item = null;
      var items = list.querySelectorAll("[data-work-id]");
      for (var i = 0; i < items.length; i++) {
        if (items[i].dataset.workId === String(work.id)) { item = items[i]; break; }
      }
      if (!item) {
        item = document.createElement("li");
        item.className = "work-mini is-new";
        item.dataset.workId = String(work.id);
        list.insertBefore(item, list.firstElementChild);
        window.setTimeout(function () { item.classList.remove("is-new"); }, 2500);
      }
      render(item, work);
      if (empty) empty.hidden = true;
      if (count) count.textContent = String(list.children.length);
    });
  }

  // --- 2. the owners' running total ----------------------------------------------------------

  var ownersForm = document.getElementById("owners-form");
  if (ownersForm) {
    var totalEl = document.getElementById("owners-total");
    var wanted = parseInt(ownersForm.dataset.total || "10000", 10);
    var number = ("NumberFormat" in Intl) ? new Intl.NumberFormat(document.documentElement.lang || "en") : null;
    var show = function (value) { return number ? number.format(value) : String(value); };
    var update = function () {
      var sum = 0;
      var inputs = ownersForm.querySelectorAll(".owners-row__bps");
      for (var i = 0; i < inputs.length; i++) {
        var value = parseInt(inputs[i].value, 10);
        if (!isNaN(value)) sum += value;
      }
      var text = format(ownersForm.dataset.labelTotal, { sum: show(sum) });
      if (sum < wanted) text += " · " + format(ownersForm.dataset.labelLeft, { left: show(wanted - sum) });
      if (sum > wanted) text += " · " + format(ownersForm.dataset.labelOver, { over: show(sum - wanted) });
      totalEl.textContent = text;
      totalEl.dataset.state = sum === wanted ? "ok" : "off";
      totalEl.hidden = false;
    };
    ownersForm.addEventListener("input", update);
    update();
  }

  // --- 3. a registration on its way -------------------------------------------------------------

  var pending = document.querySelector("[data-work-pending]");
  var statusBadge = document.getElementById("work-status");
  if (pending && statusBadge && window.fetch && window.DOMParser) {
    var shown = statusBadge.dataset.status;
    var delay = 3000;
    var poll = function () {
      fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("work-status");
          if (fresh && fresh.dataset.status !== shown) window.location.reload();
        })
        .catch(function () { /* the next poll tries again */ })
        .then(function () {
          delay = Math.min(delay * 1.3, 20000);
          window.setTimeout(poll, delay);
        });
    };
    window.setTimeout(poll, delay);
  }

  // --- 4. the register form --------------------------------------------------------------------

  var registerForm = document.getElementById("register-form");
  if (registerForm) {
    var sync = function () {
      var source = registerForm.querySelector("input[name=source]:checked");
      var licence = registerForm.querySelector("input[name=licence]:checked");
      var parts = registerForm.querySelectorAll("[data-source-only]");
      for (var i = 0; i < parts.length; i++) {
        parts[i].hidden = !!source && parts[i].dataset.sourceOnly !== source.value;
      }
      var custom = registerForm.querySelectorAll("[data-licence-only]");
      for (var j = 0; j < custom.length; j++) {
        custom[j].hidden = !licence || custom[j].dataset.licenceOnly !== licence.value;
      }
    };
    registerForm.addEventListener("change", sync);
    sync();
  }
})();
