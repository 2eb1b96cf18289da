"""Gallery tests: media and trained models in this test's folders; the feed's in-process caches
(model, catalogue) and the cache's feed sessions start empty."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from recommend import serving


@pytest.fixture(autouse=True)
def gallery_dirs(settings: Any, tmp_path: Path) -> Iterator[Any]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RECOMMEND_DIR = tmp_path / "recommend"
    serving.reset()
    cache.clear()
    yield settings
    serving.reset()
