"""The main pages checked with axe-core (the engine browsers' own accessibility tools use) in a
real browser: no serious or critical violation on the home page, the gallery and a work, a
project and its storyboard, verify, a certificate, the account pages, the inbox, and the staff's
models and moderation pages, for a visitor and for a member, on a desktop and on a phone."""

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from accounts.models import User
from rights.fingerprints import fingerprint
from rights.keys import user_address
from rights.models import Owner, RegistrationMode, Work, WorkStatus
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.projects.factories import Team, project_with_team
from tests.recommend.gallery_data import publish
from tests.servers import AsgiServer, free_port

pytestmark = pytest.mark.django_db(transaction=True)
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def _png(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    buffer = io.BytesIO()
    Image.fromarray((rng.random((6, 6, 3)) * 255).astype(np.uint8)).resize((96, 96)).save(buffer, "PNG")
    return buffer.getvalue()


def _registered(team: Team) -> Work:
    """A work registered as the chain's confirmation leaves it (the certificate reads the rest)."""
    prints = fingerprint(io.BytesIO(_png(3)), max_bytes=2**20)
    work = Work.objects.create(title="Lighthouse", created_by=team.owner, project=team.project,
                               mime=prints.mime, size=prints.size, sha256=prints.sha256, iscc=prints.iscc,
                               phash=prints.phash,
                               terms_sha256="0" * 64, mode=RegistrationMode.SINGLE, block_number=12,
                               status=WorkStatus.REGISTERED, registrant="0x" + "ab" * 20)
    Owner.objects.create(work=work, user=team.owner, address=user_address(team.owner.pk), bps=10_000,
                         position=0)
    return work


def _signed_in(browser: Any, base: str, user: User, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, "the log-in failed"
    page.close()
    return context


def _violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in result["violations"] if v["impact"] in BLOCKING]


def _check(context: Any, base: str, pages: dict[str, str]) -> dict[str, list[str]]:
    found = {}
    for name, path in pages.items():
        page = context.new_page()
        response = page.goto(base + path, wait_until="load")
        assert response is not None and response.status == 200, f"{name}: {path} answered {response}"
        page.wait_for_timeout(300)  # scripts fill in live parts (feed, presence, progress)
        if problems := _violations(page):
            found[name] = problems
        page.close()
    return found


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_the_main_pages_have_no_serious_accessibility_violations(browser: Any, tmp_path: Path, settings: Any,
                                                                 viewport: dict[str, int]) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    team = project_with_team(name="Harbour films")
    member: User = team.owner
    User.objects.filter(pk=member.pk).update(is_staff=True)  # the staff pages too
    published = publish(team.project, member, title="Tide pools", tags=["ocean"], seed=1)
    work = _registered(team)
    server = AsgiServer.start(MEDIA_ROOT=str(settings.MEDIA_ROOT),
                              CHAIN_RPC_URL=f"http://127.0.0.1:{free_port()}")  # the node unreachable
    try:
        visitor = browser.new_context(viewport=viewport, bypass_csp=True)  # to inject axe
        found = _check(visitor, server.url, {
            "home": "/", "gallery": "/gallery/", "work": f"/gallery/works/{published.public_id}/",
            "verify": "/verify/", "certificate": f"/works/{work.public_id}/",
            "log in": "/accounts/login/", "sign up": "/accounts/signup/"})
        # The harness sees a violation when there is one: an image with no text alternative.
        page = visitor.new_page()
        page.goto(server.url + "/verify/")
        page.evaluate("document.querySelector('main').append(document.createElement('img'))")
        assert any(problem.startswith("image-alt") for problem in _violations(page))
        visitor.close()
        context = _signed_in(browser, server.url, member, viewport)
        found |= _check(context, server.url, {
            "dashboard": "/", "project": f"/projects/{team.project.pk}/",
            "storyboard": f"/projects/{team.project.pk}/storyboard/", "works": "/works/",
            "profile": "/accounts/profile/", "tokens": "/accounts/tokens/", "saved": "/gallery/saved/",
            "liked": "/gallery/liked/", "inbox": "/inbox/", "models (staff)": "/staff/models/",
            "moderation (staff)": "/moderation/",
            "a work's moderation (staff)": f"/moderation/{published.public_id}/"})
        context.close()
    finally:
        server.stop()
    assert not found, "\n".join(f"{name}: {problem}" for name, problems in found.items()
                                 for problem in problems)
