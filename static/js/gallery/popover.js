/*
 * Popovers: a button with aria-expanded shows the panel after it (“Why this?”, the “⋯” menu).
 * One is open at a time; Escape, a click elsewhere or Tab out of a menu closes it, and Escape
 * gives the focus back to its button. A menu (role="menu") is walked with the arrow keys.
 */

let open = null;  // {button, panel}
let counter = 0;

/* The panel a button controls: its next sibling, tied to it by id for assistive technology. */
export function panelOf(button) {
  const panel = button.nextElementSibling;
  if (panel && !panel.id) panel.id = "gallery-popover-" + (++counter);
  if (panel) button.setAttribute("aria-controls", panel.id);
  return panel;
}

function items(panel) {
  return Array.from(panel.querySelectorAll("[role=menuitem]:not([disabled])"));
}

export function closePopover({ focus = false } = {}) {
  if (!open) return;
  const { button, panel } = open;
  open = null;
  panel.hidden = true;
  button.setAttribute("aria-expanded", "false");
  if (focus && button.isConnected) button.focus();
}

export function togglePopover(button) {
  const panel = panelOf(button);
  if (!panel) return;
  const wasOpen = open && open.button === button;
  closePopover();
  if (wasOpen) return;
  panel.hidden = false;
  button.setAttribute("aria-expanded", "true");
  open = { button, panel };
  // Near the right edge, open towards the left.
  panel.classList.remove("popover--left");
  if (panel.getBoundingClientRect().right > document.documentElement.clientWidth - 8) {
    panel.classList.add("popover--left");
  }
  if (panel.getAttribute("role") === "menu") {
    const first = items(panel)[0];
    if (first) first.focus();
  }
}

document.addEventListener("keydown", (event) => {
  if (!open) return;
  if (event.key === "Escape") {
    event.preventDefault();
    closePopover({ focus: true });
    return;
  }
  if (open.panel.getAttribute("role") !== "menu") return;
  const list = items(open.panel);
  const index = list.indexOf(document.activeElement);
  let next = null;
  if (event.key === "ArrowDown") next = list[(index + 1) % list.length];
  else if (event.key === "ArrowUp") next = list[(index - 1 + list.length) % list.length];
  else if (event.key === "Home") next = list[0];
  else if (event.key === "End") next = list[list.length - 1];
  else if (event.key === "Tab") closePopover();
  if (next) {
    event.preventDefault();
    next.focus();
  }
});

document.addEventListener("click", (event) => {
  if (open && !open.panel.contains(event.target) && !open.button.contains(event.target)) closePopover();
});
