"""The collaborative storyboard in real browsers: an owner (desktop) and an editor (phone) type
into the same scene prompt at once and converge, see each other's caret and presence; a viewer
follows along read-only; the server's copy matches. Then scenes, comments, versions, offline."""

import contextlib
import re
from itertools import zip_longest

import pytest

from kernel.paths import VAR_DIR
from tests.e2e.helpers import log_in
from tests.projects.factories import project_with_team
from tests.waiting import WaitTimeout, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = VAR_DIR / "e2e"
TIMEOUT = 10_000


def _open_storyboard(browser, base: str, user, project_id: int, **viewport):
    return log_in(browser, base, user, f"/projects/{project_id}/storyboard/", **viewport)


def _connected(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#storyboard-status")).to_have_attribute("data-state", "connected",
                                                                 timeout=TIMEOUT)


def _prompt(page, index: int = 0):
    return page.locator("[data-scene-id]").nth(index).locator("[data-field=prompt] .cm-content")


# The editor's text without the remote carets y-codemirror.next draws inside it.
TEXT_OF = """el => { const copy = el.cloneNode(true);
  copy.querySelectorAll('.cm-ySelectionCaret, .cm-widgetBuffer').forEach(w => w.remove());
  return Array.from(copy.querySelectorAll('.cm-line'), line => line.textContent).join('\\n') }"""


def _expect_text(locator, expected: str, timeout: int = TIMEOUT) -> None:
    text = [None]

    def reads() -> bool:
        try:
            text[0] = locator.evaluate(TEXT_OF, timeout=1000)
        except Exception:  # the card was being re-rendered (a reorder)
            text[0] = None
        return text[0] == expected

    wait_until(reads, timeout=timeout / 1000,
               message=lambda: f"expected the editor to read {expected!r}, it reads {text[0]!r}")


def _server_storyboard(context, base: str, project_id: int, check) -> dict:
    """The document as the server's REST API returns it, once `check` accepts it (or as it is
    when TIMEOUT passes first: the caller's asserts say what is wrong with it)."""
    data: list[dict] = []

    def accepted() -> bool:
        response = context.request.get(f"{base}/api/v1/projects/{project_id}/storyboard")
        assert response.ok, response.text()
        data[:] = [response.json()]
        return bool(check(data[0]))

    with contextlib.suppress(WaitTimeout):
        wait_until(accepted, timeout=TIMEOUT / 1000, interval=0.1)
    return data[0]


def test_two_people_type_in_one_prompt_and_a_viewer_follows(browser, live_server_url):
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    team = project_with_team(name="Harbour Lights")
    pid = team.project.id
    owner_ctx, owner = _open_storyboard(browser, live_server_url, team.owner, pid)
    editor_ctx, editor = _open_storyboard(browser, live_server_url, team.editor, pid,
                                          width=390, height=844)  # a phone
    viewer_ctx = None
    try:
        _connected(owner)
        _connected(editor)
        owner.click("#add-scene")
        expect(owner.locator("[data-scene-id]")).to_have_count(1)
        expect(editor.locator("[data-scene-id]")).to_have_count(1, timeout=TIMEOUT)

        # The owner starts the prompt...
        _prompt(owner).click()
        owner.keyboard.type("at dusk")
        _expect_text(_prompt(editor), "at dusk")

        # ...then both type at once, keystroke by keystroke, neither waiting for the other:
        # the owner at the start, the editor at the end.
        owner.keyboard.press("Control+Home")
        _prompt(editor).click()
        editor.keyboard.press("Control+End")
        for mine, theirs in zip_longest("Harbour ", " with gulls"):
            if mine:
                owner.keyboard.type(mine)
            if theirs:
                editor.keyboard.type(theirs)
        expected = "Harbour at dusk with gulls"
        _expect_text(_prompt(owner), expected)
        _expect_text(_prompt(editor), expected)

        # Each sees the other: avatar at the top, caret with the name in the prompt, a marker
        # on the scene card.
        owner_name, editor_name = team.owner.name, team.editor.name
        expect(owner.locator(f'#presence [data-client-id][title="{editor_name}"]')).to_have_count(1)
        expect(editor.locator(f'#presence [data-client-id][title="{owner_name}"]')).to_have_count(1)
        expect(owner.locator("[data-field=prompt] .cm-ySelectionInfo")).to_have_text(
            [editor_name], timeout=TIMEOUT)
        expect(editor.locator("[data-field=prompt] .cm-ySelectionInfo")).to_have_text(
            [owner_name], timeout=TIMEOUT)
        expect(owner.locator("[data-scene-id] .scene-card__here [data-client-id]")).to_have_count(1)

        # The server holds the same text.
        data = _server_storyboard(owner_ctx, live_server_url, pid,
                                  lambda d: [s["prompt"] for s in d["scenes"]] == [expected])
        assert [s["prompt"] for s in data["scenes"]] == [expected]

        # A viewer sees everything live, and can change nothing.
        viewer_ctx, viewer = _open_storyboard(browser, live_server_url, team.viewer, pid)
        _connected(viewer)
        _expect_text(_prompt(viewer), expected)
        expect(_prompt(viewer)).to_have_attribute("contenteditable", "false")
        expect(viewer.locator("#add-scene")).to_have_count(0)
        expect(viewer.locator("#read-only-notice")).to_be_visible()
        expect(viewer.locator("#storyboard-title")).to_have_attribute("readonly", "")
        expect(viewer.locator("[data-scene-id] input[data-key=duration]")).to_be_disabled()
        expect(viewer.locator("[data-scene-id] [data-action=delete]")).to_have_count(0)
        expect(viewer.locator("#version-form")).to_have_count(0)
        expect(owner.locator(f'#presence [title="{team.viewer.name}"]')).to_have_count(1,
                                                                                     timeout=TIMEOUT)
        owner.keyboard.type("!")  # still live for the viewer
        _expect_text(_prompt(viewer), "Harbour !at dusk with gulls")

        owner.screenshot(path=str(SHOTS / "storyboard-owner.png"), full_page=True)
        editor.screenshot(path=str(SHOTS / "storyboard-editor-phone.png"), full_page=True)
        viewer.screenshot(path=str(SHOTS / "storyboard-viewer.png"), full_page=True)

        # Someone leaving disappears from the others' presence (no ghost avatars).
        viewer_ctx.close()
        viewer_ctx = None
        expect(owner.locator(f'#presence [title="{team.viewer.name}"]')).to_have_count(0,
                                                                                     timeout=TIMEOUT)
    finally:
        for context in (owner_ctx, editor_ctx, viewer_ctx):
            if context is not None:
                context.close()


def test_scenes_comments_and_versions(browser, live_server_url):
    from playwright.sync_api import expect

    team = project_with_team(name="Night Ferry")
    pid = team.project.id
    owner_ctx, owner = _open_storyboard(browser, live_server_url, team.owner, pid)
    editor_ctx, editor = _open_storyboard(browser, live_server_url, team.editor, pid)
    owner.on("dialog", lambda dialog: dialog.accept())
    try:
        _connected(owner)
        _connected(editor)

        # Title and two scenes; the second moves up with the keyboard-accessible button.
        owner.fill("#storyboard-title", "Night Ferry")
        expect(editor.locator("#storyboard-title")).to_have_value("Night Ferry", timeout=TIMEOUT)
        owner.click("#add-scene")
        owner.keyboard.type("Gangway at night")
        owner.click("#add-scene")
        owner.keyboard.type("Lighthouse beam")
        _expect_text(_prompt(editor, 1), "Lighthouse beam")
        ids = [owner.locator("[data-scene-id]").nth(i).get_attribute("data-scene-id") for i in (0, 1)]
        owner.locator("[data-scene-id]").nth(1).locator("[data-action=move-up]").click()
        expect(owner.locator("[data-scene-id]").nth(0)).to_have_attribute("data-scene-id", ids[1])
        expect(editor.locator("[data-scene-id]").nth(0)).to_have_attribute("data-scene-id", ids[1],
                                                                          timeout=TIMEOUT)
        _expect_text(_prompt(editor, 0), "Lighthouse beam")
        # The keyboard stays on the moved card (on "down": "up" is disabled at the top).
        expect(owner.locator("[data-scene-id]").nth(0).locator("[data-action=move-down]")).to_be_focused()

        # Plain fields: the editor sets a seed and a camera note; the owner sees them.
        scene = editor.locator("[data-scene-id]").nth(0)
        scene.locator("input[data-key=seed]").fill("1234")
        scene.locator("input[data-key=camera]").fill("slow dolly-in")
        scene.locator("input[data-key=camera]").press("Enter")
        mine = owner.locator("[data-scene-id]").nth(0)
        expect(mine.locator("input[data-key=seed]")).to_have_value("1234", timeout=TIMEOUT)
        expect(mine.locator("input[data-key=camera]")).to_have_value("slow dolly-in", timeout=TIMEOUT)

        # A comment thread: the owner comments, the editor replies, the owner resolves it.
        mine.locator("summary").click()
        mine.locator("[data-role=comment-form] textarea").fill("Brighter beam?")
        mine.locator("[data-role=comment-form] button[type=submit]").click()
        scene.locator("summary").click()
        thread = scene.locator(".thread")
        expect(thread).to_contain_text("Brighter beam?", timeout=TIMEOUT)
        expect(thread).to_contain_text(team.owner.name)
        thread.locator("[data-action=reply]").click()
        thread.locator("[data-role=reply-form] textarea").fill("Yes, and add fog")
        thread.locator("[data-role=reply-form] button[type=submit]").click()
        expect(mine.locator(".thread .reply-list")).to_contain_text("Yes, and add fog", timeout=TIMEOUT)
        mine.locator(".thread [data-action=resolve]").click()
        expect(scene.locator(".thread")).to_have_class(re.compile("is-resolved"), timeout=TIMEOUT)
        editor.screenshot(path=str(SHOTS / "storyboard-comments.png"), full_page=True)

        data = _server_storyboard(owner_ctx, live_server_url, pid,
                                  lambda d: bool(d["scenes"] and d["scenes"][0]["comments"]
                                                 and d["scenes"][0]["comments"][0]["resolved"]))
        assert data["title"] == "Night Ferry"
        assert [s["id"] for s in data["scenes"]] == [ids[1], ids[0]]
        first = data["scenes"][0]
        assert (first["prompt"], first["seed"], first["camera"]) == ("Lighthouse beam", 1234, "slow dolly-in")
        comment = first["comments"][0]
        assert (comment["text"], comment["author"], comment["resolved"]) == (
            "Brighter beam?", team.owner.username, True)
        assert [r["text"] for r in comment["replies"]] == ["Yes, and add fog"]

        # A version, then a change, then restore: everyone's page shows the version again.
        owner.fill("#version-label", "Two scenes")
        owner.click("#version-form button[type=submit]")
        expect(owner.locator("#version-list .version")).to_have_count(1, timeout=TIMEOUT)
        expect(editor.locator("#version-list .version")).to_contain_text("Two scenes", timeout=TIMEOUT)
        owner.locator("[data-scene-id]").nth(1).locator("[data-action=delete]").click()
        expect(editor.locator("[data-scene-id]")).to_have_count(1, timeout=TIMEOUT)
        owner.locator("#version-list [data-action=preview]").click()
        expect(owner.locator("#version-preview")).to_contain_text("Gangway at night")
        owner.screenshot(path=str(SHOTS / "storyboard-version-preview.png"))
        owner.locator("#version-preview [data-action=restore-previewed]").click()
        expect(editor.locator("[data-scene-id]")).to_have_count(2, timeout=TIMEOUT)
        _expect_text(_prompt(editor, 1), "Gangway at night")
        expect(owner.locator("#contribution-rows tr")).not_to_have_count(0, timeout=TIMEOUT)

        # Drag the second card by its handle above the first one.
        cards = owner.locator("[data-scene-id]")
        for _attempt in range(3):  # a synthetic HTML5 drag is sometimes dropped by a busy browser
            handle = cards.nth(1).locator(".scene-card__handle")
            handle.drag_to(cards.nth(0), target_position={"x": 80, "y": 8})
            try:
                expect(cards.nth(0)).to_have_attribute("data-scene-id", ids[0], timeout=3000)
                break
            except AssertionError:
                continue
        expect(editor.locator("[data-scene-id]").nth(0)).to_have_attribute("data-scene-id", ids[0],
                                                                          timeout=TIMEOUT)
        _expect_text(_prompt(editor, 0), "Gangway at night")
        # The comment thread moved with its scene.
        expect(editor.locator("[data-scene-id]").nth(1).locator(".thread")).to_have_count(1)

    finally:
        owner_ctx.close()
        editor_ctx.close()


def test_offline_edits_merge_on_reconnect(browser, live_server_url):
    """While one page is offline both sides keep editing; the state shows it; all merges."""
    from playwright.sync_api import expect

    team = project_with_team(name="Fog Bank")
    pid = team.project.id
    owner_ctx, owner = _open_storyboard(browser, live_server_url, team.owner, pid)
    editor_ctx, editor = _open_storyboard(browser, live_server_url, team.editor, pid)
    try:
        _connected(owner)
        _connected(editor)
        owner.click("#add-scene")
        owner.keyboard.type("Lighthouse beam")
        _expect_text(_prompt(editor, 0), "Lighthouse beam")
        editor_here = owner.locator(f'#presence [data-client-id][title="{team.editor.name}"]')
        expect(editor_here).to_have_count(1, timeout=TIMEOUT)  # (to see it go away below)

        editor.evaluate("window.storyloomStoryboard.provider.disconnect()")
        expect(editor.locator("#storyboard-status")).to_have_attribute("data-state", "offline")
        _prompt(editor, 0).click()
        editor.keyboard.press("Control+End")
        editor.keyboard.type(" over fog")
        _prompt(owner, 0).click()
        owner.keyboard.press("Control+Home")
        owner.keyboard.type("Sweeping ")
        _expect_text(_prompt(editor, 0), "Lighthouse beam over fog")
        _expect_text(_prompt(owner, 0), "Sweeping Lighthouse beam")
        # The other page's socket going away does not disturb this one (once the server has
        # handled it: the editor is gone from the owner's presence).
        expect(editor_here).to_have_count(0, timeout=TIMEOUT)
        expect(owner.locator("#storyboard-status")).to_have_attribute("data-state", "connected")
        editor.evaluate("window.storyloomStoryboard.provider.connect()")
        _connected(editor)
        merged = "Sweeping Lighthouse beam over fog"
        _expect_text(_prompt(editor, 0), merged)
        _expect_text(_prompt(owner, 0), merged)
        data = _server_storyboard(owner_ctx, live_server_url, pid,
                                  lambda d: [s["prompt"] for s in d["scenes"]] == [merged])
        assert [s["prompt"] for s in data["scenes"]] == [merged]
    finally:
        owner_ctx.close()
        editor_ctx.close()
