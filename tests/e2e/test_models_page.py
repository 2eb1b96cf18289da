"""The staff Models page in a browser: install a model from a (local) Hub and watch the
<progress> move while it downloads, then remove it after confirming."""

import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from generation.models import InstallStatus, ModelInstall
from generation.models_manager import model_install_run
from generation.presets import preset_get
from generation.tiny import tiny_build
from kernel.paths import VAR_DIR
from tests.accounts.factories import UserFactory
from tests.e2e.helpers import log_in
from tests.generation.hub import hub_serving

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 15_000
SHOTS = Path(os.environ.get("E2E_SHOTS_DIR", VAR_DIR / "e2e"))
PRESET = "pixart-sigma"  # a built-in preset: the test server knows it without configuration


def test_staff_install_a_model_watching_its_progress_then_remove_it(
        browser: Any, live_server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.sync_api import expect

    preset = preset_get(PRESET)
    directory = Path(settings.GENERATION_MODELS_DIR) / PRESET  # (the test server's too)
    if directory.exists() or preset.available:
        pytest.skip(f"{PRESET} is installed on this machine already")
    tiny_build("pixart", tmp_path / "tiny-pixart")
    staff = UserFactory(is_staff=True)
    held = threading.Event()
    with hub_serving(monkeypatch) as hub:
        repo = hub.add_folder(preset.hub_id, tmp_path / "tiny-pixart", **{"filler.bin": b"\0" * (24 << 20)})
        repo.hold["filler.bin"] = (12 << 20, held)
        context, page = log_in(browser, live_server_url, staff, "/staff/models/")
        thread: threading.Thread | None = None
        try:
            row = page.locator(f"tr[data-model='{PRESET}']")
            expect(row).to_contain_text("Not installed")
            row.get_by_role("button", name="Install").click()
            expect(page.locator(".message--success")).to_contain_text(f"Installing {PRESET}")
            row = page.locator(f"tr[data-model='{PRESET}']")
            expect(row).to_have_attribute("data-state", "installing")
            progress = row.locator("progress")
            expect(progress).to_be_visible()

            token = ModelInstall.objects.get(preset=PRESET).token  # (run here: no worker in this test)

            def run() -> None:
                try:
                    model_install_run(name=PRESET, token=token)
                finally:
                    connections.close_all()

            thread = threading.Thread(target=run, daemon=True)
            thread.start()
            # The page's poll moves the bar while the held file waits half way.
            page.wait_for_function(f"() => {{ const bar = document.getElementById('progress-{PRESET}'); "
                                   "return bar && bar.value > 0 && bar.value < bar.max; }", timeout=TIMEOUT)
            expect(row.locator("[data-progress-text]")).to_contain_text(" of ")
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "models-installing.png"), full_page=True)
            held.set()
            thread.join(60)
            assert ModelInstall.objects.get(preset=PRESET).status == InstallStatus.SUCCEEDED
            # The poll sees the install end and loads the page again: installed, with its size.
            row = page.locator(f"tr[data-model='{PRESET}'][data-state='installed']")
            expect(row).to_contain_text("Installed", timeout=TIMEOUT)
            expect(row).to_contain_text("MB")
            assert (directory / "model_index.json").exists()

            page.once("dialog", lambda dialog: dialog.accept())
            row.get_by_role("button", name="Remove").click()
            expect(page.locator(".message--success")).to_contain_text(f"Removed {PRESET}")
            expect(page.locator(f"tr[data-model='{PRESET}']")).to_contain_text("Not installed")
            assert not directory.exists()
        finally:
            held.set()
            if thread is not None:
                thread.join(60)
            context.close()
            shutil.rmtree(directory, ignore_errors=True)
