"""The feed: cold start, what must never be shown, sessions and cursors, reasons, and learning (a
viewer who likes many #ocean works gets more of them, after a retrain and between retrains)."""

from collections import Counter
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from accounts.models import User
from kernel.errors import ValidationFailed
from recommend import embeddings, preferences, services, serving, training
from recommend.feed import feed_page, ranked
from recommend.models import ModelVersion, Publication, UserVector
from recommend.ranking import Reason, mmr
from tests.accounts.factories import UserFactory
from tests.projects.factories import project_with_team
from tests.recommend.gallery_data import publish

pytestmark = pytest.mark.django_db

TAGS = ["ocean", "forest", "city", "desert"]
SCENES = {"ocean": ["waves breaking on a reef", "a whale under the sea", "surfers at sunset on the beach",
                    "a lighthouse in a storm at sea", "jellyfish drifting in deep blue water",
                    "a sailing boat on the open ocean", "tide pools on a rocky shore", "coral and fish"],
          "forest": ["pine trees in fog", "a deer in the woods", "moss on old oak trees", "a forest path",
                     "autumn leaves in a beech wood", "a waterfall in the jungle", "mushrooms on a log",
                     "sunlight through the canopy"],
          "city": ["neon streets at night", "a subway train", "skyscrapers in the rain", "a busy market",
                   "traffic on a bridge", "rooftops at dawn", "a cafe on a corner", "a tram in the old town"],
          "desert": ["dunes at noon", "a camel caravan", "cactus in the heat", "a canyon at dusk",
                     "an oasis with palms", "salt flats", "wind over sand", "a desert road"]}


def gallery() -> dict[str, Any]:
    """32 works, 8 per tag, by two creators of two projects (ocean and city by one, the rest by the other)."""
    first, second = project_with_team(), project_with_team()
    works: dict[str, list[Publication]] = {tag: [] for tag in TAGS}
    for tag in TAGS:
        team = first if tag in ("ocean", "city") else second
        for n, scene in enumerate(SCENES[tag]):
            works[tag].append(publish(team.project, team.owner, title=scene.capitalize(), tags=[tag],
                                      prompt=scene, seed=n))
    return {"works": works, "first": first, "second": second,
            "by_pk": {w.pk: tag for tag, items in works.items() for w in items}}


def tags_of(pks: list[int], by_pk: dict[int, str]) -> Counter[str]:
    return Counter(by_pk[pk] for pk in pks)


@pytest.fixture
def shown_gallery() -> dict[str, Any]:
    made = gallery()
    embeddings.embed_missing()  # the real MiniLM model, from the package
    serving.reset()
    return made


def test_the_embeddings_are_real_text_embeddings(shown_gallery: dict[str, Any]) -> None:
    cat, _model = serving.catalogue()
    works = shown_gallery["works"]
    vectors = {pk: cat.vectors[cat.index[pk]] for pk in cat.index}
    assert all(abs(float(np.linalg.norm(v)) - 1) < 1e-4 for v in vectors.values())
    reef, whale, dunes = works["ocean"][0].pk, works["ocean"][1].pk, works["desert"][0].pk
    assert float(vectors[reef] @ vectors[whale]) > float(vectors[reef] @ vectors[dunes])


def test_cold_start_leads_with_the_tags_chosen_at_onboarding(shown_gallery: dict[str, Any]) -> None:
    viewer: User = UserFactory()
    preferences.onboarding_complete(user=viewer, tags=["forest"], variety=0)
    page = feed_page(user=viewer, size=10)
    pks = [item.publication.pk for item in page.items]
    assert tags_of(pks, shown_gallery["by_pk"])["forest"] >= 7
    assert Counter(item.reason["code"] for item in page.items)[Reason.INTEREST] >= 7
    anonymous = feed_page(user=None, size=10)
    assert len(anonymous.items) == 10
    assert {item.reason["code"] for item in anonymous.items} <= {Reason.POPULAR, Reason.FRESH, Reason.EXPLORE}


def test_blocked_hidden_reported_and_own_works_never_appear(shown_gallery: dict[str, Any]) -> None:
    works, first = shown_gallery["works"], shown_gallery["first"]
    viewer: User = UserFactory()
    preferences.preferences_update(user=viewer, blocked_tags=["desert"])
    hidden, reported = works["forest"][0], works["forest"][1]
    services.hide(user=viewer, publication_id=hidden.public_id)
    services.report(user=viewer, publication_id=reported.public_id, reason="spam")
    seen: list[int] = []
    cursor = None
    for _ in range(4):
        page = feed_page(user=viewer, cursor=cursor, size=10)
        seen += [item.publication.pk for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "pages of a session never repeat"
    by_pk = shown_gallery["by_pk"]
    assert tags_of(seen, by_pk)["desert"] == 0 and hidden.pk not in seen and reported.pk not in seen
    assert len(seen) == 32 - 8 - 2  # everything else was shown, once
    preferences.preferences_update(user=viewer, blocked_tags=[], blocked_creators=[first.owner.username])
    pks = [item.publication.pk for item in feed_page(user=viewer, size=30).items]
    assert not {by_pk[pk] for pk in pks} & {"ocean", "city"}
    own = [item.publication.pk for item in feed_page(user=first.owner, size=30).items]
    assert not {by_pk[pk] for pk in own} & {"ocean", "city"}


def test_works_shown_again_and_again_but_ignored_fade(shown_gallery: dict[str, Any], settings: Any) -> None:
    settings.RECOMMEND_SIGNAL_WINDOW_S = 0  # six showings as if in six windows (one window keeps one)
    viewer: User = UserFactory()
    preferences.onboarding_complete(user=viewer, tags=["forest"], variety=0)
    first = [pk for pk, _ in ranked(viewer, size=5, seed=1)]
    ignored = Publication.objects.get(pk=first[0])
    shown = {"publication": ignored.public_id, "kind": "impression"}
    services.signals_record(user=viewer, events=[shown] * 6)
    after = [pk for pk, _ in ranked(viewer, size=20, seed=1)]
    assert after.index(ignored.pk) > 5


def test_every_item_carries_a_reason_and_a_bad_cursor_is_refused(shown_gallery: dict[str, Any]) -> None:
    viewer: User = UserFactory()
    page = feed_page(user=viewer, size=20)
    assert all(item.reason.get("code") for item in page.items)
    assert [item.position for item in page.items] == list(range(20))
    second = feed_page(user=viewer, cursor=page.next_cursor, size=20)
    assert [item.position for item in second.items] == list(range(20, 20 + len(second.items)))
    for bad in ("nonsense", "abc.", "x" * 50 + ".1"):
        with pytest.raises(ValidationFailed) as refused:
            feed_page(user=viewer, cursor=bad)
        assert "cursor" in refused.value.fields
    with pytest.raises(ValidationFailed):
        feed_page(user=viewer, size=0)


def test_a_viewer_who_likes_ocean_works_gets_more_of_them(shown_gallery: dict[str, Any]) -> None:
    """Others' tastes train the collaborative model; the viewer's own likes count at once (content),
    after the retrain, and between retrains (their vector is refreshed)."""
    works, by_pk = shown_gallery["works"], shown_gallery["by_pk"]

    def ocean_share(items: list[tuple[int, dict[str, Any]]]) -> int:
        return tags_of([pk for pk, _ in items], by_pk)["ocean"]

    for n in range(12):  # people who like one tag each
        fan: User = UserFactory()
        for work in works[TAGS[n % 4]][n % 2::2] + works[TAGS[n % 4]][:2]:
            services.like_set(user=fan, publication_id=work.public_id, liked=True)
    viewer: User = UserFactory()
    preferences.onboarding_complete(user=viewer, tags=[], variety=0)
    before = ocean_share(ranked(viewer, size=12, seed=1))
    for work in works["ocean"][:3]:
        services.like_set(user=viewer, publication_id=work.public_id, liked=True)
    right_away = ranked(viewer, size=12, seed=1)
    assert ocean_share(right_away) >= before + 3
    assert any(reason["code"] == Reason.LIKED for _pk, reason in right_away)

    version = training.retrain()
    assert version is not None and ModelVersion.objects.filter(active=True).get() == version
    serving.reset()
    after_retrain = [(pk, reason) for pk, reason in ranked(viewer, size=12, seed=1)
                     if reason["code"] != Reason.EXPLORE]
    assert ocean_share(after_retrain[:5]) == 5  # the five ocean works not liked yet lead

    # Between retrains: more likes refresh the viewer's vector, and the feed follows them.
    for work in works["city"][:4]:
        services.like_set(user=viewer, publication_id=work.public_id, liked=True)
    assert training.user_vector_refresh(user_id=viewer.pk)
    assert UserVector.objects.filter(user=viewer).exists()
    refreshed = tags_of([pk for pk, _ in ranked(viewer, size=8, seed=1)], by_pk)
    assert refreshed["city"] >= 2 and refreshed["ocean"] >= 2


def test_variety_spreads_the_feed_across_tags(shown_gallery: dict[str, Any]) -> None:
    by_pk = shown_gallery["by_pk"]
    focused: User = UserFactory()
    varied: User = UserFactory()
    preferences.onboarding_complete(user=focused, tags=["ocean"], variety=0)
    preferences.onboarding_complete(user=varied, tags=["ocean"], variety=100)
    narrow = tags_of([pk for pk, _ in ranked(focused, size=10, seed=2)], by_pk)
    wide = tags_of([pk for pk, _ in ranked(varied, size=10, seed=2)], by_pk)
    assert narrow["ocean"] > wide["ocean"] and len(wide) > len(narrow)
    codes = [reason["code"] for _pk, reason in ranked(varied, size=10, seed=2)]
    assert codes.count(Reason.EXPLORE) == 2


def test_mmr_trades_relevance_for_diversity() -> None:
    vectors = np.array([[1, 0], [0.99, 0.14], [0, 1]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    relevance = np.array([1.0, 0.95, 0.5], dtype=np.float32)
    creators = np.array([1, 2, 3])
    assert mmr(relevance, vectors, creators, count=2, trade_off=1.0) == [0, 1]
    assert mmr(relevance, vectors, creators, count=2, trade_off=0.3) == [0, 2]
    same_tag = sp.csr_matrix(np.array([[1, 0], [0, 1], [0, 1]], dtype=np.float32))
    orthogonal = np.eye(3, dtype=np.float32)
    assert mmr(relevance, orthogonal, creators, count=2, trade_off=0.5, tags=same_tag) == [0, 1]
    assert mmr(np.array([1.0, 0.9, 0.8]), orthogonal, creators, count=2, trade_off=0.4,
               tags=sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32))) == [0, 2]


def test_a_model_is_usable_once_trained_and_not_when_its_files_are_gone(shown_gallery: dict[str, Any],
                                                                       settings: Any) -> None:
    import shutil

    assert not training.model_usable()
    for n in range(3):
        fan: User = UserFactory()
        for work in shown_gallery["works"][TAGS[n]][:4]:
            services.like_set(user=fan, publication_id=work.public_id, liked=True)
    version = training.retrain()
    assert version is not None and training.model_usable()
    shutil.rmtree(settings.RECOMMEND_DIR / "models" / version.version)
    assert not training.model_usable()
