from pathlib import Path

import pytest
from django.test import Client

from accounts.models import User
from tests.projects.factories import Team, project_with_team


@pytest.fixture
def team(db: None) -> Team:
    return project_with_team(name="Moon Loom", description="A storyboard about looms.")


@pytest.fixture
def media_root(settings, tmp_path: Path) -> Path:
    """Uploads of this test go to a directory of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def as_user(client: Client):
    """Log the test client in as a user and return it: `as_user(team.owner).get(...)`."""

    def login(user: User) -> Client:
        client.force_login(user)
        return client

    return login
