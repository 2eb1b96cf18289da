"""An uploaded work's aesthetic report: measured off the request within an upload's bounds, shown
on its page (the certificate); a work registered from a render shows the render's."""

import io

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from aesthetics.models import Report
from generation.media import mp4_bytes
from rights.assessment import work_assess
from rights.services import work_create
from tests.projects.factories import UserFactory
from tests.rights.helpers import png

pytestmark = pytest.mark.django_db


def upload(seed: int) -> io.BytesIO:
    data = png(seed)
    data.name = "picture.png"
    return data


def page_of(work, user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("works:detail", args=[work.public_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_an_uploaded_picture_is_measured_and_its_page_shows_the_report():
    ada = UserFactory()
    work, _ = work_create(user=ada, title="Tide", licence="cc-by-4.0", upload=upload(11), filename="tide.png")
    assert "aesthetics-heading" not in page_of(work, ada)  # not measured yet: nothing to show
    assert work_assess(work_id=work.pk) is True
    report = Report.objects.get(sha256=work.sha256)
    assert report.kind == "image" and "motion" not in report.measures
    page = page_of(work, ada)
    assert "aesthetics-heading" in page and "Colourfulness" in page and "Warmth" in page
    assert '<rect x="0.0"' in page  # the palette, drawn without inline styles (CSP)


def test_an_uploaded_video_gets_the_measures_of_time():
    ada = UserFactory()
    rng = np.random.default_rng(5)
    frames = np.repeat(rng.integers(0, 256, (1, 96, 128, 3), dtype=np.uint8), 24, axis=0)
    for index, frame in enumerate(frames):  # a bright block crossing a still picture
        frame[40:60, 4 * index:4 * index + 20] = 250
    data = io.BytesIO(mp4_bytes(frames, 12))
    data.name = "clip.mp4"
    work, _ = work_create(user=ada, title="Crossing", licence="cc-by-4.0", upload=data, filename="clip.mp4")
    assert work_assess(work_id=work.pk) is True
    measures = Report.objects.get(sha256=work.sha256).measures
    assert Report.objects.get(sha256=work.sha256).kind == "video" and measures["motion"] > 0.01


def test_a_work_without_an_upload_has_nothing_of_its_own_to_measure():
    from accounts.models import User
    from rights.models import Work

    ada: User = UserFactory()
    work = Work.objects.create(title="Render", created_by=ada, mime="video/mp4", size=10, sha256="f" * 64,
                               iscc="ISCC:KMAQOL3YEOFZ4SC3WN6QL6GIQOARGWZCSVZU36FHWQ", terms_sha256="0" * 64)
    assert work_assess(work_id=work.pk) is False and not Report.objects.exists()
    assert work_assess(work_id=10**9) is False  # gone since it was queued


def test_the_public_certificate_keeps_the_report_to_those_who_see_the_work(platform_chain):
    """The file of a registered work is its owners' to show: its palette and measures too."""
    from rights.services import registration_submit
    from tests.rights.helpers import settle

    ada, stranger = UserFactory(), UserFactory()
    work, _ = work_create(user=ada, title="Private light", licence="cc-by-4.0", upload=upload(12),
                          filename="light.png")
    work_assess(work_id=work.pk)
    registration_submit(work=work)
    settle()
    assert "aesthetics-heading" in page_of(work, ada)
    public = page_of(work, stranger)
    assert "Private light" in public and "aesthetics-heading" not in public and "Colourfulness" not in public


def test_the_works_api_gives_the_report_to_who_may_see_the_work():
    from rest_framework.test import APIClient

    ada, stranger = UserFactory(), UserFactory()
    work, _ = work_create(user=ada, title="Dunes", licence="cc-by-4.0", upload=upload(13),
                          filename="dunes.png")
    api = APIClient()
    api.force_login(ada)
    url = f"/api/v1/works/{work.public_id}/aesthetics"
    assert api.get(url).json() == {"status": "pending"}
    work_assess(work_id=work.pk)
    body = api.get(url).json()
    assert body["status"] == "measured" and body["kind"] == "image" and body["palette"]
    api.force_login(stranger)
    refused = api.get(url)
    assert refused.status_code == 404 and "error" in refused.json()
