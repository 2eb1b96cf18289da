/*
 * The publish page's predicted reception (templates/recommend/_reception.html): while the render is
 * measured and its prompt read, ask the page again every few seconds and put in the section it
 * then has (drawn by the server, in the viewer's language).
 */

const EVERY_MS = 2500;
const TRIES = 24;

export function watchReception(section) {
  if (section.dataset.status !== "pending") return;
  let tries = 0;
  const ask = async () => {
    tries += 1;
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin",
                                                            headers: { Accept: "text/html" } });
      if (response.ok) {
        const page = new DOMParser().parseFromString(await response.text(), "text/html");
        const fresh = page.getElementById("reception");
        if (fresh && fresh.dataset.status !== "pending") {
          section.replaceWith(document.importNode(fresh, true));
          return;
        }
      }
    } catch (error) {
      // (the network came and went: the next try will tell)
    }
    if (tries < TRIES) setTimeout(ask, EVERY_MS);
  };
  setTimeout(ask, EVERY_MS);
}
