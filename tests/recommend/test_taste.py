"""Aesthetic taste in the feed: the looks a viewer takes to are learned from what they like and hide,
steered on Preferences, a term of the score with its own reason, and the gallery can be browsed by
colour. Works are real pictures, measured by aesthetics.measures."""

import io
from collections import Counter
from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image

from accounts.models import User
from aesthetics.services import report_make
from kernel.errors import ValidationFailed
from recommend import preferences, services, serving, taste
from recommend.feed import ranked, viewer_leanings
from recommend.models import Publication
from recommend.ranking import Reason
from recommend.services import publication_publish
from tests.accounts.factories import UserFactory
from tests.generation.factories import image_render
from tests.projects.factories import project_with_team

pytestmark = pytest.mark.django_db

WARM, COOL = (225, 110, 40), (40, 90, 210)


def picture(seed: int, colour: tuple[int, int, int]) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = np.clip(np.array(colour, dtype=np.float32) + rng.normal(0, 25, (8, 8, 3)), 0, 255)
    image = Image.fromarray(pixels.astype(np.uint8)).resize((96, 96), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def gallery(per_look: int = 10) -> dict[str, Any]:
    """`per_look` warm and as many cool pictures with the same words, measured as a render is."""
    team = project_with_team()
    looks: dict[int, str] = {}
    for n in range(2 * per_look):
        look, colour = ("warm", WARM) if n % 2 == 0 else ("cool", COOL)
        data = picture(n, colour)
        asset = image_render(team.project, team.owner, data, size=96, prompt="a still life", seed=n)
        report_make(sha256=asset.sha256, frames=np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))[None],
                    fps=None)
        publication = publication_publish(project=team.project, user=team.owner, asset_id=asset.pk,
                                          title=f"Still life {n}", description="", tags=[], language="en",
                                          licence="")
        looks[publication.pk] = look
    serving.reset()
    return {"looks": looks, "owner": team.owner}


def looks_of(items: list[tuple[int, dict[str, Any]]], looks: dict[int, str]) -> Counter[str]:
    return Counter(looks[pk] for pk, reason in items if reason["code"] != Reason.EXPLORE)


def test_a_viewer_who_likes_warm_pictures_is_shown_warm_ones_and_told_why() -> None:
    made = gallery()
    viewer: User = UserFactory()
    preferences.onboarding_complete(user=viewer, tags=[], variety=0)
    warm = [Publication.objects.get(pk=pk) for pk, look in made["looks"].items() if look == "warm"]
    for work in warm[:3]:
        services.like_set(user=viewer, publication_id=work.public_id, liked=True)
    items = ranked(viewer, size=8, seed=3)
    shown = looks_of(items[:6], made["looks"])
    assert shown["warm"] == sum(shown.values()) >= 4
    reasons = [reason for _pk, reason in items if reason["code"] == Reason.TASTE]
    assert reasons and {reason["measure"] for reason in reasons} <= set(taste.TASTE)
    assert dict(viewer_leanings(viewer))["warmth"] > 0.3


def test_asking_for_cooler_looks_on_preferences_leads_with_cool_pictures_from_the_first_visit() -> None:
    made = gallery()
    viewer: User = UserFactory()
    preferences.onboarding_complete(user=viewer, tags=[], variety=0)
    neutral = looks_of(ranked(viewer, size=8, seed=5)[:6], made["looks"])
    preferences.preferences_update(user=viewer, taste={"warmth": -1})
    cooled = looks_of(ranked(viewer, size=8, seed=5)[:6], made["looks"])
    assert cooled["cool"] == sum(cooled.values()) and cooled["cool"] > neutral["cool"]


def test_hiding_warm_pictures_turns_the_feed_cool() -> None:
    made = gallery()
    viewer: User = UserFactory()
    preferences.onboarding_complete(user=viewer, tags=[], variety=0)
    for pk in [pk for pk, look in made["looks"].items() if look == "warm"][:3]:
        services.hide(user=viewer, publication_id=Publication.objects.get(pk=pk).public_id)
    assert dict(viewer_leanings(viewer))["warmth"] < 0
    assert looks_of(ranked(viewer, size=6, seed=2)[:4], made["looks"])["cool"] >= 3


@pytest.mark.parametrize("bad", [{"beauty": 1}, {"warmth": 2}, {"warmth": True}, {"warmth": "1"}, ["warmth"],
                                 {f"m{n}": 1 for n in range(50)}])
def test_taste_outside_its_measures_and_values_is_refused_and_nothing_changes(bad: Any) -> None:
    viewer: User = UserFactory()
    preferences.preferences_update(user=viewer, taste={"contrast": 1})
    with pytest.raises(ValidationFailed) as refused:
        preferences.preferences_update(user=viewer, taste=bad, variety=80)
    assert "taste" in refused.value.fields
    prefs = preferences.preferences_get(user=viewer)
    assert prefs.taste == {"contrast": 1} and prefs.variety == 30


def test_the_preferences_page_and_the_api_edit_taste(client: Any) -> None:
    viewer: User = UserFactory()
    client.force_login(viewer)
    page = client.get(reverse("gallery:preferences"))
    assert page.status_code == 200 and 'name="taste_warmth"' in page.content.decode()
    posted = client.post(reverse("gallery:preferences"), {"variety": 30, "taste_warmth": "1",
                                                          "taste_motion": "-1", "taste_contrast": "0"})
    assert posted.status_code == 302
    assert preferences.preferences_get(user=viewer).taste == {"warmth": 1, "motion": -1}
    refused = client.post(reverse("gallery:preferences"), {"variety": 30, "taste_warmth": "7"})
    assert refused.status_code == 400 and "taste_warmth_errors" in refused.content.decode()
    assert preferences.preferences_get(user=viewer).taste == {
        "warmth": 1, "motion": -1}

    api = client.put("/api/v1/gallery/preferences", {"taste": {"brightness": -1}},
                     content_type="application/json")
    assert api.status_code == 200 and api.json()["taste"] == {"brightness": -1}
    bad = client.put("/api/v1/gallery/preferences", {"taste": {"beauty": 1}}, content_type="application/json")
    assert bad.status_code == 400 and "taste" in bad.json()["error"]["fields"]
    assert preferences.preferences_get(user=viewer).taste == {"brightness": -1}


def test_learned_taste_is_shrunk_while_there_is_little_of_it() -> None:
    looks = np.array([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]], dtype=np.float32)
    one = taste.learned(looks, [(0, 4.0)], [])
    many = taste.learned(looks, [(0, 4.0)] * 10, [])
    assert 0 < one[0] < many[0] < 1.0
    assert taste.learned(looks, [], [2])[0] > 0  # hiding a low one leans high


def test_colour_match_finds_the_palette_near_a_colour() -> None:
    lab, share = taste.palettes([{"palette": [{"hex": "#e06e28", "share": 0.8},
                                              {"hex": "#202020", "share": 0.2}]},
                                 {"palette": [{"hex": "#2858d2", "share": 1.0}]}, None,
                                 {"palette": [{"hex": "nonsense", "share": 1.0}]}])
    orange = taste.colour_match(lab, share, taste.hex_to_lab(["#e8742a"])[0])
    assert orange[0] > 0.6 and orange[1] == 0 and orange[2] == 0 and orange[3] == 0


def test_the_gallery_is_browsed_by_colour_on_a_page_and_in_the_api(client: Any) -> None:
    made = gallery(per_look=4)
    warm = {Publication.objects.get(pk=pk).public_id for pk, look in made["looks"].items() if look == "warm"}
    page = client.get(reverse("gallery:colours"), {"colour": "orange"})
    assert page.status_code == 200
    html = page.content.decode()
    assert all(public_id in html for public_id in warm)
    assert not any(Publication.objects.get(pk=pk).public_id in html for pk, look in made["looks"].items()
                   if look == "cool")
    found = client.get("/api/v1/gallery/colours", {"colour": "#e06e28"}).json()
    assert {card["id"] for card in found["results"]} == warm
    assert all(0 < card["match"] <= 1 for card in found["results"])
    matches = [card["match"] for card in found["results"]]
    assert matches == sorted(matches, reverse=True)
    blue = client.get("/api/v1/gallery/colours", {"colour": "2858d2"}).json()  # the "#" may be left out
    assert len(blue["results"]) == 4 and not {card["id"] for card in blue["results"]} & warm


@pytest.mark.parametrize("bad", ["", "#12345", "#gggggg", "orange; drop table", "#" + "a" * 5000])
def test_a_colour_that_is_not_one_gets_the_api_error_and_the_page_says_so(client: Any, bad: str) -> None:
    answer = client.get("/api/v1/gallery/colours", {"colour": bad})
    assert answer.status_code == 400 and answer["Content-Type"].startswith("application/json")
    assert "colour" in answer.json()["error"]["fields"]
    if bad:
        page = client.get(reverse("gallery:colours"), {"colour": bad})
        assert page.status_code == 400 and "#rrggbb" in page.content.decode()


def test_a_published_works_page_shows_its_aesthetic_report_to_anyone(client: Any) -> None:
    made = gallery(per_look=1)
    warm = Publication.objects.get(pk=next(pk for pk, look in made["looks"].items() if look == "warm"))
    html = client.get(reverse("gallery:work", args=[warm.public_id])).content.decode()
    assert "aesthetics-heading" in html and "Warmth" in html
    assert '<svg class="aesthetics-report__palette"' in html


def test_standing_reads_the_gallery_once_and_again_when_it_changes(
        django_assert_num_queries: Any, django_capture_on_commit_callbacks: Any) -> None:
    from aesthetics.models import Report
    from aesthetics.selectors import standing

    made = gallery(per_look=2)

    def expected(report: Report, pks: list[int]) -> tuple[float, float]:
        shas = [Publication.objects.get(pk=pk).asset.sha256 for pk in pks]
        values = [Report.objects.get(sha256=sha).measures["brightness"] for sha in shas]
        mine = report.measures["brightness"]
        return (round(100 * sum(v < mine for v in values) / len(values), 1),
                round(100 * sum(v > mine for v in values) / len(values), 1))

    pks = list(made["looks"])
    report = Report.objects.get(sha256=Publication.objects.get(pk=pks[0]).asset.sha256)
    first = standing(report=report)
    assert first["brightness"] == expected(report, pks)
    with django_assert_num_queries(0):  # (the cache is not the database)
        assert standing(report=report) == first
    gone = Publication.objects.get(pk=pks[1])
    with django_capture_on_commit_callbacks(execute=True):  # (the gallery's change, once committed)
        services.publication_update(publication_id=gone.public_id, user=made["owner"], status="unpublished")
    assert standing(report=report)["brightness"] == expected(report, [pks[0], *pks[2:]])
