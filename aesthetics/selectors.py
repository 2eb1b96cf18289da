"""Reads for aesthetics: a file's report as people see it, with where it stands in the gallery."""

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from aesthetics.extensions import gallery_hashes
from aesthetics.measures import LEARNED, MEASURES, PICTURE, TIME
from aesthetics.models import MEASURES_VERSION, Report
from aesthetics.predictor import directory as predictor_directory
from aesthetics.predictor import installed as predictor_files_installed
from aesthetics.predictor import size_on_disk

# (the clipped shares and the tilt read as they are)
RANKED = ("colourfulness", "brightness", "contrast", "sharpness", "warmth", "harmony", "thirds", "balance",
          "motion", "smoothness", "flicker", "stability", *LEARNED)


STANDING_MAX_AGE_S = 600.0


def report_find(*, sha256: str) -> Report | None:
    """The current report of the content `sha256`, if it has been measured (no access check:
    for callers that checked access to the file)."""
    return Report.objects.filter(sha256=sha256, version=MEASURES_VERSION).first()


def palettes_by_sha256(*, sha256s: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The dominant colours (hex, share, percent) of each of these contents that has a current
    report, in one query (a list of files shows each one's palette); those not measured yet are
    left out. No access check: for callers that checked access to the files."""
    found = (Report.objects.filter(sha256__in=set(sha256s), version=MEASURES_VERSION)
             .values_list("sha256", "measures__palette"))
    return {sha256: [{"hex": colour["hex"], "share": colour["share"], "percent": round(100 * colour["share"])}
                     for colour in palette or []]
            for sha256, palette in found}


def predictor_state() -> dict[str, Any]:
    """Whether the aesthetic predictor's files are in AESTHETIC_PREDICTOR_DIR (aesthetics/predictor.py),
    and their size on disk. Not whether they load: a worker finds that out when it first measures,
    and logs it (a web process never loads the model)."""
    path = predictor_directory()
    installed = predictor_files_installed(path)
    return {"directory": path, "installed": installed,
            "size_bytes": size_on_disk(path) if installed else None}


def _population() -> Any:
    reports = Report.objects.filter(version=MEASURES_VERSION)
    hashes = gallery_hashes()
    return reports if hashes is None else reports.filter(sha256__in=hashes)


@dataclass
class _Distribution:
    token: str
    built: float  # time.monotonic()
    values: dict[str, np.ndarray]  # each ranked measure's values among its population, sorted
    totals: dict[str, int]  # each measure's population: every work, the videos, or those that have it


_state: dict[str, _Distribution] = {}
_lock = threading.Lock()
TOKEN_KEY = "aesthetics:standing:token"


def published(*, sha256: str) -> bool:
    """Whether the content `sha256` is among the gallery's works (one indexed lookup)."""
    return _population().filter(sha256=sha256).exists()


def standing_invalidate() -> None:
    """The gallery changed (a work published or withdrawn, a published work measured): each
    process reads the distribution again at its next standing, or AESTHETICS_STANDING_REFRESH_S
    after its last read, whichever is later."""
    cache.delete(TOKEN_KEY)


def _token() -> str:
    token = cache.get(TOKEN_KEY)
    if token is None:
        cache.add(TOKEN_KEY, secrets.token_hex(8), None)
        token = cache.get(TOKEN_KEY) or ""
    return str(token)


def _distribution_build(token: str) -> _Distribution:
    """Every ranked measure of the gallery's works, in one query that extracts only those values."""
    rows = list(_population().values_list("kind", *[f"measures__{name}" for name in RANKED]))
    videos = sum(1 for row in rows if row[0] == "video")
    values, totals = {}, {}
    for k, name in enumerate(RANKED, start=1):
        among = [row[k] for row in rows if (name not in TIME or row[0] == "video")
                 and isinstance(row[k], int | float) and not isinstance(row[k], bool)]
        values[name] = np.sort(np.array(among, dtype=np.float64))
        totals[name] = len(among) if name in LEARNED else videos if name in TIME else len(rows)
    return _Distribution(token=token, built=time.monotonic(), values=values, totals=totals)


def _distribution() -> _Distribution:
    """The gallery's distribution, read once and kept per process: again when the gallery has
    changed (standing_invalidate) and it is older than AESTHETICS_STANDING_REFRESH_S, and at the
    latest every STANDING_MAX_AGE_S."""
    token = _token()
    current = _state.get("current")
    if current is not None:
        age = time.monotonic() - current.built
        recent = age < settings.AESTHETICS_STANDING_REFRESH_S
        if age < STANDING_MAX_AGE_S and (current.token == token or recent):
            return current
    with _lock:
        current = _distribution_build(token)
        _state["current"] = current
    return current


def standing(*, report: Report) -> dict[str, tuple[float, float]]:
    """For each ranked measure, the percentages of the gallery's works (videos only, for the
    measures of time; those that have it, for a learned score) with a lower and with a higher
    value. Read from the gallery's sorted values (_distribution): a binary search per measure,
    where counting them in the database took 2.5 s a report among 76,000 works."""
    found = _distribution()
    result = {}
    for name in RANKED:
        value = report.measures.get(name)
        total = found.totals.get(name, 0)
        if not isinstance(value, int | float) or isinstance(value, bool) or not total:
            continue
        ordered = found.values[name]
        below = int(np.searchsorted(ordered, value, side="left"))
        above = len(ordered) - int(np.searchsorted(ordered, value, side="right"))
        result[name] = (round(100 * below / total, 1), round(100 * above / total, 1))
    return result


def _compared(name: str, below: float, above: float) -> str | None:
    """The plainer of the two true statements: more than those below, or less than those above
    (None when the gallery holds only equal values)."""
    scale = MEASURES[name]
    if below == above == 0:
        return None
    if below >= above:
        return _("%(more)s than %(percent)s %% of published works") % {"more": str(scale.more).capitalize(),
                                                                        "percent": round(below)}
    return _("%(less)s than %(percent)s %% of published works") % {"less": str(scale.less).capitalize(),
                                                                    "percent": round(above)}


def report_view(*, report: Report) -> dict[str, Any]:
    """The report as the pages and the API show it: each measure with its plain-language meaning,
    its unit, the words for its scale's two ends, its value, and where it stands in the gallery."""
    ranks = standing(report=report)
    measures = []
    for name in (*PICTURE, *(TIME if report.kind == "video" else ()), *LEARNED):
        if name not in report.measures:
            continue
        scale, value = MEASURES[name], report.measures[name]
        rank = ranks.get(name)
        measures.append({"key": name, "name": str(scale.label), "explains": str(scale.explains),
                         "unit": scale.unit, "low": str(scale.low), "high": str(scale.high),
                         "value": round(value, 4) if isinstance(value, float) else value,
                         "shown": f"{value:.3g}" if isinstance(value, int | float) else "",
                         "standing": rank[0] if rank else None,
                         "compared": _compared(name, *rank) if rank else None})
    palette, x = [], 0.0
    for colour in report.measures.get("palette", []):  # with its place in a 1000-wide strip
        width = 1000 * colour["share"]
        palette.append({**colour, "percent": round(100 * colour["share"]), "x": round(x, 1),
                        "width": round(width, 1)})
        x += width
    return {"kind": report.kind, "version": report.version, "measured_at": report.updated_at,
            "palette": palette,
            "harmony_template": report.measures.get("harmony_template"),
            "subject": report.measures.get("subject"), "measures": measures}


def gallery_measures() -> dict[str, dict[str, Any]]:
    """Every published work's current measures by SHA-256, in one query (the feed's catalogue)."""
    return dict(_population().values_list("sha256", "measures"))
