"""Audience appeal, learned: exposures from signals, a model fitted with the recommender, and a
creator's render's predicted reception with what drives it, before publishing (page and API),
only for those who may publish it."""

from io import BytesIO
from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from PIL import Image

from accounts.models import User
from aesthetics.services import report_make
from recommend import appeal, reception, services, serving, training
from recommend.models import Publication, Signal, SignalKind
from recommend.reception import reception_predict
from tests.accounts.factories import UserFactory
from tests.generation.factories import image_render
from tests.recommend.test_taste import COOL, WARM, gallery, picture

pytestmark = pytest.mark.django_db


def test_exposures_take_the_strongest_outcome_and_a_hide_wins() -> None:
    rows = [(1, 10, SignalKind.IMPRESSION, None), (1, 10, SignalKind.LIKE, None),
            (1, 11, SignalKind.IMPRESSION, None), (1, 11, SignalKind.VIEW, 1200),
            (1, 12, SignalKind.VIEW, 9000), (1, 13, SignalKind.SAVE, None), (1, 13, SignalKind.HIDE, None),
            (2, 10, SignalKind.REVIEW, None)]
    assert training.exposures(rows) == {(1, 10): 1, (1, 11): 0, (1, 12): 1, (1, 13): 0, (2, 10): 1}


def test_the_model_learns_which_measure_draws_the_audience_and_says_so() -> None:
    rng = np.random.default_rng(0)
    raw = appeal.measure_matrix([{"warmth": float(w), "brightness": float(b)}
                                 for w, b in rng.uniform(0, 1, (200, 2))])
    embeddings = np.zeros((200, 384), dtype=np.float32)
    warmth = appeal.APPEAL_MEASURES.index("warmth")
    examples = [(row, int(rng.random() < 0.1 + 0.8 * raw[row, warmth])) for row in range(200)
                for _ in range(3)]
    model = appeal.fit(raw, embeddings, examples)
    assert model is not None and model.coef_measures[warmth] > 3 * abs(
        model.coef_measures[appeal.APPEAL_MEASURES.index("brightness")])
    scores = model.predict(raw, embeddings)
    found = appeal.auc([label for _, label in examples], [scores[row] for row, _ in examples])
    assert found is not None and found > 0.75
    warmest = int(np.argmax(raw[:, warmth]))
    assert model.percentile(float(scores[warmest])) > 95
    top = appeal.drivers(model, raw[warmest], embeddings[warmest])[0]
    assert (top.measure, top.end) == ("warmth", "high") and top.contribution > 0
    assert appeal.fit(raw, embeddings, examples[:15]) is None  # too few of either outcome


def audience(made: dict[str, Any], viewers: int = 8) -> None:
    """Viewers shown every work who like the warm ones and pass the cool ones by."""
    for n in range(viewers):
        fan: User = UserFactory()
        for pk, look in made["looks"].items():
            publication = Publication.objects.get(pk=pk)
            Signal.objects.create(user=fan, publication=publication, kind=SignalKind.IMPRESSION)
            if look == "warm" and (n + pk) % 4:
                services.like_set(user=fan, publication_id=publication.public_id, liked=True)


def test_a_creator_sees_how_a_render_may_be_received_before_publishing_it(client: Any) -> None:
    made = gallery(per_look=8)
    audience(made)
    version = training.retrain()
    assert version is not None
    serving.reset()
    team_project = Publication.objects.first().project
    owner = made["owner"]
    renders: dict[str, Any] = {}
    for look, colour in (("warm", WARM), ("cool", COOL)):
        data = picture(100 + len(renders), colour)
        asset = image_render(team_project, owner, data, size=96, prompt="a still life",
                             seed=100 + len(renders))
        report_make(sha256=asset.sha256, frames=np.asarray(Image.open(BytesIO(data)).convert("RGB"))[None],
                    fps=None)
        renders[look] = asset

    first = reception_predict(project_id=team_project.pk, asset_id=renders["warm"].pk, user=owner)
    assert first["status"] == "pending"  # its prompt is read by a task
    reception.text_embed(text="a still life")  # what the task does
    warm = reception_predict(project_id=team_project.pk, asset_id=renders["warm"].pk, user=owner)
    cool = reception_predict(project_id=team_project.pk, asset_id=renders["cool"].pk, user=owner)
    assert warm["status"] == cool["status"] == "ready"
    assert warm["probability"] > cool["probability"] and warm["percentile"] > cool["percentile"]
    assert any(d["effect"] == "raises" for d in warm["drivers"])
    assert any(d["effect"] == "lowers" for d in cool["drivers"])

    client.force_login(owner)
    api = client.get(f"/api/v1/projects/{team_project.pk}/publish/{renders['warm'].pk}/reception")
    assert api.status_code == 200 and api.json()["probability"] == warm["probability"]
    page = client.get(reverse("gallery:publish", args=[team_project.pk, renders["warm"].pk]))
    html = page.content.decode()
    assert 'data-status="ready"' in html and "reception-drivers" in html

    stranger: User = UserFactory()
    client.force_login(stranger)
    refused = client.get(f"/api/v1/projects/{team_project.pk}/publish/{renders['warm'].pk}/reception")
    assert refused.status_code == 404 and refused["Content-Type"].startswith("application/json")


def test_before_any_model_the_prediction_says_it_is_unavailable() -> None:
    made = gallery(per_look=2)
    serving.reset()
    project = Publication.objects.first().project
    asset = image_render(project, made["owner"], picture(7, WARM), size=96, prompt="x", seed=7)
    assert reception_predict(project_id=project.pk, asset_id=asset.pk, user=made["owner"])["status"] == (
        "unavailable")
