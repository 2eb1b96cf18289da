"""What people see of a render while and after it runs: a storyboard render's prompt is the
storyboard's own text, and the worker says when it is encoding and signing the files (every step
done, the files not yet)."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from collab.services import scene_add
from generation.execution import job_execute
from generation.models import JobStatus
from generation.services import job_submit
from generation.storyboard import STORYBOARD_PROMPT, storyboard_prompt, storyboard_title
from projects.activity import project_group

pytestmark = pytest.mark.django_db


def test_a_storyboard_prompt_is_its_title_then_its_scenes_shortened():
    scenes = [{"prompt": "a harbour at dawn"}, {"prompt": ""}, {"prompt": "  gulls\n over the pier "}]
    assert storyboard_prompt("Night Ferry", scenes) == "Night Ferry\na harbour at dawn · gulls over the pier"
    assert storyboard_prompt("", scenes) == "a harbour at dawn · gulls over the pier"
    assert storyboard_title("Night Ferry\na harbour at dawn") == "Night Ferry"
    long = storyboard_prompt("T" * 500, [{"prompt": "word " * 100}] * 10)
    assert len(long) == STORYBOARD_PROMPT and long.endswith("…")
    assert long.split("\n")[0] == "T" * 119 + "…"  # a title is shortened on its own line


def test_a_storyboard_render_announces_encoding_before_it_succeeds(team, django_capture_on_commit_callbacks):
    scene_add(project=team.project, user=team.owner, prompt="a lighthouse in fog", duration=1)
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(project_group(team.project.id), channel)
    job = job_submit(project=team.project, user=team.editor, kind="storyboard", preset="tiny-ltx-video",
                     width=64, height=64, fps=8, steps=2)
    assert job.prompt == f"{team.project.name}\na lighthouse in fog"
    with django_capture_on_commit_callbacks(execute=True):
        assert job_execute(job.pk) == JobStatus.SUCCEEDED

    async def drain() -> list[dict]:
        events: list[dict] = []
        while True:
            try:
                message = await asyncio.wait_for(layer.receive(channel), 2)
            except TimeoutError:
                return events
            if message.get("event") == "job":
                events.append(message["payload"])

    events = async_to_sync(drain)()
    async_to_sync(layer.group_discard)(project_group(team.project.id), channel)
    phases = [(event["status"], event.get("phase")) for event in events]
    encoding = phases.index(("running", "encoding"))
    assert events[encoding]["progress"] == 100.0
    assert phases[-1] == ("succeeded", None) and encoding < len(phases) - 1, phases
