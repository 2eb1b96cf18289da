/*
 * What every page does (loaded by base.html; no inline scripts or styles under the
 * Content-Security-Policy):
 * - forms with data-confirm ask before they are sent (remove, leave, revoke...);
 * - initials avatars take their colour from data-hue (set through the CSSOM, which the policy
 *   allows, instead of a style attribute, which it does not).
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  function paintHues(root) {
    var marked = root.querySelectorAll("[data-hue]");
    for (var i = 0; i < marked.length; i++) {
      var hue = Number(marked[i].getAttribute("data-hue"));
      if (isFinite(hue)) marked[i].style.setProperty("--hue", String(hue));
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { paintHues(document); });
  } else {
    paintHues(document);
  }
})();
