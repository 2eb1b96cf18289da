/*
 * The account pages' behaviour (profile, tokens), kept out of the templates for the
 * Content-Security-Policy: the avatar's preview before upload, and copying a new token's secret.
 */
(function () {
  "use strict";

  // Profile: preview the chosen image before it is uploaded.
  var input = document.querySelector("input[type=file][name=avatar]");
  var preview = document.getElementById("avatar-preview");
  var initial = document.getElementById("avatar-initial");
  if (input && preview && window.URL) {
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) return;
      preview.src = URL.createObjectURL(file);
      preview.hidden = false;
      if (initial) initial.hidden = true;
    });
  }

  // Tokens: the new secret is selected when focused, and copied with the button.
  var field = document.getElementById("token-secret");
  var button = document.getElementById("copy-secret");
  if (field) field.addEventListener("focus", function () { field.select(); });
  if (field && button) {
    button.addEventListener("click", function () {
      field.select();
      var done = function () { button.textContent = button.dataset.copied; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          document.execCommand("copy"); done();
        });
      } else {
        document.execCommand("copy"); done();
      }
    });
  }
})();
