/*
 * The account pages' behaviour (profile, tokens), kept out of the templates for the
 * Content-Security-Policy: the avatar's preview before upload, copying a new token's secret, and
 * linking a wallet (wallet.js).
 */

import { el } from "../lib/page.js";
import { startWalletLink } from "./wallet.js";

// Profile: preview the chosen image before it is uploaded.
const input = document.querySelector("input[type=file][name=avatar]");
const preview = el("avatar-preview");
const initial = el("avatar-initial");
if (input && preview) {
  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    if (!file) return;
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
    if (initial) initial.hidden = true;
  });
}

// Tokens: the new secret is selected when focused, and copied with the button.
const field = el("token-secret");
const button = el("copy-secret");
if (field) field.addEventListener("focus", () => field.select());
if (field && button) {
  button.addEventListener("click", () => {
    field.select();
    const done = () => { button.textContent = button.dataset.copied; };
    const fallback = () => { document.execCommand("copy"); done(); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(field.value).then(done, fallback);
    else fallback();
  });
}

// Profile: link a wallet of one's own (Sign-In with Ethereum through the browser's wallet).
const walletCard = el("wallet");
if (walletCard) startWalletLink(walletCard);
