"""The register-a-work picker tells renders apart: a storyboard's cut, each of its scene clips
(with the scene's own prompt), an image or a video, with when it was made and its size and length;
no project name on every tile and no render ids for numbers."""

import hashlib
import re
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from generation.models import Asset, Job, JobKind, JobStatus
from projects.roles import Role
from tests.generation.factories import image_render
from tests.projects.factories import MembershipFactory, Team, project_with_team
from tests.web.test_rights_pages import html, png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def storyboard_render(team: Team) -> list[Asset]:
    """A finished storyboard render: its cut and two scene clips."""
    job = Job.objects.create(
        project=team.project, requester=team.editor, kind=JobKind.STORYBOARD, preset="tiny-ltx-video",
        prompt="The Lighthouse Keeper\nwaves on the rocks · a lamp is lit", width=64, height=64, frames=18,
        fps=8, steps=1, guidance=3.0, seed=1, status=JobStatus.SUCCEEDED, progress=100.0,
        scenes=[{"scene": "a", "number": 1, "prompt": "waves on the rocks, watercolour", "frames": 9},
                {"scene": "b", "number": 2, "prompt": "a lamp is lit, watercolour", "frames": 9}])
    data = png(3)
    assets = []
    for role, frames in (("output", 18), ("scene-1", 9), ("scene-2", 9)):
        asset = Asset(job=job, project=team.project, kind=JobKind.VIDEO, role=role, width=64, height=64,
                      frames=frames, fps=8, seconds=frames / 8,
                      sha256=hashlib.sha256(role.encode()).hexdigest())
        for name in ("file", "poster", "thumbnail"):
            getattr(asset, name).save(f"{name}.png", ContentFile(data), save=False)
        asset.save()
        assets.append(asset)
    return assets


def tile_text(page: str, asset: Asset) -> str:
    match = re.search(rf'<label for="id_asset_{asset.pk}">(.*?)</label>', page, re.S)
    assert match, f"no tile for render {asset.pk}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_each_render_says_what_it_is_what_it_shows_and_when(as_user, team: Team) -> None:
    image = image_render(team.project, team.editor, png(1), size=192, prompt="gulls over the quay")
    cut, first, second = storyboard_render(team)
    page = html(as_user(team.editor).get(reverse("works:new")))
    assert tile_text(page, cut).startswith("Storyboard cut The Lighthouse Keeper waves on the rocks")
    assert "2.2 s" in tile_text(page, cut) and "64 × 64" in tile_text(page, cut)
    assert tile_text(page, first).startswith("Scene clip 1 waves on the rocks, watercolour")
    assert tile_text(page, second).startswith("Scene clip 2 a lamp is lit, watercolour")
    assert tile_text(page, image).startswith("Image gulls over the quay")
    assert "192 × 192" in tile_text(page, image)
    assert " s" not in tile_text(page, image).split("192 × 192")[1]  # an image has no length
    # One project: its name is not on the tiles, and no render is numbered by its id.
    assert team.project.name not in page.split('id="source-heading"')[1].split('id="about-heading"')[0]
    assert f"#{cut.pk}" not in page and "Video #" not in page


def test_renders_of_several_projects_are_grouped_under_each_name(as_user, team: Team) -> None:
    other = project_with_team(name="Second Loom")
    mine = image_render(team.project, team.editor, png(1), size=192, prompt="gulls over the quay")
    theirs = image_render(other.project, other.owner, png(2), size=192, prompt="a red kite")
    MembershipFactory(project=other.project, user=team.editor, role=Role.EDITOR)
    page = html(as_user(team.editor).get(reverse("works:new")))
    assert page.count(team.project.name) >= 1 and page.count("Second Loom") == 1
    assert page.index("Second Loom") < page.index(f'id="id_asset_{theirs.pk}"')
    assert f'id="id_asset_{mine.pk}"' in page


def test_a_storyboard_cut_is_offered_under_the_storyboards_title(as_user, team: Team) -> None:
    cut, _first, _second = storyboard_render(team)
    page = html(as_user(team.editor).get(reverse("works:new") + f"?asset={cut.pk}"))
    assert re.search(r'name="title"[^>]*value="The Lighthouse Keeper"', page)
