/*
 * The “Why this?” and “⋯” popovers: native popovers (the panel after each button has the `popover`
 * attribute and is the button's popover target), so the browser shows them in the top layer, one
 * at a time, and closes them on a click elsewhere. Here: the button's aria-expanded, the focus (a
 * menu opens on its first item; Escape closes and gives the focus back to the button), Tab out of
 * a menu closes it, and a menu (role="menu") is walked with the arrow keys. gallery.css places
 * each panel above its button (CSS anchor positioning).
 */

let open = null;  // {button, panel}: the popover shown

function items(panel) {
  return Array.from(panel.querySelectorAll("[role=menuitem]:not([disabled])"));
}

/* Each popover button in `scope` (data-action="why" or "menu") gets its panel as its target. */
export function initPopovers(scope) {
  for (const button of scope.querySelectorAll("[data-action=why], [data-action=menu]")) {
    const panel = button.nextElementSibling;
    if (!panel || !panel.hasAttribute("popover") || button.popoverTargetElement === panel) continue;
    button.popoverTargetElement = panel;
    panel.addEventListener("toggle", (event) => {
      const shown = event.newState === "open";
      button.setAttribute("aria-expanded", shown ? "true" : "false");
      if (shown) {
        open = { button, panel };
        const first = panel.getAttribute("role") === "menu" && items(panel)[0];
        if (first) first.focus();
      } else if (open && open.panel === panel) {
        open = null;
      }
    });
  }
}

export function closePopover({ focus = false } = {}) {
  if (!open) return;
  const { button, panel } = open;
  open = null;
  if (panel.matches(":popover-open")) panel.hidePopover();
  button.setAttribute("aria-expanded", "false");
  if (focus && button.isConnected) button.focus();
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
