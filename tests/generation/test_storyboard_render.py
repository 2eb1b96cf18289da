"""Storyboard renders: the project's scenes, each with its own prompt, length and seed, rendered
and joined in order into one video; each scene's clip kept too."""

import pytest
from django.core.files.storage import default_storage

from collab.services import scene_add
from generation import provenance
from generation.execution import job_execute
from generation.media import mp4_info
from generation.models import Asset, JobStatus
from generation.quotas import pixel_steps_ran
from generation.services import job_submit
from kernel.errors import QuotaExceeded, ValidationFailed
from projects.activity import verb_text
from projects.models import Activity

pytestmark = pytest.mark.django_db


def render_storyboard(team, **params):
    return job_submit(project=team.project, user=team.editor, kind="storyboard",
                      **{"preset": "tiny-ltx-video", "width": 64, "height": 64, "fps": 8, "steps": 2,
                         **params})


def test_three_scenes_make_one_video_as_long_as_the_three_clips(team):
    scene_add(project=team.project, user=team.owner, prompt="a harbour at dawn", duration=1, seed=11)
    scene_add(project=team.project, user=team.editor, prompt="gulls over the pier", duration=2,
              camera="slow pan left")
    scene_add(project=team.project, user=team.owner, prompt="night falls", duration=1)
    job = render_storyboard(team, style="watercolour", seed=7)
    assert [s["frames"] for s in job.scenes] == [9, 17, 9] and job.frames == 35
    assert [s["seed"] for s in job.scenes] == [11, 7, 7]  # a scene's own seed, else the shared one
    assert job.scenes[1]["prompt"] == "gulls over the pier, slow pan left, watercolour"
    # Its prompt is the storyboard's own text: the title (the project's name while the storyboard
    # has none), then each scene's prompt.
    assert job.prompt == f"{team.project.name}\na harbour at dawn · gulls over the pier · night falls"
    # Edits after submit do not change the render.
    scene_add(project=team.project, user=team.owner, prompt="an extra scene", duration=1)

    assert job_execute(job.pk) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert (job.step, job.progress) == (6, 100.0)  # 2 steps for each of 3 scenes
    output = Asset.objects.get(job=job, role="output")
    assert mp4_info(default_storage.path(output.file.name)).frames == 35 and output.frames == 35
    clips = Asset.objects.filter(job=job).exclude(role="output").order_by("role")
    assert [(c.role, c.frames) for c in clips] == [("scene-1", 9), ("scene-2", 17), ("scene-3", 9)]
    for clip in clips:
        assert mp4_info(default_storage.path(clip.file.name)).frames == clip.frames
    with output.file.open("rb") as handle:
        credentials = provenance.read(handle.read(), "video/mp4")
    assert credentials.valid, credentials.errors
    assert credentials.facts is not None and credentials.facts["kind"] == "storyboard"
    # Its writers are its authors, with the one who asked for the render.
    assert set(credentials.facts["authors"]) == {team.editor.name, team.owner.name}
    activity = Activity.objects.get(project=team.project, verb="generation.rendered_storyboard")
    assert activity.actor == team.editor and verb_text(activity.verb, activity.data) == (
        "rendered the storyboard (3 scenes)")


@pytest.mark.parametrize("scenes, says", [
    ([], "no scenes yet"),
    ([{"prompt": "", "duration": 1}], "Scene 1 has no prompt"),
    ([{"prompt": "ok", "duration": 1}, {"prompt": "too long", "duration": 60}], "Scene 2 lasts 60.0 s"),
])
def test_a_storyboard_that_cannot_render_says_which_scene_is_wrong(team, scenes, says):
    for scene in scenes:
        scene_add(project=team.project, user=team.editor, **scene)
    with pytest.raises(ValidationFailed) as caught:
        render_storyboard(team)
    assert says in " ".join(caught.value.fields["scenes"])


def test_a_storyboard_needs_a_video_model(team):
    scene_add(project=team.project, user=team.editor, prompt="a lantern", duration=1)
    with pytest.raises(ValidationFailed) as caught:
        render_storyboard(team, preset="tiny-pixart")
    assert "makes image" in caught.value.fields["preset"][0]


def test_a_storyboards_scenes_together_count_against_the_daily_compute(team, settings):
    settings.GENERATION_QUOTAS = {"free": {"compute_per_day": 0.5, "max_side": 512, "jobs_in_flight": 4}}
    scene_add(project=team.project, user=team.editor, prompt="waves", duration=1)
    for _ in range(2):
        scene_add(project=team.project, user=team.editor, prompt="waves", duration=2)
    job = render_storyboard(team)  # (9 + 17 + 17) frames x 64 x 64 x 2 steps: 0.35 megapixel-steps
    assert job.compute_use.pixel_steps == 43 * 64 * 64 * 2
    with pytest.raises(QuotaExceeded):
        render_storyboard(team)
    # Stopped after 3 steps (the first scene's 2, one of the second's), it counts what those rendered.
    assert pixel_steps_ran(job, 3) == (9 * 2 + 17) * 64 * 64
