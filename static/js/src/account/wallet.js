/*
 * Linking a wallet of one's own (the profile's Wallet card): Sign-In with Ethereum (EIP-4361)
 * through any EIP-1193 provider (window.ethereum), nothing else of it:
 *   1. eth_requestAccounts: the address the person chooses;
 *   2. POST /api/v1/profile/wallet/challenge {address}: the message the server composed and keeps;
 *   3. personal_sign [hex of the message's UTF-8, address]: the wallet shows it and signs (EIP-191);
 *   4. POST /api/v1/profile/wallet {message, signature}: the server links the wallet or says why not.
 * Then the page reloads, and the server shows the linked wallet (reading needs no script).
 */

import { ApiError, restClient } from "../lib/api.js";
import { csrfToken, labels } from "../lib/page.js";

const USER_REJECTED = 4001; // EIP-1193: the user rejected the request

function utf8Hex(text) {
  let hex = "0x";
  for (const byte of new TextEncoder().encode(text)) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

export function startWalletLink(card) {
  const button = card.querySelector("#wallet-link");
  const status = card.querySelector("#wallet-status");
  if (!button || !status) return;
  const label = labels(card);
  const api = restClient({ label, csrfToken: () => csrfToken(card) });

  function say(text, { error = false } = {}) {
    status.textContent = text;
    status.classList.toggle("wallet__status--error", error);
  }

  async function link() {
    const provider = window.ethereum;
    if (!provider || typeof provider.request !== "function") {
      say(label("no-provider"), { error: true });
      return;
    }
    button.disabled = true;
    try {
      say(label("connecting"));
      const accounts = await provider.request({ method: "eth_requestAccounts" });
      const address = Array.isArray(accounts) ? accounts[0] : null;
      if (!address) {
        say(label("no-account"), { error: true });
        return;
      }
      const challenge = await api(card.dataset.challengeUrl, { method: "POST", body: { address } });
      say(label("signing"));
      const signature = await provider.request({
        method: "personal_sign", params: [utf8Hex(challenge.message), address] });
      say(label("checking"));
      const wallet = await api(card.dataset.linkUrl, {
        method: "POST", body: { message: challenge.message, signature } });
      say(label("linked", { address: wallet.address }));
      window.location.reload();
    } catch (error) {
      if (error instanceof ApiError) say(error.message, { error: true });
      else if (error && error.code === USER_REJECTED) say(label("rejected"), { error: true });
      else say(label("wallet-error", { reason: (error && error.message) || String(error) }), { error: true });
    } finally {
      button.disabled = false;
    }
  }

  button.addEventListener("click", link);
  button.hidden = false;
}
