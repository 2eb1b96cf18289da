import pytest

from tests.projects.factories import Team, project_with_team


@pytest.fixture(autouse=True)
def generation_dirs(settings, tmp_path) -> dict[str, str]:
    """Each test builds tiny models and writes media into folders of its own; returned as the
    environment a worker process started by the test needs to use the same ones."""
    settings.GENERATION_MODELS_DIR = tmp_path / "models"
    settings.MEDIA_ROOT = tmp_path / "media"
    return {"GENERATION_MODELS_DIR": str(tmp_path / "models"), "MEDIA_ROOT": str(tmp_path / "media")}


@pytest.fixture
def team() -> Team:
    return project_with_team()
