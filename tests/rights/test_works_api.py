"""The works API: upload a file, see look-alikes, set co-owners, ask and confirm."""

import io

import pytest
from rest_framework.test import APIClient

from rights.models import ChainTx, Work
from tests.core.helpers import client_for
from tests.projects.factories import project_with_team
from tests.rights.helpers import png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("works_dirs")]  # tests/plugins/works.py


def test_upload_set_owners_ask_and_confirm_through_the_api():
    team = project_with_team()
    owner, editor = client_for(team.owner), client_for(team.editor)
    upload = png(4)
    upload.name = "harbour.png"
    response = owner.post("/api/v1/works", {"file": upload, "title": "Harbour", "licence": "cc-by-nc-4.0"},
                          format="multipart")
    assert response.status_code == 201, response.json()
    work = response.json()
    assert (work["status"], work["mime"], work["licence"]) == ("draft", "image/png", "cc-by-nc-4.0")
    assert work["owners"] == [{"address": work["owners"][0]["address"], "bps": 10000,
                               "username": team.owner.username, "name": team.owner.name, "confirmed": True}]
    url = f"/api/v1/works/{work['id']}"
    bad = owner.put(f"{url}/owners", {"owners": [{"user": team.owner.pk, "bps": 7000}]}, format="json")
    assert bad.status_code == 400 and "add up to 7000" in bad.json()["error"]["fields"]["owners"][0]
    split = [{"user": team.owner.pk, "bps": 7000}, {"user": team.editor.pk, "bps": 3000}]
    assert owner.put(f"{url}/owners", {"owners": split}, format="json").status_code == 200
    assert owner.post(f"{url}/submit", {}, format="json").json()["status"] == "confirming"
    assert client_for(team.viewer).get(url).status_code == 404  # not theirs, no project
    assert [w["id"] for w in editor.get("/api/v1/works").json()["results"]] == [work["id"]]
    confirmed = editor.post(f"{url}/confirm")
    assert confirmed.json()["status"] == "queued"
    assert ChainTx.objects.filter(work__public_id=work["id"], function="register").exists()


def test_a_file_that_is_not_a_picture_or_video_is_refused_on_its_field():
    team = project_with_team()
    document = io.BytesIO(b"just some notes")
    document.name = "notes.txt"
    response = client_for(team.owner).post("/api/v1/works", {"file": document, "title": "Notes",
                                                             "licence": "cc-by-4.0"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]


def test_an_uploaded_file_is_for_its_owners_only():
    team = project_with_team()
    upload = png(6)
    upload.name = "still.png"
    fields = {"file": upload, "title": "Still", "licence": "cc-by-4.0"}
    work = client_for(team.owner).post("/api/v1/works", fields, format="multipart").json()
    url = f"/works/{work['id']}/file"
    mine = client_for(team.owner).get(url)
    assert (mine.status_code, mine["Content-Type"]) == (200, "image/png")
    assert client_for(team.editor).get(url).status_code == 404
    assert APIClient().get(url).status_code == 404
    stored = Work.objects.get(public_id=work["id"]).file.name
    assert APIClient().get(f"/media/{stored}").status_code == 404  # not around the check either
