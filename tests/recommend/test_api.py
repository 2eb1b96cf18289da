"""The gallery API: the feed for anyone, cards with the viewer's state, engagement, the beacon's
form with its CSRF token, preferences, media of published works, and the error format."""

import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from recommend import services
from recommend.models import Publication, Signal
from tests.accounts.factories import UserFactory
from tests.projects.factories import Team, project_with_team
from tests.recommend.gallery_data import image_asset, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Team:
    return project_with_team()


@pytest.fixture
def works(team: Team) -> list[Publication]:
    return [publish(team.project, team.owner, title=f"Tide {n}", tags=["ocean", f"t{n}"], seed=n)
            for n in range(5)]


def test_the_feed_for_anyone_and_for_a_viewer(works: list[Publication], team: Team) -> None:
    anonymous = APIClient().get("/api/v1/gallery/feed?size=3")
    assert anonymous.status_code == 200
    body = anonymous.json()
    assert len(body["items"]) == 3 and body["next_cursor"]
    card = body["items"][0]["publication"]
    assert card["viewer"] is None and card["creator"]["username"] == team.owner.username
    assert card["media"]["file"] == f"/api/v1/gallery/works/{card['id']}/media/file"
    assert body["items"][0]["reason"]["text"]

    fan: User = UserFactory()
    api = APIClient()
    api.force_login(fan)
    services.like_set(user=fan, publication_id=works[0].public_id, liked=True)
    first = api.get("/api/v1/gallery/feed?size=2").json()
    rest = api.get(f"/api/v1/gallery/feed?size=10&cursor={first['next_cursor']}").json()
    ids = [i["publication"]["id"] for i in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 4 and works[0].public_id not in ids  # liked: not shown again
    assert [i["position"] for i in rest["items"]] == [2, 3]
    bad = api.get("/api/v1/gallery/feed?cursor=oops")
    assert bad.status_code == 400 and "cursor" in bad.json()["error"]["fields"]
    assert api.get("/api/v1/gallery/feed?size=many").status_code == 400


def test_like_save_hide_report_through_the_api(works: list[Publication]) -> None:
    fan: User = UserFactory()
    api = APIClient()
    api.force_login(fan)
    work = works[1].public_id
    liked = api.post(f"/api/v1/gallery/works/{work}/like", {"feed": "f", "position": 4}, format="json")
    assert liked.status_code == 200
    assert liked.json()["viewer"]["liked"] and liked.json()["counts"]["likes"] == 1
    saved = api.post(f"/api/v1/gallery/works/{work}/save", {"collection": "Sea"}, format="json").json()
    assert saved["viewer"]["saved"] and saved["counts"]["saves"] == 1
    assert api.get("/api/v1/gallery/collections").json()[0]["name"] == "Sea"
    assert api.delete(f"/api/v1/gallery/works/{work}/like").json()["viewer"]["liked"] is False
    assert api.post(f"/api/v1/gallery/works/{works[2].public_id}/hide", {"less_like_it": True},
                    format="json").status_code == 204
    refused = api.post(f"/api/v1/gallery/works/{work}/report", {"reason": "meh"}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"]
    reported = api.post(f"/api/v1/gallery/works/{work}/report", {"reason": "spam"}, format="json")
    assert reported.status_code == 204
    assert api.post("/api/v1/gallery/works/pub_nothing/like").status_code == 404
    assert APIClient().post(f"/api/v1/gallery/works/{work}/like").status_code in (401, 403)


def test_the_beacon_form_needs_its_csrf_token(works: list[Publication]) -> None:
    fan: User = UserFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(fan)
    browser.get("/accounts/profile/")  # a page with a form sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    work = works[0].public_id
    events = json.dumps([{"publication": work, "kind": "impression", "feed": "f", "position": 0},
                         {"publication": work, "kind": "view", "dwell_ms": 12000}])
    assert browser.post("/api/v1/gallery/signals", {"events": events}).status_code == 403
    sent = browser.post("/api/v1/gallery/signals", {"events": events, "csrfmiddlewaretoken": token})
    assert sent.status_code == 202
    assert list(Signal.objects.filter(user=fan).order_by("id").values_list("kind", "dwell_ms")) == [
        ("impression", None), ("view", 12000)]
    broken = browser.post("/api/v1/gallery/signals", {"events": "[{", "csrfmiddlewaretoken": token})
    assert broken.status_code == 400 and "events" in broken.json()["error"]["fields"]


def test_preferences_and_onboarding(works: list[Publication]) -> None:
    fan: User = UserFactory()
    api = APIClient()
    api.force_login(fan)
    assert api.get("/api/v1/gallery/preferences").json()["onboarded"] is False
    tags = api.get("/api/v1/gallery/tags").json()
    assert tags[0] == {"name": "ocean", "works": 5}
    done = api.post("/api/v1/gallery/onboarding", {"tags": ["ocean"], "variety": 60}, format="json").json()
    assert (done["onboarded"], done["tag_weights"], done["variety"]) == (True, {"ocean": 1.0}, 60)
    refused = api.put("/api/v1/gallery/preferences", {"tag_weights": {"ocean": 9}, "variety": -1},
                      format="json")
    fields = refused.json()["error"]["fields"]
    assert refused.status_code == 400 and "variety" in fields
    assert any(field.startswith("tag_weights") for field in fields)
    updated = api.put("/api/v1/gallery/preferences", {"blocked_tags": ["#City"]}, format="json").json()
    assert updated["blocked_tags"] == ["city"] and updated["tag_weights"] == {"ocean": 1.0}


def test_media_of_published_works_only(works: list[Publication], team: Team) -> None:
    work = works[0]
    anyone = APIClient()
    response = anyone.get(f"/api/v1/gallery/works/{work.public_id}/media/file", HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206 and len(response.content) == 10
    assert anyone.get(f"/api/v1/gallery/works/{work.public_id}/media/preview").status_code == 404
    services.publication_update(publication_id=work.public_id, user=team.owner, status="unpublished")
    assert anyone.get(f"/api/v1/gallery/works/{work.public_id}/media/file").status_code == 404
    assert anyone.get(f"/api/v1/gallery/works/{work.public_id}").status_code == 404
    owner = APIClient()
    owner.force_login(team.owner)
    assert owner.get(f"/api/v1/gallery/works/{work.public_id}").json()["status"] == "unpublished"


def test_creators_and_follows(works: list[Publication], team: Team) -> None:
    fan: User = UserFactory()
    api = APIClient()
    api.force_login(fan)
    assert api.post(f"/api/v1/gallery/creators/{team.owner.username}/follow").status_code == 204
    creator: dict[str, Any] = api.get(f"/api/v1/gallery/creators/{team.owner.username}").json()
    assert (creator["works"], creator["followers"], creator["followed_by_me"]) == (5, 1, True)
    page = APIClient().get(f"/api/v1/gallery/creators/{team.owner.username}/works").json()
    assert page["count"] == 5 and page["results"][0]["viewer"] is None
    assert api.post(f"/api/v1/gallery/creators/{fan.username}/follow").status_code == 400
    assert api.get("/api/v1/gallery/creators/nobody").status_code == 404


def test_publish_through_the_api_with_field_errors(team: Team) -> None:
    asset = image_asset(team.project, team.editor, prompt="a lantern")
    api = APIClient()
    api.force_login(team.owner)
    path = f"/api/v1/projects/{team.project.pk}/publications"
    refused = api.post(path, {"asset": asset.pk, "title": "", "tags": ["no good"]}, format="json")
    assert refused.status_code == 400 and {"title"} <= set(refused.json()["error"]["fields"])
    made = api.post(path, {"asset": asset.pk, "title": "Lantern", "tags": ["night", "#Light"]}, format="json")
    assert made.status_code == 201 and made.json()["tags"] == ["light", "night"]
    assert api.post(path, {"asset": asset.pk, "title": "Again"}, format="json").status_code == 409
    page = api.get(path).json()  # paginated, as every list in the API
    assert page["count"] == 1 and [p["title"] for p in page["results"]] == ["Lantern"]


@pytest.mark.django_db(transaction=True)
def test_a_whole_file_streams_under_asgi(team: Team, recwarn: pytest.WarningsRecorder) -> None:
    """Served by the ASGI handler, a download streams in chunks read off the event loop instead of
    being read into memory first (which Django warns about for a FileResponse)."""
    import asyncio

    from django.test import AsyncClient

    work = publish(team.project, team.owner, title="Tide", tags=["ocean"])
    expected = work.asset.file.read()

    async def download() -> Any:
        return await AsyncClient().get(f"/api/v1/gallery/works/{work.public_id}/media/file?download=1")

    response = asyncio.run(download())
    assert response.status_code == 200 and response["Content-Length"] == str(len(expected))
    assert response["Content-Disposition"] == f'attachment; filename="{work.public_id}.png"'
    assert asyncio.run(_read(response)) == expected
    assert not [w for w in recwarn if "StreamingHttpResponse" in str(w.message)]


async def _read(response: Any) -> bytes:
    return b"".join([chunk async for chunk in response.streaming_content])


@pytest.mark.parametrize("action", ["like", "save", "hide"])
def test_a_position_past_the_database_column_is_refused_not_a_500(works: list[Publication],
                                                                   action: str) -> None:
    api = APIClient()
    api.force_login(UserFactory())
    work = works[0].public_id
    response = api.post(f"/api/v1/gallery/works/{work}/{action}", {"feed": "f", "position": 2**48},
                        format="json")
    assert response.status_code == 400
    assert "position" in response.json()["error"]["fields"]
    assert not Signal.objects.exists()


def test_a_beacon_position_past_the_database_column_is_refused(works: list[Publication]) -> None:
    api = APIClient()
    api.force_login(UserFactory())
    events = [{"publication": works[0].public_id, "kind": "impression", "position": 2**31}]
    response = api.post("/api/v1/gallery/signals", {"events": events}, format="json")
    assert response.status_code == 400
    assert not Signal.objects.exists()


def test_the_service_refuses_a_position_it_cannot_store(works: list[Publication]) -> None:
    from kernel.errors import ValidationFailed
    with pytest.raises(ValidationFailed):
        services.like_set(user=UserFactory(), publication_id=works[0].public_id, liked=True,
                          position=2**40)
    assert not Signal.objects.exists()
