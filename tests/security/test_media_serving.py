"""Issue 12: stored script on our origin.

Reproduced: a work uploaded as `x.html` (a valid PNG with HTML appended) was kept under that name
and served as text/html by `/media/./works/<id>/x.html` and `/media//works/...` (a path-pattern
route over MEDIA_ROOT), where its script could mint an API token with the victim's session. Now
no route serves media by path; stored names are random with the extension of the sniffed type;
every file goes out through a view that checks the caller's right, with the stored type, nosniff
and a download name made from the title."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve
from rest_framework.test import APIClient

from accounts.avatar_views import avatar_url
from accounts.models import User
from accounts.services import profile_update
from rights.models import Work
from tests.accounts.factories import image_file
from tests.projects.factories import Team, project_with_team
from tests.recommend.gallery_data import png

pytestmark = pytest.mark.django_db

POLYGLOT = png(7) + b"<html><body><script>fetch('/api/v1/tokens', {method: 'POST'})</script></body></html>"


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def team(db: None) -> Team:
    return project_with_team()


def upload(user: User, *, name: str = "x.html", title: str = "Harbour at dawn — 港口") -> Work:
    api = APIClient()
    api.force_login(user)
    file = SimpleUploadedFile(name, POLYGLOT, content_type="text/html")
    response = api.post("/api/v1/works", {"file": file, "title": title, "licence": "cc-by-4.0"},
                        format="multipart")
    assert response.status_code == 201, response.json()
    return Work.objects.get(public_id=response.json()["id"])


def test_an_html_polyglot_is_stored_under_a_random_name_with_the_sniffed_extension(team: Team) -> None:
    work = upload(team.owner)
    stored = Path(work.file.name)
    assert re.fullmatch(r"[0-9a-f]{32}\.png", stored.name), work.file.name
    assert "x.html" not in work.file.name and work.mime == "image/png"
    assert (Path(settings.MEDIA_ROOT) / work.file.name).read_bytes() == POLYGLOT


def test_no_url_serves_media_by_path_in_any_form(team: Team, client: Client) -> None:
    work = upload(team.owner)
    client.force_login(team.owner)  # the victim's own session
    stored = work.file.name
    for url in (f"/media/./works/{work.public_id}/x.html", f"/media//works/{work.public_id}/x.html",
                f"/media/works/{work.public_id}/x.html", f"/media/{stored}", f"/media/./{stored}",
                f"/media//{stored}", f"/media/%2E/{stored}", "/media/", "/media/avatars/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"<script>" not in response.content, url
    for path in ("/media/works/x", "/media/./works/x", "/media//works/x", "/media/avatars/2026/01/a.png"):
        with pytest.raises(Resolver404):
            resolve(path)
    assert not hasattr(settings, "SERVE_MEDIA")


def test_the_work_file_view_sends_the_stored_type_nosniff_and_a_name_from_the_title(team: Team,
                                                                                   client: Client) -> None:
    work = upload(team.owner)
    client.force_login(team.owner)
    response = client.get(f"/works/{work.public_id}/file")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;") and 'filename="harbour-at-dawn.png"' in disposition
    assert "filename*=utf-8''harbour-at-dawn-%E6%B8%AF%E5%8F%A3.png" in disposition
    assert "html" not in disposition
    assert b"".join(response.streaming_content) == POLYGLOT
    saved = client.get(f"/works/{work.public_id}/file", {"download": "1"})
    assert saved["Content-Disposition"].startswith("attachment;")
    assert 'filename="harbour-at-dawn.png"' in saved["Content-Disposition"]
    client.force_login(team.outsider)
    assert client.get(f"/works/{work.public_id}/file").status_code == 404


def test_avatars_are_served_by_their_view_only(team: Team, client: Client) -> None:
    user = profile_update(user=team.editor, avatar=image_file("face.html", size=(40, 30)))
    assert re.fullmatch(r"avatars/\d{4}/\d{2}/[0-9a-f]{32}\.png", user.avatar.name), user.avatar.name
    url = avatar_url(user)
    assert url.startswith(f"/accounts/avatar/{user.pk}/?v=")
    response = Client().get(url)  # public, as a profile picture is
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert "immutable" not in Client().get(f"/accounts/avatar/{user.pk}/")["Cache-Control"]  # no version
    assert Client().get(f"/media/{user.avatar.name}").status_code == 404
    assert Client().get(f"/accounts/avatar/{team.viewer.pk}/").status_code == 404  # has none
    client.force_login(user)
    page = client.get("/accounts/profile/").content.decode()
    assert f'src="{url}"'.replace("&", "&amp;") in page or f'src="{url}"' in page
    assert "/media/" not in page


def test_an_avatar_whose_bytes_are_not_its_image_type_is_not_served(team: Team, media: Path) -> None:
    user = profile_update(user=team.editor, avatar=image_file("face.png"))
    (media / user.avatar.name).write_bytes(b"<html><script>alert(1)</script></html>")
    assert Client().get(avatar_url(user)).status_code == 404
