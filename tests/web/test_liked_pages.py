"""A "Liked" list next to Saved: the page, its tab and link, the API; a liked work stays in the
feed it was liked in and leaves the next new feed; a storyboard render is published under its own
title."""

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from generation.models import Job, JobKind
from recommend import serving
from recommend.feed import feed_page
from recommend.models import Publication
from recommend.preferences import onboarding_complete
from recommend.services import hide, like_set, save_set
from tests.accounts.factories import UserFactory
from tests.projects.factories import Team
from tests.recommend.gallery_data import image_asset, publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def gallery(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    serving.reset()


def html(response: Any) -> str:
    return response.content.decode()


def viewer() -> User:
    user: User = UserFactory()
    onboarding_complete(user=user, tags=[])
    return user


def works(team: Team, count: int = 4) -> list[Publication]:
    return [publish(team.project, team.owner, title=f"Work {n}", tags=["ocean"], seed=n, prompt=f"sea {n}")
            for n in range(count)]


def cards(page: str) -> list[str]:
    return re.findall(r'<li class="gcard" data-id="(pub_[0-9a-f]+)"', page)


def test_liked_works_are_listed_latest_first_next_to_saved(as_user, team: Team) -> None:
    first, second, third, fourth = works(team)
    me = viewer()
    like_set(user=me, publication_id=first.public_id, liked=True)
    like_set(user=me, publication_id=second.public_id, liked=True)
    like_set(user=me, publication_id=third.public_id, liked=True)
    like_set(user=me, publication_id=third.public_id, liked=False)  # taken back
    like_set(user=me, publication_id=fourth.public_id, liked=True)
    hide(user=me, publication_id=fourth.public_id)  # hidden since: not shown anywhere
    save_set(user=me, publication_id=first.public_id, saved=True)
    like_set(user=viewer(), publication_id=third.public_id, liked=True)  # someone else's like
    client = as_user(me)
    page = html(client.get(reverse("gallery:liked")))
    assert cards(page) == [second.public_id, first.public_id]
    tab = r'href="/gallery/liked/" aria-current="page">Liked <span class="tabs__count">2</span>'
    assert re.search(tab, page)
    assert 'href="/gallery/saved/?c=' in page  # the saved collections are one tab away
    assert re.search(r'data-action="like" aria-pressed="true"', page)
    saved = html(client.get(reverse("gallery:collections")))
    assert cards(saved) == [first.public_id]
    assert 'href="/gallery/liked/">Liked <span class="tabs__count">2</span>' in saved
    # The gallery links to it.
    assert 'href="/gallery/liked/"' in html(client.get(reverse("gallery:home")))


def test_nothing_liked_yet_says_how(as_user) -> None:
    page = html(as_user(viewer()).get(reverse("gallery:liked")))
    assert "Nothing liked yet." in page and 'id="liked-works"' not in page


def test_liked_needs_a_login(client: Client) -> None:
    response = client.get(reverse("gallery:liked"))
    assert response.status_code == 302 and str(response.url).startswith(reverse("accounts:login"))
    assert client.post(reverse("gallery:liked")).status_code in (302, 405)


def test_a_liked_work_stays_in_its_feed_and_leaves_the_next_one(team: Team) -> None:
    published = works(team, 6)
    me = viewer()
    page = feed_page(user=me, size=3)
    shown = [item.publication.public_id for item in page.items]
    like_set(user=me, publication_id=shown[0], liked=True, feed=page.feed, position=0)
    again = feed_page(user=me, cursor=f"{page.feed}.0", size=3)  # the same feed, its first page
    assert [item.publication.public_id for item in again.items] == shown
    fresh = feed_page(user=me, size=6)  # a new feed leaves out what was liked
    assert shown[0] not in {item.publication.public_id for item in fresh.items}
    assert len(published) == 6


def test_the_liked_api_lists_my_likes_only() -> None:
    from tests.projects.factories import project_with_team

    team = project_with_team()
    first, second = works(team, 2)
    me, other = viewer(), viewer()
    like_set(user=me, publication_id=first.public_id, liked=True)
    like_set(user=other, publication_id=second.public_id, liked=True)
    api = APIClient()
    refused = api.get("/api/v1/gallery/liked")
    assert refused.status_code in (401, 403) and set(refused.json()["error"]) >= {"code", "message"}
    api.force_authenticate(me)
    body = api.get("/api/v1/gallery/liked").json()
    assert [work["id"] for work in body["results"]] == [first.public_id] and body["count"] == 1
    assert body["results"][0]["viewer"]["liked"] is True
    assert api.get("/api/v1/gallery/liked?page=999").status_code == 404
    assert api.post("/api/v1/gallery/liked", {}).status_code == 405


def test_a_storyboard_render_is_published_under_the_storyboards_title(as_user, team: Team) -> None:
    asset = image_asset(team.project, team.editor, seed=3, prompt="ignored")
    Job.objects.filter(pk=asset.job_id).update(
        kind=JobKind.STORYBOARD, prompt="Night Ferry\nwaves on the rocks · a lamp is lit")
    page = html(as_user(team.owner).get(reverse("gallery:publish", args=[team.project.pk, asset.pk])))
    assert 'name="title" value="Night Ferry"' in page or re.search(r'value="Night Ferry"', page)
    assert team.project.name not in re.search(r'name="title"[^>]*>', page).group(0)
