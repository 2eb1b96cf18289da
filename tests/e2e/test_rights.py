"""Rights in a real browser, against a real server, a real Celery worker and a real anvil: an
editor registers a render of the project from the media library's player, gives the project's
owner a share, the owner confirms on "my works", the worker puts the registration on the chain and
the certificate shows it; then someone logged out verifies the file on /verify and sees the owners
as the chain holds them."""

import os
import re
from pathlib import Path
from typing import Any

import pytest

from generation.execution import job_execute
from generation.models import JobStatus
from generation.services import job_submit
from kernel.paths import VAR_DIR
from rights import keys
from rights.chain.client import registry_address
from rights.keys import user_address
from rights.models import ChainTx, TxStatus, Work, WorkStatus
from tests.e2e.helpers import log_in
from tests.projects.factories import project_with_team
from tests.rights.helpers import DevChain, platform_on_chain
from tests.servers import AsgiServer, CeleryWorker

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = Path(os.environ.get("E2E_SHOTS_DIR", VAR_DIR / "e2e"))
TIMEOUT = 10_000
CHAIN_TIMEOUT = 60_000  # the worker signs, anvil mines, the worker confirms




def test_an_editor_registers_a_render_and_a_stranger_verifies_it(browser: Any, anvil: DevChain,
                                                                 tmp_path: Path, settings: Any) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    # The test process, the server and the worker share the chain, the media and the models.
    shared = platform_on_chain(settings, tmp_path, anvil.url)

    team = project_with_team(name="Harbour Lights")
    job = job_submit(project=team.project, user=team.editor, kind="image", preset="tiny-pixart",
                     prompt="a harbour at dawn, fishing boats", width=64, height=64, steps=1)
    assert job_execute(job.pk) == JobStatus.SUCCEEDED
    asset = job.assets.get(role="output")
    # Started after the render: the worker's GPU queue finds it done (its token is spent on nothing).
    server = AsgiServer.start(**shared)
    worker = CeleryWorker.start(tmp_path / "worker.log", queues="default,gpu,chain", **shared)
    base = server.url
    contexts: list[Any] = []
    try:
        # The editor opens the render in the media library and registers it from the player.
        context, page = log_in(browser, base, team.editor, f"/projects/{team.project.id}/")
        contexts.append(context)
        expect(page.locator("#works #project-works-empty")).to_be_visible()
        tile = page.locator("#asset-grid [data-asset-id]")
        expect(tile).to_have_count(1, timeout=TIMEOUT)
        tile.first.click()
        register = page.locator("#asset-dialog #asset-register")
        expect(register).to_have_attribute("href", f"/works/new/?asset={asset.pk}")
        register.click()
        page.wait_for_url(re.compile(rf"/works/new/\?asset={asset.pk}$"))
        expect(page.locator(f"#id_asset_{asset.pk}")).to_be_checked()
        expect(page.locator("input[name=title]")).to_have_value("a harbour at dawn, fishing boats")
        expect(page.locator("input[name=file]")).to_be_hidden()  # a render, not an upload
        expect(page.locator("textarea[name=terms]")).to_be_hidden()
        page.fill("input[name=title]", "Harbour at dawn")
        page.fill("textarea[name=description]", "Fishing boats leave the harbour as the sun comes up.")
        page.get_by_label("CC BY 4.0", exact=False).first.check()
        page.screenshot(path=str(SHOTS / "rights-register-form.png"), full_page=True)
        page.get_by_role("button", name="Create the draft").click()
        page.wait_for_url(re.compile(r"/works/work_[0-9a-f]+/$"))
        work = Work.objects.get()
        certificate = f"/works/{work.public_id}/"
        expect(page.locator("#work-status")).to_have_attribute("data-status", "draft")

        # Owners: the editor keeps 70 %, the project's owner gets 30 %; the total adds up live.
        rows = page.locator("#owners-form .owners-row:not(.owners-row--head)")
        expect(rows.nth(0).locator("input[name$=-who]")).to_have_value(f"@{team.editor.username}")
        rows.nth(0).locator("input[name$=-bps]").fill("7000")
        expect(page.locator("#owners-total")).to_contain_text("3,000 left to give")
        rows.nth(1).locator("input[name$=-who]").fill(f"@{team.owner.username}")
        rows.nth(1).locator("input[name$=-bps]").fill("3000")
        expect(page.locator("#owners-total")).to_have_attribute("data-state", "ok")
        page.get_by_role("button", name="Save the owners").click()
        expect(page.locator(".message--success")).to_contain_text("Owners and shares saved")
        expect(page.locator("#owners tbody tr")).to_have_count(2)
        expect(page.locator("#owners")).to_contain_text("30 %")
        page.screenshot(path=str(SHOTS / "rights-draft-owners.png"), full_page=True)
        page.get_by_role("button", name="Ask co-owners and register").click()
        expect(page.locator(".message--success")).to_contain_text("co-owners were asked to confirm")
        expect(page.locator("#work-status")).to_have_attribute("data-status", "confirming")

        # The project page, open meanwhile, follows the registration live (no reload).
        project_page = context.new_page()
        project_page.goto(f"{base}/projects/{team.project.id}/")
        entry = project_page.locator(f"#project-works [data-work-id='{work.public_id}']")
        expect(entry.locator(".badge")).to_have_text("Waiting for co-owners")
        expect(project_page.locator("#live-status")).to_have_attribute("data-state", "open", timeout=TIMEOUT)
        project_page.evaluate("window.__sameDocument = true")

        # The owner finds it waiting on "my works" and confirms it there.
        owner_context, owner_page = log_in(browser, base, team.owner, "/works/")
        contexts.append(owner_context)
        card = owner_page.locator(f".work-card--awaiting[data-work-id='{work.public_id}']")
        expect(card).to_be_visible()
        expect(owner_page.locator("#awaiting")).to_contain_text("1 work waits for your confirmation")
        owner_page.screenshot(path=str(SHOTS / "rights-my-works.png"), full_page=True)
        card.get_by_role("button", name="Confirm").click()
        expect(owner_page.locator(".message--success")).to_contain_text("everyone agreed")

        # The worker puts it on the chain; the certificate page follows by itself.
        page.goto(base + certificate)
        status = page.locator("#work-status")
        expect(status).to_have_attribute("data-status", "registered", timeout=CHAIN_TIMEOUT)
        tx = ChainTx.objects.get(work=work, function="register")
        assert tx.status == TxStatus.CONFIRMED and tx.tx_hash
        expect(page.locator("#work-tx")).to_have_text(tx.tx_hash)
        expect(page.locator("[data-chain-state='match']")).to_contain_text("on chain and matching")
        expect(page.locator("#registration")).to_contain_text(registry_address())
        expect(page.locator(".work-media img")).to_be_visible()  # a member sees the render
        page.screenshot(path=str(SHOTS / "rights-certificate.png"), full_page=True)

        expect(entry.locator(".badge")).to_have_text("Registered")
        expect(entry).to_contain_text(f"block {tx.block_number}")
        assert project_page.evaluate("window.__sameDocument") is True
        project_page.locator("#works").screenshot(path=str(SHOTS / "rights-project-card.png"))

        # Anyone: the certificate on a phone, then /verify with the file.
        phone = browser.new_context(viewport={"width": 390, "height": 844})
        contexts.append(phone)
        phone_page = phone.new_page()
        phone_page.goto(base + certificate)
        expect(phone_page.locator("#work-status")).to_have_attribute("data-status", "registered")
        expect(phone_page.locator(".work-media")).to_have_count(0)  # the media is for members
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
        phone_page.screenshot(path=str(SHOTS / "rights-certificate-phone.png"), full_page=True)

        stranger = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(stranger)
        verify = stranger.new_page()
        verify.goto(base + certificate)
        verify.get_by_role("link", name="Verify a copy").first.click()
        verify.wait_for_url(re.compile(r"/verify/$"))
        verify.set_input_files("input[name=file]", str(Path(settings.MEDIA_ROOT) / asset.file.name))
        verify.get_by_role("button", name="Verify the file").click()
        exact = verify.locator("article[data-relation='exact']")
        expect(exact).to_be_visible(timeout=TIMEOUT)
        expect(exact.locator("[data-consistent='true']")).to_be_visible()  # read live from the chain
        for user, percent in ((team.editor, "70 %"), (team.owner, "30 %")):
            row = exact.locator("tr", has_text=user_address(user.pk))
            expect(row.first).to_contain_text(percent)
        expect(exact.get_by_role("link", name="Open the certificate")).to_have_attribute("href", certificate)
        verify.screenshot(path=str(SHOTS / "rights-verify.png"), full_page=True)
        work.refresh_from_db()
        assert work.status == WorkStatus.REGISTERED and work.block_number == tx.block_number
    finally:
        for context in contexts:
            context.close()
        worker.stop()
        server.stop()
        keys._platform_key.cache_clear()
