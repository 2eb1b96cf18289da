"""The gallery's pages with the Django test client: the feed for anyone (and the first visit's
welcome), a work, a creator, saved works, preferences with their errors, remixing into a project,
and publishing a project's render (owners only; a registered work keeps its licence)."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from generation.models import Job
from recommend import serving
from recommend.models import Preferences, Publication, PublicationStatus
from recommend.preferences import onboarding_complete, preferences_get
from recommend.services import hide, like_set, publication_publish, save_set
from tests.accounts.factories import UserFactory
from tests.projects.factories import Team, project_with_team
from tests.recommend.gallery_data import image_asset, publish, register

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def gallery(settings: Any, tmp_path: Path) -> None:
    """Media in this test's folder; the feed's catalogue built from this test's works."""
    settings.MEDIA_ROOT = tmp_path / "media"
    serving.reset()


def html(response: Any) -> str:
    return response.content.decode()


def onboarded(user: User) -> User:
    onboarding_complete(user=user, tags=[])
    return user


def works(team: Team) -> list[Publication]:
    """Six works of the team's project: three #ocean, two #forest, one #city."""
    rows = [("Harbour at dawn", ["ocean", "harbour"]), ("Deep blue", ["ocean"]), ("Surf", ["ocean", "waves"]),
            ("Old oaks", ["forest"]), ("Mossy path", ["forest"]), ("Neon rain", ["city"])]
    return [publish(team.project, team.owner, title=title, tags=tags, seed=n, prompt=f"{title}, cinematic")
            for n, (title, tags) in enumerate(rows)]


# --- the feed ----------------------------------------------------------------------------------


def test_the_feed_shows_cards_to_anyone(client: Client, team: Team) -> None:
    published = works(team)
    register(published[0].asset, team.owner)
    response = client.get(reverse("gallery:home"))
    assert response.status_code == 200
    page = html(response)
    # The nav's first link, for everyone.
    nav = page[page.index('class="site-nav__list'):]
    assert re.search(r'<li><a href="/gallery/" aria-current="page">Gallery</a></li>', nav[:400])
    cards = re.findall(r'<li class="gcard" data-id="(pub_[0-9a-f]+)"', page)
    assert set(cards) == {p.public_id for p in published}
    assert 'data-feed="' in page and 'data-position="0"' in page
    for publication in published:
        assert publication.title in page
    assert team.owner.name in page and "#ocean" in page and "CC BY 4.0" in page
    # Why each is shown; the registered one links to its certificate; logged out, no viewer state.
    assert "Why this?" in page and ("Popular" in page or "New on Storyloom" in page)
    work = published[0].asset.works.get()
    assert f'href="/works/{work.public_id}/"' in page
    assert not re.search(r'data-action="(like|save)" aria-pressed="true"', page)
    assert 'id="card-template"' in page and "js/gallery.bundle.js" in page


def test_the_feed_pages_on_without_scripts(client: Client, team: Team) -> None:
    titles = {publish(team.project, team.owner, title=f"Work {n}", tags=["sea"], seed=n).public_id
              for n in range(23)}
    first = html(client.get(reverse("gallery:home")))
    ids = re.findall(r'class="gcard" data-id="(pub_[0-9a-f]+)"', first)
    assert len(ids) == 20  # a page
    more = re.search(r'id="feed-load-more" href="\?cursor=([\w.-]+)"', first)
    assert more is not None
    second = html(client.get(reverse("gallery:home") + f"?cursor={more.group(1)}"))
    rest = re.findall(r'class="gcard" data-id="(pub_[0-9a-f]+)"', second)
    assert set(ids) | set(rest) == titles and not set(ids) & set(rest)
    assert 'data-position="20"' in second
    last = re.search(r'id="feed-load-more" href="\?cursor=([\w.-]+)"', second)
    assert last is not None
    end = html(client.get(reverse("gallery:home") + f"?cursor={last.group(1)}"))
    assert "You have seen everything for now" in end and "gcard\" data-id" not in end
    # An unknown cursor starts again instead of failing.
    response = client.get(reverse("gallery:home") + "?cursor=nonsense")
    assert response.status_code == 200 and len(re.findall(r'class="gcard" data-id=', html(response))) == 20


def test_a_first_visit_goes_to_the_welcome_and_back(as_user, team: Team) -> None:
    works(team)
    ada: User = UserFactory()
    client = as_user(ada)
    response = client.get(reverse("gallery:home"))
    assert response.status_code == 302 and response.url == reverse("gallery:onboarding")
    page = html(client.get(reverse("gallery:onboarding")))
    assert "Welcome to the gallery" in page and 'value="ocean"' in page and 'value="forest"' in page
    # A bad tag is refused on its field.
    response = client.post(reverse("gallery:onboarding"), {"tags": ["ocean"], "other": "not/a/tag",
                                                           "variety": "40"})
    assert response.status_code == 400 and "is not a tag" in html(response)
    assert preferences_get(user=ada).onboarded_at is None
    response = client.post(reverse("gallery:onboarding"), {"tags": ["ocean", "forest"], "other": "#Noir",
                                                           "variety": "60"})
    assert response.status_code == 302 and response.url == reverse("gallery:home")
    prefs = Preferences.objects.get(user=ada)
    assert prefs.tag_weights == {"ocean": 1.0, "forest": 1.0, "noir": 1.0} and prefs.variety == 60
    assert prefs.onboarded_at is not None
    response = client.get(reverse("gallery:home"))
    assert response.status_code == 200 and "Matches your interest in #" in html(response)


def test_skipping_the_welcome(as_user, team: Team) -> None:
    bo: User = UserFactory()
    client = as_user(bo)
    response = client.post(reverse("gallery:onboarding"), {"skip": "1"})
    assert response.status_code == 302
    prefs = preferences_get(user=bo)
    assert prefs.onboarded_at is not None and prefs.tag_weights == {}
    assert client.get(reverse("gallery:home")).status_code == 200
    assert client.get(reverse("gallery:preferences")).status_code == 200


def test_the_viewer_sees_their_likes_and_saves(as_user, team: Team) -> None:
    first, second, *_rest = works(team)
    viewer = onboarded(UserFactory())
    like_set(user=viewer, publication_id=first.public_id, liked=True)
    save_set(user=viewer, publication_id=second.public_id, saved=True)
    page = html(as_user(viewer).get(reverse("gallery:work", args=[first.public_id])))
    assert re.search(r'data-action="like" aria-pressed="true"', page)
    page = html(as_user(viewer).get(reverse("gallery:collections")))
    assert "Saved" in page and second.title in page and first.title not in page
    assert re.search(r'data-action="save" aria-pressed="true"', page)


def test_the_pages_beacon_is_accepted(team: Team) -> None:
    """What static/js/src/gallery/signals.js sends when the page is left: a form with the events as JSON
    and the page's CSRF token (navigator.sendBeacon cannot set headers)."""
    first, second, *_rest = works(team)
    viewer = onboarded(UserFactory())
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)
    page = html(client.get(reverse("gallery:home")))
    token = re.search(r'data-csrf-token="([^"]+)"', page)
    feed = re.search(r'data-feed="([^"]+)"', page)
    assert token is not None and feed is not None
    events = [{"publication": first.public_id, "kind": "impression", "feed": feed.group(1), "position": 0,
               "reason": "popular"},
              {"publication": second.public_id, "kind": "view", "dwell_ms": 4200}]
    response = client.post(reverse("api-gallery-signals"), {"events": json.dumps(events),
                                                             "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 202
    kinds = set(viewer.signals.values_list("kind", "publication_id", "dwell_ms"))
    assert kinds == {("impression", first.pk, None), ("view", second.pk, 4200)}
    response = client.post(reverse("api-gallery-signals"), {"events": json.dumps(events)})
    assert response.status_code == 403  # without the token


# --- a work, a creator -------------------------------------------------------------------------


def test_a_work_page(client: Client, team: Team) -> None:
    published = works(team)
    work = published[0]
    register(work.asset, team.owner)
    other = project_with_team(name="Elsewhere")
    stranger_work = publish(other.project, other.owner, title="Tide pools", tags=["ocean"], seed=40)
    page = html(client.get(reverse("gallery:work", args=[work.public_id])))
    assert "<h1" in page and work.title in page and "Harbour at dawn, cinematic" in page
    assert f'src="/api/v1/gallery/works/{work.public_id}/media/file"' in page
    assert team.owner.name in page and f'href="/gallery/creators/{team.owner.username}/"' in page
    assert "#harbour" in page and "CC BY 4.0" in page and "See the certificate" in page
    assert "More like this" in page and stranger_work.title in page  # shares #ocean, another creator
    assert f"More from {team.owner.name}" in page and published[3].title in page
    assert "Log in to remix it" in page and 'name="project"' not in page
    assert client.get(reverse("gallery:work", args=["pub_0000"])).status_code == 404


def test_a_video_work(client: Client, team: Team) -> None:
    asset = image_asset(team.project, team.owner, seed=12, prompt="a wave rolling in")
    asset.kind, asset.seconds = "video", 2.5
    asset.preview.save("preview.webp", ContentFile(b"RIFF0000WEBP"), save=False)
    asset.save()
    work = publication_publish(project=team.project, user=team.owner, asset_id=asset.pk, title="Wave",
                               tags=["ocean"])
    media = f"/api/v1/gallery/works/{work.public_id}/media/"
    feed = html(client.get(reverse("gallery:home")))
    assert "Video · 2.5 s" in feed and f'data-preview="{media}preview"' in feed
    assert f'data-file="{media}file"' in feed
    page = html(client.get(reverse("gallery:work", args=[work.public_id])))
    assert re.search(rf'<video class="gwork-media"[^>]*poster="{media}poster" src="{media}file"', page)
    response = client.get(f"{media}preview")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"RIFF0000WEBP"


def test_an_unpublished_work_is_for_its_owners_only(client: Client, as_user, team: Team) -> None:
    work = works(team)[0]
    owner = as_user(team.owner)
    response = owner.post(reverse("gallery:status", args=[work.public_id]), {"status": "unpublished"})
    assert response.status_code == 302
    assert Publication.objects.get(pk=work.pk).status == PublicationStatus.UNPUBLISHED
    page = html(owner.get(reverse("gallery:work", args=[work.public_id])))
    assert "only the project's owners" in page and "Publish again" in page
    assert work.title not in html(owner.get(reverse("gallery:creator", args=[team.owner.username])))
    client.logout()
    assert client.get(reverse("gallery:work", args=[work.public_id])).status_code == 404
    for who in (team.viewer, team.outsider):
        assert as_user(who).get(reverse("gallery:work", args=[work.public_id])).status_code == 404


def test_remixing_a_work_into_my_project(as_user, team: Team) -> None:
    work = works(team)[1]
    mine = project_with_team(name="My remixes")
    client = as_user(mine.editor)
    page = html(client.get(reverse("gallery:work", args=[work.public_id])))
    assert "Remix into my project" in page and f'<option value="{mine.project.pk}"' in page
    assert f'<option value="{team.project.pk}"' not in page  # not a member there
    response = client.post(reverse("gallery:remix", args=[work.public_id]),
                           {"project": str(mine.project.pk), "prompt": "Deep blue, at night"})
    assert response.status_code == 302
    assert response.url == reverse("projects:detail", args=[mine.project.pk]) + "#jobs"
    job = Job.objects.get(project=mine.project)
    assert job.parent_id == work.asset_id and job.prompt == "Deep blue, at night"
    # A viewer of a project cannot generate there: not offered, and refused if sent.
    response = as_user(mine.viewer).post(reverse("gallery:remix", args=[work.public_id]),
                                         {"project": str(mine.project.pk)})
    assert response.status_code == 400 and Job.objects.filter(project=mine.project).count() == 1


def test_a_creator_page(client: Client, as_user, team: Team) -> None:
    published = works(team)
    team.owner.bio = "I paint the sea."
    team.owner.save()
    page = html(client.get(reverse("gallery:creator", args=[team.owner.username])))
    assert team.owner.name in page and "I paint the sea." in page
    assert re.search(r"<dt>Works</dt><dd>6</dd>", page) and 'id="creator-followers">0<' in page
    for publication in published:
        assert publication.title in page
    assert 'data-follow="' not in page and "Log in" in page
    page = html(as_user(team.viewer).get(reverse("gallery:creator", args=[team.owner.username])))
    assert f'data-follow="{team.owner.username}" data-count="#creator-followers" aria-pressed="false"' in page
    assert client.get(reverse("gallery:creator", args=["nobody-at-all"])).status_code == 404


# --- preferences -------------------------------------------------------------------------------


def test_preferences_save_and_say_what_is_wrong(as_user, team: Team) -> None:
    published = works(team)
    ada = onboarded(UserFactory())
    hide(user=ada, publication_id=published[5].public_id)
    client = as_user(ada)
    page = html(client.get(reverse("gallery:preferences")))
    assert "Gallery preferences" in page and 'name="weight_tag"' in page and published[5].title in page
    form = {"weight_tag": ["ocean", "forest", ""], "weight_value": ["2", "-1", "1"],
            "blocked_tags": "gore, city", "blocked_creators": f"@{team.editor.username}", "variety": "70"}
    response = client.post(reverse("gallery:preferences"), form)
    assert response.status_code == 302
    prefs = Preferences.objects.get(user=ada)
    assert prefs.tag_weights == {"ocean": 2.0, "forest": -1.0} and prefs.variety == 70
    assert sorted(t.name for t in prefs.blocked_tags.all()) == ["city", "gore"]
    assert [u.pk for u in prefs.blocked_creators.all()] == [team.editor.pk]
    page = html(client.get(reverse("gallery:preferences")))
    assert re.search(r'value="ocean".*?<option value="2" selected>Much more', page, re.S)
    assert 'value="city gore"' in page

    # Errors go on their fields, and nothing changes.
    response = client.post(reverse("gallery:preferences"), {**form, "variety": "150"})
    assert response.status_code == 400
    assert re.search(r'field--error[^>]*>\s*<label for="id_variety"', html(response))
    assert "less than or equal to 100" in html(response)
    response = client.post(reverse("gallery:preferences"), {**form, "blocked_creators": "nobody-here"})
    assert response.status_code == 400 and "No such creator: nobody-here." in html(response)
    response = client.post(reverse("gallery:preferences"), {**form, "weight_value": ["lots", "-1", "1"]})
    assert response.status_code == 400 and "The weight of ocean is a number from -1 to 2." in html(response)
    response = client.post(reverse("gallery:preferences"), {**form, "weight_tag": ["no/slash", "", ""]})
    assert response.status_code == 400 and "is not a tag" in html(response)
    assert Preferences.objects.get(user=ada).variety == 70

    # A hidden work, shown again.
    response = client.post(reverse("gallery:unhide", args=[published[5].public_id]))
    assert response.status_code == 302 and not ada.hidden.exists()


def test_the_gallery_pages_that_need_a_login(client: Client) -> None:
    page = html(client.get(reverse("gallery:home")))  # an empty gallery, for anyone
    assert "Nothing to show yet." in page and "gcard\" data-id" not in page
    for name in ("gallery:preferences", "gallery:onboarding", "gallery:collections"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and str(response.url).startswith(reverse("accounts:login"))


# --- publishing --------------------------------------------------------------------------------


def publish_url(team: Team, asset_id: int) -> str:
    return reverse("gallery:publish", args=[team.project.pk, asset_id])


def test_an_owner_publishes_a_render(as_user, team: Team) -> None:
    asset = image_asset(team.project, team.editor, seed=3, prompt="A lighthouse   on a cliff at dusk")
    client = as_user(team.owner)
    page = html(client.get(publish_url(team, asset.pk)))
    assert 'value="A lighthouse on a cliff at dusk"' in page and '<option value="en" selected>' in page
    assert 'value="cc-by-4.0"' in page and "checked" in page and 'value="custom"' not in page
    response = client.post(publish_url(team, asset.pk), {"title": "", "tags": "a/b", "language": "en",
                                                         "licence": "cc-by-4.0"})
    assert response.status_code == 400 and "Give the work a title" in html(response)
    response = client.post(publish_url(team, asset.pk), {
        "title": "Lighthouse", "description": "Dusk.", "tags": "#Sea, cliffs dusk", "language": "fr",
        "licence": "cc-by-nd-4.0"})
    publication = Publication.objects.get(asset=asset)
    work_url = reverse("gallery:work", args=[publication.public_id])
    assert response.status_code == 302 and response.url == work_url
    assert publication.creator == team.owner and publication.language == "fr"
    assert publication.licence == "cc-by-nd-4.0"
    assert sorted(t.name for t in publication.tags.all()) == ["cliffs", "dusk", "sea"]
    # Published already: the page sends to the work; the project's player links to it.
    response = client.get(publish_url(team, asset.pk))
    assert response.status_code == 302 and response.url == work_url
    page = html(client.get(reverse("projects:detail", args=[team.project.pk])))
    assert 'id="asset-publish"' in page and f'"{asset.pk}": "/gallery/works/{publication.public_id}/"' in page


def test_only_owners_publish(as_user, team: Team) -> None:
    asset = image_asset(team.project, team.editor)
    for who, status in ((team.editor, 403), (team.viewer, 403), (team.outsider, 404)):
        client = as_user(who)
        assert client.get(publish_url(team, asset.pk)).status_code == status
        response = client.post(publish_url(team, asset.pk), {"title": "Mine", "language": "en"})
        assert response.status_code == status
    assert not Publication.objects.exists()
    assert as_user(team.owner).get(publish_url(team, 999999)).status_code == 404
    page = html(as_user(team.editor).get(reverse("projects:detail", args=[team.project.pk])))
    assert 'id="asset-publish"' not in page and 'id="asset-published"' in page


def test_a_registered_render_keeps_its_licence(as_user, team: Team) -> None:
    asset = image_asset(team.project, team.owner, seed=9)
    work = register(asset, team.owner, licence="cc-by-nc-4.0")
    client = as_user(team.owner)
    page = html(client.get(publish_url(team, asset.pk)))
    assert "This work is registered under CC BY-NC 4.0" in page and f"/works/{work.public_id}/" in page
    assert re.search(r'<fieldset class="choice-list"[^>]*disabled', page)
    response = client.post(publish_url(team, asset.pk), {"title": "Registered one", "language": "en",
                                                         "licence": "cc-by-4.0"})
    assert response.status_code == 302
    assert Publication.objects.get(asset=asset).licence == "cc-by-nc-4.0"
