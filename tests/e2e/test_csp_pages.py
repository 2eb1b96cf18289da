"""Issue 12: the main pages run in a real browser without a single Content-Security-Policy
violation (the policy itself is checked in tests/security/test_csp.py). A browser test lives
here, with the other browser tests: Playwright's event loop must be gone before tests that use
asyncio run (tests/e2e/conftest.py's package-scoped browser)."""

from pathlib import Path
from typing import Any

import pytest

from tests.accounts.factories import UserFactory
from tests.projects.factories import project_with_team

WATCH = """(() => {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
    e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber));
})()"""
TIMEOUT = 15_000


class Watcher:
    """What a browser context reported against the policy: console messages and the pages'
    securitypolicyviolation events, and script errors."""

    def __init__(self, context: Any) -> None:
        self.console: list[str] = []
        self.errors: list[str] = []
        context.add_init_script(WATCH)
        context.on("console", lambda message: self.console.append(message.text)
                   if "Content Security Policy" in message.text else None)
        context.on("weberror", lambda error: self.errors.append(str(error.error)))

    def check(self, page: Any, where: str) -> None:
        # Late scripts, images and styles: until the page has fetched all it asks for, then one
        # more turn of its event loop (violation events are dispatched as tasks).
        page.wait_for_load_state("networkidle")
        events = page.evaluate("new Promise(done => setTimeout(() => done(window.__cspViolations || [])))")
        assert not self.console and not events, f"{where}: {self.console} {events}"
        assert not self.errors, f"{where}: {self.errors}"


def _visit(page: Any, watcher: Watcher, base: str, path: str, ready: str | None = None) -> None:
    from playwright.sync_api import expect

    response = page.goto(f"{base}{path}")
    assert response is not None and response.ok, f"{path}: {response.status if response else None}"
    assert "Content-Security-Policy" in {name.title() for name in response.headers}
    page.wait_for_load_state("load")
    if ready:
        expect(page.locator(ready).first).to_be_visible(timeout=TIMEOUT)
    watcher.check(page, path)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_main_pages_run_without_a_single_violation(browser: Any, tmp_path: Path,
                                                       settings: Any) -> None:
    from playwright.sync_api import expect

    from accounts.services import profile_update
    from recommend.embeddings import embed_missing
    from tests.accounts.factories import image_file
    from tests.e2e.helpers import log_in
    from tests.recommend.gallery_data import publish
    from tests.servers import AsgiServer

    settings.MEDIA_ROOT = tmp_path / "media"
    team = project_with_team(name="Lantern Bay")
    pid = team.project.pk
    profile_update(user=team.owner, avatar=image_file("face.png", size=(48, 48)))
    publication = publish(team.project, team.owner, title="Lanterns on the bay", tags=["ocean"], seed=5)
    embed_missing()
    staff = UserFactory(is_staff=True, is_superuser=True)
    server = AsgiServer.start(MEDIA_ROOT=str(settings.MEDIA_ROOT))
    contexts = []
    try:
        context, page = log_in(browser, server.url, team.owner, "/accounts/profile/")
        contexts.append(context)
        watcher = Watcher(context)
        page.reload()
        expect(page.locator("#avatar-preview")).to_have_js_property("naturalWidth", 48)  # through the view
        watcher.check(page, "profile")
        _visit(page, watcher, server.url, "/", ready="main")
        _visit(page, watcher, server.url, f"/projects/{pid}/", ready=".member-list .avatar")
        hue = page.locator(".activity-list .avatar--initial, .member-list .avatar--initial").first
        if hue.count():
            assert page.evaluate("el => el.style.getPropertyValue('--hue')", hue.element_handle()) != ""
        _visit(page, watcher, server.url, "/gallery/", ready="main")
        _visit(page, watcher, server.url, f"/gallery/works/{publication.public_id}/", ready="#work")
        _visit(page, watcher, server.url, f"/gallery/creators/{team.owner.username}/", ready=".gcreator img")
        _visit(page, watcher, server.url, "/verify/", ready="main form")
        _visit(page, watcher, server.url, "/works/", ready="main")
        _visit(page, watcher, server.url, "/accounts/tokens/", ready="main form")
        page.fill("input[name=name]", "ci")
        page.locator("main form button[type=submit]").first.click()
        expect(page.locator("#token-secret")).to_be_visible(timeout=TIMEOUT)
        page.click("#copy-secret")
        watcher.check(page, "tokens (new secret)")
        _visit(page, watcher, server.url, "/api/docs/", ready=".swagger-ui .info")

        # The storyboard, with someone else's caret drawn in a prompt (remote-carets.js).
        editor_ctx, editor = log_in(browser, server.url, team.editor, f"/projects/{pid}/storyboard/")
        contexts.append(editor_ctx)
        editor_watch = Watcher(editor_ctx)
        editor.reload()
        _visit(page, watcher, server.url, f"/projects/{pid}/storyboard/", ready="#storyboard-status")
        for who in (page, editor):
            expect(who.locator("#storyboard-status")).to_have_attribute("data-state", "connected",
                                                                       timeout=TIMEOUT)
        page.click("#add-scene")
        prompt = "[data-scene-id] [data-field=prompt] .cm-content"
        expect(editor.locator(prompt)).to_have_count(1, timeout=TIMEOUT)
        editor.locator(prompt).click()
        editor.keyboard.type("lanterns")
        caret = page.locator("[data-field=prompt] .cm-ySelectionCaret")
        expect(caret).to_have_count(1, timeout=TIMEOUT)
        assert caret.evaluate("el => el.style.borderColor") != ""  # coloured through the CSSOM
        watcher.check(page, "storyboard")
        editor_watch.check(editor, "storyboard (editor)")

        admin_ctx, admin = log_in(browser, server.url, staff, "/admin/")
        contexts.append(admin_ctx)
        admin_watch = Watcher(admin_ctx)
        for path in ("/admin/", "/admin/generation/job/", "/admin/accounts/user/"):
            _visit(admin, admin_watch, server.url, path, ready="#content")
    finally:
        for context in contexts:
            context.close()
        server.stop()
