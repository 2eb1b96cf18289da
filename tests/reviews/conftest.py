"""Reviews tests: works published in this test's media folder, the feed's caches empty."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from accounts.models import User
from recommend import serving
from recommend.models import Publication
from tests.accounts.factories import UserFactory
from tests.projects.factories import Team, project_with_team
from tests.recommend.gallery_data import publish


@pytest.fixture(autouse=True)
def gallery_dirs(settings: Any, tmp_path: Path) -> Iterator[Any]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RECOMMEND_DIR = tmp_path / "recommend"
    serving.reset()
    cache.clear()
    yield settings
    serving.reset()


@pytest.fixture
def team(db: None) -> Team:
    return project_with_team()


@pytest.fixture
def work(team: Team) -> Publication:
    """A published work; its creator is the project's owner."""
    return publish(team.project, team.owner, title="Harbour at dawn", tags=["ocean"])


@pytest.fixture
def reader(db: None) -> User:
    person: User = UserFactory(username="reader", display_name="Rea Der")
    return person


@pytest.fixture
def staff(db: None) -> User:
    moderator: User = UserFactory(is_staff=True, username="moderator")
    return moderator
