/* A creator's page and saved works: the cards' actions, and following. */

import { initActions } from "./actions.js";
import { initCardList } from "./cards.js";
import { initFollow } from "./follow.js";
import { root } from "./util.js";

if (root && window.fetch) {
  initActions(root);
  initFollow(root);
  initCardList(root);
}
