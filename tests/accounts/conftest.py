from pathlib import Path

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    """Uploads of this test go to a directory of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def api() -> APIClient:
    return APIClient()
