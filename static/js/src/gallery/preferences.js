/*
 * The preferences and welcome forms: each variety slider says its value as it moves; tag rows get
 * a Remove button, and “Add another tag” adds a row (the form works without it: one new row per
 * save).
 */

let added = 0;

function wire(row, add) {
  const remove = row.querySelector(".weight-row__remove");
  remove.hidden = false;
  remove.addEventListener("click", () => {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    const focus = next ? next.querySelector("input") : add;
    if (focus) focus.focus();
  });
}

export function initPreferences() {
  for (const range of document.querySelectorAll("input[type=range]")) {
    const output = document.getElementById(range.id + "_output");
    if (!output) continue;
    const show = () => { output.textContent = range.value; };
    range.addEventListener("input", show);
    show();
  }

  const list = document.getElementById("weight-list");
  const template = document.getElementById("weight-template");
  const add = document.getElementById("weight-add");
  if (!list || !template || !add) return;
  for (const row of list.querySelectorAll(".weight-row")) wire(row, add);
  add.hidden = false;
  add.addEventListener("click", () => {
    const row = template.content.firstElementChild.cloneNode(true);
    added += 1;
    for (const node of row.querySelectorAll("[id]")) node.id = node.id.replace("template", "added-" + added);
    for (const node of row.querySelectorAll("label[for]")) node.htmlFor = node.htmlFor.replace("template", "added-" + added);
    list.appendChild(row);
    wire(row, add);
    row.querySelector("input").focus();
  });
}
