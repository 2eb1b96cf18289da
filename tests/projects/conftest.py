import pytest
from rest_framework.test import APIClient

from tests.projects.factories import Team, project_with_team


@pytest.fixture
def team(db: None) -> Team:
    return project_with_team()


@pytest.fixture
def api() -> APIClient:
    return APIClient()
