"""Rough edges a newcomer met: the storyboard's title field offers the project's name, the usage
page names models by their labels, the project page puts the work before the people, a storyboard
render's prompt and publish title are the storyboard's own."""

import re
from typing import Any

import pytest
from django.urls import reverse

from collab.services import scene_add
from generation.models import Job, JobKind, JobStatus
from generation.services import job_submit
from tests.projects.factories import Team

pytestmark = pytest.mark.django_db


def html(response: Any) -> str:
    return response.content.decode()


def test_the_storyboard_title_defaults_to_the_project_name(as_user, team: Team) -> None:
    page = html(as_user(team.editor).get(reverse("collab:storyboard", args=[team.project.pk])))
    field = re.search(r'<input type="text" id="storyboard-title"[^>]*>', page)
    assert field and f'placeholder="{team.project.name}"' in field.group(0)
    assert "Untitled storyboard" not in field.group(0)


def test_a_storyboard_render_is_named_by_its_title_and_scenes(team: Team, settings: Any,
                                                               tmp_path: Any) -> None:
    settings.GENERATION_MODELS_DIR = tmp_path / "models"
    scene_add(project=team.project, user=team.editor, prompt="a harbour at dawn", duration=1)
    scene_add(project=team.project, user=team.editor, prompt="gulls over the pier", duration=1)
    job = job_submit(project=team.project, user=team.editor, kind="storyboard", preset="tiny-ltx-video",
                     width=64, height=64, fps=8, steps=1)
    assert job.prompt == f"{team.project.name}\na harbour at dawn · gulls over the pier"


def test_the_usage_page_names_models_by_their_labels(as_user, team: Team) -> None:
    Job.objects.create(project=team.project, requester=team.editor, kind=JobKind.IMAGE, preset="tiny-pixart",
                       prompt="a kite", width=64, height=64, steps=1, guidance=3.0, seed=1,
                       status=JobStatus.SUCCEEDED)
    page = html(as_user(team.editor).get(reverse("generation:usage")))
    table = page[page.index('id="usage-jobs"'):]
    assert "<td>Tiny PixArt-Sigma (random weights)</td>" in table and ">tiny-pixart<" not in table


def test_the_project_page_puts_generate_before_the_people(as_user, team: Team) -> None:
    page = html(as_user(team.owner).get(reverse("projects:detail", args=[team.project.pk])))
    order = [page.index(f'id="{part}"') for part in ("open-storyboard", "generate", "jobs", "members")]
    assert order == sorted(order), order
    assert "{#" not in page and "on a phone it comes" not in page  # (a template comment stays one)

