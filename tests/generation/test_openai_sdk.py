"""OpenAI's own Python SDK, pointed at a running Storyloom server: its Videos API client works
by changing the base URL."""

import openai
import pytest

from accounts.services import token_create
from generation.execution import job_execute
from generation.models import Job
from tests.projects.factories import project_with_team

pytestmark = [pytest.mark.django_db(transaction=True),
              # The SDK warns that OpenAI's own Sora service is retired; the API shape is what counts.
              pytest.mark.filterwarnings("ignore:The Sora API:DeprecationWarning")]


@pytest.fixture(autouse=True)
def generation_dirs(settings, tmp_path):
    """Models of its own; media where the running server (started once) also looks."""
    settings.GENERATION_MODELS_DIR = tmp_path / "models"


def test_the_openai_sdk_creates_polls_downloads_remixes_lists_and_deletes(live_server_url):
    team = project_with_team()
    _, token = token_create(user=team.editor, name="sdk")
    client = openai.OpenAI(api_key=token, base_url=f"{live_server_url}/v1", max_retries=0)

    video = client.videos.create(model="sora-2", prompt="a kite over dunes", size="256x128", seconds="1")
    assert (video.object, video.status, video.size) == ("video", "queued", "256x128")
    job_execute(Job.objects.get(public_id=video.id).pk)  # what a worker does
    video = client.videos.retrieve(video.id)
    assert (video.status, video.progress) == ("completed", 100)
    content = client.videos.download_content(video.id)
    assert content.content[4:8] == b"ftyp"  # an MP4

    remix = client.videos.remix(video.id, prompt="the kite at dusk")
    assert remix.remixed_from_video_id == video.id
    assert [v.id for v in client.videos.list()] == [remix.id, video.id]
    assert client.videos.delete(remix.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(remix.id)
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt="x", size="wide")
    body = caught.value.body
    assert isinstance(body, dict) and body["param"] == "size"
