import pytest

from tests.core.helpers import MONITOR_TOKEN


@pytest.fixture
def monitor_token(settings) -> str:
    """HEALTH_TOKEN set, as a deployment with a monitor sets it."""
    settings.HEALTH_TOKEN = MONITOR_TOKEN
    return MONITOR_TOKEN
