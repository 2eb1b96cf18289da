"""A render's aesthetic report: measured off the render's path from its stored file, kept per
content, shown to the project's members with where it stands among published works."""

import pytest
from rest_framework.test import APIClient

from aesthetics import extensions
from aesthetics.models import Report
from generation.assessment import asset_assess
from generation.execution import job_execute
from generation.models import Asset
from generation.services import job_submit
from tests.projects.factories import project_with_team

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def report_url(project, asset: Asset) -> str:
    return f"/api/v1/projects/{project.pk}/assets/{asset.pk}/aesthetics"


def render(team, kind: str = "video") -> Asset:
    params = {"kind": kind, "preset": "tiny-ltx-video" if kind == "video" else "tiny-pixart",
              "prompt": "tide pools", "width": 64, "height": 64, "steps": 2, "seed": 3}
    if kind == "video":
        params.update(frames=9, fps=8)
    job = job_submit(project=team.project, user=team.editor, **params)
    job_execute(job.pk)
    return Asset.objects.get(job=job, role="output")


def test_a_video_is_measured_from_its_stored_file_and_its_members_read_the_report(team):
    asset = render(team)
    url = report_url(team.project, asset)
    assert client_for(team.viewer).get(url).json() == {"status": "pending"}
    assert asset_assess(asset_id=asset.pk) is True
    report = Report.objects.get(sha256=asset.sha256)
    assert report.kind == "video" and report.seconds > 0
    body = client_for(team.viewer).get(url).json()
    assert body["status"] == "measured" and body["kind"] == "video"
    keys = [measure["key"] for measure in body["measures"]]
    assert {"colourfulness", "warmth", "harmony", "thirds", "motion", "flicker", "stability"} <= set(keys)
    assert all(measure["explains"] and measure["unit"] and measure["low"] and measure["high"]
               for measure in body["measures"])
    assert body["palette"] and abs(sum(colour["share"] for colour in body["palette"]) - 1) < 1e-3
    asset_assess(asset_id=asset.pk)  # once per content: asked again, nothing is measured again
    assert Report.objects.get(sha256=asset.sha256).updated_at == report.updated_at


def test_an_image_gets_the_picture_measures_only(team):
    asset = render(team, kind="image")
    asset_assess(asset_id=asset.pk)
    body = client_for(team.editor).get(report_url(team.project, asset)).json()
    keys = {measure["key"] for measure in body["measures"]}
    assert body["kind"] == "image" and "sharpness" in keys and "motion" not in keys


def test_the_report_is_members_only_and_an_asset_of_another_project_is_not_found(team):
    asset = render(team)
    asset_assess(asset_id=asset.pk)
    url = report_url(team.project, asset)
    refused = client_for(team.outsider).get(url)
    assert refused.status_code == 404 and refused["Content-Type"].startswith("application/json")
    other = project_with_team()
    through_other = client_for(other.owner).get(report_url(other.project, asset))
    assert through_other.status_code == 404 and "error" in through_other.json()
    assert APIClient().get(url).status_code in (401, 403)


def test_where_a_report_stands_is_counted_among_published_works_only(team, monkeypatch):
    from aesthetics.services import report_make
    from tests.aesthetics.test_measures import solid

    # Warmth 0 (blue), 1 (orange) for the gallery; the unpublished ones must not count.
    published = [report_make(sha256=f"{n:064x}", frames=solid(colour)[None], fps=None).sha256
                 for n, colour in enumerate([(30, 80, 220), (40, 90, 210), (35, 70, 230), (240, 140, 30)])]
    for n in range(10):
        report_make(sha256=f"{100 + n:064x}", frames=solid((30, 80, 220))[None], fps=None)
    monkeypatch.setattr(extensions, "_gallery", [lambda: published])
    asset = render(team, kind="image")
    report_make(sha256=asset.sha256, frames=solid((235, 150, 40))[None], fps=None)  # warm
    body = client_for(team.editor).get(report_url(team.project, asset)).json()
    warmth = next(measure for measure in body["measures"] if measure["key"] == "warmth")
    assert warmth["standing"] == 75.0  # three of the four published works are cooler
    assert warmth["compared"] == "Warmer than 75 % of published works"
    # Every picture here is one flat colour: all perfectly harmonious. Equal is neither more nor less.
    harmony = next(measure for measure in body["measures"] if measure["key"] == "harmony")
    assert (harmony["value"], harmony["standing"], harmony["compared"]) == (1.0, 0.0, None)
