"""Works made through the API: media and the platform's chain key in the test's own folders
(`works_dirs`), for the works API tests and the provenance attacks on them. Not autouse: a module
asks for it with `pytestmark = pytest.mark.usefixtures("works_dirs")`."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def works_dirs(settings: Any, tmp_path: Path) -> Iterator[None]:
    from rights import keys

    keys._platform_key.cache_clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHAIN_DIR = tmp_path / "chain"
    settings.CHAIN_KEYSTORE = tmp_path / "chain" / "keystore.json"
    yield
    keys._platform_key.cache_clear()
