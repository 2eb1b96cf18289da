"""What a creator sees before publishing a render: how the audience is likely to receive it (the
appeal model's prediction, recommend.appeal) and what drives that, in words.

The prediction needs the render's aesthetic report (made when it was stored) and the text
embedding of what it will be published with; embedding a text loads the MiniLM model (seconds, 90
MB), which the web processes never do, so it is computed by a task on the `default` queue and kept
in the cache by the text's hash. Until both are there the answer says what it waits for.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np
from django.core.cache import cache
from django.utils.translation import gettext as _

from aesthetics.measures import MEASURES
from aesthetics.selectors import report_find
from generation.selectors import asset_get
from kernel.tasks import enqueue
from projects.roles import Action
from projects.selectors import project_get
from recommend import appeal
from recommend.content import embed, from_bytes, to_bytes, work_text
from recommend.serving import active_model

if TYPE_CHECKING:
    from accounts.models import User

EMBEDDING_TTL_S = 3600
MAX_TEXT = 4000


def _key(text: str) -> str:
    return "recommend:text-embedding:" + hashlib.sha256(text.encode()).hexdigest()


def text_embed(*, text: str) -> None:
    """The task's work: embed `text` and keep it in the cache for EMBEDDING_TTL_S."""
    cache.set(_key(text), to_bytes(embed([text])[0]), EMBEDDING_TTL_S)


def _embedding(text: str) -> np.ndarray | None:
    found = cache.get(_key(text))
    if found is not None:
        return from_bytes(found)
    if cache.add(_key(text) + ":queued", 1, 60):  # one task per text a minute, however often asked
        enqueue("recommend.tasks.text_embed", text=text)
    return None


def _words(driver: appeal.Driver) -> str:
    """"Colourfulness (vivid)", "Subject and wording"."""
    if driver.measure == "text":
        return _("Subject and wording")
    scale = MEASURES[driver.measure]
    return _("%(measure)s (%(end)s)") % {"measure": scale.label,
                                         "end": scale.high if driver.end == "high" else scale.low}


def reception_predict(*, project_id: int, asset_id: int, user: User) -> dict[str, Any]:
    """The predicted reception of one of the project's renders, for those who may publish it:
    {"status": "ready", "probability", "percentile", "drivers": [...]}, or "pending" (what it waits
    for) or "unavailable" (no appeal model yet: too few viewers' signals)."""
    project = project_get(project_id=project_id, user=user, action=Action.PUBLISH)
    asset = asset_get(project=project, user=user, asset_id=asset_id)
    model = active_model()
    if model is None or model.appeal is None:
        return {"status": "unavailable", "detail": _("Not enough of the audience's signals yet to learn "
                                                     "what they take to.")}
    report = report_find(sha256=asset.sha256)
    prompt = asset.job.prompt if asset.job_id else ""
    embedding = _embedding(work_text(title="", prompt=prompt[:MAX_TEXT], tags=[]))
    if report is None or embedding is None:
        return {"status": "pending", "detail": _("Measuring the render and reading its prompt…")}
    raw = appeal.measure_matrix([report.measures])[0]
    probability = float(model.appeal.predict(raw[np.newaxis, :], embedding[np.newaxis, :])[0])
    drivers = appeal.drivers(model.appeal, raw, embedding)
    return {"status": "ready", "probability": round(probability, 4),
            "percentile": model.appeal.percentile(probability), "model": model.version,
            "drivers": [{"measure": d.measure, "effect": "raises" if d.contribution > 0 else "lowers",
                         "text": (_("%(what)s raises it") if d.contribution > 0 else _("%(what)s lowers it"))
                         % {"what": _words(d)}, "weight": round(d.contribution, 3)} for d in drivers]}
